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

// nested is body with an array of objects and a map, for field paths.
type nested struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Items []struct {
		Title string   `json:"title"`
		Tags  []string `json:"tags"`
	} `json:"items"`
	Meta map[string]string `json:"meta"`
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
		{"a body of white space is empty", " \r\n\t", "request.body_empty", "", errs.Invalid},
		{"two values are trailing data", `{"name":"a"}{"name":"b"}`, "request.body_trailing_data", "", errs.Invalid},
		{"more than 1 MiB is too large", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "request.body_too_large", "", errs.TooLarge},
		{"a raw invalid UTF-8 byte names its field", "{\"name\":\"\xff\"}", "request.invalid_utf8", "name", errs.Invalid},
		{"a truncated UTF-8 sequence is invalid", "{\"name\":\"\xe6\xad\"}", "request.invalid_utf8", "name", errs.Invalid},
		{"a UTF-8-encoded surrogate is invalid", "{\"name\":\"\xed\xa0\x80\"}", "request.invalid_utf8", "name", errs.Invalid},
		{"a lone escaped high surrogate is invalid", `{"name":"a\ud800b"}`, "request.invalid_utf8", "name", errs.Invalid},
		{"a lone escaped low surrogate is invalid", `{"name":"\udc00"}`, "request.invalid_utf8", "name", errs.Invalid},
		{"a high surrogate before a non-surrogate escape is invalid", `{"name":"\ud800\u0041"}`, "request.invalid_utf8", "name", errs.Invalid},
		{"invalid UTF-8 in a key names the object", "{\"items\":[{\"ti\xfftle\":\"x\"}]}", "request.invalid_utf8", "items[0]", errs.Invalid},
		{"an escaped NUL names its field", `{"name":"张\u0000伟"}`, "request.nul_character", "name", errs.Invalid},
		{"an escaped NUL deep down names its path", `{"items":[{"title":"a"},{"title":"b","tags":["x","\u0000"]}]}`, "request.nul_character", "items[1].tags[1]", errs.Invalid},
		{"a NUL in a map value names its key", `{"meta":{"k":"\u0000"}}`, "request.nul_character", "meta.k", errs.Invalid},
		{"an escaped bell is a control character", `{"name":"a\u0007"}`, "request.control_character", "name", errs.Invalid},
		{"an escaped backspace is a control character", `{"name":"a\b"}`, "request.control_character", "name", errs.Invalid},
		{"an escaped form feed is a control character", `{"name":"a\f"}`, "request.control_character", "name", errs.Invalid},
		{"a raw DEL is a control character", "{\"name\":\"a\x7f\"}", "request.control_character", "name", errs.Invalid},
		{"a raw C1 control (U+0085) is a control character", "{\"name\":\"a\u0085\"}", "request.control_character", "name", errs.Invalid},
		{"a repeated key names the key", `{"name":"a","name":"b"}`, "request.duplicate_key", "name", errs.Invalid},
		{"a key repeated in another case is the same field", `{"name":"a","NAME":"b"}`, "request.duplicate_key", "NAME", errs.Invalid},
		{"a key repeated through an escape is the same key", `{"name":"a","n\u0061me":"b"}`, "request.duplicate_key", "name", errs.Invalid},
		{"a repeated key in a nested object names its path", `{"items":[{"title":"a","title":"b"}]}`, "request.duplicate_key", "items[0].title", errs.Invalid},
		{"a NUL after a nested object is still found", `{"items":[{"title":"a"}],"name":"\u0000"}`, "request.nul_character", "name", errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			var b nested
			err := DecodeJSON(r, &b)
			var e *errs.Error
			if !errors.As(err, &e) || e.ID != c.id || e.Field != c.field || e.Kind != c.kind {
				t.Fatalf("got %v, want %s field %q", err, c.id, c.field)
			}
		})
	}
}

func TestDecodeJSONKeepsGoodTextExactly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"Chinese text round-trips", `{"name":"武汉市保安协会"}`, "武汉市保安协会"},
		{"an escaped surrogate pair is one character", `{"name":"\ud83d\ude00"}`, "\U0001F600"},
		{"tab, line feed and carriage return are text", `{"name":"a\tb\nc\r\n"}`, "a\tb\nc\r\n"},
		{"escaped quotes and slashes are text", `{"name":"\"\\\/"}`, `"\/`},
		{"a literal U+FFFD stays U+FFFD", `{"name":"\ufffd"}`, "\uFFFD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			var b body
			if err := DecodeJSON(r, &b); err != nil || b.Name != c.want {
				t.Fatalf("%v %q, want %q", err, b.Name, c.want)
			}
		})
	}
}

func TestDecodeJSONTakesOnlyJSONMediaTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType string
		ok                bool
	}{
		{"application/json is JSON", "application/json", true},
		{"charset utf-8 is JSON", "application/json; charset=utf-8", true},
		{"the media type and charset are case-insensitive", "Application/JSON; Charset=UTF-8", true},
		{"no Content-Type is refused", "", false},
		{"a form post is refused", "application/x-www-form-urlencoded", false},
		{"text/plain is refused", "text/plain; charset=utf-8", false},
		{"another charset is refused", "application/json; charset=iso-8859-1", false},
		{"UTF-16 is refused", "application/json; charset=utf-16", false},
		{"a +json suffix type is refused", "application/merge-patch+json", false},
		{"an unparsable Content-Type is refused", "application/json; charset", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, chunked := range []bool{false, true} {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a"}`))
				if chunked {
					r.ContentLength = -1
				}
				if c.contentType != "" {
					r.Header.Set("Content-Type", c.contentType)
				}
				var b body
				err := DecodeJSON(r, &b)
				if c.ok && (err != nil || b.Name != "a") {
					t.Fatalf("chunked %v: %v", chunked, err)
				}
				if !c.ok {
					var e *errs.Error
					if !errors.As(err, &e) || e.ID != "request.unsupported_media_type" || e.Field != "Content-Type" || e.Kind != errs.UnsupportedMediaType {
						t.Fatalf("chunked %v: %v, want request.unsupported_media_type", chunked, err)
					}
				}
			}
		})
	}
	// An empty body needs no Content-Type: a bare POST to an endpoint
	// whose body is optional is not refused as the wrong media type.
	for _, n := range []int64{0, -1} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(""))
		r.ContentLength = n
		var b body
		if err := DecodeJSON(r, &b); !errors.Is(err, ErrBodyEmpty) {
			t.Fatalf("empty body (length %d) without Content-Type: %v", n, err)
		}
	}
}

func TestDecodeJSONAcceptsAGoodBody(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"武汉","count":3}`))
	r.Header.Set("Content-Type", "application/json")
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
