package standalone_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// errorOf returns the status, id and field of a refused request.
func errorOf(t *testing.T, c *citytest.Client, method, path string, body any) (int, string, string) {
	t.Helper()
	status, raw, err := c.Do(context.Background(), method, path, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var e errs.Body
	_ = json.Unmarshal(raw, &e)
	return status, e.Error.ID, e.Error.Field
}

// TestAccountScopesMustNameWhatTheCityHas: through the guildhall binary, an
// account's district must be in the etcd registry and its company one HQ
// knows in that district; what the directory does not know is 422
// account.scope_unknown, and nothing is created.
func TestAccountScopesMustNameWhatTheCityHas(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.Companies == 1 }); err != nil {
		t.Fatal(err)
	}
	pw := "a long enough password"
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"A district-admin of a district not in the registry is refused.",
			map[string]any{"username": "vp-hanyang", "password": pw, "role": "district-admin", "districts": []string{"hanyang"}}, "districts"},
		{"A company-admin whose company is another district's is refused.",
			map[string]any{"username": "ca-wrong", "password": pw, "role": "company-admin", "districts": []string{"caidian"}, "company": co}, "company"},
		{"A company-admin of a company the city does not have is refused.",
			map[string]any{"username": "ca-ghost", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "no-such-company"}, "company"},
	} {
		status, id, field := errorOf(t, c, "POST", "/api/v1/auth/accounts", tc.body)
		if status != http.StatusUnprocessableEntity || id != "account.scope_unknown" || field != tc.field {
			t.Errorf("%s %d %s field %q, want 422 account.scope_unknown field %q", tc.name, status, id, field, tc.field)
		}
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/auth/accounts", nil, &page); err != nil || len(page.Items) != 1 {
		t.Errorf("accounts after the refused creates: %v %v, want only the bootstrap admin", page.Items, err)
	}
	for _, ok := range []map[string]any{
		{"username": "vp-jingkai", "password": pw, "role": "district-admin", "districts": []string{"jingkai", "caidian"}},
		{"username": "ca-jingkai", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": co},
	} {
		if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", ok, nil); err != nil {
			t.Error(err)
		}
	}
}

// TestOnePersonsWrongPasswordsDoNotLockOutAColleagueBehindTheSameAddress:
// every request of this test comes from 127.0.0.1, as an office behind one
// NAT. Five wrong passwords lock that person's account from there; a
// colleague's account signs in from the same address.
func TestOnePersonsWrongPasswordsDoNotLockOutAColleagueBehindTheSameAddress(t *testing.T) {
	_, admin := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, u := range []string{"wang.office", "li.office"} {
		if err := admin.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts",
			map[string]any{"username": u, "password": u + " right password", "role": "ops"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	office := citytest.New(admin.Base)
	for i := range 5 {
		if status, id, _ := errorOf(t, office, "POST", "/api/v1/auth/login", map[string]string{"username": "wang.office", "password": "wrong"}); status != http.StatusUnauthorized || id != "auth.login_failed" {
			t.Fatalf("wrong password %d: %d %s", i+1, status, id)
		}
	}
	if status, id, _ := errorOf(t, office, "POST", "/api/v1/auth/login",
		map[string]string{"username": "wang.office", "password": "wang.office right password"}); status != http.StatusTooManyRequests || id != "auth.too_many_attempts" {
		t.Errorf("wang's sixth attempt: %d %s, want 429 auth.too_many_attempts", status, id)
	}
	if err := office.Login(ctx, "li.office", "li.office right password"); err != nil {
		t.Errorf("the colleague behind the same address: %v", err)
	}
}

// TestADistrictAdminReadsHQTheSameWayInTheListAndTheView: the district
// list and the district view agree for a district-scoped caller.
func TestADistrictAdminReadsHQTheSameWayInTheListAndTheView(t *testing.T) {
	_, admin := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts",
		map[string]any{"username": "vp-jk", "password": "vp-jk right password", "role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	vp := citytest.New(admin.Base)
	if err := vp.Login(ctx, "vp-jk", "vp-jk right password"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/v1/hq/districts/jingkai", http.StatusOK},
		{"/api/v1/hq/districts?district=jingkai", http.StatusOK},
		{"/api/v1/hq/districts/caidian", http.StatusForbidden},
		{"/api/v1/hq/districts?district=caidian", http.StatusForbidden},
		{"/api/v1/hq/districts", http.StatusForbidden},
		{"/api/v1/hq/summary", http.StatusOK},
	} {
		if status, _, err := vp.Do(ctx, "GET", tc.path, nil, nil); err != nil || status != tc.status {
			t.Errorf("district-admin of jingkai GET %s = %d %v, want %d", tc.path, status, err, tc.status)
		}
	}
}
