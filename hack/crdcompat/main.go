// Command crdcompat runs after controller-gen in `make generate` and makes two adjustments to
// drctl's generated CRDs that controller-gen cannot express for types drctl does not own (the
// Kubernetes JobSpec inside a Job action):
//
//   - It adds the few schema properties that the upstream controller's CRDs carry but the Kubernetes
//     API drctl builds against no longer has, so that drctl's CRDs stay a superset of upstream's: an
//     object stored under the upstream CRD keeps every field when drctl's CRD replaces it. Each
//     property is inserted only where it is missing, so when Kubernetes brings a field back,
//     controller-gen's own schema wins.
//   - It removes CEL transition rules (rules that read oldSelf) from the Job template. Kubernetes
//     marks some PodSpec fields immutable that way; inside a list of actions the API server cannot
//     correlate old and new items and rejects the whole CRD. A template has no "old" version anyway:
//     the Job drctl creates from it is validated by the Job API itself.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// addition inserts Schema as property Name of the object schema found by following Path
// (property names; "[]" steps into array items) from the CRD's openAPIV3Schema.
type addition struct {
	File   string
	Path   string
	Name   string
	Why    string
	Schema string
}

// podSpec is the pod template spec inside a Job action.
const podSpec = "spec.actions[].job.template.spec.template.spec"

var additions = []addition{{
	File: "dr.bkbcs.tencent.com_drworkflows.yaml",
	Path: podSpec,
	Name: "workloadRef",
	Why:  "alpha PodSpec field of Kubernetes 1.35 (replaced by spec.scheduling in 1.37); upstream's CRD has it",
	Schema: `
description: |-
  WorkloadRef provides a reference to the Workload object that this Pod belongs to.
  Kept for compatibility with CRDs generated against Kubernetes 1.35; Kubernetes 1.37 API servers
  ignore it (use spec.scheduling instead).
properties:
  name:
    description: Name of the Workload object this Pod belongs to, in the Pod's namespace.
    type: string
  podGroup:
    description: PodGroup is the name of the PodGroup within the Workload that this Pod belongs to.
    type: string
  podGroupReplicaKey:
    description: PodGroupReplicaKey distinguishes pods of different replicas of the same pod group.
    type: string
required:
- name
- podGroup
type: object
`,
}}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdcompat CRD_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, a := range additions {
		if err := editCRD(filepath.Join(dir, a.File), a.apply); err != nil {
			fmt.Fprintf(os.Stderr, "crdcompat: %s: %v\n", a.File, err)
			os.Exit(1)
		}
	}
	const workflows = "dr.bkbcs.tencent.com_drworkflows.yaml"
	if err := editCRD(filepath.Join(dir, workflows), stripTransitionRules); err != nil {
		fmt.Fprintf(os.Stderr, "crdcompat: %s: %v\n", workflows, err)
		os.Exit(1)
	}
}

// editCRD rewrites a CRD file through edit. Going through a generic map keeps controller-gen's
// output byte for byte where edit changes nothing (both write keys in sorted order).
func editCRD(file string, edit func(crd map[string]any) error) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	if err := edit(crd); err != nil {
		return err
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	return os.WriteFile(file, append([]byte("---\n"), out...), 0o644)
}

// apply inserts the addition into every version's schema of crd.
func (a addition) apply(crd map[string]any) error {
	versions, _ := dig(crd, "spec", "versions").([]any)
	for i, v := range versions {
		node, _ := dig(v, "schema", "openAPIV3Schema").(map[string]any)
		for _, step := range strings.Split(strings.ReplaceAll(a.Path, "[]", ".[]"), ".") {
			if step == "[]" {
				node, _ = node["items"].(map[string]any)
			} else {
				node, _ = dig(node, "properties", step).(map[string]any)
			}
			if node == nil {
				return fmt.Errorf("version %d: path %s not found at %q", i, a.Path, step)
			}
		}
		props, _ := node["properties"].(map[string]any)
		if props == nil {
			return fmt.Errorf("version %d: %s has no properties", i, a.Path)
		}
		if _, ok := props[a.Name]; ok {
			continue
		}
		var schema map[string]any
		if err := yaml.Unmarshal([]byte(a.Schema), &schema); err != nil {
			return fmt.Errorf("schema of %s: %w", a.Name, err)
		}
		props[a.Name] = schema
	}
	return nil
}

func dig(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}
