package actions

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

func init() {
	register(&Type{
		Name:  v1alpha1.ActionHTTP,
		Field: "http",
		Set:   func(a *v1alpha1.Action) bool { return a.HTTP != nil },
		Rollback: func(v1alpha1.ResourceOperation) Rollback {
			return Rollback{What: "HTTP actions have no automatic rollback"}
		},
		NewExecutor: func() Executor { return NewHTTP() },
		Check:       checkHTTP,
		Documents:   []Document{{Path: "http.body", Format: DocumentAsWritten}, {Path: "http.url", Format: DocumentURL}},
		Target:      func(a *v1alpha1.Action) string { return or(string(a.HTTP.Method), "GET") + " " + a.HTTP.URL },
		Details:     httpDetails,
		Example: func(_ v1alpha1.ResourceOperation, at ExampleTarget) *v1alpha1.Action {
			return example("type: HTTP\nhttp: {url: %q, method: POST}", at.URL)
		},
	})
}

func checkHTTP(path *field.Path, a *v1alpha1.Action, r Reporter) {
	h, path := a.HTTP, path.Child("http")
	if h.URL == "" {
		r.Errorf(path.Child("url").String(), "Required value: an HTTP action needs a url")
	} else if msg := urlProblem(h.URL); msg != "" {
		r.Errorf(path.Child("url").String(), "Invalid value %q: %s", h.URL, msg)
	}
	for i, c := range h.SuccessCodes {
		if c < 100 || c > 599 {
			r.Errorf(path.Child("successCodes").Index(i).String(), "Invalid value %d: not an HTTP status code (100-599)", c)
		}
	}
}

// urlProblem says why s is not an absolute http(s) URL once its placeholders are replaced by
// stand-ins, or "" when it is. A leading placeholder may carry the scheme and host.
func urlProblem(s string) string {
	refs, errs := template.Parse(s)
	if len(errs) > 0 {
		return "" // reported as a template error
	}
	rendered := s
	if len(refs) > 0 {
		var b strings.Builder
		last := 0
		for _, r := range refs {
			b.WriteString(s[last:r.Start])
			if r.Start == 0 {
				b.WriteString("http://" + StandIn + ".invalid")
			} else {
				b.WriteString(StandIn)
			}
			last = r.End
		}
		b.WriteString(s[last:])
		rendered = b.String()
	}
	u, err := url.Parse(rendered)
	switch {
	case err != nil:
		return "not a URL: " + strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(rendered)+": ")
	case u.Scheme != "http" && u.Scheme != "https":
		return "not an http or https URL"
	case u.Host == "":
		return "the URL has no host"
	}
	return ""
}

// httpDetails shows the request, credentials redacted.
func httpDetails(a *v1alpha1.Action) []string {
	out := []string{fmt.Sprintf("request: %s %s", or(string(a.HTTP.Method), "GET"), a.HTTP.URL)}
	keys := make([]string, 0, len(a.HTTP.Headers))
	for k := range a.HTTP.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := a.HTTP.Headers[k]
		if SensitiveHeader(k) {
			v = "REDACTED"
		}
		out = append(out, fmt.Sprintf("header %s: %s", k, v))
	}
	if a.HTTP.Body != "" {
		out = append(out, "body: "+strings.ReplaceAll(a.HTTP.Body, "\n", " "))
	}
	return out
}

// maxRecordedBody is how much of a response body is kept in the execution status when a
// template reads it ($(outputs.<action>.body)); bodyExcerpt is how much is kept otherwise: enough
// for a person to recognise the answer, little enough that hundreds of actions fit in one record.
const (
	maxRecordedBody = 1024
	bodyExcerpt     = 64
)

// HTTP calls an endpoint. TLS is verified against the system pool unless the action says
// insecureSkipVerify. Network errors, timeouts, 5xx, 408 and 429 are retried (429 and 503 no
// sooner than their Retry-After); any other unexpected status fails at once.
type HTTP struct {
	verified, insecure *http.Client
}

// NewHTTP returns the HTTP executor.
func NewHTTP() *HTTP {
	base := http.DefaultTransport.(*http.Transport)
	insecure := base.Clone()
	insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // only when the action asks for it
	return &HTTP{
		verified: &http.Client{Transport: base.Clone(), CheckRedirect: keepCredentialsOnHost},
		insecure: &http.Client{Transport: insecure, CheckRedirect: keepCredentialsOnHost},
	}
}

