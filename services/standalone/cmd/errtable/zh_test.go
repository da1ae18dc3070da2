package main

import (
	"testing"
	"unicode"

	"github.com/guildhall/guildhall/pkg/errs"
)

// TestEveryRegisteredIDHasAChineseMessage holds the zh-CN catalogue
// (pkg/errs/messages_zh.go) to the complete registry this binary links:
// every canonical id has a Chinese text (a new id without one fails here,
// so whoever adds it translates it), and the catalogue names no id the
// registry lacks (a renamed or removed id leaves no dead line behind).
func TestEveryRegisteredIDHasAChineseMessage(t *testing.T) {
	t.Parallel()
	registered := map[string]bool{}
	for _, d := range errs.Registry() {
		registered[d.ID] = true
		if d.AliasOf != "" {
			// An alias is answered as its canonical id, with its text.
			if _, ok := errs.ChineseMessage(d.ID); ok {
				t.Errorf("%s is an alias of %s: it shares that text and needs no entry of its own", d.ID, d.AliasOf)
			}
			continue
		}
		zh, ok := errs.ChineseMessage(d.ID)
		if !ok || zh == "" {
			t.Errorf("%s (%q) has no zh-CN message in pkg/errs/messages_zh.go", d.ID, d.Message)
			continue
		}
		if !hasCJK(zh) {
			t.Errorf("%s: zh-CN message %q has no Chinese character", d.ID, zh)
		}
	}
	for _, id := range errs.ChineseIDs() {
		if !registered[id] {
			t.Errorf("pkg/errs/messages_zh.go has %q, which no package declares", id)
		}
	}
}

func hasCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
