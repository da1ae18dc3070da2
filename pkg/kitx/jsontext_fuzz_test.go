package kitx

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode"
)

// FuzzCheckJSONText: checkJSONText never panics, refuses only with its own
// ids, and what it lets through holds no NUL or control character (other
// than tab and line breaks) once decoded.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{
		`{"name":"武汉","items":[{"title":"a"}]}`, `{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"a":1,"A":2}`,
		"{\"a\":\"\xff\"}", `[[[{"k":["\b"]}]]]`, `"\ud83d\ude00"`, `{"a":{"b":{"c":"\u007f"}}}`, `{`, `{"a":"x"}{"a":"y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := checkJSONText(raw)
		if err != nil {
			for _, want := range []error{ErrInvalidUTF8, ErrNULCharacter, ErrControlCharacter, ErrDuplicateKey} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				for _, r := range x {
					if r == 0 || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') {
						t.Fatalf("%q passed with control character %U", raw, r)
					}
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
