// Package service is the membership service's business layer: member
// companies (保安从业单位), their guards (保安员) with certificates,
// background checks and training, the council (理事会), and bulk guard
// imports. It validates every request before anything is written and hands
// each change to the repository together with the domain change it reports,
// so the state change and its outbox event commit in one transaction.
package service

import (
	"context"
	"io"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Service is the membership API of one district.
type Service interface {
	// RegisterCompany registers a company with status applied.
	RegisterCompany(ctx context.Context, in RegisterCompanyInput) (Company, error)
	// GetCompany returns one company.
	GetCompany(ctx context.Context, id string) (Company, error)
	// ListCompanies lists companies in id order.
	ListCompanies(ctx context.Context, f CompanyFilter, page kitx.Page) ([]Company, string, error)
	// UpdateCompany changes the fields set in in; pre, when set (the
	// request's If-Match), must name the company's current version, else
	// nothing changes and the error is kitx.ErrEtagStale.
	UpdateCompany(ctx context.Context, id string, pre kitx.Precondition, in UpdateCompanyInput) (Company, error)
	// ChangeCompanyStatus moves a company through its lifecycle.
	ChangeCompanyStatus(ctx context.Context, id string, in ChangeStatusInput) (Company, error)

	// HireGuard hires a guard into a company.
	HireGuard(ctx context.Context, in HireGuardInput) (Guard, error)
	// GetGuard returns one guard.
	GetGuard(ctx context.Context, id string) (Guard, error)
	// ListGuards lists guards in id order.
	ListGuards(ctx context.Context, f GuardFilter, page kitx.Page) ([]Guard, string, error)
	// UpdateGuard changes the fields set in in; pre as for UpdateCompany.
	UpdateGuard(ctx context.Context, id string, pre kitx.Precondition, in UpdateGuardInput) (Guard, error)
	// GuardLeaves ends a guard's employment.
	GuardLeaves(ctx context.Context, id string, in LeaveInput) (Guard, error)
	// RecordTraining adds a training record (教育培训) to a guard.
	RecordTraining(ctx context.Context, guardID string, in TrainingInput) (Training, error)
	// ListTrainings lists a guard's training records, oldest first.
	ListTrainings(ctx context.Context, guardID string) ([]Training, error)
	// RecordBackgroundCheck records the outcome of a background check (背景审查).
	RecordBackgroundCheck(ctx context.Context, guardID string, in BackgroundCheckInput) (Guard, error)
	// IssueCertificate records a guard's certificate (保安员证).
	IssueCertificate(ctx context.Context, guardID string, in CertificateInput) (Guard, error)
	// SearchGuards finds guards by name, certificate number or national ID
	// number and filters, in id order.
	SearchGuards(ctx context.Context, in SearchGuardsInput, page kitx.Page) ([]Guard, string, error)
	// ListExpiringCertificates lists the active guards whose certificate
	// lapses within a window of days, in id order.
	ListExpiringCertificates(ctx context.Context, f ExpiringFilter, page kitx.Page) ([]Guard, string, error)

	// AppointCouncilMember seats a person on the council.
	AppointCouncilMember(ctx context.Context, in AppointCouncilMemberInput) (CouncilMember, error)
	// ListCouncilMembers lists council seats in id order.
	ListCouncilMembers(ctx context.Context, f CouncilFilter, page kitx.Page) ([]CouncilMember, string, error)
	// UpdateCouncilMember changes a council seat; pre as for UpdateCompany.
	UpdateCouncilMember(ctx context.Context, id string, pre kitx.Precondition, in UpdateCouncilMemberInput) (CouncilMember, error)

	// StartGuardImport queues a CSV import of guards into a company.
	StartGuardImport(ctx context.Context, in StartImportInput) (ImportJob, error)
	// GetImport returns an import job with its progress and error report.
	GetImport(ctx context.Context, id string) (ImportJob, error)
	// ExportGuards writes the guards of a filter to w as CSV or xlsx, a
	// store page at a time; ID numbers as the caller may see them.
	ExportGuards(ctx context.Context, in ExportGuardsInput, w io.Writer) error
	// ExportCompanies writes the companies of a filter to w as CSV or
	// xlsx, a store page at a time.
	ExportCompanies(ctx context.Context, in ExportCompaniesInput, w io.Writer) error

	// ListAudit lists the district's audit log, newest first.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)
}

// Company statuses (lifecycle applied → active → suspended → lapsed).
const (
	StatusApplied   = "applied"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusLapsed    = "lapsed"
)

// Company kinds.
const (
	KindServiceCompany = "service_company"
	KindInHouseUnit    = "in_house_unit"
)

// Company levels in the association.
const (
	LevelPresident     = "president"
	LevelVicePresident = "vice_president"
	LevelCouncil       = "council"
	LevelMember        = "member"
)

// Guard employment statuses.
const (
	EmploymentActive = "active"
	EmploymentLeft   = "left"
)

// Background check statuses.
const (
	CheckNone    = "none"
	CheckPending = "pending"
	CheckPassed  = "passed"
	CheckFailed  = "failed"
)

// Training types.
const (
	TrainingPreJob    = "pre_job"
	TrainingInService = "in_service"
)

// Council positions.
const (
	PositionPresident        = "president"         // 会长
	PositionVicePresident    = "vice_president"    // 副会长
	PositionSecretaryGeneral = "secretary_general" // 秘书长
	PositionSupervisorChief  = "supervisor_chief"  // 监事长
	PositionDirector         = "director"          // 理事
)

// Import job statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// Company is a member company (保安从业单位 / 会员单位).
type Company struct {
	ID                string    `json:"id"`
	District          string    `json:"district"`
	Name              string    `json:"name"`
	CreditCode        string    `json:"credit_code"`
	LicenceNumber     string    `json:"licence_number"`
	Kind              string    `json:"kind" enum:"service_company,in_house_unit"`
	Level             string    `json:"level" enum:"president,vice_president,council,member"`
	Status            string    `json:"status" enum:"applied,active,suspended,lapsed"`
	ContactName       string    `json:"contact_name"`
	ContactPhone      string    `json:"contact_phone"`
	Address           string    `json:"address"`
	PartyOrg          bool      `json:"party_org"`
	PartyOrgSince     string    `json:"party_org_since,omitempty" format:"date"`
	TradeUnion        bool      `json:"trade_union"`
	WorkersHome       bool      `json:"workers_home"`
	ConventionVersion string    `json:"convention_version"`
	RegisteredAt      time.Time `json:"registered_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"version"`
	ETag              string    `json:"etag"`
}

// Guard is a guard (保安员) employed by a company.
type Guard struct {
	ID        string `json:"id"`
	District  string `json:"district"`
	CompanyID string `json:"company_id"`
	Name      string `json:"name"`
	// IDNumber is the national ID number in clear, set only while a hire
	// is being written; it never leaves the service: responses carry
	// IDNumberMasked, events IDHash, the database IDNumberSealed.
	IDNumber string `json:"-"`
	// IDNumberMasked is the ID number as the response shows it: masked
	// (420************123), or in full for the callers RevealIDNumber
	// names. Only the masked form is ever stored (idempotent replays).
	IDNumberMasked string `json:"id_number"`
	// IDNumberSealed is the ID number sealed with the district's Sealer,
	// the only form in which it is stored.
	IDNumberSealed        string `json:"-"`
	IDHash                string `json:"-"`
	CertificateNumber     string `json:"certificate_number"`
	CertificateIssuedOn   string `json:"certificate_issued_on,omitempty" format:"date"`
	CertificateValidUntil string `json:"certificate_valid_until,omitempty" format:"date" doc:"the certificate's last valid day (Asia/Shanghai); empty: no end date"`
	CertificateAuthority  string `json:"certificate_authority,omitempty" doc:"who issued the certificate (发证机关)"`
	// Certified is "certified on duty" (持证上岗) on the service clock's
	// day in China time: a certificate whose valid_until is not past.
	// It is computed on every read, so it turns false the day after
	// valid_until with no event and no write.
	Certified             bool      `json:"certified" doc:"holds a certificate valid today (Asia/Shanghai): false from the day after certificate_valid_until"`
	BackgroundCheckStatus string    `json:"background_check_status" enum:"none,pending,passed,failed"`
	BackgroundCheckOn     string    `json:"background_check_on,omitempty" format:"date"`
	PreJobTrained         bool      `json:"pre_job_trained"`
	TrainingHours         float64   `json:"training_hours"`
	BadgeService          bool      `json:"badge_service"`
	VolunteerPolice       bool      `json:"volunteer_police"`
	PartyMember           bool      `json:"party_member"`
	EmploymentStatus      string    `json:"employment_status" enum:"active,left"`
	HiredOn               string    `json:"hired_on" format:"date"`
	LeftOn                string    `json:"left_on,omitempty" format:"date"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
	Version               int64     `json:"version"`
	ETag                  string    `json:"etag"`
}

// HasCertificate reports whether the guard has a certificate on record
// (valid or not: see CertifiedOn).
func (g Guard) HasCertificate() bool { return g.CertificateNumber != "" }

// CertifiedOn reports whether the guard is certified on duty on day
// (YYYY-MM-DD, China time): a certificate on record whose valid_until, if
// any, is not before day. A certificate is valid through its last day.
func (g Guard) CertifiedOn(day string) bool {
	return g.HasCertificate() && (g.CertificateValidUntil == "" || day <= g.CertificateValidUntil)
}

// Training is one training record of a guard.
type Training struct {
	ID         string    `json:"id"`
	GuardID    string    `json:"guard_id"`
	Type       string    `json:"type" enum:"pre_job,in_service"`
	Hours      float64   `json:"hours"`
	TrainedOn  string    `json:"trained_on" format:"date"`
	Topic      string    `json:"topic"`
	RecordedAt time.Time `json:"recorded_at"`
}

// CouncilMember is a seat on the council (理事会) for a term.
type CouncilMember struct {
	ID               string    `json:"id"`
	District         string    `json:"district"`
	Term             int       `json:"term"`
	Position         string    `json:"position" enum:"president,vice_president,secretary_general,supervisor_chief,director"`
	PersonName       string    `json:"person_name"`
	CompanyID        string    `json:"company_id,omitempty"`
	DistrictInCharge string    `json:"district_in_charge,omitempty"`
	Active           bool      `json:"active"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int64     `json:"version"`
	ETag             string    `json:"etag"`
}

// ImportJob is a bulk guard import and its progress.
type ImportJob struct {
	ID            string        `json:"id"`
	CompanyID     string        `json:"company_id"`
	Status        string        `json:"status" enum:"queued,running,done,failed"`
	TotalRows     int           `json:"total_rows"`
	ProcessedRows int           `json:"processed_rows"`
	Succeeded     int           `json:"succeeded"`
	Failed        int           `json:"failed"`
	Errors        []ImportError `json:"errors"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	// CSVSealed is the uploaded file sealed with the district's Sealer
	// (it holds ID numbers in clear), kept so an interrupted job resumes,
	// and emptied when the job ends.
	CSVSealed string `json:"-"`
	// StartedBy is who started the job; the audit rows of its chunks name
	// them.
	StartedBy audit.Actor `json:"-"`
}

// ImportError reports one rejected row of an import.
type ImportError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	ErrorID string `json:"error_id"`
	Message string `json:"message"`
}

// RegisterCompanyInput is the body of a company registration.
type RegisterCompanyInput struct {
	Name          string `json:"name" required:"true"`
	CreditCode    string `json:"credit_code" required:"true"`
	LicenceNumber string `json:"licence_number" required:"true"`
	Kind          string `json:"kind" enum:"service_company,in_house_unit" required:"true"`
	Level         string `json:"level" enum:"president,vice_president,council,member"`
	ContactName   string `json:"contact_name"`
	ContactPhone  string `json:"contact_phone"`
	Address       string `json:"address"`
	PartyOrg      bool   `json:"party_org"`
	PartyOrgSince string `json:"party_org_since" format:"date"`
	TradeUnion    bool   `json:"trade_union"`
	WorkersHome   bool   `json:"workers_home"`
	// ConventionVersion is read-only: only the company's signature of the
	// convention (a ConventionSigned event) sets it. A request naming it is
	// 400 company.convention_version_read_only.
	ConventionVersion *string `json:"convention_version,omitempty" deprecated:"true" doc:"read-only: set only by the company's signature of the convention; a request naming it is 400 company.convention_version_read_only"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// UpdateCompanyInput holds the fields of a company PATCH; nil means unchanged.
type UpdateCompanyInput struct {
	Name          *string `json:"name"`
	LicenceNumber *string `json:"licence_number"`
	Level         *string `json:"level" enum:"president,vice_president,council,member"`
	ContactName   *string `json:"contact_name"`
	ContactPhone  *string `json:"contact_phone"`
	Address       *string `json:"address"`
	PartyOrg      *bool   `json:"party_org"`
	PartyOrgSince *string `json:"party_org_since" format:"date"`
	TradeUnion    *bool   `json:"trade_union"`
	WorkersHome   *bool   `json:"workers_home"`
	// ConventionVersion is read-only (see RegisterCompanyInput).
	ConventionVersion *string `json:"convention_version,omitempty" deprecated:"true" doc:"read-only: set only by the company's signature of the convention; a request naming it is 400 company.convention_version_read_only"`
}

// ChangeStatusInput is the body of a company status change.
type ChangeStatusInput struct {
	Status string `json:"status" enum:"applied,active,suspended,lapsed" required:"true"`
	Reason string `json:"reason"`
}

// CompanyFilter narrows a company list; empty fields do not filter.
type CompanyFilter struct {
	Status string
	Kind   string
	Level  string
	Query  string // name substring
}

// HireGuardInput is the body of a hire; CompanyID comes from the path.
type HireGuardInput struct {
	CompanyID           string `json:"-"`
	Name                string `json:"name" required:"true"`
	IDNumber            string `json:"id_number" required:"true"`
	CertificateNumber   string `json:"certificate_number"`
	CertificateIssuedOn string `json:"certificate_issued_on" format:"date"`
	// CertificateValidUntil and CertificateAuthority are optional with a
	// certificate: its last valid day and who issued it.
	CertificateValidUntil string `json:"certificate_valid_until" format:"date"`
	CertificateAuthority  string `json:"certificate_authority"`
	HiredOn               string `json:"hired_on" format:"date"`
	BadgeService          bool   `json:"badge_service"`
	VolunteerPolice       bool   `json:"volunteer_police"`
	PartyMember           bool   `json:"party_member"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// UpdateGuardInput holds the fields of a guard PATCH; nil means unchanged.
type UpdateGuardInput struct {
	Name            *string `json:"name"`
	BadgeService    *bool   `json:"badge_service"`
	VolunteerPolice *bool   `json:"volunteer_police"`
	PartyMember     *bool   `json:"party_member"`
}

// GuardFilter narrows a guard list; empty fields do not filter.
type GuardFilter struct {
	CompanyID             string
	EmploymentStatus      string
	Certificate           string // "has" | "none": certified on duty on Day, or not
	BackgroundCheckStatus string
	// Day is the service's day in China time (YYYY-MM-DD) Certificate is
	// judged on; the service sets it from its clock.
	Day string
	// ValidUntilFrom and ValidUntilTo, when set, keep the guards whose
	// certificate's last valid day is in [from, to] (expiring certificates).
	ValidUntilFrom, ValidUntilTo string
	// The search's filters (SearchGuards): a name substring, a certificate
	// number and an ID hash exactly, volunteer police or not, and what a
	// guard lacks.
	Name, CertificateNumber, IDHash                       string
	VolunteerPolice                                       *bool
	MissingBackgroundCheck, MissingTraining, MissingBadge bool
}

// LeaveInput is the body of a guard's leaving.
type LeaveInput struct {
	LeftOn string `json:"left_on" format:"date"`
}

// TrainingInput is the body of a training record.
type TrainingInput struct {
	Type      string  `json:"type" enum:"pre_job,in_service" required:"true"`
	Hours     float64 `json:"hours" required:"true"`
	TrainedOn string  `json:"trained_on" format:"date" required:"true"`
	Topic     string  `json:"topic"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// BackgroundCheckInput is the body of a background check result.
type BackgroundCheckInput struct {
	Status    string `json:"status" enum:"pending,passed,failed" required:"true"`
	CheckedOn string `json:"checked_on" format:"date" required:"true"`
}

// CertificateInput is the body of a certificate issue.
type CertificateInput struct {
	CertificateNumber string `json:"certificate_number" required:"true"`
	IssuedOn          string `json:"issued_on" format:"date" required:"true"`
	// ValidUntil is the certificate's last valid day (empty: no end date).
	ValidUntil string `json:"valid_until" format:"date"`
	// Authority is who issued the certificate (发证机关).
	Authority string `json:"authority"`
}

// AppointCouncilMemberInput is the body of a council appointment.
type AppointCouncilMemberInput struct {
	Term             int    `json:"term" required:"true"`
	Position         string `json:"position" enum:"president,vice_president,secretary_general,supervisor_chief,director" required:"true"`
	PersonName       string `json:"person_name" required:"true"`
	CompanyID        string `json:"company_id"`
	DistrictInCharge string `json:"district_in_charge"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// UpdateCouncilMemberInput holds the fields of a council PATCH.
type UpdateCouncilMemberInput struct {
	Term             *int    `json:"term"`
	Position         *string `json:"position" enum:"president,vice_president,secretary_general,supervisor_chief,director"`
	PersonName       *string `json:"person_name"`
	CompanyID        *string `json:"company_id"`
	DistrictInCharge *string `json:"district_in_charge"`
	Active           *bool   `json:"active"`
}

// CouncilFilter narrows a council list.
type CouncilFilter struct {
	Term     int
	Position string
}

// StartImportInput is an uploaded file of guards for a company: CSV or .xlsx
// (the field keeps its name; it is the raw file).
type StartImportInput struct {
	CompanyID string `json:"-"`
	CSV       []byte `json:"csv"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}
