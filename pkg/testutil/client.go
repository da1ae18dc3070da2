package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Response is an HTTP answer, read whole.
type Response struct {
	// Status is the status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the body as it came.
	Body []byte
}

// Decode unmarshals the JSON body into v, failing t if it is not.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errorBody is the API's error body.
type errorBody struct {
	Error struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func (r Response) errorBody() errorBody {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return b
}

// ErrorID returns the stable id of an error body ("" for any other body).
func (r Response) ErrorID() string { return r.errorBody().Error.ID }

// ErrorField returns the field of an error body ("" when it names none).
func (r Response) ErrorField() string { return r.errorBody().Error.Field }

// Send sends one request to url and reads the answer whole. body is sent
// as it is when it is a string or []byte, as JSON (with its Content-Type)
// otherwise, and not at all when nil. hdr are header name and value pairs
// set after that; an empty value removes the header (a body sent without
// its Content-Type, say). hc nil is http.DefaultClient.
func Send(ctx context.Context, hc *http.Client, method, url string, body any, hdr ...string) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read the body: %w", method, url, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}, nil
}

// Client sends a test's requests to a server under test. It fails the test
// on a transport error, never on a status: the test judges the answer.
type Client struct {
	t testing.TB
	// URL is the server's root, e.g. an httptest.Server's URL.
	URL string
	// Prefix goes before every path that does not start with "/api/"
	// (e.g. "/api/v1/districts/jingkai"), so a test writes its service's
	// paths and still reaches any other.
	Prefix string
	// Token, if set, is sent as the bearer token of every request.
	Token string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
}

// NewClient returns t's client of the server at url.
func NewClient(t testing.TB, url string) *Client { return &Client{t: t, URL: url} }

// As returns a copy of c that sends token as its bearer token ("" none).
func (c *Client) As(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Do sends method path with body and hdr (see Send).
func (c *Client) Do(method, path string, body any, hdr ...string) Response {
	c.t.Helper()
	url := c.URL + path
	if !strings.HasPrefix(path, "/api/") {
		url = c.URL + c.Prefix + path
	}
	if c.Token != "" {
		hdr = append([]string{"Authorization", "Bearer " + c.Token}, hdr...)
	}
	r, err := Send(c.t.Context(), c.HTTP, method, url, body, hdr...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// Must is Do that fails the test unless the status is want, and then
// decodes the body into out (if not nil).
func (c *Client) Must(want int, method, path string, body, out any, hdr ...string) Response {
	c.t.Helper()
	r := c.Do(method, path, body, hdr...)
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		r.Decode(c.t, out)
	}
	return r
}

// Object GETs path and returns its JSON object body when the answer is 200
// (nil otherwise): what a test polls a view with until it shows what it
// waits for.
func (c *Client) Object(path string) map[string]any {
	c.t.Helper()
	r := c.Do("GET", path, nil)
	if r.Status != http.StatusOK {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		c.t.Fatalf("GET %s: %v: %s", path, err, r.Body)
	}
	return m
}
