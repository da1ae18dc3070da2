package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"unicode"
)

// TestEveryDashboardIsValidBilingualAndCommitted builds each dashboard and
// checks it: a unique uid, every title Chinese with the English beside,
// every panel with at least one query naming a guildhall or SLO series,
// unique panel ids, and the committed JSON equal to what it builds.
func TestEveryDashboardIsValidBilingualAndCommitted(t *testing.T) {
	if len(All()) != 5 {
		t.Fatalf("%d dashboards, want the five of the issue", len(All()))
	}
	uids := map[string]bool{}
	metric := regexp.MustCompile(`\b(guildhall_[a-z_]+|slo:[a-z_:0-9]+|ALERTS)\b`)
	for name, s := range All() {
		b, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				ID      int    `json:"id"`
				Type    string `json:"type"`
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.UID == "" || uids[d.UID] {
			t.Errorf("%s: uid %q empty or taken", name, d.UID)
		}
		uids[d.UID] = true
		bilingual(t, name, d.Title)
		ids := map[int]bool{}
		for _, p := range d.Panels {
			bilingual(t, name, p.Title)
			if p.Type == "row" {
				continue
			}
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", name, p.ID)
			}
			ids[p.ID] = true
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, q := range p.Targets {
				if !metric.MatchString(q.Expr) || bytes.Count([]byte(q.Expr), []byte("(")) != bytes.Count([]byte(q.Expr), []byte(")")) {
					t.Errorf("%s: panel %q: query %q names no series or is unbalanced", name, p.Title, q.Expr)
				}
			}
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "dashboards", name+".json"))
		if err != nil || !bytes.Equal(committed, b) {
			t.Errorf("deploy/dashboards/%s.json is not what the code builds (err %v): run make dashboards", name, err)
		}
	}
}

// bilingual fails unless title has Chinese and English (Latin letters).
func bilingual(t *testing.T, where, title string) {
	t.Helper()
	var han, latin bool
	for _, r := range title {
		han = han || unicode.Is(unicode.Han, r)
		latin = latin || (r < unicode.MaxASCII && unicode.IsLetter(r))
	}
	if !han || !latin {
		t.Errorf("%s: title %q is not Chinese with English beside", where, title)
	}
}
