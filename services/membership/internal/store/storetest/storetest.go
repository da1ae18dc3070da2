// Package storetest is the membership store's contract: what the service
// relies on its repository to do, checked through service.Repository and
// nothing else (no SQL, no SQLite), so that a store over another SQL
// dialect runs it unchanged. The SQLite store's test runs it today; a
// PostgreSQL store calls Run with a store over its own database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/kitx"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	"github.com/guildhall/guildhall/services/membership/internal/store"
)

// Run runs the contract on stores open returns: each a store over an
// empty, migrated database of its own, with an outbox of District.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Companies", Run: companies},
		kit.Group[*store.Store]{Name: "Guards", Run: guards},
		kit.Group[*store.Store]{Name: "Certificates and search", Run: certificates},
		kit.Group[*store.Store]{Name: "Council members", Run: council},
		kit.Group[*store.Store]{Name: "Imports", Run: imports},
		kit.Group[*store.Store]{Name: "Convention signatures", Run: signatures},
		kit.Group[*store.Store]{Name: "Outbox", Run: outbox})
}

// District is the district of the stores Run is given.
const District = "north"

var ctx = context.Background()

func company(n int) service.Company {
	return service.Company{
		ID: fmt.Sprintf("c%02d", n), District: District, Name: fmt.Sprintf("安泰保安 Antai-%d", n),
		CreditCode: fmt.Sprintf("91420100MA4KX%04dB", n), LicenceNumber: idcheck.MakeLicenceNumber("鄂", 2019, n),
		Kind: []string{"service_company", "in_house_unit"}[n%2], Level: "member", Status: []string{"applied", "active"}[n%2],
		ContactName: "张三", ContactPhone: "027-1234", Address: "经开区\n东风大道", PartyOrg: true, PartyOrgSince: "2019-07-01",
		TradeUnion: n%2 == 0, WorkersHome: true, ConventionVersion: "2026", RegisteredAt: kit.At, UpdatedAt: kit.At.Add(time.Second), Version: 1,
	}
}

func guard(n int, companyID string) service.Guard {
	return service.Guard{
		ID: fmt.Sprintf("g%02d", n), District: District, CompanyID: companyID, Name: fmt.Sprintf("保安%d", n),
		IDNumberSealed: fmt.Sprintf("k1:sealed-%d", n), IDHash: fmt.Sprintf("hash-%d", n),
		CertificateNumber: []string{"", "420100201900001"}[n%2], CertificateIssuedOn: []string{"", "2019-05-01"}[n%2],
		BackgroundCheckStatus: []string{"none", "passed"}[n%2], BackgroundCheckOn: []string{"", "2020-01-02"}[n%2],
		PreJobTrained: true, TrainingHours: 12.5, BadgeService: true, PartyMember: n%2 == 0,
		EmploymentStatus: "active", HiredOn: "2021-03-01", CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1,
	}
}

func companyID(c service.Company) string { return c.ID }

