package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil/migrationtest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// testdata/v2.db is an HQ read model as HQ made it before issue 9 (its
// migrations 1 and 2): made by Migrate at commit 6ab52ac, holding two
// companies of jingkai and caidian with one credit code (the caidian one
// applied) and one person active as a guard in both, then VACUUMed with
// 512-byte pages. A data dir of `make run` from then holds such a file.
//
// migrationtest.CheckUpgrade compares whole rows, and migration 3 adds
// columns to hq_guards, so the check is spelled out here: every row keeps
// its old columns' values, the new columns are empty, the schema is a new
// database's, and the conflicts the read model already held are recorded
// as first seen at the upgrade.
func TestMigrateUpgradesAReadModelOfBeforeIssue9(t *testing.T) {
	ctx := context.Background()
	db := migrationtest.Open(t, "testdata/v2.db")
	before := migrationtest.Rows(t, db)
	if len(before["hq_guards"]) != 2 || len(before["hq_companies"]) != 2 {
		t.Fatalf("fixture rows = %v", before)
	}
	start := time.Now().Add(-time.Second)
	for range 2 {
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	after := migrationtest.Rows(t, db)
	for table, rows := range before {
		got := after[table]
		if len(got) != len(rows) {
			t.Errorf("table %s: %d rows after the migration, %d before", table, len(got), len(rows))
			continue
		}
		for i, row := range rows {
			// The old columns come first, in their order; the new ones
			// follow, empty.
			if !strings.HasPrefix(got[i], row) {
				t.Errorf("table %s row %d before:\n%s\nafter:\n%s", table, i, row, got[i])
			}
			if table == "hq_guards" && !strings.HasSuffix(got[i], " certificate_number= certificate_valid_until= certificate_authority=") {
				t.Errorf("guard row %d after the migration = %s, want empty certificate columns", i, got[i])
			}
		}
	}
	got, want := migrationtest.Schema(t, db), migrationtest.Schema(t, migrationtest.Fresh(t, Migrate))
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if got[table] != want[table] {
			t.Errorf("table %s of the migrated read model:\n%s\nof a new one:\n%s", table, got[table], want[table])
		}
	}
	s := New(db)
	cs, err := s.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range cs {
		kinds = append(kinds, c.Kind)
		if c.FirstSeenAt == nil || c.FirstSeenAt.Before(start) {
			t.Errorf("%s conflict first seen %v, want at the upgrade (after %v)", c.Kind, c.FirstSeenAt, start)
		}
	}
	if !slices.Equal(kinds, []string{service.ConflictPerson, service.ConflictCreditCode}) {
		t.Errorf("conflicts of the upgraded read model = %v, want the person and the credit code", kinds)
	}
	// The old guards count as certified as before (no end date).
	d, err := s.Districts(ctx, "2030-01-01")
	if err != nil || d["jingkai"].Counts.GuardsCertified != 1 || d["caidian"].Counts.GuardsCertified != 0 {
		t.Errorf("districts after the upgrade = %+v, %v", d, err)
	}
	// Migration 6 counted the guards it found into the tallies the
	// summary reads.
	if d["jingkai"].Counts.GuardsActive != 1 || d["caidian"].Counts.GuardsActive != 1 {
		t.Errorf("active guards after the upgrade = %d, %d, want 1 each", d["jingkai"].Counts.GuardsActive, d["caidian"].Counts.GuardsActive)
	}
	if err := s.VerifyGuardTallies(ctx, "2030-01-01"); err != nil {
		t.Error(err)
	}
}

// TestMigration9CountsTheDistrictsDatedCertificates: a read model of before
// migration 9 (its guards' end days tallied, no hq_district_certified) gets
// a row per district counting every dated certificate (from_day empty), so its
// certified figures are those it had, on any day.
func TestMigration9CountsTheDistrictsDatedCertificates(t *testing.T) {
	ctx := context.Background()
	db := migrationtest.Fresh(t, Migrate)
	s := New(db)
	at := time.Date(2025, 9, 30, 12, 0, 0, 0, service.Shanghai)
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for i, until := range []string{"2025-09-29", "2025-09-30", "2025-10-01", "2025-10-01", ""} {
			id := fmt.Sprintf("g%d", i)
			g := Guard{ID: id, District: []string{"east", "west"}[i%2], CompanyID: "c1", IDHash: "h" + id, EmploymentStatus: "active",
				HiredOn: "2024-01-01", HasCertificate: true, Version: 1, ActiveSince: at, UpdatedAt: at,
				CertificateNumber: "N" + id, CertificateValidUntil: until}
			if err := s.PutGuard(ctx, tx, g, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	days := []string{"2025-09-28", "2025-09-29", "2025-09-30", "2025-10-01", "2025-10-02"}
	want := map[string]map[string]service.DistrictData{}
	for _, d := range days {
		if want[d], err = s.Districts(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// Back to before migration 9, and up again.
	for _, q := range []string{`DROP TABLE hq_district_certified`, `DELETE FROM ` + MigrationsTable + ` WHERE version_id = 9`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		got, err := s.Districts(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, district := range []string{"east", "west"} {
			if g, w := got[district].Counts.GuardsCertified, want[d][district].Counts.GuardsCertified; g != w {
				t.Errorf("%s on %s after migration 9: %d certified, want %d", district, d, g, w)
			}
		}
		if err := s.VerifyGuardTallies(ctx, d); err != nil {
			t.Error(err)
		}
	}
	if n := want["2025-10-01"]["east"].Counts.GuardsCertified + want["2025-10-01"]["west"].Counts.GuardsCertified; n != 3 {
		t.Errorf("certified on 10-01 = %d, want 3", n)
	}
}
