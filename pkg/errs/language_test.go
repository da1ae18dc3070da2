package errs

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNegotiatePicksChineseOnlyWhenSimplifiedChineseIsPreferred(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header []string
		want   string
	}{
		{nil, English},
		{[]string{""}, English},
		{[]string{"zh"}, Chinese},
		{[]string{"zh-CN"}, Chinese},
		{[]string{"ZH-cn"}, Chinese},
		{[]string{"zh-Hans"}, Chinese},
		{[]string{"zh-Hans-CN"}, Chinese},
		{[]string{"zh-SG"}, Chinese},
		{[]string{"zh-CN,zh;q=0.9,en;q=0.8"}, Chinese}, // a Chinese browser
		{[]string{"en-US,en;q=0.9"}, English},
		{[]string{"en;q=0.9, zh;q=0.8"}, English},
		{[]string{"en;q=0.8, zh;q=0.9"}, Chinese},
		{[]string{"zh;q=0"}, English},
		{[]string{"zh-CN;q=0, en;q=0"}, English}, // nothing acceptable: English anyway
		{[]string{"en;q=0, zh;q=0.1"}, Chinese},
		{[]string{"*"}, English},
		{[]string{"*;q=1, zh;q=0.5"}, English},
		{[]string{"zh;q=0.5, *;q=0.1"}, Chinese},
		{[]string{"en;q=0, *"}, Chinese}, // the wildcard takes Chinese, English is refused
		{[]string{"zh;q=0.1, zh-CN"}, Chinese},
		{[]string{"zh-CN;q=0, zh"}, English},    // the more specific range refuses it
		{[]string{"zh-CN, zh-SG;q=0"}, Chinese}, // of two as specific, the first counts
		{[]string{"zh-CN, en"}, Chinese},        // equal q: the first listed wins
		{[]string{"en, zh-CN"}, English},
		{[]string{"zh-TW"}, English}, // Traditional: not the catalogue's script
		{[]string{"zh-HK"}, English},
		{[]string{"zh-Hant"}, English},
		{[]string{"zh-Hant-TW, zh;q=0.9"}, Chinese},
		{[]string{"fr, de;q=0.9"}, English},
		{[]string{"zh;q=abc"}, English}, // a bad qvalue drops the element
		{[]string{"zh;q=1.5"}, English},
		{[]string{"zh;q=0.1234"}, English},
		{[]string{"zh;q=.5"}, English},
		{[]string{"zh;q=0.500"}, Chinese},
		{[]string{"zh ; Q=0.7, en;q=0.6"}, Chinese},
		{[]string{", ,zh"}, Chinese},
		{[]string{"en;q=0.5", "zh-CN"}, Chinese}, // two field lines are one list
		{[]string{"zhx"}, English},
	}
	for _, c := range cases {
		if got := Negotiate(c.header...); got != c.want {
			t.Errorf("Negotiate(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}

// errLocalizeAlias is a registered id with a Chinese text (request.timeout
// is declared in this package) under a deprecated alias.
var errLocalizeAlias = Alias("request.timeout_old", ErrTimeout)

func TestLocalizeTranslatesRegisteredMessagesAndKeepsDetail(t *testing.T) {
	t.Parallel()
	zh := messagesZH[ErrTimeout.ID]
	cases := []struct {
		name, lang, id, english, want string
	}{
		{"English stays", English, ErrTimeout.ID, ErrTimeout.Message, ErrTimeout.Message},
		{"another language stays", "fr", ErrTimeout.ID, ErrTimeout.Message, ErrTimeout.Message},
		{"Chinese translates", Chinese, ErrTimeout.ID, ErrTimeout.Message, zh},
		{"an alias shares its canonical's text", Chinese, errLocalizeAlias.ID, ErrTimeout.Message, zh},
		{"a detail after the registered text stays", Chinese, ErrTimeout.ID, ErrTimeout.Message + ": line 3", zh + ": line 3"},
		{"a message composed at the use site stays", Chinese, ErrTimeout.ID, "duplicate of line 4", "duplicate of line 4"},
		{"an unregistered id stays", Chinese, "no.such_id", "whatever", "whatever"},
	}
	for _, c := range cases {
		if got := Localize(c.lang, c.id, c.english); got != c.want {
			t.Errorf("%s: Localize(%s, %s, %q) = %q, want %q", c.name, c.lang, c.id, c.english, got, c.want)
		}
	}
}

func TestWriteHTTPInChangesOnlyTheMessageAndSaysWhichLanguage(t *testing.T) {
	t.Parallel()
	err := ErrTimeout.WithField("x")
	decode := func(rec *httptest.ResponseRecorder) BodyError {
		t.Helper()
		var b Body
		if e := json.Unmarshal(rec.Body.Bytes(), &b); e != nil {
			t.Fatal(e)
		}
		return b.Error
	}
	plain := httptest.NewRecorder()
	WriteHTTP(plain, err)
	en := httptest.NewRecorder()
	WriteHTTPIn(en, English, err)
	if en.Body.String() != plain.Body.String() || en.Code != plain.Code {
		t.Errorf("English body %q (%d), want today's %q (%d)", en.Body, en.Code, plain.Body, plain.Code)
	}
	if got := en.Header().Get("Content-Language"); got != "en" {
		t.Errorf("English Content-Language %q", got)
	}
	zh := httptest.NewRecorder()
	zh.Header().Set("Vary", "Origin, accept-language")
	WriteHTTPIn(zh, Chinese, err)
	b := decode(zh)
	if b.ID != ErrTimeout.ID || b.Field != "x" || b.Message != messagesZH[ErrTimeout.ID] || zh.Code != plain.Code {
		t.Errorf("Chinese answer %d %+v", zh.Code, b)
	}
	if got := zh.Header().Get("Content-Language"); got != Chinese {
		t.Errorf("Chinese Content-Language %q", got)
	}
	if got := zh.Header().Values("Vary"); len(got) != 1 {
		t.Errorf("Vary listed Accept-Language twice: %q", got)
	}
	// An internal error is answered "internal error" in either language,
	// its own message never.
	in := httptest.NewRecorder()
	WriteHTTPIn(in, Chinese, E(Internal, "test.localize_internal", "secret detail").Wrap(errors.New("sql")))
	if b := decode(in); b.Message != messagesZH["internal"] {
		t.Errorf("internal error answered %+v", b)
	}
}

func TestWriteHTTPRequestNegotiatesFromTheRequest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	rec := httptest.NewRecorder()
	WriteHTTPRequest(rec, r, ErrTimeout)
	if !strings.Contains(rec.Body.String(), messagesZH[ErrTimeout.ID]) || rec.Header().Get("Vary") != "Accept-Language" {
		t.Errorf("got %q, Vary %q", rec.Body, rec.Header().Get("Vary"))
	}
}
