package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// The API server counts every request it has served in apiserver_request_total, labelled by verb,
// group, resource and subresource (and code, scope, version, which are summed away here). Reading
// the counter before and after a run gives what the run asked of the API server, seen from the
// server's side: retries, watches and writes that a client-side count could miss are all there.

// requestKey is one row of the per-run table.
type requestKey struct {
	Verb, Group, Resource, Subresource string
}

func (k requestKey) String() string {
	r := k.Resource
	if k.Group != "" {
		r += "." + k.Group
	}
	if k.Subresource != "" {
		r += "/" + k.Subresource
	}
	return r
}

// requestCounts maps a row to its number of requests.
type requestCounts map[requestKey]float64

// metricsScraper reads the API server's /metrics with the kubeconfig's credentials.
type metricsScraper struct {
	client *http.Client
	url    string
}

func newMetricsScraper(cfg *rest.Config) (*metricsScraper, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &metricsScraper{client: hc, url: strings.TrimRight(cfg.Host, "/") + "/metrics"}, nil
}

// scrape returns apiserver_request_total summed per requestKey.
func (m *metricsScraper) scrape(ctx context.Context) (requestCounts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", m.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", m.url, resp.Status)
	}
	counts := requestCounts{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	const name = "apiserver_request_total{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		labels, rest, ok := parseLabels(line[len(name):])
		if !ok {
			return nil, fmt.Errorf("scrape %s: cannot parse %q", m.url, line)
		}
		fields := strings.Fields(rest) // value, then an optional timestamp
		if len(fields) == 0 {
			return nil, fmt.Errorf("scrape %s: no value in %q", m.url, line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("scrape %s: value of %q: %w", m.url, line, err)
		}
		counts[requestKey{Verb: labels["verb"], Group: labels["group"], Resource: labels["resource"],
			Subresource: labels["subresource"]}] += v
	}
	return counts, sc.Err()
}

// parseLabels reads `a="x",b="y"}` (Prometheus text format, values escaped with backslashes) and
// returns the labels and what follows the closing brace.
func parseLabels(s string) (map[string]string, string, bool) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, ", ")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], true
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 || len(s) < eq+2 || s[eq+1] != '"' {
			return nil, "", false
		}
		key := s[:eq]
		s = s[eq+2:]
		var val strings.Builder
		closed := false
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s):
				i++
				if s[i] == 'n' {
					val.WriteByte('\n')
				} else {
					val.WriteByte(s[i])
				}
			case c == '"':
				s = s[i+1:]
				closed = true
			default:
				val.WriteByte(c)
			}
			if closed {
				break
			}
		}
		if !closed {
			return nil, "", false
		}
		labels[key] = val.String()
	}
}

// minus is what was counted between two scrapes.
func (c requestCounts) minus(before requestCounts) requestCounts {
	d := requestCounts{}
	for k, v := range c {
		if n := v - before[k]; n > 0 {
			d[k] = n
		}
	}
	return d
}

// isDrctls says whether a row is one of the kinds of request a run of drctl makes: its own
// resources, the plan's Lease, the execution's journal (a ConfigMap), the Events it posts on the
// execution, and the review that tells it who it is. Everything else the API server served meanwhile (its own endpoint reconciliation,
// discovery, the bench's scrapes) is reported apart, as not per action.
func isDrctls(k requestKey) bool {
	switch {
	case k.Group == "dr.bkbcs.tencent.com":
		return true
	case k.Resource == "leases" && k.Group == "coordination.k8s.io":
		return true
	case k.Resource == "configmaps" && k.Group == "":
		return true
	case k.Resource == "events" && (k.Group == "" || k.Group == "events.k8s.io"):
		return true
	case k.Resource == "selfsubjectreviews" || k.Resource == "selfsubjectaccessreviews":
		return true
	}
	return false
}

// requestRow is one line of the report's table.
type requestRow struct {
	Key   requestKey
	Count float64
}

// apiRequests is a run's requests, split into drctl's (per action) and the rest.
type apiRequests struct {
	Rows  []requestRow // drctl's, by verb and resource, most first
	Total float64      // sum of Rows
	Other float64      // everything else the server served in the window
}

// summarise splits a diff into drctl's rows and the rest.
func summarise(d requestCounts) apiRequests {
	var a apiRequests
	for k, v := range d {
		if !isDrctls(k) {
			a.Other += v
			continue
		}
		a.Rows = append(a.Rows, requestRow{Key: k, Count: v})
		a.Total += v
	}
	sort.Slice(a.Rows, func(i, j int) bool {
		if a.Rows[i].Count != a.Rows[j].Count {
			return a.Rows[i].Count > a.Rows[j].Count
		}
		return a.Rows[i].Key.Verb+a.Rows[i].Key.String() < a.Rows[j].Key.Verb+a.Rows[j].Key.String()
	})
	return a
}

// byVerb totals drctl's requests per verb.
func (a apiRequests) byVerb() map[string]float64 {
	m := map[string]float64{}
	for _, r := range a.Rows {
		m[r.Key.Verb] += r.Count
	}
	return m
}
