package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Repository is the storage the service needs. Reads go straight to it;
// every write goes through Tx (versioned.Update for a versioned row) so the
// change, its audit row and the events describing it commit together.
type Repository interface {
	Queries
	versioned.Transactions[Queries, Change]
}

// Queries reads and writes the membership tables, inside or outside a
// transaction. Getters return the service's NotFound errors.
type Queries interface {
	GetCompany(ctx context.Context, id string) (Company, error)
	CreditCodeTaken(ctx context.Context, code string) (bool, error)
	ListCompanies(ctx context.Context, f CompanyFilter, page kitx.Page) ([]Company, string, error)
	InsertCompany(ctx context.Context, c Company) error
	// WriteCompany stores c over the stored company of version
	// c.Version-1, and is kitx.ErrEtagStale where that is not the stored
	// version. It is the Write of the companies row: the service changes a
	// company through versioned.Update or versioned.In, never directly.
	WriteCompany(ctx context.Context, c Company) error

	GetGuard(ctx context.Context, id string) (Guard, error)
	// GuardCompany returns the id of the company that employs (or
	// employed) a guard, for authorization: ErrGuardNotFound if none.
	GuardCompany(ctx context.Context, id string) (string, error)
	// ActiveGuardByHash reports whether a guard with this ID hash is
	// employed (active) anywhere in the district.
	ActiveGuardByHash(ctx context.Context, idHash string) (bool, error)
	// CertificateHeldByActive reports whether an active guard of the
	// district other than exceptGuardID holds certificate number number.
	CertificateHeldByActive(ctx context.Context, number, exceptGuardID string) (bool, error)
	ListGuards(ctx context.Context, f GuardFilter, page kitx.Page) ([]Guard, string, error)
	// UnannouncedExpiring returns up to limit active guards, in id order,
	// whose certificate's valid_until is from from to to (YYYY-MM-DD) and
	// has no expiry notice for that number and valid_until.
	UnannouncedExpiring(ctx context.Context, from, to string, limit int) ([]Guard, error)
	// RecordExpiryNotice records that the certificate (guard, number,
	// valid_until) was announced on windowDate; false if it already was.
	RecordExpiryNotice(ctx context.Context, guardID, number, validUntil, windowDate string) (bool, error)
	InsertGuard(ctx context.Context, g Guard) error
	// WriteGuard is WriteCompany for a guard (the guards row).
	WriteGuard(ctx context.Context, g Guard) error
	InsertTraining(ctx context.Context, t Training) error
	ListTrainings(ctx context.Context, guardID string) ([]Training, error)

	GetCouncilMember(ctx context.Context, id string) (CouncilMember, error)
	ListCouncilMembers(ctx context.Context, f CouncilFilter, page kitx.Page) ([]CouncilMember, string, error)
	InsertCouncilMember(ctx context.Context, m CouncilMember) error
	// WriteCouncilMember is WriteCompany for a council member (the
	// councilMembers row).
	WriteCouncilMember(ctx context.Context, m CouncilMember) error

	GetImport(ctx context.Context, id string) (ImportJob, error)
	// ImportCompany returns the company an import job imports into, for
	// authorization: ErrImportNotFound if none.
	ImportCompany(ctx context.Context, id string) (string, error)
	InsertImport(ctx context.Context, j ImportJob) error
	// UpdateImportProgress stores a job's status, counters and errors.
	UpdateImportProgress(ctx context.Context, j ImportJob) error
	// PendingImports lists the ids of queued or running jobs, oldest first.
	PendingImports(ctx context.Context) ([]string, error)
	// GuardsSealedWithOtherKey returns up to limit guards (id and sealed
	// ID number only) whose number is not sealed with key id kid.
	GuardsSealedWithOtherKey(ctx context.Context, kid string, limit int) ([]Guard, error)
	// ResealGuard replaces a guard's sealed ID number if it is still old;
	// it reports whether it did.
	ResealGuard(ctx context.Context, id, old, sealed string) (bool, error)
	// ScrubImportCSV empties a job's stored file once the job has ended:
	// the file holds ID numbers and is no longer needed.
	ScrubImportCSV(ctx context.Context, id string) error

	// LatestConventionSignature returns the newest current-version
	// signature applied for company; false if none.
	LatestConventionSignature(ctx context.Context, companyID string) (ConventionSignature, bool, error)
	// PutConventionSignature records s as company s.CompanyID's newest
	// applied signature.
	PutConventionSignature(ctx context.Context, s ConventionSignature) error

	audit.Queries
	idempotency.Queries
}

// Event types the membership service emits: the constants of the proto package
// (each names its payload message in proto/guildhall/events/v1/membership.proto)
// under the service's own names. The service layer builds no protobuf; it
// only names the types.
const (
	EventCompanyRegistered       = eventsv1.TypeCompanyRegistered
	EventCompanyStatusChanged    = eventsv1.TypeCompanyStatusChanged
	EventCompanyUpdated          = eventsv1.TypeCompanyUpdated
	EventGuardHired              = eventsv1.TypeGuardHired
	EventGuardUpdated            = eventsv1.TypeGuardUpdated
	EventGuardLeft               = eventsv1.TypeGuardLeft
	EventTrainingRecorded        = eventsv1.TypeTrainingRecorded
	EventBackgroundCheckRecorded = eventsv1.TypeBackgroundCheckRecorded
	EventCertificateIssued       = eventsv1.TypeCertificateIssued
	EventCertificateExpiring     = eventsv1.TypeCertificateExpiring
	EventCouncilMemberAppointed  = eventsv1.TypeCouncilMemberAppointed
	EventCouncilMemberUpdated    = eventsv1.TypeCouncilMemberUpdated
)

// Change is a domain change the repository publishes as an event: the
// aggregate's snapshot after the change plus what the event type needs.
type Change struct {
	Type          string
	Company       *Company
	Guard         *Guard
	CouncilMember *CouncilMember

	FromStatus, ToStatus, Reason string   // CompanyStatusChanged
	Fields                       []string // CompanyUpdated, GuardUpdated
	Training                     *Training
	CheckStatus, CheckedOn       string // BackgroundCheckRecorded
	IssuedOn                     string // CertificateIssued
	ValidUntil, WindowDate       string // CertificateExpiring
	DaysLeft                     int    // CertificateExpiring
}

// Edit is what an update's closure reports: the change's audit row and
// events, or nothing (the zero Edit) when it changed nothing.
type Edit = versioned.Edit[Change]

// The versioned rows of the service: how versioned.Update reads, writes and
// versions each kind. Every write that changes one of them (every PATCH,
// every status change) goes through versioned, so a version is checked,
// bumped and written in one place.
var (
	companies = versioned.Row[Queries, Company]{
		Get: Queries.GetCompany, Write: Queries.WriteCompany,
		Version:   func(c *Company) *int64 { return &c.Version },
		UpdatedAt: func(c *Company) *time.Time { return &c.UpdatedAt },
	}
	guards = versioned.Row[Queries, Guard]{
		Get: Queries.GetGuard, Write: Queries.WriteGuard,
		Version:   func(g *Guard) *int64 { return &g.Version },
		UpdatedAt: func(g *Guard) *time.Time { return &g.UpdatedAt },
	}
	councilMembers = versioned.Row[Queries, CouncilMember]{
		Get: Queries.GetCouncilMember, Write: Queries.WriteCouncilMember,
		Version:   func(m *CouncilMember) *int64 { return &m.Version },
		UpdatedAt: func(m *CouncilMember) *time.Time { return &m.UpdatedAt },
	}
)
