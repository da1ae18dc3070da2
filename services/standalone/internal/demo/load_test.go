package demo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/services/membership"
)

// newNode starts a real membership node for district on a temp-dir SQLite.
// Its relay is not run, so every event written stays in the outbox.
func newNode(t *testing.T, district string) *membership.Node {
	t.Helper()
	ctx := t.Context()
	sealer, err := pii.NewSealer(map[string][]byte{"k1": make([]byte, pii.SealKeyLen)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	node, err := membership.New(ctx, membership.Config{
		District:  district,
		DBPath:    filepath.Join(t.TempDir(), "m.db"),
		IDHashKey: make([]byte, 32),
		Sealer:    sealer,
	}, membership.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("membership.New: %v", err)
	}
	t.Cleanup(func() { _ = node.Close() })
	return node
}

// asAdmin serves h as an hq-admin, as the standalone binary serves the
// demo loader (authentication happens in front of the node's handler).
func asAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Subject: "demo-test", Role: auth.RoleHQAdmin})))
	})
}

// listAll GETs every page of a list under the district and decodes the items.
func listAll[T any](t *testing.T, h http.Handler, district, path string) []T {
	t.Helper()
	var all []T
	token := ""
	for {
		u := "/api/v1/districts/" + district + path
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "page_size=500"
		if token != "" {
			u += "&page_token=" + url.QueryEscape(token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, rec.Code, rec.Body)
		}
		var page struct {
			Items         []T    `json:"items"`
			NextPageToken string `json:"next_page_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		all = append(all, page.Items...)
		if page.NextPageToken == "" {
			return all
		}
		token = page.NextPageToken
	}
}

type apiCompany struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	CreditCode string `json:"credit_code"`
}

type apiGuard struct {
	ID                    string `json:"id"`
	CompanyID             string `json:"company_id"`
	Name                  string `json:"name"`
	CertificateNumber     string `json:"certificate_number"`
	BackgroundCheckStatus string `json:"background_check_status"`
	BackgroundCheckOn     string `json:"background_check_on"`
	PreJobTrained         bool   `json:"pre_job_trained"`
}

type apiCouncil struct {
	Position         string `json:"position"`
	PersonName       string `json:"person_name"`
	CompanyID        string `json:"company_id"`
	DistrictInCharge string `json:"district_in_charge"`
}

// want is what the membership API must hold after ds is loaded.
type want struct {
	companies, guards, trainings, checks, council int
	status                                        map[string]string // credit code → status
	checkStatus                                   map[string]int
	certified, preJob                             int
}

func expected(ds Dataset) want {
	w := want{status: map[string]string{}, checkStatus: map[string]int{}}
	w.companies = len(ds.Companies)
	w.council = len(ds.CouncilMembers)
	for _, c := range ds.Companies {
		w.status[c.CreditCode] = c.Status
		for _, g := range c.Guards {
			w.guards++
			w.trainings += len(g.Trainings)
			if g.BackgroundCheck != "" {
				w.checks++
				w.checkStatus[g.BackgroundCheck]++
			} else {
				w.checkStatus["none"]++
			}
			if g.CertificateNumber != "" {
				w.certified++
			}
			if len(g.Trainings) > 0 && g.Trainings[0].Type == TrainingPreJob {
				w.preJob++
			}
		}
	}
	return w
}

// verify checks that the node behind h holds exactly ds.
func verify(t *testing.T, h http.Handler, ds Dataset) {
	t.Helper()
	w := expected(ds)
	companies := listAll[apiCompany](t, h, ds.District, "/companies")
	if len(companies) != w.companies {
		t.Fatalf("%d companies listed, want %d", len(companies), w.companies)
	}
	headOf := map[string]string{}
	for _, c := range companies {
		if want, ok := w.status[c.CreditCode]; !ok || want != c.Status {
			t.Errorf("company %s (%s) is %q, want %q", c.Name, c.CreditCode, c.Status, want)
		}
	}
	for _, c := range ds.Companies {
		for _, ac := range companies {
			if ac.CreditCode == c.CreditCode {
				headOf[c.ContactName] = ac.ID
			}
		}
	}

	guards := listAll[apiGuard](t, h, ds.District, "/guards")
	if len(guards) != w.guards {
		t.Fatalf("%d guards listed, want %d", len(guards), w.guards)
	}
	checks := map[string]int{}
	certified, preJob, trainings := 0, 0, 0
	for _, g := range guards {
		checks[g.BackgroundCheckStatus]++
		if g.CertificateNumber != "" {
			certified++
		}
		if g.PreJobTrained {
			preJob++
		}
		trainings += len(listAll[json.RawMessage](t, h, ds.District, "/guards/"+g.ID+"/trainings"))
	}
	for k, n := range w.checkStatus {
		if checks[k] != n {
			t.Errorf("%d guards with background check %q, want %d (all: %v)", checks[k], k, n, checks)
		}
	}
	if certified != w.certified || preJob != w.preJob || trainings != w.trainings {
		t.Errorf("certified %d, pre-job trained %d, trainings %d; want %d, %d, %d", certified, preJob, trainings, w.certified, w.preJob, w.trainings)
	}

	council := listAll[apiCouncil](t, h, ds.District, "/council-members")
	if len(council) != w.council {
		t.Fatalf("%d council members listed, want %d", len(council), w.council)
	}
	for _, m := range council {
		if m.Position == "director" && (m.CompanyID == "" || m.CompanyID != headOf[m.PersonName]) {
			t.Errorf("director %s is linked to company %q, want %q", m.PersonName, m.CompanyID, headOf[m.PersonName])
		}
	}
}

func statsOf(ds Dataset) LoadStats {
	w := expected(ds)
	return LoadStats{Companies: w.companies, Guards: w.guards, Trainings: w.trainings, BackgroundChecks: w.checks, CouncilMembers: w.council}
}

func TestLoadFillsAMembershipNodeOnceOnly(t *testing.T) {
	node := newNode(t, "jingkai")
	h := asAdmin(node.Handler())
	ds := Generate(20250923, "jingkai")
	ctx := t.Context()

	st, err := Load(ctx, h, ds)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if st != statsOf(ds) {
		t.Fatalf("stats %+v, want %+v", st, statsOf(ds))
	}
	verify(t, h, ds)
	events, err := node.Outbox().Backlog(ctx)
	if err != nil || events == 0 {
		t.Fatalf("outbox holds %d events (%v) after a load", events, err)
	}

	// A second run replays every create and changes nothing: not a row,
	// not an event.
	st2, err := Load(ctx, h, ds)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if st2 != st {
		t.Fatalf("second Load stats %+v, want %+v", st2, st)
	}
	verify(t, h, ds)
	if again, err := node.Outbox().Backlog(ctx); err != nil || again != events {
		t.Fatalf("outbox holds %d events (%v) after the second load, want still %d", again, err, events)
	}
}

func TestLoadCompletesAHalfFinishedLoad(t *testing.T) {
	h := asAdmin(newNode(t, "caidian").Handler())
	ds := Generate(5, "caidian")
	ctx := t.Context()

	// Cut the dataset as a crash would: after the first suspended company
	// was activated and half its guards hired, before its suspension.
	cut := -1
	for i, c := range ds.Companies {
		if c.Status == StatusSuspended {
			cut = i
			break
		}
	}
	if cut < 0 {
		t.Fatal("the dataset has no suspended company")
	}
	partial := ds
	partial.Companies = append([]Company(nil), ds.Companies[:cut+1]...)
	last := partial.Companies[cut]
	last.Status = StatusActive
	last.Guards = last.Guards[:len(last.Guards)/2]
	partial.Companies[cut] = last
	partial.CouncilMembers = nil
	if _, err := Load(ctx, h, partial); err != nil {
		t.Fatalf("partial Load: %v", err)
	}

	st, err := Load(ctx, h, ds)
	if err != nil {
		t.Fatalf("Load after a partial one: %v", err)
	}
	if st != statsOf(ds) {
		t.Fatalf("stats %+v, want %+v", st, statsOf(ds))
	}
	verify(t, h, ds)
}

func TestLoadStopsAtTheFirstRefusedRequest(t *testing.T) {
	h := asAdmin(newNode(t, "jingkai").Handler())
	ds := Generate(9, "jingkai")
	bad := ds.Companies[1]
	bad.CreditCode = bad.CreditCode[:17] + "?" // not a credit code
	ds.Companies[1] = bad

	st, err := Load(t.Context(), h, ds)
	var re *RequestError
	if !errors.As(err, &re) {
		t.Fatalf("Load error %v (%T), want a *RequestError", err, err)
	}
	if re.Method != http.MethodPost || re.Path != "/api/v1/districts/jingkai/companies" || re.Status != http.StatusBadRequest || !strings.Contains(re.Body, "credit_code") {
		t.Fatalf("RequestError %+v, want the refused company create with its error body", re)
	}
	if st.Companies != 1 || st.CouncilMembers != 0 {
		t.Fatalf("stats %+v, want exactly the first company loaded", st)
	}
	if n := len(listAll[apiCompany](t, h, "jingkai", "/companies")); n != 1 {
		t.Fatalf("%d companies after the failed load, want 1", n)
	}
}

func TestLoadHonoursCancellation(t *testing.T) {
	h := asAdmin(newNode(t, "jingkai").Handler())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Load(ctx, h, Generate(1, "jingkai")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context: %v, want context.Canceled", err)
	}
}
