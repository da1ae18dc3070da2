package accounts

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

func TestTokensEndWhenTheirAccountIsDisabledOrChanged(t *testing.T) {
	clock := time.Now()
	e := newEnvWith(t, func(_ *Config, d *Deps) { d.Now = func() time.Time { return clock } })
	ctx := context.Background()
	live := e.node.Verifier()

	pw := "a-long-password-1"
	a := e.create(map[string]any{"username": "da1", "password": pw, "role": "district-admin", "districts": []string{"jingkai"}})
	rec := e.login("da1", pw, "198.51.100.7")
	if rec.Code != http.StatusOK {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	tok := decode[loginBody](t, rec).Token
	if _, err := live.Verify(ctx, tok); err != nil {
		t.Fatalf("a live account's token: %v", err)
	}

	// Move the account to another district: the old token no longer fits.
	if rec := e.do(http.MethodPatch, "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"districts": []string{"caidian"}}); rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	clock = clock.Add(service.LiveTTL)
	if _, err := live.Verify(ctx, tok); !errsIs(err, auth.ErrTokenInvalid) {
		t.Fatalf("a token naming the old scope was accepted: %v", err)
	}

	// A fresh token works until the account is disabled.
	rec = e.login("da1", pw, "198.51.100.7")
	tok = decode[loginBody](t, rec).Token
	if _, err := live.Verify(ctx, tok); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	if rec := e.do(http.MethodPatch, "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"disabled": true}); rec.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	clock = clock.Add(service.LiveTTL)
	if _, err := live.Verify(ctx, tok); !errsIs(err, auth.ErrTokenInvalid) {
		t.Fatalf("a disabled account's token was accepted: %v", err)
	}

	// A token for a subject that has no account is refused.
	ghost, _, err := e.issuer.Issue(auth.Principal{Subject: "no-such-account", Role: auth.RoleHQAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Verify(ctx, ghost); !errsIs(err, auth.ErrTokenInvalid) {
		t.Fatalf("a token without an account was accepted: %v", err)
	}
}

func errsIs(err, target error) bool { return err != nil && errors.Is(err, target) }
