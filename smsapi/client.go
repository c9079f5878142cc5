// Package smsapi is an HTTP client of the SMSOnline v3 API: it looks up orders,
// the balance and the inventory of an account, buys, refunds and re-arms
// numbers, creates top-up invoices, and turns every answer into typed results
// or a typed *Error. WithMaxRPS keeps all requests under a
// rate, serving interactive ones ahead of Background ones. It knows nothing
// about Telegram or SQL.
//
// The API key travels in the query string or the body, so every error this
// package returns is scrubbed of it: see Error. What the package guesses about
// the API is gathered in assumptions.go.
package smsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"time"
)

const (
	// maxBodySize caps how much of a response body is read; a longer body is
	// ErrMalformed on success and only loses its message on an error status.
	maxBodySize = 1 << 20
	// maxDrain is how much of an unread body is discarded so the connection
	// can go back to the keep-alive pool; longer bodies cost a new connection.
	maxDrain = 256 << 10

	defaultTimeout   = 15 * time.Second
	defaultUserAgent = "smsbot-smsapi/1"
)

// Client calls the SMSOnline v3 API. It is safe for concurrent use; create one
// and share it, so that all calls share one keep-alive connection pool.
type Client struct {
	base      *url.URL
	hc        *http.Client
	userAgent string
	now       func() time.Time // for Retry-After HTTP-dates; swapped in tests
	limit     *requestCap      // nil: no cap; see WithMaxRPS
	observe   Observer         // nil: none; see WithObserver
	notice    Unexpected       // nil: none; see WithUnexpected
}

// Observer is told about every request that was sent: its operation ("get
// order", "buy", …), the error it ended with (nil for success) and how
// long the exchange took, the wait for the request cap left out. It must be
// fast and safe for concurrent use; it is for metrics.
type Observer func(op string, err error, took time.Duration)

// WithObserver calls o after every request sent.
func WithObserver(o Observer) Option {
	return func(c *Client) { c.observe = o }
}

// Unexpected is told about an answer that differs from what the decoders
// expect: call is the operation ("balance", "get order", …), what one of the
// Unexpected* kinds, value the offending value, already redacted of the API
// key and the user id. It must be fast and safe for concurrent use.
type Unexpected func(call, what, value string)

// WithUnexpected calls u for every difference of an answer from the shape the
// decoders expect (see Difference), while the decoders go on reading what
// they can.
func WithUnexpected(u Unexpected) Option {
	return func(c *Client) { c.notice = u }
}

// Option configures a Client in New.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc instead of its
// own default (15 s timeout, redirects not followed, a keep-alive pool sized for
// thousands of checks per second). A nil hc keeps the default. hc should have a
// Timeout and should not follow redirects to other hosts, since the API key is
// in the query string.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request. An empty ua keeps
// the default.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// DefaultBaseURL is SMSOnline's API, for New.
const DefaultBaseURL = "https://api-x.smsonline.cloud"

// DefaultMaxRPS is the request cap (see WithMaxRPS) a deployment starts
// from: well under what SMSOnline serves one client.
const DefaultMaxRPS = 20

// New returns a Client for the API at baseURL, such as DefaultBaseURL;
// "/v3/..." is appended to its path. baseURL
// must be an absolute http or https URL without query, fragment or user info.
func New(baseURL string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("smsapi: base URL: %w", err)
	}
	c := &Client{
		base:      base,
		userAgent: defaultUserAgent,
		now:       time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.hc == nil {
		c.hc = newHTTPClient()
	}
	return c, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole input; keep it, a base URL is no secret,
		// but drop the wrapper so the message stays short.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: scheme must be http or https", ErrInvalidInput)
	case u.Host == "":
		return nil, fmt.Errorf("%w: no host", ErrInvalidInput)
	case u.User != nil:
		return nil, fmt.Errorf("%w: user info not allowed", ErrInvalidInput)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("%w: query or fragment not allowed", ErrInvalidInput)
	}
	if u.Path == "" {
		u.Path = "/" // so JoinPath yields an absolute path
	}
	return u, nil
}

// newHTTPClient is the default transport: its own pool, large enough that a
// watcher checking thousands of orders per second keeps its connections.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Timeout:   defaultTimeout,
		Transport: t,
		// A redirect would carry the apiKey query to wherever Location
		// points; the API has no reason to redirect, so the 3xx is returned.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newRequest builds a method request for /v3/{segments...}. The API key goes
