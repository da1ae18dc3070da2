package storage

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
)

func TestFormatTimeSortsAsText(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	a := time.Date(2026, 1, 2, 15, 4, 5, 0, cst)
	b := a.Add(100 * time.Millisecond)
	fa, fb := FormatTime(a), FormatTime(b)
	if fa != "2026-01-02T07:04:05.000000000Z" {
		t.Fatalf("FormatTime = %q", fa)
	}
	// A whole second and one with a fraction still compare as text.
	if fa >= fb {
		t.Fatalf("%q should sort before %q", fa, fb)
	}
	if got := ParseTime(fb); !got.Equal(b) {
		t.Fatalf("ParseTime(%q) = %v, want %v", fb, got, b)
	}
	if got := ParseTime(""); !got.IsZero() {
		t.Fatalf("ParseTime of an unset column = %v, want zero", got)
	}
}

func TestPageAndListRows(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		q := db.TxQuerier(tx)
		for i := 1; i <= 5; i++ {
			if _, err := q.Exec(ctx, `INSERT INTO thing (id, name) VALUES (?, ?)`, i, fmt.Sprintf("n%d", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	scan := func(r Scanner) (int, error) {
		var id int
		var name string
		return id, r.Scan(&id, &name)
	}
	id := func(v int) string { return fmt.Sprint(v) }
	list := func(where []string, args []any, p kitx.Page) ([]int, string) {
		t.Helper()
		clause, args := Page(where, args, p)
		items, next, err := ListRows(ctx, db.Querier(), `SELECT id, name FROM thing`+clause, args, p, scan, id)
		if err != nil {
			t.Fatal(err)
		}
		return items, next
	}

	items, next := list(nil, nil, kitx.Page{Size: 2})
	if fmt.Sprint(items) != "[1 2]" || next != "2" {
		t.Fatalf("page 1: %v next=%q", items, next)
	}
	items, next = list(nil, nil, kitx.Page{Size: 2, Cursor: next})
	if fmt.Sprint(items) != "[3 4]" || next != "4" {
		t.Fatalf("page 2: %v next=%q", items, next)
	}
	items, next = list(nil, nil, kitx.Page{Size: 2, Cursor: next})
	if fmt.Sprint(items) != "[5]" || next != "" {
		t.Fatalf("last page: %v next=%q", items, next)
	}
	// A condition and the keyset together.
	items, next = list([]string{"id % 2 = ?"}, []any{1}, kitx.Page{Size: 5, Cursor: "1"})
	if fmt.Sprint(items) != "[3 5]" || next != "" {
		t.Fatalf("filtered: %v next=%q", items, next)
	}
	// No rows is an empty list, not nil: it encodes as [] in JSON.
	items, _ = list([]string{"name = ?"}, []any{"none"}, kitx.Page{Size: 5})
	if items == nil || len(items) != 0 {
		t.Fatalf("empty: %#v", items)
	}
	if w := Where(nil); w != "" {
		t.Fatalf("Where(nil) = %q", w)
	}
}
