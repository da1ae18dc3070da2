package kitx

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
)

type body struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSONRejectsBadBodiesWithStableIDs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		body  string
		id    string
		field string
		kind  errs.Kind
	}{
		{"an unknown field names the field", `{"name":"a","colour":"red"}`, "request.unknown_field", "colour", errs.Invalid},
		{"a wrong type names the field", `{"name":"a","count":"three"}`, "request.field_type", "count", errs.Invalid},
		{"broken JSON is malformed", `{"name":`, "request.body_malformed", "", errs.Invalid},
		{"an empty body is empty", ``, "request.body_empty", "", errs.Invalid},
		{"two values are trailing data", `{"name":"a"}{"name":"b"}`, "request.body_trailing_data", "", errs.Invalid},
		{"more than 1 MiB is too large", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "request.body_too_large", "", errs.TooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			var b body
			err := DecodeJSON(r, &b)
			var e *errs.Error
			if !errors.As(err, &e) || e.ID != c.id || e.Field != c.field || e.Kind != c.kind {
				t.Fatalf("got %v, want %s field %q", err, c.id, c.field)
			}
		})
	}
}

func TestDecodeJSONAcceptsAGoodBody(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"武汉","count":3}`))
	var b body
	if err := DecodeJSON(r, &b); err != nil || b.Name != "武汉" || b.Count != 3 {
		t.Fatalf("%v %+v", err, b)
	}
}

func TestPageTokensRoundTripAndRejectForgeries(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/?page_size=7&page_token="+PageToken("0192-abc"), nil)
	p, err := ParsePage(r)
	if err != nil || p.Size != 7 || p.Cursor != "0192-abc" {
		t.Fatalf("%v %+v", err, p)
	}
	for _, q := range []string{"page_size=0", "page_size=501", "page_size=x", "page_token=!!", "page_token=" + "dGVzdA"} {
		if _, err := ParsePage(httptest.NewRequest("GET", "/?"+q, nil)); err == nil {
			t.Fatalf("%s accepted", q)
		}
	}
}

func TestIfMatchAndPrecondition(t *testing.T) {
	t.Parallel()
	const current = 4
	cases := []struct {
		name    string
		header  string // "" sends none
		invalid bool   // 400 request.if_match_invalid
		holds   bool   // Check(current) passes
	}{
		{"no If-Match is no precondition", "", false, true},
		{"If-Match: * is no precondition", "*", false, true},
		{"the current etag holds", `"4"`, false, true},
		{"the current etag, weak, holds", `W/"4"`, false, true},
		{"the current version unquoted holds", `4`, false, true},
		{"the previous version is stale", `"3"`, false, false},
		{"a version from the future is stale", `"5"`, false, false},
		{`"0" is stale, never unconditional`, `"0"`, false, false},
		{`W/"0" is stale`, `W/"0"`, false, false},
		{"a bare 0 is stale", `0`, false, false},
		{"leading zeros name the same version", `"004"`, false, true},
		{"a negative version is not an etag", `"-1"`, true, false},
		{"a plus sign is not an etag", `"+4"`, true, false},
		{"letters are not an etag", `"four"`, true, false},
		{"an empty quoted etag is not an etag", `""`, true, false},
		{"a list of etags is not accepted", `"3", "4"`, true, false},
		{"a version beyond int64 is not an etag", `"99999999999999999999"`, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("PATCH", "/", nil)
			if c.header != "" {
				r.Header.Set("If-Match", c.header)
			}
			pre, err := IfMatch(r)
			if c.invalid {
				var e *errs.Error
				if !errors.As(err, &e) || e.ID != "request.if_match_invalid" || e.Field != "If-Match" || errs.KindOf(err) != errs.Invalid {
					t.Fatalf("got %+v %v, want request.if_match_invalid", pre, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = pre.Check(current)
			if c.holds != (err == nil) {
				t.Fatalf("precondition %+v against version %d: %v", pre, current, err)
			}
			if err != nil && !errors.Is(err, ErrEtagStale) {
				t.Fatalf("a failed precondition is %v, want request.etag_stale", err)
			}
		})
	}
	if IfMatchVersion(0).Check(0) == nil {
		t.Fatal("version 0 matched a resource at version 0: no version 0 is ever issued")
	}
}