func companies(t *testing.T, s *store.Store) {
	for n := 1; n <= 5; n++ {
		kit.Must(t, s.InsertCompany(ctx, company(n)))
	}
	t.Run("A company reads back as it was inserted, with the store's district.", func(t *testing.T) {
		got, err := s.GetCompany(ctx, "c03")
		kit.Must(t, err)
		kit.Equal(t, "company", got, company(3))
	})
	t.Run("A company that is not there is ErrCompanyNotFound.", func(t *testing.T) {
		if _, err := s.GetCompany(ctx, "nope"); !errors.Is(err, service.ErrCompanyNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("A credit code is taken once: a second company with it is refused.", func(t *testing.T) {
		dup := company(9)
		dup.CreditCode = company(2).CreditCode
		if err := s.InsertCompany(ctx, dup); !errors.Is(err, service.ErrCompanyCreditCodeTaken) {
			t.Fatalf("got %v", err)
		}
		for code, want := range map[string]bool{company(2).CreditCode: true, company(9).CreditCode: false} {
			taken, err := s.CreditCodeTaken(ctx, code)
			if err != nil || taken != want {
				t.Fatalf("CreditCodeTaken(%s) = %v, %v", code, taken, err)
			}
		}
	})
	t.Run("Lists filter by status, kind, level and a case-blind name part, in id order.", func(t *testing.T) {
		for _, tc := range []struct {
			f    service.CompanyFilter
			want []string
		}{
			{service.CompanyFilter{}, []string{"c01", "c02", "c03", "c04", "c05"}},
			{service.CompanyFilter{Status: "active"}, []string{"c01", "c03", "c05"}},
			{service.CompanyFilter{Kind: "service_company", Level: "member"}, []string{"c02", "c04"}},
			{service.CompanyFilter{Query: "ANTAI-4"}, []string{"c04"}},
			{service.CompanyFilter{Query: "_"}, []string{}}, // the query's own wildcards are characters
			{service.CompanyFilter{Query: "%"}, []string{}},
			{service.CompanyFilter{Query: "安泰", Status: "applied"}, []string{"c02", "c04"}},
			{service.CompanyFilter{Level: "president"}, []string{}},
		} {
			items, next, err := s.ListCompanies(ctx, tc.f, kitx.Page{Size: 50})
			kit.Must(t, err)
			if got := kit.IDs(items, companyID); !reflect.DeepEqual(got, tc.want) || next != "" {
				t.Fatalf("%+v: %v next %q, want %v", tc.f, got, next, tc.want)
			}
			for _, c := range items {
				if c.District != District {
					t.Fatalf("listed company without its district: %+v", c)
				}
			}
		}
	})
	t.Run("Pages of a list follow one another in id order to the end.", func(t *testing.T) {
		got, n := kit.Pages(t, func(p kitx.Page) ([]service.Company, string, error) {
			return s.ListCompanies(ctx, service.CompanyFilter{}, p)
		}, companyID)
		kit.Equal(t, "pages", fmt.Sprint(got, n), "[c01 c02 c03 c04 c05] 3")
	})
	t.Run("A company is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), companyRow, "c01", func(c *service.Company) {
			c.Name, c.LicenceNumber, c.Level, c.Status, c.ContactName, c.ContactPhone = "新名", "L-new", "council", "suspended", "李四", "110"
			c.Address, c.PartyOrg, c.PartyOrgSince, c.TradeUnion, c.WorkersHome = "新址", false, "", true, false
			c.ConventionVersion, c.UpdatedAt = "2027", kit.At.Add(time.Hour)
		})
	})
	t.Run("A refused insert leaves its transaction usable: what follows it in the transaction commits (an import's chunk goes on after a duplicate row).", func(t *testing.T) {
		dup := company(11)
		dup.CreditCode = company(1).CreditCode
		kit.Must(t, s.Tx(ctx, func(q service.Queries) ([]service.Change, error) {
			if err := q.InsertCompany(ctx, dup); !errors.Is(err, service.ErrCompanyCreditCodeTaken) {
				return nil, fmt.Errorf("duplicate credit code: %v", err)
			}
			return nil, q.InsertCompany(ctx, company(12))
		}))
		if _, err := s.GetCompany(ctx, company(12).ID); err != nil {
			t.Fatalf("the insert after the refused one: %v", err)
		}
		if _, err := s.GetCompany(ctx, dup.ID); !errors.Is(err, service.ErrCompanyNotFound) {
			t.Fatalf("the refused company: %v", err)
		}
	})
}

// The versioned rows as the service declares them, from the interface.
var (
	companyRow = versioned.Row[service.Queries, service.Company]{
		Get: service.Queries.GetCompany, Write: service.Queries.WriteCompany,
		Version: func(c *service.Company) *int64 { return &c.Version }, UpdatedAt: func(c *service.Company) *time.Time { return &c.UpdatedAt },
	}
	guardRow = versioned.Row[service.Queries, service.Guard]{
		Get: service.Queries.GetGuard, Write: service.Queries.WriteGuard,
		Version: func(g *service.Guard) *int64 { return &g.Version }, UpdatedAt: func(g *service.Guard) *time.Time { return &g.UpdatedAt },
	}
	councilRow = versioned.Row[service.Queries, service.CouncilMember]{
		Get: service.Queries.GetCouncilMember, Write: service.Queries.WriteCouncilMember,
		Version:   func(m *service.CouncilMember) *int64 { return &m.Version },
		UpdatedAt: func(m *service.CouncilMember) *time.Time { return &m.UpdatedAt },
	}
)

