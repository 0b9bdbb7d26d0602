package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	goccyyaml "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// StdinPath is the path that means standard input.
const StdinPath = "-"

// stdinName is how standard input is named in diagnostics.
const stdinName = "<stdin>"

// Load reads every path (a file, a directory searched recursively for *.yaml, *.yml and *.json, or
// "-" for stdin) and returns the documents of drctl kinds. Problems reading or parsing input, and
// documents of other kinds (skipped, as info), are returned as diagnostics.
func Load(paths []string, stdin io.Reader) ([]*Document, []Diagnostic) {
	var docs []*Document
	var diags []Diagnostic
	total := 0
	// overTotal reports, once, that the inputs together exceed MaxTotalBytes.
	overTotal := func(file string, size int) bool {
		total += size
		if total <= MaxTotalBytes {
			return false
		}
		diags = append(diags, fileError(file, "not read: the inputs hold more than %d MiB together; validate them in parts", MaxTotalBytes>>20))
		return true
	}
	for _, p := range paths {
		if p == StdinPath {
			data, err := readInput(stdin)
			if err != nil {
				diags = append(diags, fileError(stdinName, "read: %v", err))
				continue
			}
			if overTotal(stdinName, len(data)) {
				break
			}
			d, ds := parseFile(stdinName, data)
			docs, diags = append(docs, d...), append(diags, ds...)
			continue
		}
		files, err := expand(p)
		if err != nil {
			diags = append(diags, fileError(p, "%v", err))
			continue
		}
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				diags = append(diags, fileError(f, "read: %v", err))
				continue
			}
			if overTotal(f, len(data)) {
				return docs, diags
			}
			d, ds := parseFile(f, data)
			docs, diags = append(docs, d...), append(diags, ds...)
		}
	}
	return docs, diags
}

// expand turns a path into the files it names: itself, or a directory's YAML/JSON files in
// lexical order (hidden directories such as .git are not entered).
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() { // special files are refused by readFile, with the reason
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml, *.yml or *.json files in directory")
	}
	slices.Sort(files)
	return files, nil
}

// chunk is one document's text and the line it starts on.
type chunk struct {
	text []byte
	line int
}

// splitDocuments splits a multi-document YAML stream on "---" lines, as kubectl does.
func splitDocuments(data []byte) []chunk {
	var chunks []chunk
	start, startLine := 0, 1
	line := 1
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data) - i
		}
		text := data[i : i+end]
		if isSeparator(text) {
			chunks = append(chunks, chunk{text: data[start:i], line: startLine})
			start, startLine = i+end+1, line+1
		}
		i += end + 1
		line++
	}
	if start < len(data) {
		chunks = append(chunks, chunk{text: data[start:], line: startLine})
	}
	return chunks
}

func isSeparator(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	return bytes.Equal(line, []byte("---")) || bytes.HasPrefix(line, []byte("--- "))
}

// typeMeta is the part of every document that says what it is.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func parseFile(file string, data []byte) ([]*Document, []Diagnostic) {
	p := &fileParser{file: file}
	for _, c := range splitDocuments(data) {
		if len(c.text) > MaxDocumentBytes {
			p.diags = append(p.diags, Diagnostic{Severity: SeverityError, File: file, Line: c.line, Column: 1,
				Message: fmt.Sprintf("document of %.1f MiB: the API server stores objects of at most 1.5 MiB (etcd's limit)", float64(len(c.text))/(1<<20))})
			continue
		}
		root := &yaml.Node{}
		if err := yaml.Unmarshal(c.text, root); err != nil {
			p.diags = append(p.diags, syntaxDiagnostic(file, c, err))
			continue
		}
		if root.Kind == 0 || len(root.Content) == 0 {
			continue // empty document or only comments
		}
		if dups := duplicateKeys(root); len(dups) > 0 {
			if len(dups) > MaxDiagnosticsPerDocument {
				p.diags = append(p.diags, Diagnostic{Severity: SeverityError, File: file, Line: c.line, Column: 1,
					Message: fmt.Sprintf("%d more duplicate keys in this document are not shown: fix the %d shown first", len(dups)-MaxDiagnosticsPerDocument, MaxDiagnosticsPerDocument)})
				dups = dups[:MaxDiagnosticsPerDocument]
			}
			for _, d := range dups {
				p.diags = append(p.diags, Diagnostic{Severity: SeverityError, File: file, Line: c.line + d.Line - 1, Column: d.Column,
					Message: fmt.Sprintf("duplicate key %q (first at line %d): YAML keeps only the last value, which a reviewer may not see, so drctl refuses the document", clip(d.Key), c.line+d.FirstLine-1)})
			}
			continue
		}
		jsonData, err := sigsyaml.YAMLToJSON(c.text)
		if err != nil {
			p.diags = append(p.diags, syntaxDiagnostic(file, c, err))
			continue
		}
		p.object(c.line, root.Content[0], jsonData)
	}
	return p.docs, p.diags
}

