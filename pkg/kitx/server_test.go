package kitx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
)

// encode runs response through EncodeJSONResponse as a service would.
func encode(t *testing.T, response any) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	if err := EncodeJSONResponse(context.Background(), w, response); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestResponses(t *testing.T) {
	type thing struct {
		Name string `json:"name"`
	}
	w := encode(t, One(thing{"a"}, `"3"`, nil))
	if w.Code != 200 || w.Header().Get("ETag") != `"3"` || w.Header().Get("Location") != "" || strings.TrimSpace(w.Body.String()) != `{"name":"a"}` {
		t.Fatalf("One: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = encode(t, Created(thing{"b"}, "/things/b", `"1"`, http.StatusCreated, nil))
	if w.Code != 201 || w.Header().Get("Location") != "/things/b" || w.Header().Get("ETag") != `"1"` || strings.TrimSpace(w.Body.String()) != `{"name":"b"}` {
		t.Fatalf("Created: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = encode(t, List[thing](nil, "", nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"items":[],"next_page_token":""}` {
		t.Fatalf("empty List: %d %s", w.Code, w.Body)
	}
	w = encode(t, List([]thing{{"c"}}, "c", nil))
	var page struct {
		Items []thing `json:"items"`
		Next  string  `json:"next_page_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page.Items) != 1 || page.Next != PageToken("c") {
		t.Fatalf("List: %s %v", w.Body, err)
	}
	w = encode(t, ListResponse[thing]{Items: []thing{{"d"}}, Status: http.StatusCreated})
	if w.Code != 201 || strings.Contains(w.Body.String(), "Status") {
		t.Fatalf("ListResponse with Status: %d %s", w.Code, w.Body)
	}
	// An error replaces the value, with the error's status and body.
	for name, resp := range map[string]any{
		"One":     One(thing{"x"}, `"1"`, ErrNotFound),
		"Created": Created(thing{"x"}, "/x", `"1"`, 201, ErrNotFound),
		"List":    List([]thing{{"x"}}, "", ErrNotFound),
	} {
		w := encode(t, resp)
		if w.Code != http.StatusNotFound || w.Header().Get("ETag") != "" || !strings.Contains(w.Body.String(), ErrNotFound.ID) {
			t.Errorf("%s with an error: %d %v %s", name, w.Code, w.Header(), w.Body)
		}
	}
}

func TestDecodeUpdate(t *testing.T) {
	type patch struct {
		Name *string `json:"name"`
	}
	req := func(ifMatch, body string) *http.Request {
		r := httptest.NewRequest("PATCH", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		return r
	}
	pre, in, err := DecodeUpdate[patch](req("", `{"name":"n"}`))
	if err != nil || pre.Set || in.Name == nil || *in.Name != "n" {
		t.Fatalf("unconditional: %+v %+v %v", pre, in, err)
	}
	pre, _, err = DecodeUpdate[patch](req(`"7"`, `{}`))
	if err != nil || pre != IfMatchVersion(7) {
		t.Fatalf("If-Match 7: %+v %v", pre, err)
	}
	// "0" is a precondition too (one that never holds), not "none".
	pre, _, err = DecodeUpdate[patch](req(`"0"`, `{}`))
	if err != nil || !pre.Set || pre.Check(1) == nil {
		t.Fatalf(`If-Match "0": %+v %v`, pre, err)
	}
	if _, _, err = DecodeUpdate[patch](req(`"x"`, `{}`)); !errors.Is(err, ErrIfMatchInvalid) {
		t.Fatalf("bad If-Match: %v", err)
	}
	if _, _, err = DecodeUpdate[patch](req(`"7"`, `{"nope":1}`)); !errors.Is(err, ErrUnknownField) {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestDistrictOnly(t *testing.T) {
	notFound := errs.E(errs.NotFound, "district.not_found", "no such district")
	h := DistrictOnly("caidian", notFound, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	for path, want := range map[string]int{
		"/api/v1/districts/caidian/companies": http.StatusTeapot,
		"/api/v1/districts/jingkai/companies": http.StatusNotFound,
		"/api/v1/districts/caidianx":          http.StatusNotFound,
		"/healthz":                            http.StatusTeapot,
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
		if want == http.StatusNotFound && !strings.Contains(w.Body.String(), "district.not_found") {
			t.Errorf("%s: body %s", path, w.Body)
		}
	}
}

func TestErrorLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	l := ErrorLogger{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), Service: "svc"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("disk on fire"), `level=ERROR msg="svc request failed"`},
		{ErrBodyMalformed, `level=DEBUG msg="svc request rejected"`},
		{context.Canceled, `level=DEBUG msg="svc request rejected"`},
	} {
		buf.Reset()
		l.Handle(context.Background(), tc.err)
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%v: logged %q, want %q", tc.err, buf.String(), tc.want)
		}
	}
}
