// Package template finds and expands drctl's placeholders in strings. Both spellings are accepted:
//
//	$(params.name)        {{ .params.name }}
//	$(planName)           {{ .planName }}
//	$(planNamespace)      {{ .planNamespace }}
//	$(executionName)      {{ .executionName }}
//	$(outputs.act.field)  {{ .outputs.act.field }}
//
// Names may contain letters, digits, '-' and '_'. `$$(params.x)` writes a literal `$(params.x)`;
// `$$(` before any other name is left as written (`$$(POD_NAME)` is Kubernetes' own escape, for
// Kubernetes to read). Placeholders take no blanks and no trim markers: `$( params.x )` and
// `{{- .params.x }}` are errors, so that none passes through unrendered.
//
// Kubernetes and shells use `$(...)` themselves (`$(POD_NAME)` in a container's args, `$(date)` in
// a script), so `$(...)` is a drctl placeholder only when it starts with a name drctl defines;
// anything else is left as written. A `{{ ... }}` whose content starts with a dot is always drctl's:
// an unknown name there is an error, so a typo can never reach a cluster unexpanded.
//
// The package works on single strings; pkg/engine applies it to the values of manifests and
// bodies, and pkg/validate uses Parse to report undefined names before anything runs.
package template
