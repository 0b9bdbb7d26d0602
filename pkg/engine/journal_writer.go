package engine

import (
	"context"
	"encoding/json"
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// journalWriter is one owner's journal (see journal.go). The owner creates it, or takes over its
// predecessor's, before its runner starts; every later write is guarded by the resourceVersion of
// the last, so that a runner that lost the record to a newer owner never writes over that owner's
// journal, and one whose journal was deleted (by a newer owner ending the run) never recreates it.
type journalWriter struct {
	client client.Client
	header journalData
	meta   metav1.ObjectMeta
	rv     string // of the last write
}

// errJournalMoved says the journal changed between reading and taking it over: read it again.
var errJournalMoved = errors.New("the journal changed while it was being taken over")

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

func (w *journalWriter) object(entries []journalEntry) (*corev1.ConfigMap, error) {
	data := w.header
	data.Entries = entries
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{ObjectMeta: *w.meta.DeepCopy(), Data: map[string]string{journalKey: string(raw)}}, nil
}

// create makes a new execution's empty journal. A journal left by a deleted execution of the same
// name is replaced.
func (w *journalWriter) create(ctx context.Context) error {
	cm, err := w.object(nil)
	if err != nil {
		return err
	}
	err = w.client.Create(ctx, cm)
	if apierrors.IsAlreadyExists(err) {
		old := &corev1.ConfigMap{}
		if err := w.client.Get(ctx, client.ObjectKeyFromObject(cm), old); err != nil {
			return err
		}
		cm.ResourceVersion = old.ResourceVersion
		err = w.client.Update(ctx, cm)
	}
	if err != nil {
		return err
	}
	w.rv = cm.ResourceVersion
	return nil
}

// takeOver replaces the journal read as current (nil: there was none) with this owner's, empty
// but for the previous owner's journal (inherited) until the claim of the record is written; it
// is guarded by what was read: if the previous owner wrote meanwhile, errJournalMoved.
func (w *journalWriter) takeOver(ctx context.Context, current *corev1.ConfigMap, inherited *journalData) error {
	w.header.Inherited = inherited
	cm, err := w.object(nil)
	w.header.Inherited = nil
	if err != nil {
		return err
	}
	if current == nil {
		err = w.client.Create(ctx, cm)
	} else {
		cm.ResourceVersion = current.ResourceVersion
		err = w.client.Update(ctx, cm)
	}
	switch {
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err), current != nil && apierrors.IsNotFound(err):
		return errJournalMoved
	case err != nil:
		return err
	}
	w.rv = cm.ResourceVersion
	return nil
}

// errJournalGone says the journal was deleted: by a newer owner that ended the run, or by
// someone else (a garbage collector after the execution's deletion, a person); the record tells.
var errJournalGone = errors.New("the journal was deleted")

// write stores entries as the journal's whole content. A conflict with a journal stamped by
// another owner means a newer owner took it over: errSuperseded; a missing journal errJournalGone.
func (w *journalWriter) write(ctx context.Context, entries []journalEntry) error {
	cm, err := w.object(entries)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		cm.ResourceVersion = w.rv
		err = w.client.Update(ctx, cm)
		switch {
		case apierrors.IsNotFound(err):
			return errJournalGone
		case apierrors.IsConflict(err) && attempt < 3:
			// Our own last write may have landed after its timeout; anyone else's means we lost.
			latest := &corev1.ConfigMap{}
			if gerr := w.client.Get(ctx, client.ObjectKeyFromObject(cm), latest); gerr != nil {
				if apierrors.IsNotFound(gerr) {
					return errJournalGone
				}
				return gerr
			}
			var theirs journalData
			if json.Unmarshal([]byte(latest.Data[journalKey]), &theirs) != nil || theirs.Holder != w.header.Holder || theirs.Epoch != w.header.Epoch {
				return errSuperseded
			}
			w.rv = latest.ResourceVersion
			continue
		case apierrors.IsConflict(err):
			return errSuperseded
		case err != nil:
			return err
		}
		w.rv = cm.ResourceVersion
		return nil
	}
}

// delete removes the journal once the record holds everything, if it is still this owner's.
func (w *journalWriter) delete(ctx context.Context) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: w.meta.Namespace, Name: w.meta.Name}}
	rv := w.rv
	err := w.client.Delete(ctx, cm, client.Preconditions{ResourceVersion: &rv})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or another owner's now
	}
	return err
}
