// Package cmdutil holds what drctl's commands (pkg/cmd) share: the Factory they are given, the
// exit codes and the typed errors they are chosen from (in one place), the flags and session of
// the commands that run a plan, the confirmation they ask on a terminal, listing, and the config
// file's keys.
package cmdutil
