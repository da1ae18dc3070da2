package audit

import (
	"context"
	"database/sql"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

func TestActorFromContext(t *testing.T) {
	ctx := telemetry.ContextWithRequestID(WithRemoteIP(context.Background(), "192.0.2.1"), "rid-1")
	for name, tc := range map[string]struct {
		p    *auth.Principal
		want Actor
	}{
		"no principal": {nil, Actor{Subject: "anonymous", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
		"hq-admin":     {&auth.Principal{Subject: "root", Role: auth.RoleHQAdmin}, Actor{Subject: "root", Role: "hq-admin", Scope: "city", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
		"police of two districts": {&auth.Principal{Subject: "p1", Role: auth.RolePolice, Districts: []string{"caidian", "jingkai"}},
			Actor{Subject: "p1", Role: "police", Scope: "districts:caidian,jingkai", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
		"company-admin": {&auth.Principal{Subject: "ca", Role: auth.RoleCompanyAdmin, Districts: []string{"caidian"}, Company: "c-1"},
			Actor{Subject: "ca", Role: "company-admin", Scope: "districts:caidian company:c-1", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
		"guard": {&auth.Principal{Subject: "g", Role: auth.RoleGuard, Company: "c-1", Guard: "g-1"},
			Actor{Subject: "g", Role: "guard", Scope: "company:c-1 guard:g-1", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
		"an empty subject is not an identity": {&auth.Principal{Role: auth.RoleOps},
			Actor{Subject: "anonymous", Role: "ops", Scope: "city", RequestID: "rid-1", RemoteIP: "192.0.2.1"}},
	} {
		t.Run(name, func(t *testing.T) {
			c := ctx
			if tc.p != nil {
				c = auth.WithPrincipal(ctx, *tc.p)
			}
			if got := ActorFromContext(c); got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFilterFromQuery(t *testing.T) {
	r := httptest.NewRequest("GET", "/?subject=alice&action=guard.hire&resource=guard&resource_id=g-1&since=2026-01-02T15:04:05+08:00&until=2026-01-03T00:00:00Z", nil)
	f, err := FilterFromQuery(r)
	if err != nil {
		t.Fatal(err)
	}
	// The unencoded '+' of since arrives as a space and still parses.
	want := Filter{Subject: "alice", Action: "guard.hire", Resource: "guard", ResourceID: "g-1",
		Since: time.Date(2026, 1, 2, 7, 4, 5, 0, time.UTC), Until: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}
	if f.Subject != want.Subject || f.Action != want.Action || f.Resource != want.Resource || f.ResourceID != want.ResourceID ||
		!f.Since.Equal(want.Since) || !f.Until.Equal(want.Until) {
		t.Fatalf("got %+v\nwant %+v", f, want)
	}
	for q, id := range map[string]string{
		"since=yesterday":            "audit.since_invalid",
		"until=2026-13-01T00:00:00Z": "audit.until_invalid",
	} {
		_, err := FilterFromQuery(httptest.NewRequest("GET", "/?"+q, nil))
		var e *errs.Error
		if !errors.As(err, &e) || e.ID != id {
			t.Errorf("%s: got %v, want %s", q, err, id)
		}
	}
}

func TestFilterValidate(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		f    Filter
		want error
	}{
		"empty":        {Filter{}, nil},
		"since only":   {Filter{Since: t0}, nil},
		"until only":   {Filter{Until: t0}, nil},
		"until after":  {Filter{Since: t0, Until: t0.Add(time.Nanosecond)}, nil},
		"until equal":  {Filter{Since: t0, Until: t0}, ErrRange},
		"until before": {Filter{Since: t0, Until: t0.Add(-time.Hour)}, ErrRange},
	} {
		if err := tc.f.Validate(); !errors.Is(err, tc.want) && err != tc.want {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	var e *errs.Error
	if !errors.As(ErrRange, &e) || e.ID != "audit.range_invalid" {
		t.Fatalf("ErrRange id: %v", ErrRange)
	}
}

func TestActorEntry(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.FixedZone("CST", 8*3600))
	a := Actor{Subject: "s", Role: "ops", Scope: "city", RequestID: "r", RemoteIP: "192.0.2.1"}
	e := a.Entry(at, "guard.hire", "guard", "g-1", nil)
	if e.At.Location() != time.UTC || !e.At.Equal(at) {
		t.Fatalf("At = %v, want %v in UTC", e.At, at)
	}
	if e.FieldsChanged == nil || len(e.FieldsChanged) != 0 {
		t.Fatalf("nil fields must become an empty list, got %#v", e.FieldsChanged)
	}
	if e.Subject != "s" || e.Role != "ops" || e.Scope != "city" || e.RequestID != "r" || e.RemoteIP != "192.0.2.1" ||
		e.Action != "guard.hire" || e.Resource != "guard" || e.ResourceID != "g-1" {
		t.Fatalf("entry %+v", e)
	}
}

const testTable = Table

func openLog(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "a.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestInsertAndList(t *testing.T) {
	ctx := context.Background()
	db := openLog(t)
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for i, e := range []Entry{
		{At: t0, Subject: "alice", Action: "guard.hire", Resource: "guard", ResourceID: "g-1", FieldsChanged: []string{"name", "id_number"}, RequestID: "r1", RemoteIP: "192.0.2.1"},
		{At: t0.Add(time.Hour), Subject: "bob", Action: "guard.update", Resource: "guard", ResourceID: "g-1"},
		{At: t0.Add(2 * time.Hour), Subject: "alice", Action: "company.update", Resource: "company", ResourceID: "c-1", FieldsChanged: []string{"name"}},
	} {
		// One insert in a transaction, one outside: both paths of Querier.
		if i%2 == 0 {
			if err := db.InTx(ctx, func(tx *sql.Tx) error { return Insert(ctx, db.TxQuerier(tx), testTable, e) }); err != nil {
				t.Fatal(err)
			}
		} else if err := Insert(ctx, db.Querier(), testTable, e); err != nil {
			t.Fatal(err)
		}
	}
	q := db.Querier()

	// Newest first, two to a page, the cursor carrying on.
	got, next, err := List(ctx, q, testTable, Filter{}, kitx.Page{Size: 2})
	if err != nil || len(got) != 2 || got[0].Action != "company.update" || got[1].Action != "guard.update" || next != "2" {
		t.Fatalf("page 1: %+v next=%q err=%v", got, next, err)
	}
	got, next, err = List(ctx, q, testTable, Filter{}, kitx.Page{Size: 2, Cursor: next})
	if err != nil || len(got) != 1 || next != "" {
		t.Fatalf("page 2: %+v next=%q err=%v", got, next, err)
	}
	first := got[0]
	if first.ID != 1 || !first.At.Equal(t0) || first.Subject != "alice" || first.RequestID != "r1" || first.RemoteIP != "192.0.2.1" ||
		len(first.FieldsChanged) != 2 || first.FieldsChanged[1] != "id_number" {
		t.Fatalf("round trip: %+v", first)
	}

	for name, tc := range map[string]struct {
		f    Filter
		want []int64
	}{
		"subject":            {Filter{Subject: "alice"}, []int64{3, 1}},
		"action":             {Filter{Action: "guard.update"}, []int64{2}},
		"resource and id":    {Filter{Resource: "guard", ResourceID: "g-1"}, []int64{2, 1}},
		"since is inclusive": {Filter{Since: t0.Add(time.Hour)}, []int64{3, 2}},
		"until is exclusive": {Filter{Until: t0.Add(time.Hour)}, []int64{1}},
		"an empty result":    {Filter{Subject: "nobody"}, []int64{}},
	} {
		got, _, err := List(ctx, q, testTable, tc.f, kitx.Page{Size: 10})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := []int64{}
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if len(ids) != len(tc.want) {
			t.Errorf("%s: ids %v, want %v", name, ids, tc.want)
			continue
		}
		for i := range ids {
			if ids[i] != tc.want[i] {
				t.Errorf("%s: ids %v, want %v", name, ids, tc.want)
				break
			}
		}
	}

	for _, cursor := range []string{"abc", "0", "-3"} {
		_, _, err := List(ctx, q, testTable, Filter{}, kitx.Page{Size: 2, Cursor: cursor})
		var e *errs.Error
		if !errors.As(err, &e) || e.ID != kitx.ErrPageToken.ID {
			t.Errorf("cursor %q: got %v, want %s", cursor, err, kitx.ErrPageToken.ID)
		}
	}
}

func TestSetFields(t *testing.T) {
	when := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	got := SetFields("name", "n", "empty", "", "on", true, "off", false, "count", 3, "zero", 0, "when", when, "dangling")
	if want := "name on count when"; strings.Join(got, " ") != want {
		t.Fatalf("SetFields = %v, want %s", got, want)
	}
	if got := SetFields(); got == nil || len(got) != 0 {
		t.Fatalf("SetFields() = %#v, want an empty list", got)
	}
}
