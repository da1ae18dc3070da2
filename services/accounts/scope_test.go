package accounts

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// fakeDirectory knows districts and their companies; down makes it fail
// as a directory whose etcd or read model does not answer.
type fakeDirectory struct {
	companies map[string][]string // district → its company ids
	down      atomic.Bool
	asked     atomic.Int64
}

var errDirectoryDown = errors.New("etcd: context deadline exceeded")

func (d *fakeDirectory) DistrictKnown(_ context.Context, district string) (bool, error) {
	d.asked.Add(1)
	if d.down.Load() {
		return false, errDirectoryDown
	}
	_, ok := d.companies[district]
	return ok, nil
}

func (d *fakeDirectory) CompanyInDistrict(_ context.Context, district, company string) (bool, error) {
	d.asked.Add(1)
	if d.down.Load() {
		return false, errDirectoryDown
	}
	return slices.Contains(d.companies[district], company), nil
}

// TestCreateRefusesAScopeTheDirectoryDoesNotKnow: an account's districts
// must be registered and its company one of its district's; otherwise 422
// account.scope_unknown naming the field, and 503
// account.directory_unavailable when the directory cannot answer. Nothing
// is written: no account, no audit row.
func TestCreateRefusesAScopeTheDirectoryDoesNotKnow(t *testing.T) {
	dir := &fakeDirectory{companies: map[string][]string{"jingkai": {"c-jk"}, "caidian": {"c-cd"}}}
	e := newEnvWith(t, func(_ *Config, d *Deps) { d.Directory = dir })
	pw := "a long enough password"
	for _, tc := range []struct {
		name   string
		body   map[string]any
		down   bool
		status int
		id     string
		field  string
	}{
		{"A district-admin of a district not in the registry is refused.",
			map[string]any{"username": "da-nowhere", "password": pw, "role": "district-admin", "districts": []string{"hanyang"}},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "districts"},
		{"A district-admin with one registered and one unknown district is refused.",
			map[string]any{"username": "da-half", "password": pw, "role": "district-admin", "districts": []string{"jingkai", "hanyang"}},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "districts"},
		{"A district's police office of an unknown district is refused.",
			map[string]any{"username": "police-nowhere", "password": pw, "role": "police", "districts": []string{"hanyang"}},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "districts"},
		{"A company-admin whose company is another district's is refused.",
			map[string]any{"username": "ca-other", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-cd"},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "company"},
		{"A company-admin of a company no district has is refused.",
			map[string]any{"username": "ca-none", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-ghost"},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "company"},
		{"A guard account whose company is not in its district is refused.",
			map[string]any{"username": "guard-other", "password": pw, "role": "guard", "districts": []string{"caidian"}, "company": "c-jk", "guard": "g1"},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "company"},
		{"A company-admin of an unknown district is refused for the district first.",
			map[string]any{"username": "ca-nowhere", "password": pw, "role": "company-admin", "districts": []string{"hanyang"}, "company": "c-jk"},
			false, http.StatusUnprocessableEntity, "account.scope_unknown", "districts"},
		{"When the directory cannot answer, a district-admin is not created unchecked.",
			map[string]any{"username": "da-down", "password": pw, "role": "district-admin", "districts": []string{"jingkai"}},
			true, http.StatusServiceUnavailable, "account.directory_unavailable", ""},
		{"When the directory cannot answer, a company-admin is not created unchecked.",
			map[string]any{"username": "ca-down", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-jk"},
			true, http.StatusServiceUnavailable, "account.directory_unavailable", ""},
		{"A form error is answered before the directory is asked.",
			map[string]any{"username": "da-empty", "password": pw, "role": "district-admin"},
			true, http.StatusUnprocessableEntity, "account.scope_mismatch", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir.down.Store(tc.down)
			defer dir.down.Store(false)
			rec := e.do("POST", "/api/v1/auth/accounts", e.adminToken, tc.body)
			body := decode[errs.Body](t, rec)
			if rec.Code != tc.status || body.Error.ID != tc.id || body.Error.Field != tc.field {
				t.Errorf("%d %s field %q, want %d %s field %q: %s", rec.Code, body.Error.ID, body.Error.Field, tc.status, tc.id, tc.field, rec.Body)
			}
		})
	}
	// Nothing was written: the bootstrap admin is the only account and the
	// only audit row.
	rows, err := e.node.Audit(context.Background(), "")
	if err != nil || len(rows) != 1 {
		t.Errorf("audit rows after the refused creates: %d %v, want only the bootstrap's", len(rows), err)
	}
	if items, _, err := e.node.svc.List(context.Background(), kitx.Page{Size: 10}); err != nil || len(items) != 1 {
		t.Errorf("accounts after the refused creates: %v %v, want only the bootstrap admin", items, err)
	}

	// What the directory knows is accepted, and the scopes without a
	// district or company never ask it.
	for _, ok := range []map[string]any{
		{"username": "da-jk", "password": pw, "role": "district-admin", "districts": []string{"jingkai", "caidian"}},
		{"username": "ca-jk", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-jk"},
		{"username": "guard-cd", "password": pw, "role": "guard", "districts": []string{"caidian"}, "company": "c-cd", "guard": "g1"},
		{"username": "police-jk", "password": pw, "role": "police", "districts": []string{"jingkai"}},
	} {
		e.create(ok)
	}
	dir.down.Store(true)
	asked := dir.asked.Load()
	e.create(map[string]any{"username": "ops-1", "password": pw, "role": "ops"})
	e.create(map[string]any{"username": "police-city", "password": pw, "role": "police"})
	if n := dir.asked.Load() - asked; n != 0 {
		t.Errorf("the directory was asked %d times for accounts without a district", n)
	}
}

// TestUpdateRefusesAScopeTheDirectoryDoesNotKnow: a PATCH that moves an
// account to an unknown district or to another district's company is
// refused like a create (422 account.scope_unknown, 503 when the directory
// cannot answer), and the account keeps its scope, version and audit log;
// disabling an account does not ask the directory.
func TestUpdateRefusesAScopeTheDirectoryDoesNotKnow(t *testing.T) {
	dir := &fakeDirectory{companies: map[string][]string{"jingkai": {"c-jk"}, "caidian": {"c-cd"}}}
	e := newEnvWith(t, func(_ *Config, d *Deps) { d.Directory = dir })
	pw := "a long enough password"
	da := e.create(map[string]any{"username": "da-jk", "password": pw, "role": "district-admin", "districts": []string{"jingkai"}})
	ca := e.create(map[string]any{"username": "ca-jk", "password": pw, "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-jk"})
	auditBefore, err := e.node.Audit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		id     string
		body   map[string]any
		down   bool
		status int
		errID  string
		field  string
	}{
		{"A district-admin moved to a district not in the registry is refused.",
			da.ID, map[string]any{"districts": []string{"hanyang"}}, false, http.StatusUnprocessableEntity, "account.scope_unknown", "districts"},
		{"A company-admin moved to another district's company is refused.",
			ca.ID, map[string]any{"company": "c-cd"}, false, http.StatusUnprocessableEntity, "account.scope_unknown", "company"},
		{"A district-admin made company-admin of a company its district does not have is refused.",
			da.ID, map[string]any{"role": "company-admin", "company": "c-cd"}, false, http.StatusUnprocessableEntity, "account.scope_unknown", "company"},
		{"When the directory cannot answer, a re-scope is not written unchecked.",
			da.ID, map[string]any{"districts": []string{"caidian"}}, true, http.StatusServiceUnavailable, "account.directory_unavailable", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir.down.Store(tc.down)
			defer dir.down.Store(false)
			rec := e.do("PATCH", "/api/v1/auth/accounts/"+tc.id, e.adminToken, tc.body, "If-Match", `"1"`)
			body := decode[errs.Body](t, rec)
			if rec.Code != tc.status || body.Error.ID != tc.errID || body.Error.Field != tc.field {
				t.Errorf("%d %s field %q, want %d %s field %q: %s", rec.Code, body.Error.ID, body.Error.Field, tc.status, tc.errID, tc.field, rec.Body)
			}
		})
	}
	for _, want := range []service.Account{da, ca} {
		got, err := e.node.svc.Get(context.Background(), want.ID)
		if err != nil || got.Version != want.Version || !slices.Equal(got.Districts, want.Districts) || got.Company != want.Company || got.Role != want.Role {
			t.Errorf("after the refused updates %s = %+v %v, want unchanged %+v", want.Username, got, err, want)
		}
	}
	if after, err := e.node.Audit(context.Background(), ""); err != nil || len(after) != len(auditBefore) {
		t.Errorf("audit rows %d → %d (%v): a refused update wrote one", len(auditBefore), len(after), err)
	}
	// A known re-scope is written; disabling asks nothing.
	rec := e.do("PATCH", "/api/v1/auth/accounts/"+da.ID, e.adminToken, map[string]any{"districts": []string{"jingkai", "caidian"}}, "If-Match", `"1"`)
	if rec.Code != http.StatusOK {
		t.Fatalf("a re-scope to registered districts: %d %s", rec.Code, rec.Body)
	}
	dir.down.Store(true)
	asked := dir.asked.Load()
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+ca.ID, e.adminToken, map[string]any{"disabled": true}, "If-Match", `"1"`); rec.Code != http.StatusOK {
		t.Fatalf("disabling with the directory down: %d %s", rec.Code, rec.Body)
	}
	if n := dir.asked.Load() - asked; n != 0 {
		t.Errorf("disabling asked the directory %d times", n)
	}
}
