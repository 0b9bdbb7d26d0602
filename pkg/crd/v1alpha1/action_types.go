package v1alpha1

// ActionType names what an action does; it selects which of the action's configuration fields is used.
// +kubebuilder:validation:Enum=HTTP;Job;Localization;Globalization;HelmChart;Subscription;KubernetesResource
type ActionType string

// Action types.
const (
	ActionHTTP               ActionType = "HTTP"
	ActionJob                ActionType = "Job"
	ActionLocalization       ActionType = "Localization"
	ActionGlobalization      ActionType = "Globalization"
	ActionHelmChart          ActionType = "HelmChart"
	ActionSubscription       ActionType = "Subscription"
	ActionKubernetesResource ActionType = "KubernetesResource"
)

// ClusterExecutionMode says whether a Subscription action is tracked as one aggregate or per cluster.
// +kubebuilder:validation:Enum="";Global;PerCluster
type ClusterExecutionMode string

// Cluster execution modes.
const (
	ClusterExecutionGlobal     ClusterExecutionMode = "Global"
	ClusterExecutionPerCluster ClusterExecutionMode = "PerCluster"
)

// Action is one step of a workflow. Exactly the configuration field named by Type is used.
type Action struct {
	// Name is the unique action name
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Type is the action type
	Type ActionType `json:"type"`

	// HTTP configuration (required when type=HTTP)
	// +optional
	HTTP *HTTPAction `json:"http,omitempty"`
	// Job configuration (required when type=Job)
	// +optional
	Job *JobAction `json:"job,omitempty"`
	// Localization configuration (required when type=Localization)
	// +optional
	Localization *LocalizationAction `json:"localization,omitempty"`
	// Globalization configuration (required when type=Globalization)
	// +optional
	Globalization *GlobalizationAction `json:"globalization,omitempty"`
	// HelmChart configuration (required when type=HelmChart)
	// +optional
	HelmChart *HelmChartAction `json:"helmChart,omitempty"`
	// Subscription configuration (required when type=Subscription)
	// +optional
	Subscription *SubscriptionAction `json:"subscription,omitempty"`
	// KubernetesResource configuration (required when type=KubernetesResource)
	// +optional
	Resource *KubernetesResourceAction `json:"resource,omitempty"`

	// Timeout for the action (default: 5m)
	// +kubebuilder:default="5m"
	// +optional
	Timeout string `json:"timeout,omitempty"`
	// RetryPolicy defines retry behavior
	// +optional
	RetryPolicy *RetryPolicy `json:"retryPolicy,omitempty"`

	// Rollback defines custom rollback action
	// It is an Action itself (of any type, usually without a name); the schema is left open because
	// the type is recursive, and drctl validates it like any other action.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Rollback *Action `json:"rollback,omitempty"`

	// WaitReady indicates whether to wait until the target resource is ready.
	// When false (default), action succeeds once create/apply request is accepted.
	// When true, the executor polls the resource status until ready or timeout.
	// Currently only effective for Subscription actions (child cluster direct query via SocketProxy).
	// +kubebuilder:default=false
	// +optional
	WaitReady bool `json:"waitReady,omitempty"`
	// ClusterExecutionMode controls how this action is executed across binding clusters.
	// Empty or "Global" (default): executes as a single aggregate action; waitReady waits for ALL clusters.
	// "PerCluster": at runtime, splits into per-cluster child Subscriptions for independent progression.
	// Only effective for Subscription type actions with waitReady=true.
	// +kubebuilder:default=""
	// +optional
	ClusterExecutionMode ClusterExecutionMode `json:"clusterExecutionMode,omitempty"`
	// When is a CEL condition over mode, operation, params and outputs (e.g. mode == "install");
	// when false the action is skipped.
	// +optional
	When string `json:"when,omitempty"`
	// DependsOn lists action names this action depends on; a workflow whose actions name it runs
	// them as a graph, independent actions at once.
	// +optional
	DependsOn []string `json:"dependsOn,omitempty"`
	// HookType identifies the originating Helm hook lifecycle when this action was generated from a hook.
	// It allows executors to distinguish pre/post install/upgrade/delete/rollback hooks from normal actions.
	// +optional
	HookType string `json:"hookType,omitempty"`
	// HookCleanup controls Helm-like hook cleanup timing for hook actions.
	// It is primarily used by drplan-gen generated hook Subscription actions.
	// When nil, executors keep the current default behavior and do not apply extra cleanup.
	// +optional
	HookCleanup *HookCleanup `json:"hookCleanup,omitempty"`
}

// RetryPolicy defines how often and how fast a failed action attempt is retried.
type RetryPolicy struct {
	// Limit is the maximum number of retries (default 3). A pointer, because an explicit 0 means
	// "no retry" and must survive a round trip through the API server's defaulting.
	// +kubebuilder:default=3
	// +optional
	Limit *int32 `json:"limit,omitempty"`
	// Interval is the delay before the first retry (default 5s)
	// +kubebuilder:default="5s"
	// +optional
	Interval string `json:"interval,omitempty"`
	// BackoffMultiplier multiplies the interval after every retry (default "2.0")
	// +kubebuilder:default="2.0"
	// +optional
	BackoffMultiplier string `json:"backoffMultiplier,omitempty"`
}

// HookCleanup controls when resources created by a hook action are removed.
type HookCleanup struct {
	// BeforeCreate deletes a previous hook resource before creating a new one
	// +optional
	BeforeCreate bool `json:"beforeCreate,omitempty"`
	// OnSuccess deletes the hook resource after it succeeds
	// +optional
	OnSuccess bool `json:"onSuccess,omitempty"`
	// OnFailure deletes the hook resource after it fails
	// +optional
	OnFailure bool `json:"onFailure,omitempty"`
}
