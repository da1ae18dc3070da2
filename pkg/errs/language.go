package errs

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The languages an error message is answered in. English is the registry's
// own text and the default; Chinese is the zh-CN catalogue (messages_zh.go),
// which the web console (Chinese by default) asks for.
const (
	English = "en"
	Chinese = "zh-CN"
)

// Negotiate picks the language of an error message from a request's
// Accept-Language field values (RFC 9110 §12.5.4; several field lines are
// one comma-separated list). It answers Chinese when a range that matches
// Simplified Chinese — "zh", "zh-CN", "zh-Hans", "zh-Hans-CN", any case —
// is preferred over every range that matches English ("en", "en-US", …);
// anything else, an absent or malformed field included, is English, so
// clients that send nothing keep today's bodies byte for byte.
//
// The rules, so that the table in the tests can hold them:
//   - q defaults to 1; q=0 means "not acceptable"; an element whose q is
//     not a valid qvalue (0 to 1, at most three decimals) is ignored.
//   - For each language the most specific matching range sets its q
//     ("zh;q=0.1, zh-CN" is zh-CN at 1); "*" matches both languages, so
//     "*" alone, or "*" over "zh;q=0.5", is English (the server's default).
//   - Equal q: the range listed first wins ("zh-CN, en" is Chinese, "en,
//     zh-CN" English); with no preference at all, English.
//   - Traditional Chinese ("zh-TW", "zh-HK", "zh-Hant"…) does not match:
//     the catalogue is Simplified, and RFC 4647 filtering does not match
//     zh-TW with zh-CN. A reader who also takes Simplified says so ("zh-TW,
//     zh;q=0.9").
//   - When Chinese is not acceptable (q=0) and English is not either, the
//     answer is still English: an error is never left unsaid.
func Negotiate(acceptLanguage ...string) string {
	zh := preference{q: -1}
	en := preference{q: -1}
	pos := 0
	for _, field := range acceptLanguage {
		for elem := range strings.SplitSeq(field, ",") {
			rng, q, ok := parseLanguageRange(elem)
			if !ok {
				continue
			}
			pos++
			if s, ok := matchChinese(rng); ok {
				zh.offer(s, q, pos)
			}
			if s, ok := matchEnglish(rng); ok {
				en.offer(s, q, pos)
			}
		}
	}
	if zh.q <= 0 {
		return English
	}
	if en.q < 0 || zh.q > en.q || (zh.q == en.q && zh.pos < en.pos) {
		return Chinese
	}
	return English
}

// preference is the q a language gets from its most specific matching
// range, and where in the list that range stood.
type preference struct {
	specificity int
	q           float64
	pos         int
}

// offer records a range of the given specificity: a more specific range
// overrides a less specific one whatever its q; of two equally specific
// ones the first stays.
func (p *preference) offer(specificity int, q float64, pos int) {
	if p.q < 0 || specificity > p.specificity {
		*p = preference{specificity: specificity, q: q, pos: pos}
	}
}

// parseLanguageRange splits one element of Accept-Language, "zh-CN;q=0.8",
// into its lower-cased range and q. Empty elements and bad q values are
// not ok.
func parseLanguageRange(elem string) (string, float64, bool) {
	rng, params, _ := strings.Cut(elem, ";")
	rng = strings.ToLower(strings.TrimSpace(rng))
	if rng == "" {
		return "", 0, false
	}
	q := 1.0
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, ok := parseQValue(strings.TrimSpace(value))
		if !ok {
			return "", 0, false
		}
		q = v
	}
	return rng, q, true
}

// parseQValue parses RFC 9110's qvalue: "0" to "1", at most three decimals.
func parseQValue(s string) (float64, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	if len(s) > 1 && (s[1] != '.' || strings.Trim(s[2:], "0123456789") != "") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v > 1 {
		return 0, false
	}
	return v, true
}

// chineseTags are the tags the catalogue stands for; a range matches when
// it is one of them or a prefix of one, subtag by subtag (RFC 4647 basic
// filtering, read the other way: the range "zh" takes "zh-CN").
var chineseTags = []string{"zh-hans-cn", "zh-cn", "zh-hans", "zh-sg", "zh-hans-sg"}