func guardID(g service.Guard) string { return g.ID }

func guards(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertCompany(ctx, company(1)))
	kit.Must(t, s.InsertCompany(ctx, company(2)))
	for n := 1; n <= 4; n++ {
		kit.Must(t, s.InsertGuard(ctx, guard(n, []string{"c01", "c02"}[n/3])))
	}
	t.Run("A guard reads back as hired, with the store's district and its company.", func(t *testing.T) {
		got, err := s.GetGuard(ctx, "g01")
		kit.Must(t, err)
		kit.Equal(t, "guard", got, guard(1, "c01"))
		c, err := s.GuardCompany(ctx, "g03")
		if err != nil || c != "c02" {
			t.Fatalf("GuardCompany = %q, %v", c, err)
		}
	})
	t.Run("A guard that is not there is ErrGuardNotFound, for its company too.", func(t *testing.T) {
		if _, err := s.GetGuard(ctx, "nope"); !errors.Is(err, service.ErrGuardNotFound) {
			t.Fatalf("GetGuard: %v", err)
		}
		if _, err := s.GuardCompany(ctx, "nope"); !errors.Is(err, service.ErrGuardNotFound) {
			t.Fatalf("GuardCompany: %v", err)
		}
	})
	t.Run("A guard without a sealed ID number is refused: a clear number is never the only copy.", func(t *testing.T) {
		g := guard(8, "c01")
		g.IDNumberSealed = ""
		if err := s.InsertGuard(ctx, g); err == nil {
			t.Fatal("stored a guard without a sealed ID number")
		}
	})
	t.Run("One person is active once in the district; one who left no longer counts.", func(t *testing.T) {
		active, err := s.ActiveGuardByHash(ctx, "hash-2")
		if err != nil || !active {
			t.Fatalf("ActiveGuardByHash = %v, %v", active, err)
		}
		again := guard(9, "c02")
		again.IDHash = "hash-2"
		if err := s.InsertGuard(ctx, again); !errors.Is(err, service.ErrGuardAlreadyActive) {
			t.Fatalf("a second active guard of one person: %v", err)
		}
		left, err := s.GetGuard(ctx, "g02")
		kit.Must(t, err)
		left.EmploymentStatus, left.LeftOn, left.Version = "left", "2026-01-01", left.Version+1
		kit.Must(t, s.WriteGuard(ctx, left))
		if active, err := s.ActiveGuardByHash(ctx, "hash-2"); err != nil || active {
			t.Fatalf("ActiveGuardByHash after leaving = %v, %v", active, err)
		}
		kit.Must(t, s.InsertGuard(ctx, again))
	})
	t.Run("Lists filter by company, employment, background check and certificate, in id order.", func(t *testing.T) {
		for _, tc := range []struct {
			f    service.GuardFilter
			want []string
		}{
			{service.GuardFilter{CompanyID: "c01"}, []string{"g01", "g02"}},
			{service.GuardFilter{EmploymentStatus: "active"}, []string{"g01", "g03", "g04", "g09"}},
			{service.GuardFilter{BackgroundCheckStatus: "passed"}, []string{"g01", "g03", "g09"}},
			{service.GuardFilter{Certificate: "has"}, []string{"g01", "g03", "g09"}},
			{service.GuardFilter{Certificate: "none", CompanyID: "c02"}, []string{"g04"}},
		} {
			items, _, err := s.ListGuards(ctx, tc.f, kitx.Page{Size: 50})
			kit.Must(t, err)
			if got := kit.IDs(items, guardID); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%+v: %v, want %v", tc.f, got, tc.want)
			}
		}
		got, n := kit.Pages(t, func(p kitx.Page) ([]service.Guard, string, error) {
			return s.ListGuards(ctx, service.GuardFilter{}, p)
		}, guardID)
		kit.Equal(t, "pages", fmt.Sprint(got, n), "[g01 g02 g03 g04 g09] 3")
	})
	t.Run("A guard is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), guardRow, "g03", func(g *service.Guard) {
			g.Name, g.CertificateNumber, g.CertificateIssuedOn, g.BackgroundCheckStatus, g.BackgroundCheckOn = "新名", "C-2", "2024-02-02", "failed", "2024-03-03"
			g.PreJobTrained, g.TrainingHours, g.BadgeService, g.VolunteerPolice, g.PartyMember = false, 40, false, true, true
			g.EmploymentStatus, g.LeftOn, g.UpdatedAt = "left", "2026-02-02", kit.At.Add(time.Hour)
		})
	})
	t.Run("A guard's trainings come back in id order.", func(t *testing.T) {
		for _, id := range []string{"t2", "t1"} {
			kit.Must(t, s.InsertTraining(ctx, service.Training{ID: id, GuardID: "g01", Type: "in_service", Hours: 1.5, TrainedOn: "2025-01-01", Topic: id, RecordedAt: kit.At}))
		}
		got, err := s.ListTrainings(ctx, "g01")
		kit.Must(t, err)
		kit.Equal(t, "trainings", got, []service.Training{
			{ID: "t1", GuardID: "g01", Type: "in_service", Hours: 1.5, TrainedOn: "2025-01-01", Topic: "t1", RecordedAt: kit.At},
			{ID: "t2", GuardID: "g01", Type: "in_service", Hours: 1.5, TrainedOn: "2025-01-01", Topic: "t2", RecordedAt: kit.At},
		})
		if none, err := s.ListTrainings(ctx, "g04"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("no trainings: %#v, %v", none, err)
		}
	})
	t.Run("Re-sealing finds the numbers sealed with another key and replaces each only if unchanged.", func(t *testing.T) {
		g := guard(4, "c02")
		// A key id may hold '_', which a LIKE would take for a wildcard.
		if done, err := s.ResealGuard(ctx, g.ID, g.IDNumberSealed, "k_2:sealed-4"); err != nil || !done {
			t.Fatalf("ResealGuard = %v, %v", done, err)
		}
		other, err := s.GuardsSealedWithOtherKey(ctx, "k_2", 2)
		kit.Must(t, err)
		if got := kit.IDs(other, guardID); fmt.Sprint(got) != "[g01 g02]" || other[0].IDNumberSealed != "k1:sealed-1" {
			t.Fatalf("sealed with another key: %+v", other)
		}
		done, err := s.ResealGuard(ctx, "g01", "k1:sealed-1", "k_2:sealed-1")
		if err != nil || !done {
			t.Fatalf("ResealGuard = %v, %v", done, err)
		}
		done, err = s.ResealGuard(ctx, "g01", "k1:sealed-1", "k_2:other")
		if err != nil || done {
			t.Fatalf("ResealGuard over a changed number = %v, %v", done, err)
		}
		if g, _ := s.GetGuard(ctx, "g01"); g.IDNumberSealed != "k_2:sealed-1" {
			t.Fatalf("sealed %q", g.IDNumberSealed)
		}
	})
}

