package engine

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// journalWriter writes one runner's journal ConfigMap (see journal.go): created at the first
// write, then updated, each write guarded by the resourceVersion of the last, so that a runner
// that lost the record to a newer owner never overwrites that owner's journal.
type journalWriter struct {
	client client.Client
	header journalData
	meta   metav1.ObjectMeta
	rv     string // of the last write; empty before the first
}

func newJournalWriter(c client.Client, exec *v1alpha1.DRPlanExecution, f fence) *journalWriter {
	return &journalWriter{
		client: c,
		header: journalData{Execution: exec.Name, UID: string(exec.UID), Holder: f.holder, Epoch: f.epoch},
		meta: metav1.ObjectMeta{
			Name: journalName(exec.Name), Namespace: exec.Namespace,
			// Not LabelExecution: that marks what the run's actions made, which revert deletes.
			Labels: map[string]string{LabelJournalOf: labelValue(exec.Name)},
			// Deleted with the execution, where a garbage collector runs.
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.KindDRPlanExecution,
				Name: exec.Name, UID: exec.UID}},
		},
	}
}

// write stores entries as the journal's whole content. It returns errSuperseded when a newer
// owner's journal is in the way.
func (w *journalWriter) write(ctx context.Context, entries []journalEntry) error {
	data := w.header
	data.Entries = entries
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		cm := &corev1.ConfigMap{ObjectMeta: *w.meta.DeepCopy(), Data: map[string]string{journalKey: string(raw)}}
		if w.rv == "" {
			err = w.client.Create(ctx, cm)
		} else {
			cm.ResourceVersion = w.rv
			err = w.client.Update(ctx, cm)
		}
		if err == nil {
			w.rv = cm.ResourceVersion
			return nil
		}
		if (!apierrors.IsAlreadyExists(err) && !apierrors.IsConflict(err)) || attempt >= 5 {
			return err
		}
		// Someone else's journal is there: an earlier owner's, left over (its successor folded it
		// when it took the record over), is replaced; a newer owner's means this runner lost.
		latest := &corev1.ConfigMap{}
		if gerr := w.client.Get(ctx, client.ObjectKeyFromObject(cm), latest); gerr != nil {
			if apierrors.IsNotFound(gerr) {
				w.rv = ""
				continue
			}
			return gerr
		}
		var theirs journalData
		if json.Unmarshal([]byte(latest.Data[journalKey]), &theirs) == nil && theirs.UID == w.header.UID &&
			theirs.Holder != w.header.Holder && theirs.Epoch >= w.header.Epoch {
			return errSuperseded
		}
		w.rv = latest.ResourceVersion
	}
}

// takeOverJournal replaces exec's journal (folded into the record by now) with an empty one
// stamped with the new owner f: a previous owner's next journal write then conflicts and finds
// the newer owner, as its next record write would.
func takeOverJournal(ctx context.Context, c client.Client, exec *v1alpha1.DRPlanExecution, f fence) error {
	err := newJournalWriter(c, exec, f).write(ctx, nil)
	if apierrors.IsForbidden(err) {
		return nil // no permission on ConfigMaps: there is no journal to take over either
	}
	return err
}

func (w *journalWriter) String() string {
	return fmt.Sprintf("ConfigMap %s/%s", w.meta.Namespace, w.meta.Name)
}