// where keyPlaces says: the apiKey query parameter, the apiKey field of a
// JSON body, or both. fields are the body's other fields; a request with
// neither fields nor a key in the body has no body. The segments must already
// be validated; each is path-escaped all the same.
func (c *Client) newRequest(ctx context.Context, cred Credentials, method string, fields map[string]string, segments ...string) (*http.Request, error) {
	elems := make([]string, 0, len(segments)+1)
	elems = append(elems, "v3")
	for _, s := range segments {
		elems = append(elems, url.PathEscape(s))
	}
	u := c.base.JoinPath(elems...)
	inQuery, inBody := keyPlaces(method)
	if inQuery {
		u.RawQuery = url.Values{"apiKey": {cred.APIKey}}.Encode()
	}

	var body io.Reader
	if inBody || len(fields) > 0 {
		obj := make(map[string]string, len(fields)+1)
		maps.Copy(obj, fields)
		if inBody {
			obj["apiKey"] = cred.APIKey
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends req, within the request cap, and returns the body of a successful
// envelope or an *Error; Error.Sent tells whether req got as far as the HTTP
// client.
func (c *Client) do(ctx context.Context, op string, cred Credentials, req *http.Request) (json.RawMessage, error) {
	if c.limit != nil {
		if err := c.limit.wait(ctx); err != nil {
			return nil, transportError(ctx, op, cred.APIKey, 0, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, transportError(ctx, op, cred.APIKey, 0, err) // nothing sent
	}
	start := time.Now()
	body, err := c.send(ctx, op, cred, req)
	if e, ok := err.(*Error); ok {
		e.Sent = true // it may have reached the API
	}
	if c.observe != nil {
		c.observe(op, err, time.Since(start))
	}
	return body, err
}

// send makes the exchange and parses its answer; an answer that differs
// from what the decoders expect is told to the Unexpected hook.
func (c *Client) send(ctx context.Context, op string, cred Credentials, req *http.Request) (json.RawMessage, error) {
	r, err := c.exchange(ctx, op, cred, req)
	if err != nil {
		return nil, err
	}
	if c.notice != nil {
		for _, d := range r.differences(op) {
			c.notice(d.Call, d.What, redactValue(d.String(), cred))
		}
	}
	return r.parse(op, cred.APIKey, c.now())
}

// exchange sends req and reads its answer. The response body is read through
// a size limit and always drained and closed so the connection is reused.
func (c *Client) exchange(ctx context.Context, op string, cred Credentials, req *http.Request) (rawResponse, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return rawResponse{}, transportError(ctx, op, cred.APIKey, 0, err)
	}
	defer drainAndClose(resp.Body)

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return rawResponse{}, transportError(ctx, op, cred.APIKey, resp.StatusCode, err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header, body: data}
	if len(data) > maxBodySize {
		r.body, r.tooLarge = data[:maxBodySize], true
	}
	return r, nil
}

// call is newRequest followed by do: the one path of every API call. fields
// are the JSON body's fields besides the key.
func (c *Client) call(ctx context.Context, op string, cred Credentials, method string, fields map[string]string, segments ...string) (json.RawMessage, error) {
	req, err := c.newRequest(ctx, cred, method, fields, segments...)
	if err != nil {
		return nil, &Error{Op: op, Kind: ErrInvalidInput, Err: redactErr(err, cred.APIKey)}
	}
	return c.do(ctx, op, cred, req)
}

// get is call for a GET, which has no body.
func (c *Client) get(ctx context.Context, op string, cred Credentials, segments ...string) (json.RawMessage, error) {
	return c.call(ctx, op, cred, http.MethodGet, nil, segments...)
}

func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

// transportError classifies a failure to get or read a response. When the
// caller's own ctx has ended, the error is that ctx error, not ErrTransient:
// the caller gave up, the API did not fail.
func transportError(ctx context.Context, op, apiKey string, status int, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		e := &Error{Op: op, Kind: ctxErr, StatusCode: status}
		if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
			e.Err = redactErr(cause, apiKey)
		}
		return e
	}
	return &Error{Op: op, Kind: ErrTransient, StatusCode: status, Err: redactErr(err, apiKey)}
}
