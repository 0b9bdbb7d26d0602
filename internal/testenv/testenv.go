// Package testenv starts a real kube-apiserver and etcd for integration tests, through
// controller-runtime's envtest, with drctl's CRDs installed. The binaries are built from the Go
// module proxy into bin/ by `make test-tools` (see hack/tools/); nothing is downloaded at test time.
//
// Without the binaries a test is skipped with a message saying how to build them; under CI=true
// it fails instead, so a CI run can never pass by skipping.
package testenv

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/drctl/drctl/pkg/crd"
)

// Env is a running API server.
type Env struct {
	// Config is an admin rest.Config for the API server.
	Config *rest.Config
	// AuditLog is the API server's audit log (Options.AuditServiceAccounts), JSON lines.
	AuditLog string
	env      *envtest.Environment
}

// Options adds to what Start installs.
type Options struct {
	// ExtraCRDs are installed next to drctl's own (for example Clusternet's real CRDs).
	ExtraCRDs []*apiextensionsv1.CustomResourceDefinition
	// SkipDrctlCRDs leaves drctl's CRDs out (for tests of `drctl install`).
	SkipDrctlCRDs bool
	// Restartable keeps the API server's certificates and port in CertDir, so that
	// RestartAPIServer brings the same server back (etcd keeps running with its data).
	Restartable bool
	// CertDir is where a Restartable API server keeps its certificates.
	CertDir string
	// AuditServiceAccounts makes the API server write an audit log (Env.AuditLog) of every
	// request a ServiceAccount makes, at the Metadata level: who asked what, and the answer.
	AuditServiceAccounts bool
	// BeforeStop, when set, runs after the tests and before the API server stops (to stop
	// what watches it, which would hold up its shutdown).
	BeforeStop func()
}

// Start starts an API server for the tests of one package; call it from TestMain and Stop it
// after m.Run. A missing binary returns ErrMissingBinaries (see Require).
func Start(opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	if !opts.SkipDrctlCRDs {
		if crds, err = crd.CRDs(); err != nil {
			return nil, err
		}
	}
	crds = append(crds, opts.ExtraCRDs...)
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{CRDs: crds},
		ErrorIfCRDPathMissing: true,
	}
	var auditLog string
	if opts.AuditServiceAccounts {
		if env.ControlPlane.APIServer == nil {
			env.ControlPlane.APIServer = &envtest.APIServer{}
		}
		dir, err := os.MkdirTemp("", "drctl-audit-")
		if err != nil {
			return nil, err
		}
		policy := filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
			return nil, err
		}
		auditLog = filepath.Join(dir, "audit.log")
		env.ControlPlane.APIServer.Configure().Set("audit-policy-file", policy).Set("audit-log-path", auditLog)
	}
	if opts.Restartable {
		// A short stop timeout: kube-apiserver drains long requests (watches) for longer than a
		// test wants to wait; past it, envtest kills it, as a crash would.
		if env.ControlPlane.APIServer == nil {
			env.ControlPlane.APIServer = &envtest.APIServer{}
		}
		env.ControlPlane.APIServer.CertDir, env.ControlPlane.APIServer.StopTimeout = opts.CertDir, 3*time.Second
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd from %s: %w", assets, err)
	}
	return &Env{Config: cfg, env: env, AuditLog: auditLog}, nil
}

// auditPolicy logs what ServiceAccounts ask, once each request is answered.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
`

// Kubeconfig writes an admin kubeconfig for the API server into a temporary file of the test and
// returns its path, for tests that run drctl's command line.
func (e *Env) Kubeconfig(t testing.TB) string {
	t.Helper()
	user, err := e.env.AddUser(envtest.User{Name: "drctl-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("add envtest user: %v", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// RestartAPIServer stops kube-apiserver and starts it again on the same port, with the same
// certificates and etcd (the environment must be Restartable). down is how long it stays down.
func (e *Env) RestartAPIServer(down time.Duration) error {
	api := e.env.ControlPlane.APIServer
	_ = api.Stop() // stopped gracefully, or killed after the stop timeout
	// Down for as long as asked, and at least until the port is free again.
	addr := net.JoinHostPort(api.SecureServing.Address, api.SecureServing.Port)
	deadline := time.Now().Add(down)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			_ = conn.Close()
		}
		if err != nil && time.Now().After(deadline) {
			break
		}
		if time.Since(deadline) > 30*time.Second {
			return fmt.Errorf("kube-apiserver still listens on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := api.Start(); err != nil {
		return fmt.Errorf("start kube-apiserver again: %w", err)
	}
	return nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error {
	if e == nil {
		return nil
	}
	return e.env.Stop()
}

// ErrMissingBinaries says kube-apiserver or etcd has not been built.
type ErrMissingBinaries struct{ Dir string }

func (e ErrMissingBinaries) Error() string {
	return fmt.Sprintf("kube-apiserver and etcd not found in %s: run `make test-tools` (builds them from the Go module proxy)", e.Dir)
}

// AssetsDir finds the directory holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS, or bin/ at
// the root of the drctl module.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", ErrMissingBinaries{Dir: dir}
		}
	}
	return dir, nil
}

// ModuleRoot walks up from the working directory to the directory holding drctl's go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isDrctlModule(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod of github.com/drctl/drctl not found above the working directory")
		}
		dir = parent
	}
}

func isDrctlModule(gomod []byte) bool {
	const want = "module github.com/drctl/drctl\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// InCI reports whether the tests run under CI (CI=true), where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Main is a TestMain body for packages whose tests need an API server: it starts one, runs the
// tests, stops it and returns the exit code. The running Env is stored in *env. Without the
// binaries the package's tests run with *env == nil (each calls Require) unless CI=true, where
// that is a failure.
func Main(m *testing.M, env **Env, opts Options) int {
	crlog.SetLogger(logr.Discard()) // controller-runtime's own logs are not what tests look at
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		// Fuzz targets need no API server, and every fuzz worker process runs TestMain: starting
		// one per worker would spend the fuzzing budget on etcd.
		skipReason = "fuzzing: no API server is started"
		return m.Run()
	}
	e, err := Start(opts)
	if err != nil {
		if _, missing := err.(ErrMissingBinaries); !missing || InCI() {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		skipReason = err.Error()
	}
	*env = e
	code := m.Run()
	if opts.BeforeStop != nil {
		opts.BeforeStop()
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: stop:", err)
	}
	return code
}

var skipReason string

// Require skips the test when no API server could be started outside CI.
func Require(t testing.TB, env *Env) *Env {
	t.Helper()
	if env == nil {
		if InCI() {
			t.Fatalf("no API server under CI=true: %s", skipReason)
		}
		t.Skipf("no API server: %s", skipReason)
	}
	return env
}
