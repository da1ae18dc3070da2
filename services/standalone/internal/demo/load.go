package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// LoadStats counts what Load entered (or found already entered by an earlier
// run of the same dataset).
type LoadStats struct {
	Companies, Guards, Trainings, BackgroundChecks, CouncilMembers int
}

// RequestError is the error of Load when the API refused a request: the
// request that failed and the response the API gave.
type RequestError struct {
	Method, Path string
	// Status is the HTTP status code of the response.
	Status int
	// Body is the response body, normally the API's error document.
	Body string
}

// Error implements error.
func (e *RequestError) Error() string {
	return fmt.Sprintf("demo: %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), strings.TrimSpace(e.Body))
}

// Load enters ds through the membership HTTP API served by h (an
// http.Handler for /api/v1/districts/<district>/...), exactly as a client
// would: each company is registered and then moved to its status, its
// guards are hired, their training records and background checks recorded,
// and finally the council seats appointed. It stops at the first error and
// returns it, with the request that failed and the response body as a
// *RequestError when the API refused it.
//
// Every create carries an Idempotency-Key derived from (district, seed,
// index), and state changes are made only when the current state differs,
// so running Load again after a half-finished run (within the API's
// idempotency window) completes the data without duplicating anything.
func Load(ctx context.Context, h http.Handler, ds Dataset) (LoadStats, error) {
	l := &loader{h: h, base: "/api/v1/districts/" + url.PathEscape(ds.District), keyBase: fmt.Sprintf("demo:%s:%d", ds.District, ds.seed)}
	var st LoadStats
	companyByHead := map[string]string{}
	for i, c := range ds.Companies {
		id, err := l.company(ctx, i, c, &st)
		if err != nil {
			return st, err
		}
		st.Companies++
		companyByHead[c.ContactName] = id
	}
	for i, m := range ds.CouncilMembers {
		body := map[string]any{
			"term":               m.Term,
			"position":           m.Position,
			"person_name":        m.PersonName,
			"district_in_charge": m.DistrictInCharge,
		}
		// A seat held by the head of one of the district's companies is
		// linked to that company (contact names are unique in a dataset).
		if id, ok := companyByHead[m.PersonName]; ok {
			body["company_id"] = id
		}
		if err := l.do(ctx, http.MethodPost, "/council-members", fmt.Sprintf("%s:m%d", l.keyBase, i), body, nil); err != nil {
			return st, err
		}
		st.CouncilMembers++
	}
	return st, nil
}

type loader struct {
	h       http.Handler
	base    string
	keyBase string
}

// company registers c, moves it to its status and enters its guards,
// returning its id.
func (l *loader) company(ctx context.Context, i int, c Company, st *LoadStats) (string, error) {
	key := fmt.Sprintf("%s:c%d", l.keyBase, i)
	var created struct {
		ID string `json:"id"`
	}
	err := l.do(ctx, http.MethodPost, "/companies", key, map[string]any{
		"name":            c.Name,
		"credit_code":     c.CreditCode,
		"licence_number":  c.LicenceNumber,
		"kind":            c.Kind,
		"level":           c.Level,
		"contact_name":    c.ContactName,
		"contact_phone":   c.ContactPhone,
		"address":         c.Address,
		"party_org":       c.PartyOrg,
		"party_org_since": c.PartyOrgSince,
		"trade_union":     c.TradeUnion,
		"workers_home":    c.WorkersHome,
	}, &created)
	if err != nil {
		return "", err
	}
	// A replayed create answers with the company as first created; its
	// status now may be further along, so read it.
	var cur struct {
		Status string `json:"status"`
	}
	if err := l.do(ctx, http.MethodGet, "/companies/"+created.ID, "", nil, &cur); err != nil {
		return "", err
	}
	setStatus := func(status, reason string) error {
		if err := l.do(ctx, http.MethodPost, "/companies/"+created.ID+"/status", "", map[string]any{"status": status, "reason": reason}, nil); err != nil {
			return err
		}
		cur.Status = status
		return nil
	}

	switch c.Status {
	case StatusApplied, StatusActive, StatusSuspended:
	default:
		return "", fmt.Errorf("demo: company %d (%s): unknown target status %q", i, c.Name, c.Status)
	}
	if c.Status != StatusApplied && cur.Status == StatusApplied {
		if err := setStatus(StatusActive, "会员入会审核通过"); err != nil {
			return "", err
		}
	}
	switch {
	case c.Status == StatusSuspended && cur.Status == StatusSuspended:
		// The company is suspended only after its guards are all entered
		// (a suspended company hires no one), so an earlier run that got
		// this far completed them.
		countGuards(c, st)
		return created.ID, nil
	case cur.Status != c.Status && !(c.Status == StatusSuspended && cur.Status == StatusActive):
		return "", fmt.Errorf("demo: company %d (%s) is %s, the dataset wants %s", i, c.Name, cur.Status, c.Status)
	}

	for j, g := range c.Guards {
		if err := l.guard(ctx, created.ID, fmt.Sprintf("%s:g%d", key, j), g, st); err != nil {
			return "", err
		}
	}
	if c.Status == StatusSuspended {
		if err := setStatus(StatusSuspended, "风险隐患排查整改期间暂停"); err != nil {
			return "", err
		}
	}
	return created.ID, nil
}

func countGuards(c Company, st *LoadStats) {
	for _, g := range c.Guards {
		st.Guards++
		st.Trainings += len(g.Trainings)
		if g.BackgroundCheck != "" {
			st.BackgroundChecks++
		}
	}
}

// guard hires g into a company and records its trainings and background
// check.
func (l *loader) guard(ctx context.Context, companyID, key string, g Guard, st *LoadStats) error {
	var created struct {
		ID string `json:"id"`
	}
	err := l.do(ctx, http.MethodPost, "/companies/"+companyID+"/guards", key, map[string]any{
		"name":                  g.Name,
		"id_number":             g.IDNumber,
		"certificate_number":    g.CertificateNumber,
		"certificate_issued_on": g.CertificateIssuedOn,
		"hired_on":              g.HiredOn,
		"badge_service":         g.BadgeService,
		"volunteer_police":      g.VolunteerPolice,
		"party_member":          g.PartyMember,
	}, &created)
	if err != nil {
		return err
	}
	st.Guards++
	for k, t := range g.Trainings {
		err := l.do(ctx, http.MethodPost, "/guards/"+created.ID+"/trainings", fmt.Sprintf("%s:t%d", key, k), map[string]any{
			"type":       t.Type,
			"hours":      t.Hours,
			"trained_on": t.TrainedOn,
			"topic":      t.Topic,
		}, nil)
		if err != nil {
			return err
		}
		st.Trainings++
	}
	if g.BackgroundCheck == "" {
		return nil
	}
	// A check result is not a create (no Idempotency-Key); record it only
	// if the guard does not carry it yet, so a re-run writes nothing.
	var cur struct {
		Status string `json:"background_check_status"`
		On     string `json:"background_check_on"`
	}
	if err := l.do(ctx, http.MethodGet, "/guards/"+created.ID, "", nil, &cur); err != nil {
		return err
	}
	if cur.Status != g.BackgroundCheck || cur.On != g.BackgroundCheckOn {
		err := l.do(ctx, http.MethodPost, "/guards/"+created.ID+"/background-checks", "", map[string]any{
			"status":     g.BackgroundCheck,
			"checked_on": g.BackgroundCheckOn,
		}, nil)
		if err != nil {
			return err
		}
	}
	st.BackgroundChecks++
	return nil
}

// do sends one request to the handler and decodes a 2xx response into out
// (when out is not nil); any other status becomes a *RequestError.
func (l *loader) do(ctx context.Context, method, path, idemKey string, body, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("demo: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	full := l.base + path
	req, err := http.NewRequestWithContext(ctx, method, full, rd)
	if err != nil {
		return fmt.Errorf("demo: %s %s: %w", method, full, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	// The handler is called in-process: the demo loads the node it runs
	// next to, with no listener or network in between.
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		return &RequestError{Method: method, Path: full, Status: rec.Code, Body: rec.Body.String()}
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("demo: %s %s: decode response: %w", method, full, err)
		}
	}
	return nil
}
