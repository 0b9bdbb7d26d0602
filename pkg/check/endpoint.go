package check

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// endpoint checks an HTTP action's URL: its host name resolves, and with a probe, the endpoint
// answers a HEAD request (any status: a server answered; the action's own method is never sent).
func (c *Checker) endpoint(ctx context.Context, where string, rollback bool, raw string) []Result {
	result := func(check string, outcome Outcome, detail, fix string) Result {
		return Result{Action: where, Rollback: rollback, Check: check, Outcome: outcome, Detail: detail, Fix: fix}
	}
	if unknown(raw) {
		return []Result{result("dns", Skip, "the URL comes from an earlier action's outputs: known when the run gets there", "")}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return []Result{result("dns", Fail, fmt.Sprintf("%q is not a URL with a host", raw), "fix the url (or the parameter it comes from)")}
	}
	host := u.Hostname()
	var results []Result
	if net.ParseIP(host) != nil {
		results = append(results, result("dns", Pass, host+" is an address", ""))
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := c.Resolver.LookupHost(ctx, host)
		cancel()
		if err != nil {
			return append(results, result("dns", Fail, fmt.Sprintf("%s does not resolve: %v", host, err),
				"fix the host (or the parameter it comes from), or its DNS record"))
		}
		results = append(results, result("dns", Pass, fmt.Sprintf("%s resolves to %v", host, addrs), ""))
	}
	if c.Probe == nil {
		return results
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, raw, nil)
	if err != nil {
		return append(results, result("http", Fail, err.Error(), ""))
	}
	resp, err := c.Probe.Do(req)
	if err != nil {
		return append(results, result("http", Fail, fmt.Sprintf("HEAD %s: %v", redactURL(u), err), "check that the endpoint is up and reachable from here"))
	}
	_ = resp.Body.Close()
	return append(results, result("http", Pass, fmt.Sprintf("HEAD %s answered %s", redactURL(u), resp.Status), ""))
}

// redactURL is u without credentials or query (which may hold a token).
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}
