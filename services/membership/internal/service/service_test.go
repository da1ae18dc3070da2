package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	"github.com/guildhall/guildhall/services/membership/internal/store"
)

type fixture struct {
	svc    *service.Membership
	store  *store.Store
	db     *storage.DB
	ids    service.IDRules
	sealer *pii.Sealer
}

func newSealer(t *testing.T, kid string, b byte) *pii.Sealer {
	t.Helper()
	s, err := pii.NewSealer(map[string][]byte{kid: bytes.Repeat([]byte{b}, pii.SealKeyLen)}, kid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newFixture(t *testing.T, opts ...service.Option) fixture {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "m.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := node.MigrateDistrict(store.Migrate)(ctx, db); err != nil {
		t.Fatal(err)
	}
	ob, err := eventbus.NewOutbox(db, "caidian", "membership")
	if err != nil {
		t.Fatal(err)
	}
	h, err := pii.NewHasher([]byte("a-test-key-of-enough-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, ob)
	ids := service.PKGIDRules(h)
	sealer := newSealer(t, "k1", 1)
	return fixture{svc: service.New("caidian", st, ids, sealer, slog.New(slog.DiscardHandler), opts...), store: st, db: db, ids: ids, sealer: sealer}
}

func (f fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func code(t *testing.T, n int) string {
	t.Helper()
	c, err := idcheck.MakeCreditCode(fmt.Sprintf("91420114MA%07d", n))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rid(n int) string {
	return idcheck.MakeResidentID("420114", time.Date(1985, 3, 1+n%28, 0, 0, 0, 0, time.UTC), n)
}

func (f fixture) company(t *testing.T, n int) service.Company {
	t.Helper()
	c, err := f.svc.RegisterCompany(context.Background(), service.RegisterCompanyInput{
		Name: fmt.Sprintf("蔡甸保安%d", n), CreditCode: code(t, n), LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, 1), Kind: service.KindServiceCompany,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// member registers company n and admits it (active): only an active member
// hires.
func (f fixture) member(t *testing.T, n int) service.Company {
	t.Helper()
	c, err := f.svc.ChangeCompanyStatus(context.Background(), f.company(t, n).ID, service.ChangeStatusInput{Status: service.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pathTo is a legal way from applied to each status.
var pathTo = map[string][]string{
	service.StatusApplied:   nil,
	service.StatusActive:    {service.StatusActive},
	service.StatusSuspended: {service.StatusActive, service.StatusSuspended},
	service.StatusLapsed:    {service.StatusLapsed},
}

func TestEveryStatusTransitionPair(t *testing.T) {
	legal := map[[2]string]bool{
		{"applied", "active"}: true, {"applied", "lapsed"}: true,
		{"active", "suspended"}: true, {"active", "lapsed"}: true,
		{"suspended", "active"}: true, {"suspended", "lapsed"}: true,
	}
	f := newFixture(t)
	ctx := context.Background()
	n := 0
	statuses := []string{"applied", "active", "suspended", "lapsed"}
	for _, from := range statuses {
		for _, to := range statuses {
			n++
			t.Run(from+" to "+to, func(t *testing.T) {
				c := f.company(t, n)
				for _, s := range pathTo[from] {
					if _, err := f.svc.ChangeCompanyStatus(ctx, c.ID, service.ChangeStatusInput{Status: s}); err != nil {
						t.Fatal(err)
					}
				}
				events := f.count(t, "eventbus_outbox")
				got, err := f.svc.ChangeCompanyStatus(ctx, c.ID, service.ChangeStatusInput{Status: to})
				if service.CanTransition(from, to) != legal[[2]string{from, to}] {
					t.Fatalf("CanTransition(%s, %s) disagrees with the lifecycle", from, to)
				}
				if legal[[2]string{from, to}] {
					if err != nil || got.Status != to {
						t.Fatalf("legal transition failed: %v", err)
					}
					if f.count(t, "eventbus_outbox") != events+1 {
						t.Fatal("legal transition emitted no event")
					}
					return
				}
				if !errors.Is(err, service.ErrCompanyStatusIllegal) || errs.KindOf(err) != errs.Conflict {
					t.Fatalf("illegal transition: %v", err)
				}
				if f.count(t, "eventbus_outbox") != events {
					t.Fatal("illegal transition emitted an event")
				}
			})
		}
	}
}

func TestValidationRejectsBadInputBeforeWriting(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.member(t, 1)
	future := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	good := rid(1)
	wrongDigit := good[:17] + map[bool]string{true: "1", false: "0"}[good[17] == '0']
	badBirth := idcheck.MakeResidentID("420114", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"A wrong ID check digit is refused.", func() error {
			_, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: wrongDigit})
			return err
		}, service.ErrGuardIDNumberInvalid},
		{"An ID with a future birth date is refused.", func() error {
			_, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: badBirth})
			return err
		}, service.ErrGuardIDNumberInvalid},
		{"A certificate number without a date is refused.", func() error {
			_, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: good, CertificateNumber: "C"})
			return err
		}, service.ErrGuardCertificateIssuedOn},
		{"A future hire date is refused.", func() error {
			_, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: good, HiredOn: future})
			return err
		}, service.ErrGuardHiredOnInvalid},
		{"A bad credit code is refused.", func() error {
			_, err := f.svc.RegisterCompany(ctx, service.RegisterCompanyInput{Name: "乙", CreditCode: "91420114MA0000000", LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, 1), Kind: "service_company"})
			return err
		}, service.ErrCompanyCreditCodeInvalid},
		{"An unknown level is refused.", func() error {
			_, err := f.svc.RegisterCompany(ctx, service.RegisterCompanyInput{Name: "乙", CreditCode: code(t, 2), LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, 1), Kind: "service_company", Level: "emperor"})
			return err
		}, service.ErrCompanyLevelInvalid},
		{"A future Party organisation date is refused.", func() error {
			_, err := f.svc.RegisterCompany(ctx, service.RegisterCompanyInput{Name: "乙", CreditCode: code(t, 2), LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, 1), Kind: "service_company", PartyOrgSince: future})
			return err
		}, service.ErrCompanyPartyOrgSince},
		{"A missing licence is refused.", func() error {
			_, err := f.svc.RegisterCompany(ctx, service.RegisterCompanyInput{Name: "乙", CreditCode: code(t, 2), Kind: "service_company"})
			return err
		}, service.ErrCompanyLicenceRequired},
		{"An empty PATCH name is refused.", func() error {
			empty := " "
			_, err := f.svc.UpdateCompany(ctx, c.ID, kitx.Precondition{}, service.UpdateCompanyInput{Name: &empty})
			return err
		}, service.ErrCompanyNameRequired},
		{"A stale version is refused.", func() error {
			name := "丙"
			_, err := f.svc.UpdateCompany(ctx, c.ID, kitx.IfMatchVersion(99), service.UpdateCompanyInput{Name: &name})
			return err
		}, kitx.ErrEtagStale},
		{"A future training date is refused.", func() error {
			_, err := f.svc.RecordTraining(ctx, "x", service.TrainingInput{Type: "pre_job", Hours: 8, TrainedOn: future})
			return err
		}, service.ErrTrainingDateInvalid},
		{"A council seat with an empty name is refused.", func() error {
			_, err := f.svc.AppointCouncilMember(ctx, service.AppointCouncilMemberInput{Term: 3, Position: "director", PersonName: "  "})
			return err
		}, service.ErrCouncilPersonRequired},
		{"A bad district in charge is refused.", func() error {
			_, err := f.svc.AppointCouncilMember(ctx, service.AppointCouncilMemberInput{Term: 3, Position: "director", PersonName: "丁", DistrictInCharge: "Not A District"})
			return err
		}, service.ErrCouncilDistrictInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			companies, guards, events := f.count(t, "companies"), f.count(t, "guards"), f.count(t, "eventbus_outbox")
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if f.count(t, "companies") != companies || f.count(t, "guards") != guards || f.count(t, "eventbus_outbox") != events {
				t.Fatal("a rejected call wrote rows")
			}
		})
	}
}

