package v1alpha1

// HTTPMethod is the request method of an HTTP action.
// +kubebuilder:validation:Enum=GET;POST;PUT;PATCH;DELETE;HEAD;OPTIONS
type HTTPMethod string

// HTTPAction calls an HTTP endpoint.
type HTTPAction struct {
	// URL is the request URL (supports parameter placeholders)
	URL string `json:"url"`
	// Method is the HTTP method (default: GET)
	// +kubebuilder:default=GET
	// +optional
	Method HTTPMethod `json:"method,omitempty"`
	// Headers are request headers
	// +optional
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the request body (supports parameter placeholders)
	// +optional
	Body string `json:"body,omitempty"`
	// SuccessCodes are HTTP status codes considered successful (default: 200-299)
	// +optional
	SuccessCodes []int `json:"successCodes,omitempty"`
	// InsecureSkipVerify skips TLS certificate verification
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}
