// Package cmdutil holds what drctl's commands share: the exit codes and the typed errors they are
// chosen from, in one place.
package cmdutil
