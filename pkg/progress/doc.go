// Package progress renders a run for a stream that is not the live view: plain lines a person
// reads in a CI log, or JSON lines a script reads (--progress plain, --progress json).
//
// A renderer is told that the run started (or that a watch joined it), receives every engine
// event, and is told how the run ended. In JSON every line written to the stream is one JSON
// object of the schema described in README ("Progress as JSON"), carrying SchemaVersion.
//
// Follow turns the successive records of an execution run elsewhere into the same events, for
// drctl watch (into a renderer or the live view); ETA is what the live view counts down from.
package progress