// fileParser collects the documents and diagnostics of one file.
type fileParser struct {
	file  string
	docs  []*Document
	diags []Diagnostic
}

// object takes one object (a document, or an item of a List) whose YAML node is node, in the
// document starting at line, and whose JSON form is data.
func (p *fileParser) object(line int, node *yaml.Node, data []byte) {
	fail := func(msg string) {
		p.diags = append(p.diags, Diagnostic{Severity: SeverityError, File: p.file, Line: line + node.Line - 1, Column: node.Column, Message: msg})
	}
	if node.Kind != yaml.MappingNode {
		fail("document is not an object (a mapping with apiVersion and kind)")
		return
	}
	var tm typeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		fail("apiVersion, kind and metadata must be a string, a string and an object: " + err.Error())
		return
	}
	if tm.Kind == "List" && (tm.APIVersion == "v1" || tm.APIVersion == "") {
		p.list(line, node, data) // what `kubectl get -o yaml` prints
		return
	}
	data, err := withoutStatus(data)
	if err != nil {
		fail(err.Error())
		return
	}
	doc := &Document{File: p.file, Line: line, APIVersion: tm.APIVersion, Kind: tm.Kind,
		Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name, JSON: data, root: node}
	if skip, diag := skipDocument(doc); skip {
		if diag != nil {
			p.diags = append(p.diags, *diag)
		}
		return
	}
	p.docs = append(p.docs, doc)
}

// list takes every item of a v1 List.
func (p *fileParser) list(line int, node *yaml.Node, data []byte) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	itemsNode, _ := child(node, pathStep{name: "items", index: -1})
	if err := json.Unmarshal(data, &list); err != nil || itemsNode == nil || itemsNode.Kind != yaml.SequenceNode || len(itemsNode.Content) != len(list.Items) {
		p.diags = append(p.diags, Diagnostic{Severity: SeverityError, File: p.file, Line: line + node.Line - 1, Column: node.Column,
			Kind: "List", Message: "a List needs items: a list of objects"})
		return
	}
	for i, item := range list.Items {
		p.object(line, itemsNode.Content[i], item)
	}
}

