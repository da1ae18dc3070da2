// Package citytest drives a running city over HTTP the way a client does,
// for the standalone binary's end-to-end tests and benchmarks.
package citytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// Client talks to one city's HTTP API.
type Client struct {
	Base  string // e.g. http://127.0.0.1:8080
	HTTP  *http.Client
	Token string // bearer token sent with every request, if set
}

// New returns a client for base.
func New(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// OpenAPIPath is where a city serves its merged OpenAPI document.
const OpenAPIPath = "/api/v1/openapi.json"

// ValidateAgainstOpenAPI reads the city's OpenAPI document and from then on
// checks every request the client sends and every response it gets
// against it (testutil.APIValidator), reporting each mismatch to t: a
// field the document does not list, or lists wrong, fails the test that
// sent it.
func (c *Client) ValidateAgainstOpenAPI(ctx context.Context, t testing.TB) error {
	status, doc, err := c.Do(ctx, "GET", OpenAPIPath, nil, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", OpenAPIPath, status)
	}
	v, err := testutil.NewAPIValidator(doc, OpenAPIPath, "/")
	if err != nil {
		return err
	}
	c.HTTP.Transport = v.Transport(t, c.HTTP.Transport)
	return nil
}

// Do sends a JSON request (testutil.Send) and decodes a JSON response into
// out (if not nil). It returns the status code; transport errors are
// returned as err.
func (c *Client) Do(ctx context.Context, method, path string, body any, out any) (int, []byte, error) {
	var hdr []string
	if c.Token != "" {
		hdr = []string{"Authorization", "Bearer " + c.Token}
	}
	if body != nil {
		// A string body is a value to send as JSON here, not raw text.
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		body = b
	}
	r, err := testutil.Send(ctx, c.HTTP, method, c.Base+path, body, hdr...)
	if err != nil {
		return r.Status, r.Body, err
	}
	if out != nil && len(r.Body) > 0 && r.Status < 300 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return r.Status, r.Body, fmt.Errorf("decode %s %s: %w: %s", method, path, err, r.Body)
		}
	}
	return r.Status, r.Body, nil
}

// Must is Do that fails unless the status is want.
func (c *Client) Must(ctx context.Context, want int, method, path string, body any, out any) error {
	status, raw, err := c.Do(ctx, method, path, body, out)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	return nil
}

// Login exchanges a username and password for a token at
// /api/v1/auth/login and keeps it for the following requests.
func (c *Client) Login(ctx context.Context, username, password string) error {
	var out struct {
		Token string `json:"token"`
	}
	if err := c.Must(ctx, http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}, &out); err != nil {
		return err
	}
	if out.Token == "" {
		return fmt.Errorf("login of %s returned no token", username)
	}
	c.Token = out.Token
	return nil
}

// bootstrapLine is what guildhall prints once, on the first start of a data dir.
var bootstrapLine = regexp.MustCompile(`(?m)^bootstrap admin: username (\S+) password (\S+)$`)

// bootstrap remembers the bootstrap admin printed for each data dir, so a
// test can log in again after restarting a city on the same dir.
var (
	bootstrapMu sync.Mutex
	bootstrap   = map[string][2]string{}
)

// RememberBootstrap records the bootstrap admin if out (a city's start-up
// output, or one line of it) prints one for dataDir.
func RememberBootstrap(dataDir, out string) {
	if m := bootstrapLine.FindStringSubmatch(out); m != nil {
		bootstrapMu.Lock()
		bootstrap[dataDir] = [2]string{m[1], m[2]}
		bootstrapMu.Unlock()
	}
}

// LoginBootstrap logs in as the bootstrap admin of dataDir, first looking
// for it in out (pass "" when it was remembered before).
func (c *Client) LoginBootstrap(ctx context.Context, dataDir, out string) error {
	RememberBootstrap(dataDir, out)
	bootstrapMu.Lock()
	cr, ok := bootstrap[dataDir]
	bootstrapMu.Unlock()
	if !ok {
		return fmt.Errorf("no bootstrap admin was printed for %s", dataDir)
	}
	return c.Login(ctx, cr[0], cr[1])
}

// Created is the part of a create response the tests use.
type Created struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// RegisterActiveCompany registers a company in district and activates it.
// n makes its name and credit code unique.
func (c *Client) RegisterActiveCompany(ctx context.Context, district string, n int) (string, error) {
	code, err := idcheck.MakeCreditCode(fmt.Sprintf("91420100MA%07d", n%10000000))
	if err != nil {
		return "", err
	}
	var co Created
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/"+district+"/companies", map[string]any{
		"name":           fmt.Sprintf("武汉测试保安服务有限公司%d", n),
		"credit_code":    code,
		"licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 1000+n),
		"kind":           "service_company",
		"level":          "member",
	}, &co); err != nil {
		return "", err
	}
	if err := c.Must(ctx, http.StatusOK, "POST", "/api/v1/districts/"+district+"/companies/"+co.ID+"/status", map[string]any{"status": "active"}, nil); err != nil {
		return "", err
	}
	return co.ID, nil
}

// ResidentID is the national ID number of test guard n.
func ResidentID(n int) string {
	birth := time.Date(1970+n%30, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC)
	return idcheck.MakeResidentID("420106", birth, n%1000)
}

// HireGuard hires guard number n (its ID number is ResidentID(n)) into company.
func (c *Client) HireGuard(ctx context.Context, district, company string, n int) (string, error) {
	var g Created
	err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/"+district+"/companies/"+company+"/guards", map[string]any{
		"name":      "测试保安" + strconv.Itoa(n),
		"id_number": ResidentID(n),
	}, &g)
	return g.ID, err
}

// DistrictView is the part of GET /api/v1/hq/districts/{id} the tests use.
type DistrictView struct {
	District        string  `json:"district"`
	Companies       int     `json:"companies"`
	CompaniesActive int     `json:"companies_active"`
	GuardsActive    int     `json:"guards_active"`
	LastEventAt     *string `json:"last_event_at"`
	EventsBehind    *int64  `json:"events_behind"`
	Stale           bool    `json:"stale"`
	Status          string  `json:"status"`
	Services        []struct {
		Service       string  `json:"service"`
		Alive         bool    `json:"alive"`
		SilentSince   *string `json:"silent_since"`
		AsOf          *string `json:"as_of"`
		Version       string  `json:"version"`
		OutboxBacklog *int64  `json:"outbox_backlog"`
	} `json:"services"`
}

// WaitHQ polls HQ's view of district until ok accepts it or ctx ends; it
// returns the last view seen.
func (c *Client) WaitHQ(ctx context.Context, district string, ok func(DistrictView) bool) (DistrictView, error) {
	var last DistrictView
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var v DistrictView
		status, _, err := c.Do(ctx, "GET", "/api/v1/hq/districts/"+district, nil, &v)
		if err == nil && status == http.StatusOK {
			last = v
			if ok(v) {
				return v, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("HQ view of %s never matched; last %+v: %w", district, last, ctx.Err())
		case <-tick.C:
		}
	}
}
