package kitx_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// answer is one error response, decoded, with the headers that carry its
// language.
type answer struct {
	status          int
	id, field, msg  string
	contentLanguage string
	vary            string
	raw             string
}

func ask(t *testing.T, h http.Handler, method, path, acceptLanguage, token, body string) answer {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if acceptLanguage != "" {
		r.Header.Set("Accept-Language", acceptLanguage)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var b errs.Body
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, w.Body, err)
	}
	return answer{w.Code, b.Error.ID, b.Error.Field, b.Error.Message, w.Header().Get("Content-Language"), w.Header().Get("Vary"), w.Body.String()}
}

func chinese(t *testing.T, id string) string {
	t.Helper()
	zh, ok := errs.ChineseMessage(id)
	if !ok {
		t.Fatalf("%s has no Chinese text", id)
	}
	return zh
}

func TestErrorsAreAnsweredInChineseForAcceptLanguageZhCN(t *testing.T) {
	t.Parallel()
	// A go-kit endpoint's own error, with a field.
	stale := kithttp.NewServer(
		func(context.Context, any) (any, error) { return nil, kitx.ErrEtagStale.WithField("If-Match") },
		func(context.Context, *http.Request) (any, error) { return nil, nil },
		kitx.EncodeJSONResponse,
		kitx.ServerOptions()...,
	)
	var decoded atomic.Int32
	mux := http.NewServeMux()
	mux.Handle("/stale", stale)
	mux.Handle("/api/v1/things", serve(t, table(&decoded), map[string][]string{}))
	mux.Handle("/api/v1/districts/", kitx.DistrictOnly("jingkai", kitx.ErrDistrictNotFound, http.NotFoundHandler()))
	mux.Handle("/", kitx.NotFoundHandler())

	cases := []struct {
		name, method, path, token, body string
		status                          int
		id, field                       string
		english                         string
	}{
		{"an endpoint's error", "GET", "/stale", "", "", 412, "request.etag_stale", "If-Match", kitx.ErrEtagStale.Message},
		{"the JSON 404 of an unknown path", "GET", "/nowhere", "", "", 404, "route.not_found", "", kitx.ErrNotFound.Message},
		{"another district's path", "GET", "/api/v1/districts/caidian/x", "", "", 404, "district.not_found", "", kitx.ErrDistrictNotFound.Message},
		{"the 401 of a request without a token", "POST", "/api/v1/things", "", `{"name":"x"}`, 401, "auth.token_missing", "", auth.ErrTokenMissing.Message},
		{"the 403 of a caller the policy refuses", "POST", "/api/v1/things", "guard", `{"name":"x"}`, 403, "auth.forbidden", "", auth.ErrForbidden.Message},
	}
	for _, c := range cases {
		// Not parallel: serve's instrumentation records into one map.
		t.Run(c.name, func(t *testing.T) {
			en := ask(t, mux, c.method, c.path, "", c.token, c.body)
			if en.status != c.status || en.id != c.id || en.field != c.field || en.msg != c.english {
				t.Errorf("without Accept-Language: %+v, want %d %s %q %q", en, c.status, c.id, c.field, c.english)
			}
			zh := ask(t, mux, c.method, c.path, "zh-CN,zh;q=0.9,en;q=0.8", c.token, c.body)
			if zh.status != c.status || zh.id != c.id || zh.field != c.field {
				t.Errorf("zh-CN changed more than the message: %+v", zh)
			}
			if want := chinese(t, c.id); zh.msg != want {
				t.Errorf("zh-CN message %q, want %q", zh.msg, want)
			}
			if zh.contentLanguage != errs.Chinese || zh.vary != "Accept-Language" {
				t.Errorf("zh-CN headers: Content-Language %q, Vary %q", zh.contentLanguage, zh.vary)
			}
			// English asked for, or a preference for it, is today's body.
			for _, al := range []string{"en-US", "en;q=0.9, zh;q=0.8", "zh-TW"} {
				if got := ask(t, mux, c.method, c.path, al, c.token, c.body); got.raw != en.raw {
					t.Errorf("Accept-Language %q: %q, want %q", al, got.raw, en.raw)
				}
			}
		})
	}
}

func TestErrorEncoderWithoutANegotiatedLanguageAnswersAsBefore(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	kitx.ErrorEncoder(context.Background(), kitx.ErrNotFound, w)
	want := httptest.NewRecorder()
	errs.WriteHTTP(want, kitx.ErrNotFound)
	if w.Body.String() != want.Body.String() || w.Header().Get("Content-Language") != "" {
		t.Errorf("got %q %v, want %q", w.Body, w.Header(), want.Body)
	}
}
