package progress

import (
	"io"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Renderer shows one run on a stream.
type Renderer interface {
	// Observe shows one event of the run.
	engine.Observer
	// Start says the run began, or that a watch joined it: headline is the sentence a person
	// reads ("execution dr/x started (plan p)").
	Start(exec *v1alpha1.DRPlanExecution, headline string)
	// Snapshot shows where a run stands when a watch joins it midway.
	Snapshot(exec *v1alpha1.DRPlanExecution)
	// Finish shows how the run ended.
	Finish(res *engine.Result)
	// Abort shows that following the run stopped on err (a hard stop, a lost connection): in
	// JSON a Finished record without a phase, once the run was started; in plain nothing (the
	// error is printed on stderr).
	Abort(err error)
}

// New returns the renderer of mode (Plain or JSON) writing to w.
func New(mode string, w io.Writer) Renderer {
	if mode == JSON {
		return newJSON(w)
	}
	return newPlain(w)
}
