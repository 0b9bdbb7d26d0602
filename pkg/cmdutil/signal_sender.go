package cmdutil

import (
	"context"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// signalTimeout bounds one signal sent from the live view, so that a hung API server cannot
// freeze it.
const signalTimeout = 30 * time.Second

// SignalSender sends the live view's controls (pause, approve, retry...) to an execution through
// eng, as drctl pause and the others do: the same checks, the same record.
func SignalSender(eng *engine.Engine, namespace, execution string) tui.SignalFunc {
	return func(verb v1alpha1.SignalVerb, step, reason string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), signalTimeout)
		defer cancel()
		res, err := eng.Signal(ctx, namespace, execution, engine.SignalRequest{Verb: verb, Step: step, Reason: reason})
		if err != nil {
			return "", err
		}
		return res.Message, nil
	}
}