func TestInvalidIDMessageNamesTheCheckNotTheNumber(t *testing.T) {
	f := newFixture(t)
	c := f.member(t, 1)
	id := rid(3)
	bad := id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0']
	_, err := f.svc.HireGuard(context.Background(), service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: bad})
	_, body := errs.HTTP(err)
	if !strings.Contains(body.Error.Message, "check digit") || strings.Contains(body.Error.Message, bad) {
		t.Fatalf("message %q", body.Error.Message)
	}
}

func TestInterruptedImportResumesWhereItStopped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.member(t, 1)
	var b strings.Builder
	b.WriteString("name,id_number\n")
	const rows = 2*service.ImportChunkRows + 50
	for i := range rows {
		fmt.Fprintf(&b, "保安%d,%s\n", i, idcheck.MakeResidentID("420114", time.Date(1970+i%40, 1+time.Month(i%12), 1, 0, 0, 0, 0, time.UTC), i))
	}
	job, err := f.svc.StartGuardImport(ctx, service.StartImportInput{CompanyID: c.ID, CSV: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ProcessImportChunks(ctx, job.ID, 1); err != nil {
		t.Fatal(err)
	}
	mid, err := f.svc.GetImport(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Status != service.ImportRunning || mid.ProcessedRows != service.ImportChunkRows || f.count(t, "guards") != service.ImportChunkRows {
		t.Fatalf("after one chunk: %+v, %d guards", mid, f.count(t, "guards"))
	}
	// A new service over the same database stands for the restarted process.
	restarted := service.New("caidian", f.store, f.ids, f.sealer, slog.New(slog.DiscardHandler))
	if err := restarted.ProcessImports(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := restarted.GetImport(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != service.ImportDone || done.Succeeded != rows || done.Failed != 0 || len(done.Errors) != 0 {
		t.Fatalf("done: %+v", done)
	}
	if f.count(t, "guards") != rows || f.count(t, "eventbus_outbox") != rows+2 {
		t.Fatalf("%d guards, %d events", f.count(t, "guards"), f.count(t, "eventbus_outbox"))
	}
}

func TestADuplicateInALaterChunkNamesItsLineAfterAResume(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.member(t, 1)
	id := func(i int) string {
		return idcheck.MakeResidentID("420114", time.Date(1970+i%40, 1+time.Month(i%12), 1, 0, 0, 0, 0, time.UTC), i)
	}
	var b strings.Builder
	b.WriteString("姓名,身份证号\n")
	for i := range service.ImportChunkRows {
		fmt.Fprintf(&b, "保安%d,%s\n", i, id(i))
	}
	// The first data row (line 2) again, in lower case (a check
	// character X typed as x is the same person).
	fmt.Fprintf(&b, "又一个,%s\n", strings.ToLower(id(0)))
	job, err := f.svc.StartGuardImport(ctx, service.StartImportInput{CompanyID: c.ID, CSV: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ProcessImportChunks(ctx, job.ID, 1); err != nil {
		t.Fatal(err)
	}
	restarted := service.New("caidian", f.store, f.ids, f.sealer, slog.New(slog.DiscardHandler))
	if err := restarted.ProcessImports(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := restarted.GetImport(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := service.ImportError{Line: service.ImportChunkRows + 2, Field: "id_number", ErrorID: "import.row_duplicate",
		Message: "duplicate of line 2 in this file (the same id_number)"}
	if done.Succeeded != service.ImportChunkRows || len(done.Errors) != 1 || done.Errors[0] != want {
		t.Fatalf("done: %+v", done)
	}
}

func TestExpiredIdempotencyKeysAreDeleted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	svc := service.New("caidian", f.store, f.ids, f.sealer, slog.New(slog.DiscardHandler), service.WithClock(func() time.Time { return clock() }))
	in := service.RegisterCompanyInput{Name: "戊", CreditCode: code(t, 5), LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, 1), Kind: "service_company", Idempotent: kitx.Idempotent{IdempotencyKey: "k"}}
	first, err := svc.RegisterCompany(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.RegisterCompany(ctx, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("replay: %v %s", err, again.ID)
	}
	clock = func() time.Time { return now.Add(service.IdempotencyTTL + time.Minute) }
	n, err := svc.ExpireIdempotencyKeys(ctx)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	// After expiry the key is new again: the create runs (and fails on the
	// now-taken credit code), proving no stale replay.
	if _, err := svc.RegisterCompany(ctx, in); !errors.Is(err, service.ErrCompanyCreditCodeTaken) {
		t.Fatalf("after expiry: %v", err)
	}
}

// startImport queues a two-row import and returns its job id.
func (f fixture) startImport(t *testing.T, c service.Company) string {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "starter", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	job, err := f.svc.StartGuardImport(ctx, service.StartImportInput{CompanyID: c.ID, CSV: []byte("name,id_number\n甲," + rid(1) + "\n乙," + rid(2) + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	return job.ID
}

func TestTamperedImportFileFailsTheJobAndIsScrubbed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.startImport(t, f.member(t, 1))
	// Re-label the stored file to another key id of the same keyring: the
	// key id is bound as additional data, so it must not open.
	two, err := pii.NewSealer(map[string][]byte{"k1": bytes.Repeat([]byte{1}, 32), "k2": bytes.Repeat([]byte{1}, 32)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New("caidian", f.store, f.ids, two, slog.New(slog.DiscardHandler))
	if _, err := f.db.Exec(`UPDATE import_jobs SET csv_sealed = 'k2' || substr(csv_sealed, 3) WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	audits := f.count(t, "audit_log")
	if err := svc.ProcessImports(ctx); err != nil {
		t.Fatal(err)
	}
	job, err := svc.GetImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != service.ImportFailed || len(job.Errors) != 1 || job.Errors[0].ErrorID != "internal" || f.count(t, "guards") != 0 {
		t.Fatalf("job %+v, %d guards", job, f.count(t, "guards"))
	}
	var left string
	var subject, action string
	if err := f.db.QueryRow(`SELECT csv_sealed FROM import_jobs WHERE id = ?`, id).Scan(&left); err != nil || left != "" {
		t.Fatalf("failed job keeps %d bytes of file (%v)", len(left), err)
	}
	if err := f.db.QueryRow(`SELECT subject, action FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&subject, &action); err != nil ||
		subject != "starter" || action != service.ActionImportFail || f.count(t, "audit_log") != audits+1 {
		t.Fatalf("audit %s %s (%v), %d rows after %d", subject, action, err, f.count(t, "audit_log"), audits)
	}
}

func TestImportUnderAMissingKeyWaitsForTheKeyring(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.startImport(t, f.member(t, 1))
	// The process restarts with a keyring that lost the job's key: the job
	// is not failed (an operator can restore the key), and nothing leaks.
	svc := service.New("caidian", f.store, f.ids, newSealer(t, "k9", 9), slog.New(slog.DiscardHandler))
	err := svc.ProcessImports(ctx)
	if !errors.Is(err, pii.ErrUnknownKeyID) {
		t.Fatalf("ProcessImports = %v", err)
	}
	if job, _ := svc.GetImport(ctx, id); job.Status != service.ImportQueued {
		t.Fatalf("job %+v", job)
	}
	// With the key back, it runs.
	if err := f.svc.ProcessImports(ctx); err != nil {
		t.Fatal(err)
	}
	if job, _ := f.svc.GetImport(ctx, id); job.Status != service.ImportDone || job.Succeeded != 2 {
		t.Fatalf("job %+v", job)
	}
}

func TestImportIdempotencyHashIsKeyed(t *testing.T) {
	f := newFixture(t)
	c := f.member(t, 1)
	csv := []byte("name,id_number\n甲," + rid(1) + "\n")
	if _, err := f.svc.StartGuardImport(context.Background(), service.StartImportInput{CompanyID: c.ID, CSV: csv, Idempotent: kitx.Idempotent{IdempotencyKey: "i-1"}}); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := f.db.QueryRow(`SELECT request_hash FROM idempotency_keys WHERE key = 'i-1'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	// What an unkeyed hash of the request would be: anyone could test
	// guessed files against it.
	raw, _ := json.Marshal(service.StartImportInput{CSV: csv})
	sum := sha256.Sum256(append([]byte("POST companies/"+c.ID+"/guards/imports\n"), raw...))
	if hash == "" || hash == hex.EncodeToString(sum[:]) {
		t.Fatalf("request hash %q is the unkeyed hash of the file", hash)
	}
	// The same file replays; another file under the key is refused.
	if _, err := f.svc.StartGuardImport(context.Background(), service.StartImportInput{CompanyID: c.ID, CSV: csv, Idempotent: kitx.Idempotent{IdempotencyKey: "i-1"}}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	other := []byte("name,id_number\n乙," + rid(2) + "\n")
	if _, err := f.svc.StartGuardImport(context.Background(), service.StartImportInput{CompanyID: c.ID, CSV: other, Idempotent: kitx.Idempotent{IdempotencyKey: "i-1"}}); !errors.Is(err, service.ErrIdempotencyKeyReused) {
		t.Fatalf("another file under the key: %v", err)
	}
	if n := f.count(t, "import_jobs"); n != 1 {
		t.Fatalf("%d jobs", n)
	}
}