func councilID(m service.CouncilMember) string { return m.ID }

func council(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertCompany(ctx, company(1)))
	member := func(n int) service.CouncilMember {
		return service.CouncilMember{ID: fmt.Sprintf("m%d", n), District: District, Term: 2 + n%2, Position: []string{"director", "president"}[n%2],
			PersonName: fmt.Sprintf("理事%d", n), CompanyID: []string{"", "c01"}[n%2], DistrictInCharge: []string{"", "north"}[n%2],
			Active: true, CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
	}
	for n := 1; n <= 4; n++ {
		kit.Must(t, s.InsertCouncilMember(ctx, member(n)))
	}
	t.Run("A council member reads back as appointed; one that is not there is ErrCouncilNotFound.", func(t *testing.T) {
		got, err := s.GetCouncilMember(ctx, "m3")
		kit.Must(t, err)
		kit.Equal(t, "member", got, member(3))
		if _, err := s.GetCouncilMember(ctx, "nope"); !errors.Is(err, service.ErrCouncilNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Lists filter by term and position, in pages.", func(t *testing.T) {
		items, _, err := s.ListCouncilMembers(ctx, service.CouncilFilter{Term: 3, Position: "president"}, kitx.Page{Size: 50})
		kit.Must(t, err)
		kit.Equal(t, "term 3 presidents", kit.IDs(items, councilID), []string{"m1", "m3"})
		got, n := kit.Pages(t, func(p kitx.Page) ([]service.CouncilMember, string, error) {
			return s.ListCouncilMembers(ctx, service.CouncilFilter{}, p)
		}, councilID)
		kit.Equal(t, "pages", fmt.Sprint(got, n), "[m1 m2 m3 m4] 2")
	})
	t.Run("A council member is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), councilRow, "m2", func(m *service.CouncilMember) {
			m.Term, m.Position, m.PersonName, m.CompanyID, m.DistrictInCharge, m.Active, m.UpdatedAt = 4, "supervisor_chief", "新人", "c01", "south", false, kit.At.Add(time.Hour)
		})
	})
}