// matchChinese reports whether rng takes Simplified Chinese, and how
// specific it is (subtags; "*" is 0).
func matchChinese(rng string) (int, bool) {
	if rng == "*" {
		return 0, true
	}
	for _, tag := range chineseTags {
		if tag == rng || strings.HasPrefix(tag, rng+"-") {
			return strings.Count(rng, "-") + 1, true
		}
	}
	return 0, false
}

// matchEnglish reports whether rng takes English (the registry's text is
// plain English: every regional variant takes it), and how specific it is.
func matchEnglish(rng string) (int, bool) {
	switch {
	case rng == "*":
		return 0, true
	case rng == "en" || strings.HasPrefix(rng, "en-"):
		return strings.Count(rng, "-") + 1, true
	}
	return 0, false
}

// languageKey carries the language of a request's error messages.
type languageKey struct{}

// WithLanguage returns ctx carrying lang (English or Chinese), the
// language its request's errors are answered in.
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, languageKey{}, lang)
}

// LanguageFrom returns the language WithLanguage put in ctx; false if none
// (the request's language was never negotiated).
func LanguageFrom(ctx context.Context) (string, bool) {
	lang, ok := ctx.Value(languageKey{}).(string)
	return lang, ok
}

// Localize returns the message of id in lang. english is the message as
// the error carries it: the registry's text for id, or that text with a
// detail appended (a line number, a parser's complaint), in which case the
// Chinese text replaces the registered part and the detail stays as it is.
// A message the registry does not know for id (a text composed at the use
// site), an id without a Chinese text, or any other language is returned
// unchanged. An alias shares its canonical id's text.
func Localize(lang, id, english string) string {
	if lang != Chinese {
		return english
	}
	registered, canonical, ok := declared.message(id)
	if !ok {
		return english
	}
	zh, ok := messagesZH[canonical]
	if !ok || zh == "" {
		return english
	}
	if english == registered {
		return zh
	}
	if rest, ok := strings.CutPrefix(english, registered); ok && registered != "" {
		return zh + rest
	}
	return english
}

// ChineseMessage returns the catalogue's zh-CN text of a canonical id;
// false if it has none. The completeness test (in errtable, which links
// every service) holds every registered id to having one.
func ChineseMessage(id string) (string, bool) {
	m, ok := messagesZH[id]
	return m, ok
}

// ChineseIDs returns every id the zh-CN catalogue has a text for, in no
// order, so a test can check that it names no id the registry lacks.
func ChineseIDs() []string {
	out := make([]string, 0, len(messagesZH))
	for id := range messagesZH {
		out = append(out, id)
	}
	return out
}

// HTTPIn is HTTP with the body's message in lang (see Localize); the id
// and field never change.
func HTTPIn(lang string, err error) (int, Body) {
	status, body := HTTP(err)
	id := body.Error.ID
	if status == statusOf[Internal] {
		// Every Internal error is answered with ErrInternal's message,
		// whatever its own id.
		id = ErrInternal.ID
	}
	body.Error.Message = Localize(lang, id, body.Error.Message)
	return status, body
}

// WriteHTTPIn writes err as a JSON error response whose message is in lang
// (English or Chinese), with Content-Language naming it and Vary:
// Accept-Language, since the same URL answers either.
func WriteHTTPIn(w http.ResponseWriter, lang string, err error) {
	if lang != Chinese {
		lang = English
	}
	status, body := HTTPIn(lang, err)
	h := w.Header()
	if d, ok := RetryAfterOf(err); ok {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds(d)))
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Language", lang)
	addVary(h, "Accept-Language")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteHTTPRequest writes err as a JSON error response in the language r's
// Accept-Language asks for (Negotiate).
func WriteHTTPRequest(w http.ResponseWriter, r *http.Request, err error) {
	WriteHTTPIn(w, Negotiate(r.Header.Values("Accept-Language")...), err)
}

// addVary adds name to h's Vary unless it is listed already.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}
