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

func TestIfMatch(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("PATCH", "/", nil)
	if _, ok, err := IfMatch(r); ok || err != nil {
		t.Fatal("absent header must be unconditional")
	}
	r.Header.Set("If-Match", ETag(4))
	if v, ok, err := IfMatch(r); !ok || err != nil || v != 4 {
		t.Fatalf("%d %v %v", v, ok, err)
	}
	r.Header.Set("If-Match", `"four"`)
	if _, _, err := IfMatch(r); err == nil {
		t.Fatal("garbage etag accepted")
	}
}