// keepCredentialsOnHost follows up to ten redirects, as Go's client does, but a redirect to
// another scheme, host or port carries none of the headers the action set except Accept,
// Accept-Encoding, Content-Type and User-Agent: Go drops Authorization and Cookie itself, and an
// X-Api-Key or a custom token header is a credential for the first host just the same.
func keepCredentialsOnHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Scheme == first.Scheme && req.URL.Host == first.Host {
		return nil
	}
	for name := range req.Header {
		switch http.CanonicalHeaderKey(name) {
		case "Accept", "Content-Type", "User-Agent", "Accept-Encoding":
		default:
			req.Header.Del(name)
		}
	}
	return nil
}

// Execute sends the request once.
func (h *HTTP) Execute(ctx context.Context, env Env, req Request) (Result, error) {
	spec := req.Action.HTTP
	if spec == nil {
		return Result{}, Permanent(errors.New("http is not set"))
	}
	method := string(spec.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if spec.Body != "" {
		body = strings.NewReader(spec.Body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, method, spec.URL, body)
	if err != nil {
		return Result{}, Permanent(fmt.Errorf("build request: %w", err))
	}
	for k, v := range spec.Headers {
		httpReq.Header.Set(k, v)
	}
	if env.Logger != nil {
		env.Logger.Debug("http request", "method", method, "url", spec.URL, "headers", redactHeaders(httpReq.Header, env.SensitiveHeaders), "body", spec.Body)
	}
	client := h.verified
	if spec.InsecureSkipVerify {
		client = h.insecure
	}
	start := time.Now()
	resp, err := client.Do(httpReq)
	latency := time.Since(start)
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", method, spec.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxRecordedBody+1))
	recorded := string(data)
	if len(data) > maxRecordedBody {
		recorded = string(data[:maxRecordedBody])
	}
	if env.Logger != nil {
		env.Logger.Debug("http response", "url", spec.URL, "status", resp.StatusCode, "latency", latency, "headers", redactHeaders(resp.Header, env.SensitiveHeaders), "body", recorded)
	}
	kept := recorded
	if !req.KeepBody {
		kept = excerpt(recorded, bodyExcerpt)
	}
	outputs := &v1alpha1.ActionOutputs{
		HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: resp.StatusCode, Body: kept, Latency: latency.Round(time.Millisecond).String()},
	}
	result := Result{Outputs: outputs, Message: fmt.Sprintf("%s %s: %d in %s", method, spec.URL, resp.StatusCode, latency.Round(time.Millisecond))}
	if successful(resp.StatusCode, spec.SuccessCodes) {
		return result, nil
	}
	failure := fmt.Errorf("%s %s: unexpected status %d: %s", method, spec.URL, resp.StatusCode, firstBytes(recorded, 200))
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return result, RetryAfter(failure, d)
		}
		return result, failure
	default:
		return result, Permanent(failure)
	}
}

func successful(code int, codes []int) bool {
	if len(codes) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// excerpt is the first n bytes of s (never a broken UTF-8 sequence), marked "..." when cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func firstBytes(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// redactHeaders copies headers with credentials replaced by "REDACTED": those SensitiveHeader
// knows and those named in extra.
func redactHeaders(h http.Header, extra []string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
		if IsSensitiveHeader(k, extra) {
			out[k] = "REDACTED"
		}
	}
	return out
}

// IsSensitiveHeader reports whether a header carries credentials: SensitiveHeader says so, or
// extra names it (case-insensitive).
func IsSensitiveHeader(name string, extra []string) bool {
	if SensitiveHeader(name) {
		return true
	}
	for _, e := range extra {
		if strings.EqualFold(e, name) {
			return true
		}
	}
	return false
}

// SensitiveHeader reports whether a header carries credentials and must never be shown: Authorization,
// Cookie, Set-Cookie, Proxy-Authorization, and any whose name mentions a token, secret, key or password.
func SensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "cookie", "set-cookie", "proxy-authorization":
		return true
	}
	for _, s := range []string{"token", "secret", "password", "passwd"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	// X-Api-Key, X-Access-Key: credentials; Idempotency-Key, Sec-WebSocket-Key, X-Key-Id: not.
	switch {
	case !strings.Contains(n, "key"), strings.HasSuffix(n, "idempotency-key"), n == "sec-websocket-key", strings.HasSuffix(n, "key-id"):
		return false
	}
	return true
}