func imports(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertCompany(ctx, company(1)))
	job := func(id string, created time.Time) service.ImportJob {
		return service.ImportJob{ID: id, CompanyID: "c01", Status: "queued", TotalRows: 3, Errors: []service.ImportError{},
			CreatedAt: created, UpdatedAt: created, CSVSealed: "k1:csv",
			StartedBy: audit.Actor{Subject: "u1", Role: "company-admin", Scope: "company:c01", RequestID: "r1", RemoteIP: "192.0.2.1"}}
	}
	kit.Must(t, s.InsertImport(ctx, job("j2", kit.At)))
	kit.Must(t, s.InsertImport(ctx, job("j1", kit.At.Add(time.Minute))))
	t.Run("A job reads back as queued, with who started it; one that is not there is ErrImportNotFound.", func(t *testing.T) {
		got, err := s.GetImport(ctx, "j2")
		kit.Must(t, err)
		kit.Equal(t, "job", got, job("j2", kit.At))
		c, err := s.ImportCompany(ctx, "j2")
		if err != nil || c != "c01" {
			t.Fatalf("ImportCompany = %q, %v", c, err)
		}
		if _, err := s.GetImport(ctx, "nope"); !errors.Is(err, service.ErrImportNotFound) {
			t.Fatalf("GetImport: %v", err)
		}
		if _, err := s.ImportCompany(ctx, "nope"); !errors.Is(err, service.ErrImportNotFound) {
			t.Fatalf("ImportCompany: %v", err)
		}
	})
	t.Run("A job without its sealed file is refused.", func(t *testing.T) {
		j := job("j9", kit.At)
		j.CSVSealed = ""
		if err := s.InsertImport(ctx, j); err == nil {
			t.Fatal("stored a job without its file")
		}
	})
	t.Run("Progress is stored with the per-row errors; pending jobs come oldest first; a file is scrubbed.", func(t *testing.T) {
		p, err := s.PendingImports(ctx)
		kit.Must(t, err)
		kit.Equal(t, "pending", p, []string{"j2", "j1"})
		j := job("j2", kit.At)
		j.Status, j.ProcessedRows, j.Succeeded, j.Failed, j.UpdatedAt = "done", 3, 2, 1, kit.At.Add(time.Hour)
		j.Errors = []service.ImportError{{Line: 3, Field: "id_number", ErrorID: "guard.id_number_invalid", Message: "bad"}}
		kit.Must(t, s.UpdateImportProgress(ctx, j))
		kit.Must(t, s.ScrubImportCSV(ctx, "j2"))
		got, err := s.GetImport(ctx, "j2")
		kit.Must(t, err)
		j.CSVSealed = ""
		kit.Equal(t, "job", got, j)
		p, err = s.PendingImports(ctx)
		kit.Must(t, err)
		kit.Equal(t, "pending", p, []string{"j1"})
	})
}

func signatures(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertCompany(ctx, company(1)))
	t.Run("A company has no signature until one is put; the newest put is the one read.", func(t *testing.T) {
		if _, found, err := s.LatestConventionSignature(ctx, "c01"); found || err != nil {
			t.Fatalf("before: %v %v", found, err)
		}
		for _, sig := range []service.ConventionSignature{
			{ID: "s1", CompanyID: "c01", Version: "2025", SignedAt: kit.At},
			{ID: "s2", CompanyID: "c01", Version: "2026", SignedAt: kit.At.Add(time.Hour)},
		} {
			kit.Must(t, s.PutConventionSignature(ctx, sig))
		}
		got, found, err := s.LatestConventionSignature(ctx, "c01")
		kit.Must(t, err)
		kit.Equal(t, "signature", got, service.ConventionSignature{ID: "s2", CompanyID: "c01", Version: "2026", SignedAt: kit.At.Add(time.Hour), Current: found})
	})
}

