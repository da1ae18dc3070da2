package storage

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestPostgresRebindNumbersPlaceholdersOutsideLiterals(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE a = ? AND b > ? LIMIT ?", "SELECT a FROM t WHERE a = $1 AND b > $2 LIMIT $3"},
		{"SELECT '?', \"?\" FROM t WHERE a = ?", "SELECT '?', \"?\" FROM t WHERE a = $1"},
		{"SELECT 'it''s ?' WHERE a = ?", "SELECT 'it''s ?' WHERE a = $1"},
		{"SELECT a -- why?\nFROM t WHERE a = ?", "SELECT a -- why?\nFROM t WHERE a = $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
	} {
		if got := Postgres.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := SQLite.Rebind(c.in); got != c.in {
			t.Errorf("SQLite rebound %q to %q", c.in, got)
		}
	}
}

func TestSchemaNameIsAPlainIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		"jingkai.membership":  "jingkai_membership",
		"North-Bank.meetings": "north_bank_meetings",
		"7x":                  "s_7x",
		"":                    "s_",
	} {
		if got := SchemaName(in); got != want || !schemaPattern.MatchString(got) {
			t.Errorf("SchemaName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPostgresRefusalsAreUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "53100"}, true}, // disk_full
		{&pgconn.PgError{Code: "53300"}, true}, // too_many_connections
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P03"}), true},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation: the caller's
		{&pgconn.PgError{Code: "42601"}, false}, // syntax error: ours
		{errors.New("boom"), false},
	} {
		if got := diskRefused(c.err); got != c.want {
			t.Errorf("diskRefused(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if !IsUniqueViolation(fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505"})) {
		t.Error("PostgreSQL's unique_violation is not a unique violation")
	}
	if IsUniqueViolation(&pgconn.PgError{Code: "23503"}) {
		t.Error("a foreign-key violation is a unique violation")
	}
}

func TestValidateRejectsABadDSN(t *testing.T) {
	if err := (&Config{DSN: "postgres://u@h:notaport/db"}).Validate(); !errors.Is(err, ErrBadDSN) {
		t.Fatalf("bad DSN: %v", err)
	}
	if err := (&Config{DSN: "postgres://u@h:5432/db?sslmode=disable"}).Validate(); err != nil {
		t.Fatalf("good DSN: %v", err)
	}
}