// skipDocument decides whether a document is of a drctl kind. Other kinds are skipped with an info
// line; a drctl group with an unknown kind or version is an error (a typo must not pass silently).
func skipDocument(doc *Document) (bool, *Diagnostic) {
	group, version, _ := strings.Cut(doc.APIVersion, "/")
	if !strings.Contains(doc.APIVersion, "/") {
		group, version = "", doc.APIVersion
	}
	line, col := doc.Position("")
	diag := func(sev Severity, field, format string, args ...any) *Diagnostic {
		if field != "" {
			line, col = doc.Position(field)
		}
		return &Diagnostic{Severity: sev, File: doc.File, Line: line, Column: col, Kind: doc.Kind,
			Namespace: doc.Namespace, Name: doc.Name, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if group != v1alpha1.GroupVersion.Group && isDrctlKind(doc.Kind) {
		return true, diag(SeverityError, "apiVersion", "%s needs apiVersion %s, not %q", doc.Kind, v1alpha1.GroupVersion, doc.APIVersion)
	}
	if group != v1alpha1.GroupVersion.Group {
		what := doc.Kind
		if what == "" {
			what = "document without kind"
		}
		if doc.Name != "" {
			what += " " + doc.Name
		}
		return true, diag(SeverityInfo, "", "skipped %s: not a %s kind", what, v1alpha1.GroupVersion.Group)
	}
	if version != v1alpha1.GroupVersion.Version {
		return true, diag(SeverityError, "apiVersion", "unsupported apiVersion %q: drctl understands %s", doc.APIVersion, v1alpha1.GroupVersion)
	}
	if isDrctlKind(doc.Kind) {
		return false, nil
	}
	return true, diag(SeverityError, "kind", "unknown kind %q in %s: want DRWorkflow, DRPlan or DRPlanExecution", doc.Kind, doc.APIVersion)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// syntaxDiagnostic turns a YAML parse error into file:line:col. The line and column come from
// goccy/go-yaml's parser, which reports both; the message of the parser that failed is kept.
func syntaxDiagnostic(file string, c chunk, err error) Diagnostic {
	d := Diagnostic{Severity: SeverityError, File: file, Line: c.line, Column: 1, Message: "malformed YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	var perr goccyyaml.Error
	if _, gerr := goccyparser.ParseBytes(c.text, 0); errors.As(gerr, &perr) && perr.GetToken() != nil {
		pos := perr.GetToken().Position
		d.Line, d.Column = c.line+pos.Line-1, pos.Column
		d.Message = "malformed YAML: " + perr.GetMessage()
	} else if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		d.Line = c.line + n - 1
		if strings.Contains(err.Error(), "exceeded max depth") {
			d.Column = nestingStart(c, n)
		}
	} else if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		d.Line, d.Column = aliasPosition(c, m[1])
	} else if strings.Contains(err.Error(), "excessive aliasing") {
		d.Line, d.Column = aliasPosition(c, "")
		d.Message += " (aliases that expand to too much data, as in a \"billion laughs\" document)"
	}
	return d
}

// nestingStart is the column of the first flow bracket on line n of the chunk, where a nesting
// too deep to parse begins, or 1.
func nestingStart(c chunk, n int) int {
	lines := strings.SplitN(string(c.text), "\n", n+1)
	if n < 1 || n > len(lines) {
		return 1
	}
	if i := strings.IndexAny(lines[n-1], "[{"); i >= 0 {
		return i + 1
	}
	return 1
}

var unknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)

// aliasPosition is the line and column of the first alias to anchor name (any alias when name is
// empty) in the chunk: YAML parsers report alias errors without a position.
func aliasPosition(c chunk, name string) (line, col int) {
	for i, text := range strings.Split(string(c.text), "\n") {
		for j := 0; j < len(text); j++ {
			if text[j] != '*' || j > 0 && !strings.ContainsRune(" \t[{,:-", rune(text[j-1])) {
				continue
			}
			end := j + 1 // the alias name runs to the next blank or flow indicator
			for end < len(text) && !strings.ContainsRune(" \t,[]{}", rune(text[end])) {
				end++
			}
			if alias := text[j+1 : end]; alias != "" && (name == "" || alias == name) {
				return c.line + i, j + 1
			}
			j = end - 1 // each character is read once, however many '*' the line holds
		}
	}
	return c.line, 1
}

func fileError(file, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: SeverityError, File: file, Message: fmt.Sprintf(format, args...)}
}

// withoutStatus drops a document's status: the API server ignores status when an object is
// created (all drctl kinds have a status subresource), so validation ignores it too.
func withoutStatus(data []byte) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	if _, ok := obj["status"]; !ok {
		return data, nil
	}
	delete(obj, "status")
	return json.Marshal(obj)
}

func isDrctlKind(kind string) bool {
	switch kind {
	case v1alpha1.KindDRWorkflow, v1alpha1.KindDRPlan, v1alpha1.KindDRPlanExecution:
		return true
	}
	return false
}
