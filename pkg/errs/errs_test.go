package errs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPMapsEveryKindToItsStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		id     string
		field  string
	}{
		{"an invalid field is a 400 naming the field", InvalidField("guard.id_number_invalid", "id_number", "bad check digit"), 400, "guard.id_number_invalid", "id_number"},
		{"a wrapped not-found is still a 404", fmt.Errorf("lookup: %w", E(NotFound, "company.not_found", "no such company")), 404, "company.not_found", ""},
		{"a conflict is a 409", E(Conflict, "company.status_transition_illegal", "x"), 409, "company.status_transition_illegal", ""},
		{"a stale etag is a 412", E(PreconditionFailed, "request.etag_stale", "x"), 412, "request.etag_stale", ""},
		{"an oversize body is a 413", E(TooLarge, "request.body_too_large", "x"), 413, "request.body_too_large", ""},
		{"a body in the wrong media type is a 415", E(UnsupportedMediaType, "request.unsupported_media_type", "x").WithField("Content-Type"), 415, "request.unsupported_media_type", "Content-Type"},
		{"an overlong URL is a 414", E(URITooLong, "request.uri_too_long", "x"), 414, "request.uri_too_long", ""},
		{"oversized headers are a 431", E(HeadersTooLarge, "request.headers_too_large", "x"), 431, "request.headers_too_large", ""},
		{"a forbidden request is a 403", E(Forbidden, "auth.forbidden", "x"), 403, "auth.forbidden", ""},
		{"an untyped error is a 500 that hides its cause", errors.New("sql: near SELECT: syntax error"), 500, "internal", ""},
		{"a deadline is a 504", context.DeadlineExceeded, 504, "request.timeout", ""},
		{"a request its client gave up is a 499", fmt.Errorf("read: %w", context.Canceled), 499, "request.canceled", ""},
		{"a method a path does not take is a 405", E(MethodNotAllowed, "route.method_not_allowed", "x"), 405, "route.method_not_allowed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := HTTP(c.err)
			if status != c.status || body.Error.ID != c.id || body.Error.Field != c.field {
				t.Fatalf("got %d %+v, want %d %s %s", status, body, c.status, c.id, c.field)
			}
			if strings.Contains(body.Error.Message, "sql") {
				t.Fatalf("message leaks the cause: %q", body.Error.Message)
			}
		})
	}
}

func TestInternalErrorsNeverLeakTheirCause(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteHTTP(rec, E(Internal, "store.failed", "secret detail").Wrap(errors.New("database is locked")))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "locked") || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("body leaks: %s", rec.Body.String())
	}
	// Its own id is answered (the OpenAPI documents list it), with
	// ErrInternal's message.
	var b Body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.ID != "store.failed" || b.Error.Message != ErrInternal.Message {
		t.Fatalf("body %s (%v)", rec.Body.String(), err)
	}
}

func TestIsMatchesSentinelsAfterWithField(t *testing.T) {
	t.Parallel()
	sentinel := E(Invalid, "guard.name_required", "name is required")
	err := fmt.Errorf("create: %w", sentinel.WithField("name"))
	if !errors.Is(err, sentinel) {
		t.Fatal("errors.Is did not match the sentinel")
	}
	if errors.Is(err, E(Invalid, "other", "")) {
		t.Fatal("errors.Is matched a different id")
	}
	if KindOf(err) != Invalid || !IsKind(err, Invalid) {
		t.Fatal("kind lost")
	}
}

func TestADeprecatedAliasNamesTheSameErrorAsItsCanonicalID(t *testing.T) {
	t.Parallel()
	canonical := E(NotFound, "convention.not_published", "no convention has been published yet")
	alias := Alias("convention.none_published", canonical)
	other := E(NotFound, "meeting.not_found", "")
	for _, tc := range []struct {
		name        string
		err, target error
		want        bool
	}{
		{"An error of the canonical id matches the alias.", fmt.Errorf("get: %w", canonical.Wrap(errors.New("empty"))), alias, true},
		{"The alias matches the canonical sentinel.", alias.WithField("version"), canonical, true},
		{"An alias of an alias names the first canonical id.", canonical, Alias("convention.missing", alias), true},
		{"Another id matches neither.", other, alias, false},
		{"The alias does not match another id.", alias, other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, tc.target); got != tc.want {
				t.Fatalf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
			}
		})
	}
	t.Run("An alias that reaches the API is answered with the canonical id.", func(t *testing.T) {
		if status, body := HTTP(alias); status != http.StatusNotFound || body.Error.ID != "convention.not_published" {
			t.Fatalf("HTTP(alias) = %d %+v", status, body)
		}
	})
}

func TestEveryKindHasAStatusAndAName(t *testing.T) {
	t.Parallel()
	// A kind added without a row would answer status 0 (net/http panics
	// on it) and print as kind(n).
	for k := Internal; k <= Canceled; k++ {
		if statusOf[k] == 0 {
			t.Errorf("kind %d has no HTTP status", int(k))
		}
		if _, ok := kindNames[k]; !ok {
			t.Errorf("kind %d has no name", int(k))
		}
	}
}