func outbox(t *testing.T, s *store.Store) {
	kit.Outbox(t, kit.Changes[service.Queries, service.Change]{
		Tx: s.Tx, In: s.In, Outbox: s.Outbox(),
		Create: func(ctx context.Context, q service.Queries, n int) (service.Change, error) {
			c := company(n)
			return service.Change{Type: service.EventCompanyRegistered, Company: &c}, q.InsertCompany(ctx, c)
		},
		Stored: func(ctx context.Context, n int) (bool, error) {
			_, err := s.GetCompany(ctx, company(n).ID)
			if errors.Is(err, service.ErrCompanyNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Unmappable: func(c service.Change) service.Change { c.Company = nil; return c },
	})
}

// certificates checks the certificate columns, the certificate-number
// check, the day-dependent certificate filter, the expiry window and its
// notices, and the search filters.
func certificates(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertCompany(ctx, company(1)))
	mk := func(n int, name, number, validUntil string, edit func(g *service.Guard)) service.Guard {
		g := guard(n, "c01")
		g.Name, g.CertificateNumber, g.CertificateValidUntil = name, number, validUntil
		if number != "" {
			g.CertificateIssuedOn, g.CertificateAuthority = "2020-01-01", "武汉市公安局"
		}
		if edit != nil {
			edit(&g)
		}
		kit.Must(t, s.InsertGuard(ctx, g))
		return g
	}
	g1 := mk(1, "张伟", "C-1", "2026-04-01", func(g *service.Guard) { g.VolunteerPolice = true })
	mk(2, "李张", "C-2", "2026-03-01", func(g *service.Guard) {
		g.BackgroundCheckStatus, g.PreJobTrained, g.BadgeService = "failed", false, false
	})
	mk(3, "百分%号", "", "", func(g *service.Guard) { g.BackgroundCheckStatus = "none" })
	mk(4, "王五 Wang Wu", "C-4", "2026-03-20", func(g *service.Guard) { g.EmploymentStatus, g.LeftOn = "left", "2025-06-01" })

	t.Run("A certificate's last valid day and authority read back and are rewritten.", func(t *testing.T) {
		got, err := s.GetGuard(ctx, g1.ID)
		kit.Must(t, err)
		kit.Equal(t, "guard", got, g1)
		got.CertificateValidUntil, got.CertificateAuthority, got.Version = "2031-04-01", "湖北省公安厅", got.Version+1
		kit.Must(t, s.WriteGuard(ctx, got))
		again, err := s.GetGuard(ctx, g1.ID)
		kit.Must(t, err)
		kit.Equal(t, "guard", again, got)
		got.CertificateValidUntil, got.CertificateAuthority, got.Version = g1.CertificateValidUntil, g1.CertificateAuthority, got.Version+1
		kit.Must(t, s.WriteGuard(ctx, got))
	})
	t.Run("A certificate number is held by an active guard other than the one excepted; a left guard holds none.", func(t *testing.T) {
		for _, tc := range []struct {
			number, except string
			want           bool
		}{
			{"C-1", "", true}, {"C-1", g1.ID, false}, {"C-4", "", false}, {"C-9", "", false}, {"", "", false},
		} {
			got, err := s.CertificateHeldByActive(ctx, tc.number, tc.except)
			if err != nil || got != tc.want {
				t.Errorf("CertificateHeldByActive(%q, %q) = %v, %v; want %v", tc.number, tc.except, got, err, tc.want)
			}
		}
	})
	list := func(t *testing.T, f service.GuardFilter) []string {
		t.Helper()
		items, _, err := s.ListGuards(ctx, f, kitx.Page{Size: 50})
		kit.Must(t, err)
		return kit.IDs(items, func(g service.Guard) string { return g.ID })
	}
	t.Run("Certified is judged on the filter's day: through valid_until, not after.", func(t *testing.T) {
		for _, tc := range []struct {
			f    service.GuardFilter
			want []string
		}{
			{service.GuardFilter{Certificate: "has", Day: "2026-03-01", EmploymentStatus: "active"}, []string{"g01", "g02"}},
			{service.GuardFilter{Certificate: "has", Day: "2026-03-02", EmploymentStatus: "active"}, []string{"g01"}},
			{service.GuardFilter{Certificate: "none", Day: "2026-03-02", EmploymentStatus: "active"}, []string{"g02", "g03"}},
			{service.GuardFilter{ValidUntilFrom: "2026-03-01", ValidUntilTo: "2026-03-31"}, []string{"g02", "g04"}},
			{service.GuardFilter{ValidUntilFrom: "2026-03-02", ValidUntilTo: "2026-04-01", EmploymentStatus: "active"}, []string{"g01"}},
		} {
			if got := list(t, tc.f); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
			}
		}
	})
	t.Run("The search filters: a name substring (its % a character), exact numbers and hash, flags and what is missing.", func(t *testing.T) {
		yes, no := true, false
		for _, tc := range []struct {
			f    service.GuardFilter
			want []string
		}{
			{service.GuardFilter{Name: "张"}, []string{"g01", "g02"}},
			{service.GuardFilter{Name: "%"}, []string{"g03"}},
			{service.GuardFilter{Name: "_"}, []string{}},
			{service.GuardFilter{Name: "wANG w"}, []string{"g04"}}, // ASCII case ignored, on every engine
			{service.GuardFilter{CertificateNumber: "C-2"}, []string{"g02"}},
			{service.GuardFilter{CertificateNumber: "C-"}, []string{}},
			{service.GuardFilter{IDHash: "hash-3"}, []string{"g03"}},
			{service.GuardFilter{VolunteerPolice: &yes}, []string{"g01"}},
			{service.GuardFilter{VolunteerPolice: &no, EmploymentStatus: "active"}, []string{"g02", "g03"}},
			{service.GuardFilter{MissingBackgroundCheck: true}, []string{"g02", "g03", "g04"}},
			{service.GuardFilter{MissingTraining: true}, []string{"g02"}},
			{service.GuardFilter{MissingBadge: true, MissingBackgroundCheck: true}, []string{"g02"}},
		} {
			if got := list(t, tc.f); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
			}
		}
	})
	t.Run("Expiring certificates are listed until their notice is recorded, once per number and valid_until.", func(t *testing.T) {
		ids := func(from, to string) []string {
			t.Helper()
			gs, err := s.UnannouncedExpiring(ctx, from, to, 10)
			kit.Must(t, err)
			return kit.IDs(gs, func(g service.Guard) string { return g.ID })
		}
		if got := ids("2026-03-01", "2026-04-01"); !reflect.DeepEqual(got, []string{"g01", "g02"}) {
			t.Fatalf("unannounced %v (the left guard's is not one)", got)
		}
		fresh, err := s.RecordExpiryNotice(ctx, "g02", "C-2", "2026-03-01", "2026-03-01")
		if err != nil || !fresh {
			t.Fatalf("first notice: %v, %v", fresh, err)
		}
		if fresh, err := s.RecordExpiryNotice(ctx, "g02", "C-2", "2026-03-01", "2026-03-01"); err != nil || fresh {
			t.Fatalf("second notice of one certificate: %v, %v", fresh, err)
		}
		if got := ids("2026-03-01", "2026-04-01"); !reflect.DeepEqual(got, []string{"g01"}) {
			t.Fatalf("unannounced after g02's notice %v", got)
		}
		// A renewal is a new certificate: announced again.
		g2, err := s.GetGuard(ctx, "g02")
		kit.Must(t, err)
		g2.CertificateValidUntil, g2.Version = "2026-03-15", g2.Version+1
		kit.Must(t, s.WriteGuard(ctx, g2))
		if got := ids("2026-03-01", "2026-04-01"); !reflect.DeepEqual(got, []string{"g01", "g02"}) {
			t.Fatalf("unannounced after g02's renewal %v", got)
		}
	})
}
