package actions

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

var env *testenv.Env

// TestMain starts an API server with Clusternet's real CRDs, read in place from ../shared.
func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, testenv.Options{ExtraCRDs: testenv.ClusternetCRDs()}))
}

func testEnv(t *testing.T) (Env, string) {
	t.Helper()
	e := testenv.Require(t, env)
	c, err := client.NewWithWatch(e.Config, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	ns := fmt.Sprintf("a%d", time.Now().UnixNano()%10000000)
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	return Env{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, ns
}

// requireClusternet skips (or, under CI, fails) when Clusternet's CRDs could not be read.
func requireClusternet(t *testing.T) {
	t.Helper()
	testenv.SharedDir(t, "clusternet", "crds")
}

// autoRollback is what revert does for an action without a custom rollback.
func autoRollback(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) (*v1alpha1.Action, string) {
	return Default().AutoRollback(forward, outputs)
}
