package standalone_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// Through the real listener: once an hq-admin is disabled or demoted, the
// token it already holds is refused on every route that takes tokens — the
// accounts routes (which once verified the token a second time with the
// issuer's plain verifier and let it manage accounts), /auth/me, district
// and HQ routes alike — and it cannot undo its own demotion.
func TestARevokedAdminTokenIsRefusedOnEveryRoute(t *testing.T) {
	city, root := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var second struct {
		ID string `json:"id"`
	}
	const pw = "second admin password"
	if err := root.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts",
		map[string]any{"username": "admin2", "password": pw, "role": "hq-admin"}, &second); err != nil {
		t.Fatal(err)
	}
	requests := [][3]string{
		{"GET", "/api/v1/auth/me", ""},
		{"GET", "/api/v1/auth/accounts", ""},
		{"POST", "/api/v1/auth/accounts", `{"username":"planted","password":"long enough pw","role":"hq-admin"}`},
		{"GET", "/api/v1/auth/accounts/" + second.ID, ""},
		{"PATCH", "/api/v1/auth/accounts/" + second.ID, `{"disabled":false,"role":"hq-admin"}`},
		{"POST", "/api/v1/auth/accounts/" + second.ID + "/password", `{"password":"taken over pw 1"}`},
		{"GET", "/api/v1/districts/jingkai/companies", ""},
		{"GET", "/api/v1/districts/jingkai/meetings", ""},
		{"GET", "/api/v1/hq/summary", ""},
	}
	for _, revoke := range []map[string]any{{"disabled": true}, {"role": "ops"}} {
		if err := root.Must(ctx, http.StatusOK, "PATCH", "/api/v1/auth/accounts/"+second.ID,
			map[string]any{"disabled": false, "role": "hq-admin"}, nil); err != nil {
			t.Fatal(err)
		}
		victim := citytest.New("http://" + city.Addr())
		if err := victim.ValidateAgainstOpenAPI(ctx, t); err != nil {
			t.Fatal(err)
		}
		if err := victim.Login(ctx, "admin2", pw); err != nil {
			t.Fatal(err)
		}
		if err := root.Must(ctx, http.StatusOK, "PATCH", "/api/v1/auth/accounts/"+second.ID, revoke, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range requests {
			var body any
			if r[2] != "" {
				body = rawJSON(r[2])
			}
			status, raw, err := victim.Do(ctx, r[0], r[1], body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusUnauthorized || !strings.Contains(string(raw), `"auth.token_invalid"`) {
				t.Errorf("after %v: %s %s: %d %s", revoke, r[0], r[1], status, raw)
			}
		}
	}
	var list struct {
		Items []struct {
			Username string `json:"username"`
		} `json:"items"`
	}
	if err := root.Must(ctx, http.StatusOK, "GET", "/api/v1/auth/accounts?page_size=500", nil, &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list.Items {
		if a.Username == "planted" {
			t.Error("a refused token created an account")
		}
	}
	// The last step left admin2 demoted to ops; it stayed so.
	var got struct {
		Role string `json:"role"`
	}
	if err := root.Must(ctx, http.StatusOK, "GET", "/api/v1/auth/accounts/"+second.ID, nil, &got); err != nil || got.Role != "ops" {
		t.Errorf("admin2 after the refused requests: %+v %v", got, err)
	}
}

// rawJSON is a request body sent as it is written.
type rawJSON string

// MarshalJSON implements json.Marshaler.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
