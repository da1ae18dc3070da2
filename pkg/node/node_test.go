package node_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/storage"
)

var errNotHere = errs.E(errs.NotFound, "district.not_found", "no such district here")

func TestOpenDBRunsTheMigrationsInOrderAndClosesOnFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var ran []string
	step := func(name string, err error) func(context.Context, *storage.DB) error {
		return func(context.Context, *storage.DB) error { ran = append(ran, name); return err }
	}
	db, err := node.OpenDB(ctx, filepath.Join(t.TempDir(), "a.db"), storage.Config{}, nil, "a", step("one", nil), step("two", nil))
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if strings.Join(ran, ",") != "one,two" {
		t.Fatalf("migrations ran %v", ran)
	}
	ran = nil
	boom := errors.New("boom")
	if _, err := node.OpenDB(ctx, filepath.Join(t.TempDir(), "b.db"), storage.Config{}, nil, "b", step("one", boom), step("two", nil)); !errors.Is(err, boom) {
		t.Fatalf("a failed migration: %v", err)
	}
	if strings.Join(ran, ",") != "one" {
		t.Fatalf("migrations after a failed one ran: %v", ran)
	}
}

// The service's migration comes first and the outbox's tables after it,
// whether OpenDistrict runs them or a store's test does (MigrateDistrict):
// a store whose own Migrate forgot the outbox still gets one, and a failed
// service migration stops there.
func TestMigrateDistrictRunsTheServiceThenTheOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	outbox := func(db *storage.DB) bool {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'eventbus_outbox'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	var sawOutbox []bool
	own := func(_ context.Context, db *storage.DB) error { sawOutbox = append(sawOutbox, outbox(db)); return nil }
	b, err := node.OpenDistrict(ctx, node.District{Service: "things", District: "jingkai", DBPath: filepath.Join(t.TempDir(), "a.db"), Migrate: own})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if fmt.Sprint(sawOutbox) != "[false]" || !outbox(b.DB()) {
		t.Fatalf("the service's migration saw the outbox %v; the node has it: %v", sawOutbox, outbox(b.DB()))
	}
	boom := errors.New("boom")
	db, err := node.OpenDB(ctx, filepath.Join(t.TempDir(), "b.db"), storage.Config{}, nil, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := node.MigrateDistrict(func(context.Context, *storage.DB) error { return boom })(ctx, db); !errors.Is(err, boom) || outbox(db) {
		t.Fatalf("a failed service migration: %v, outbox made anyway: %v", err, outbox(db))
	}
	if err := node.MigrateDistrict(nil)(ctx, db); err != nil || !outbox(db) {
		t.Fatalf("no service migration: %v, outbox %v", err, outbox(db))
	}
}

// open is a district node of a service with one route, GET …/things.
func open(t *testing.T) *node.Base {
	t.Helper()
	b, err := node.OpenDistrict(context.Background(), node.District{Service: "things", District: "jingkai",
		DBPath: filepath.Join(t.TempDir(), "things.db"), Document: []byte(`{"openapi":"3.0.3"}`)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	routes := []kitx.Route{{
		Name: "list_things", Method: "GET", Path: kitx.DistrictPrefix + "/things",
		Rule:     auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}},
		Decode:   kitx.DecodeNone,
		Endpoint: func(context.Context, any) (any, error) { return kitx.One(map[string]string{"ok": "yes"}, "", nil), nil },
	}}
	if err := b.Serve(routes, nil, errNotHere, false, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBaseServesItsDistrictOnly(t *testing.T) {
	t.Parallel()
	b := open(t)
	admin := auth.Principal{Subject: "a", Role: auth.RoleHQAdmin}
	for _, tc := range []struct {
		name, path string
		principal  bool
		status     int
		id         string
	}{
		{"The node's route answers an allowed caller.", "/api/v1/districts/jingkai/things", true, http.StatusOK, ""},
		{"The node's route refuses an anonymous caller.", "/api/v1/districts/jingkai/things", false, http.StatusUnauthorized, "auth.token_missing"},
		{"Another district's path is the node's not-found error.", "/api/v1/districts/caidian/things", true, http.StatusNotFound, "district.not_found"},
		{"An unknown path is the API's 404.", "/api/v1/districts/jingkai/nothing", true, http.StatusNotFound, "route.not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.principal {
				r = r.WithContext(auth.WithPrincipal(r.Context(), admin))
			}
			w := httptest.NewRecorder()
			b.Handler().ServeHTTP(w, r)
			if w.Code != tc.status || (tc.id != "" && !strings.Contains(w.Body.String(), `"`+tc.id+`"`)) {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.id)
			}
		})
	}
	if b.District() != "jingkai" || b.Outbox().Service() != "things" || string(b.OpenAPI()) != `{"openapi":"3.0.3"}` {
		t.Errorf("district %q, outbox of %q, document %s", b.District(), b.Outbox().Service(), b.OpenAPI())
	}
	if err := b.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestServeRefusesATableItCannotServe(t *testing.T) {
	t.Parallel()
	b, err := node.OpenDistrict(context.Background(), node.District{Service: "things", District: "jingkai",
		DBPath: filepath.Join(t.TempDir(), "things.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// A protected route whose row allows nobody.
	bad := []kitx.Route{{Name: "x", Method: "GET", Path: "/x", Decode: kitx.DecodeNone,
		Endpoint: func(context.Context, any) (any, error) { return nil, nil }}}
	if err := b.Serve(bad, nil, errNotHere, false, nil); err == nil {
		t.Fatal("Serve accepted a route no role may call")
	}
}
