// Package service is HQ's business layer: the city-wide read model of every
// district's member companies and guards, built only from the districts'
// events, with each district's freshness.
package service

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// Stable error ids of the HQ API.
var (
	// ErrDistrictNotFound is returned for a district that is neither
	// registered nor present in the read model: the kit's, the id every
	// service answers.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound
	// ErrDistrictInvalid is returned for a district id that cannot exist.
	ErrDistrictInvalid = errs.InvalidField("district.id_invalid", "district", "a district id is lower-case letters, digits and dashes")
	// ErrReadModel is a read model that cannot be read (a 500; the cause
	// goes to the log).
	ErrReadModel = errs.E(errs.Internal, "hq.read_model", "the HQ read model cannot be read")
)

// Company statuses of the membership service.
const (
	StatusApplied   = "applied"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusLapsed    = "lapsed"
)

// CompanyStatuses lists every company status, in lifecycle order.
var CompanyStatuses = []string{StatusApplied, StatusActive, StatusSuspended, StatusLapsed}

// Counts are the raw tallies of one district (or one company, or the city)
// as the repository reports them; Stats adds the rates.
type Counts struct {
	// Companies counts registered companies in any status.
	Companies int64 `json:"companies"`
	// CompaniesByStatus counts companies per status; every status is present.
	CompaniesByStatus map[string]int64 `json:"companies_by_status"`
	// CompaniesActive counts companies with status active.
	CompaniesActive int64 `json:"companies_active"`
	// GuardsActive counts guards currently employed (employment_status active).
	GuardsActive int64 `json:"guards_active"`
	// GuardsBackgroundChecked counts active guards whose background check (背景审查) passed.
	GuardsBackgroundChecked int64 `json:"guards_background_checked"`
	// GuardsTrained counts active guards with pre-job training (岗前培训).
	GuardsTrained int64 `json:"guards_trained"`
	// GuardsCertified counts active guards certified on duty (持证上岗) today:
	// holding a guard certificate whose last valid day (Asia/Shanghai) is not
	// before today, or that has no end date.
	GuardsCertified int64 `json:"guards_certified"`
	// GuardsBadgeService counts active guards serving with a badge (挂牌服务).
	GuardsBadgeService int64 `json:"guards_badge_service"`
	// GuardsVolunteerPolice counts active guards in volunteer-police teams (江城义警).
	GuardsVolunteerPolice int64 `json:"guards_volunteer_police"`
	// GuardsPartyMembers counts active guards who are Party members.
	GuardsPartyMembers int64 `json:"guards_party_members"`
	// PartyOrgCompanies counts active companies with a Party organisation.
	PartyOrgCompanies int64 `json:"party_org_companies"`
	// UnionCompanies counts active companies with a trade union.
	UnionCompanies int64 `json:"union_companies"`
	// WorkersHomeCompanies counts active companies with a workers' home (职工之家).
	WorkersHomeCompanies int64 `json:"workers_home_companies"`
	// ConventionSigned counts active companies that signed a version of the convention.
	ConventionSigned int64 `json:"convention_signed"`
}

// Add adds o's tallies to c.
func (c *Counts) Add(o Counts) {
	c.Companies += o.Companies
	if c.CompaniesByStatus == nil {
		c.CompaniesByStatus = map[string]int64{}
	}
	for k, v := range o.CompaniesByStatus {
		c.CompaniesByStatus[k] += v
	}
	c.CompaniesActive += o.CompaniesActive
	c.GuardsActive += o.GuardsActive
	c.GuardsBackgroundChecked += o.GuardsBackgroundChecked
	c.GuardsTrained += o.GuardsTrained
	c.GuardsCertified += o.GuardsCertified
	c.GuardsBadgeService += o.GuardsBadgeService
	c.GuardsVolunteerPolice += o.GuardsVolunteerPolice
	c.GuardsPartyMembers += o.GuardsPartyMembers
	c.PartyOrgCompanies += o.PartyOrgCompanies
	c.UnionCompanies += o.UnionCompanies
	c.WorkersHomeCompanies += o.WorkersHomeCompanies
	c.ConventionSigned += o.ConventionSigned
}

// Stats are Counts plus the rates derived from them: the four 100% rates
// (四个100%) over active guards and the coverage rates over active companies.
// A rate whose denominator is 0 is not reported: nil, null in JSON (a
// district without active guards has no training rate; it is not 0%).
type Stats struct {
	Counts
	// BackgroundCheckRate is guards_background_checked / guards_active; null without active guards.
	BackgroundCheckRate *float64 `json:"background_check_rate" doc:"guards_background_checked / guards_active; null (not reported) when guards_active is 0"`
	// TrainingRate is guards_trained / guards_active; null without active guards.
	TrainingRate *float64 `json:"training_rate" doc:"guards_trained / guards_active; null (not reported) when guards_active is 0"`
	// CertifiedRate is guards_certified / guards_active; null without active guards.
	CertifiedRate *float64 `json:"certified_rate" doc:"guards_certified (certified on duty today, Asia/Shanghai) / guards_active; null (not reported) when guards_active is 0"`
	// BadgeRate is guards_badge_service / guards_active; null without active guards.
	BadgeRate *float64 `json:"badge_rate" doc:"guards_badge_service / guards_active; null (not reported) when guards_active is 0"`
	// PartyOrgRate is party_org_companies / companies_active; null without active companies.
	PartyOrgRate *float64 `json:"party_org_rate" doc:"party_org_companies / companies_active; null (not reported) when companies_active is 0"`
	// UnionRate is union_companies / companies_active; null without active companies.
	UnionRate *float64 `json:"union_rate" doc:"union_companies / companies_active; null (not reported) when companies_active is 0"`
	// WorkersHomeRate is workers_home_companies / companies_active; null without active companies.
	WorkersHomeRate *float64 `json:"workers_home_rate" doc:"workers_home_companies / companies_active; null (not reported) when companies_active is 0"`
}

// NewStats derives the rates of c. Every company status appears in
// CompaniesByStatus, with 0 when none.
func NewStats(c Counts) Stats {
	byStatus := make(map[string]int64, len(CompanyStatuses))
	for _, s := range CompanyStatuses {
		byStatus[s] = 0
	}
	for k, v := range c.CompaniesByStatus {
		byStatus[k] = v
	}
	c.CompaniesByStatus = byStatus
	return Stats{
		Counts:              c,
		BackgroundCheckRate: rates.Of(c.GuardsBackgroundChecked, c.GuardsActive),
		TrainingRate:        rates.Of(c.GuardsTrained, c.GuardsActive),
		CertifiedRate:       rates.Of(c.GuardsCertified, c.GuardsActive),
		BadgeRate:           rates.Of(c.GuardsBadgeService, c.GuardsActive),
		PartyOrgRate:        rates.Of(c.PartyOrgCompanies, c.CompaniesActive),
		UnionRate:           rates.Of(c.UnionCompanies, c.CompaniesActive),
		WorkersHomeRate:     rates.Of(c.WorkersHomeCompanies, c.CompaniesActive),
	}
}

// Freshness is what HQ knows about how current a district's data is, as
// stored with the read model.
type Freshness struct {
	// LastEventAt is the occurred_at of the newest event applied from the district.
	LastEventAt time.Time
	// LastAppliedAt is when HQ last applied an event from the district.
	LastAppliedAt time.Time
	// EventsApplied counts events HQ has applied from the district.
	EventsApplied int64
}

// DistrictData is the read model of one district as the repository holds it.
type DistrictData struct {
	Counts    Counts
	Freshness Freshness
	// Heartbeats are the newest heartbeat of each instance of each of the
	// district's services.
	Heartbeats []Heartbeat
	// Parked is what HQ's consumers hold parked of the district (set by
	// the service from its Monitor, not by the repository).
	Parked []ParkedEvents
}

// The kinds of conflict HQ finds across districts.
const (
	// ConflictPerson is one person (the same id_hash) active as a guard in
	// more than one district at once.
	ConflictPerson = "person"
	// ConflictCreditCode is one unified social credit code registered by
	// companies of more than one district that have not lapsed (applied,
	// active or suspended).
	ConflictCreditCode = "credit_code"
	// ConflictCertificateNumber is one guard certificate number held by
	// active guards of more than one district, or by more than one person
	// (valid or expired: the number must name one person).
	ConflictCertificateNumber = "certificate_number"
)

// ConflictTally is how many conflicts of a kind there are and when the
// newest of them was first seen.
type ConflictTally struct {
	Count           int64
	NewestFirstSeen time.Time
}

// ConflictKinds lists every conflict kind, in the order the list gives them.
var ConflictKinds = []string{ConflictPerson, ConflictCreditCode, ConflictCertificateNumber}

// GuardPosition is one guard record taking part in a conflict. HQ never
// has a guard's name (personal data stays in the district): Link is where
// a caller allowed to read the record there finds it.
type GuardPosition struct {
	District string `json:"district"`
	// CompanyID, CompanyName, GuardID, Link, CompanyLink and HiredOn are
	// left out for a position outside the district a conflict list was
	// asked for (Conflict.RedactOutside), and so are the certificate's
	// details.
	CompanyID string `json:"company_id,omitempty"`
	// CompanyName is the company's name as HQ last saw it (absent while
	// HQ has not applied the company's own event yet).
	CompanyName string `json:"company_name,omitempty"`
	GuardID     string `json:"guard_id,omitempty"`
	// Link is the API path of the guard record in its district, e.g.
	// /api/v1/districts/jingkai/guards/{id}.
	Link string `json:"link,omitempty" doc:"API path of the guard record in its district (a caller allowed there reads the guard, name included); absent outside the ?district asked for"`
	// CompanyLink is the API path of the guard's company in its district.
	CompanyLink string `json:"company_link,omitempty" doc:"API path of the guard's company in its district"`
	HiredOn     string `json:"hired_on,omitempty" format:"date"`
	// CertificateValidUntil and CertificateAuthority describe the
	// certificate of a certificate_number conflict: its last valid day and
	// who issued it (which card is genuine).
	CertificateValidUntil string    `json:"certificate_valid_until,omitempty" format:"date"`
	CertificateAuthority  string    `json:"certificate_authority,omitempty"`
	ActiveSince           time.Time `json:"active_since"`
}

// CompanyPosition is one company record taking part in a credit_code
// conflict.
type CompanyPosition struct {
	District string `json:"district"`
	// CompanyID, Name, Status and Link are left out for a position outside
	// the district a conflict list was asked for (Conflict.RedactOutside).
	CompanyID string `json:"company_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Status    string `json:"status,omitempty" enum:"applied,active,suspended"`
	// Link is the API path of the company in its district, e.g.
	// /api/v1/districts/jingkai/companies/{id}.
	Link string `json:"link,omitempty" doc:"API path of the company in its district; absent outside the ?district asked for"`
}

// Conflict is one fact across districts that only HQ can see: a person
// active in two districts, a credit code registered in two, or a guard
// certificate number held in two districts or by two people.
type Conflict struct {
	Kind string `json:"kind" enum:"person,credit_code,certificate_number"`
	// IDHash is the person's keyed hash of a person conflict.
	IDHash string `json:"id_hash,omitempty"`
	// CreditCode is the code of a credit_code conflict.
	CreditCode string `json:"credit_code,omitempty"`
	// CertificateNumber is the number of a certificate_number conflict.
	CertificateNumber string `json:"certificate_number,omitempty"`
	// Districts are the districts involved, sorted.
	Districts []string `json:"districts"`
	// Persons counts the different people holding the certificate number
	// (certificate_number only).
	Persons int `json:"persons,omitempty" doc:"certificate_number only: how many different people (id_hash) hold the number"`
	// Guards are the guard records of a person or certificate_number
	// conflict; empty for a credit_code one.
	Guards []GuardPosition `json:"guards"`
	// Companies are the companies of a credit_code conflict; empty for the
	// other kinds.
	Companies []CompanyPosition `json:"companies"`
	// Since is when the last party to the conflict became active (the
	// latest of the earliest active_since per district, or per district and
	// person for a certificate number); null for a credit_code conflict,
	// since HQ does not know when a company registered.
	Since *time.Time `json:"since" doc:"when the last party to the conflict became active; null for credit_code"`
	// FirstSeenAt is when HQ first saw the conflict: the time it applied
	// the event that made it one (a conflict that ends and comes back is
	// new again). Null only for a conflict HQ holds no record of, which
	// its own writes never leave.
	FirstSeenAt *time.Time `json:"first_seen_at" doc:"when HQ first saw the conflict (it applied the event that made it one); a conflict that ends and comes back is new again"`
}

// CompanyRow is one company of a district with its guards' tallies.
type CompanyRow struct {
	ID                string    `json:"id"`
	District          string    `json:"district"`
	Name              string    `json:"name"`
	CreditCode        string    `json:"credit_code"`
	Kind              string    `json:"kind"`
	Level             string    `json:"level"`
	Status            string    `json:"status"`
	PartyOrg          bool      `json:"party_org"`
	TradeUnion        bool      `json:"trade_union"`
	WorkersHome       bool      `json:"workers_home"`
	ConventionVersion string    `json:"convention_version"`
	ConventionSigned  bool      `json:"convention_signed"`
	Version           int64     `json:"version"`
	UpdatedAt         time.Time `json:"updated_at"`
	GuardsActive      int64     `json:"guards_active"`
	// GuardsBackgroundChecked and the following count the company's active guards.
	GuardsBackgroundChecked int64 `json:"guards_background_checked"`
	GuardsTrained           int64 `json:"guards_trained"`
	// GuardsCertified counts the active guards certified on duty today.
	GuardsCertified       int64 `json:"guards_certified"`
	GuardsBadgeService    int64 `json:"guards_badge_service"`
	GuardsVolunteerPolice int64 `json:"guards_volunteer_police"`
	GuardsPartyMembers    int64 `json:"guards_party_members"`
	// The rates are over the company's active guards; null without any.
	BackgroundCheckRate *float64 `json:"background_check_rate" doc:"over the company's active guards; null (not reported) without any"`
	TrainingRate        *float64 `json:"training_rate" doc:"over the company's active guards; null (not reported) without any"`
	CertifiedRate       *float64 `json:"certified_rate" doc:"over the company's active guards; null (not reported) without any"`
	BadgeRate           *float64 `json:"badge_rate" doc:"over the company's active guards; null (not reported) without any"`
}

// Repository is the read side of the read model; internal/store implements it.
type Repository interface {
	// Districts returns the read model of every district it holds data for,
	// its guards counted as certified on today (YYYY-MM-DD, Asia/Shanghai),
	// without the heartbeats (Heartbeats).
	Districts(ctx context.Context, today string) (map[string]DistrictData, error)
	// Heartbeats returns the newest heartbeat of each instance of every
	// district's services, by district. They are apart from Districts
	// because they change every few seconds and nothing else does: the
	// views keep the counts while only the heartbeats are read again
	// (readCache, Generation.HeartbeatChanged).
	Heartbeats(ctx context.Context) (map[string][]Heartbeat, error)
	// Companies returns up to limit companies of district with an id greater
	// than after, ordered by id, without rates; certified as for Districts.
	Companies(ctx context.Context, district, today, after string, limit int) ([]CompanyRow, error)
	// Conflicts returns every conflict of every kind (ConflictKinds, in
	// that order), without links.
	Conflicts(ctx context.Context) ([]Conflict, error)
	// ConflictTallies returns, per kind that has any, the count of
	// Conflicts and the newest first sighting among them, without
	// building the conflicts (the summary's and /metrics' figures).
	ConflictTallies(ctx context.Context) (map[string]ConflictTally, error)
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	MeetingsRepository
	CityRepository
	SeedRepository
}

// District is a registered district as the registry names it.
type District struct {
	ID     string
	Name   string
	NameZH string
}

// Lag is how many events of a district HQ has not applied yet, or that it
// cannot tell.
type Lag struct {
	// Events is the number of events not applied yet; 0 when not Known.
	Events int64
	// Known is false while the district's consumers cannot tell: not
	// running, or not having read the broker's high watermarks of every
	// partition of each of the district's topics since they started or
	// since their last broker failure.
	Known bool
}

// KnownLag is a lag of n events.
func KnownLag(n int64) Lag { return Lag{Events: n, Known: true} }

// ConsumerState is the state of the consumers of one district's topics.
type ConsumerState struct {
	// Running is true while the consumers' Run loops are live.
	Running bool
	// Lag is how many events the consumers have not applied yet, if known.
	Lag Lag
	// Since is when the consumer was (last) started; the zero time if it
	// never was.
	Since time.Time
}

// Monitor tells the service which districts are registered and how their
// consumers are doing; the Node implements it.
type Monitor interface {
	// Registered returns the registered districts.
	Registered() []District
	// Consumer returns the state of district's consumer.
	Consumer(district string) ConsumerState
	// Parked returns, per district, the events HQ's consumers hold parked.
	Parked(ctx context.Context) (map[string][]ParkedEvents, error)
}

// ParkedEvents counts the events of one type, schema version and reason
// that HQ holds parked of a district: a type or schema version this HQ
// cannot apply yet (the district runs a newer release), or a later event
// of such an event's aggregate. They apply, in order, once HQ is upgraded
// and restarted.
type ParkedEvents struct {
	Service       string    `json:"service" doc:"the district service whose topic the events are on"`
	Type          string    `json:"type" doc:"the event type"`
	SchemaVersion uint32    `json:"schema_version" doc:"its payload's schema version"`
	Reason        string    `json:"reason" doc:"unknown_type | unknown_version (this HQ cannot apply it: upgrade HQ) | behind_parked (an earlier event of its aggregate is parked)"`
	Events        int64     `json:"events" doc:"events parked"`
	FirstParkedAt time.Time `json:"first_parked_at" doc:"when the oldest of them was parked"`
}

// DistrictView is one district as the API shows it.
type DistrictView struct {
	District   string `json:"district"`
	Name       string `json:"name"`
	NameZH     string `json:"name_zh"`
	Registered bool   `json:"registered"`
	Stats
	MeetingStats
	LastEventAt   *time.Time `json:"last_event_at"`
	LastAppliedAt *time.Time `json:"last_applied_at"`
	EventsApplied int64      `json:"events_applied"`
	// EventsBehind is the consumers' lag; nil (JSON null) when unknown.
	EventsBehind    *int64 `json:"events_behind"`
	ConsumerRunning bool   `json:"consumer_running"`
	Stale           bool   `json:"stale"`
	// Status is ok, behind, silent or not_reported for a registered
	// district, deregistered for one that left the registry.
	Status string `json:"status" doc:"ok | behind (HQ is behind, or an outbox holds an event older than the stale period) | silent (a service stopped beating: figures are as of its last heartbeat) | not_reported (registered, no heartbeat yet) | deregistered (left the registry; last figures kept)"`
	// Services is each district service as its heartbeats show it.
	Services []ServiceHealth `json:"services" doc:"each service of the district as its heartbeats show it; empty before the first heartbeat"`
	// Parked is what HQ holds parked of the district.
	Parked []ParkedEvents `json:"parked" doc:"events of the district HQ holds parked until it is upgraded (types or schema versions it cannot apply yet, and the later events of their aggregates); empty when none"`
	// Compliance, Patrols and Notices are the city view of the district's
	// compliance, patrols and messaging services (city.go).
	Compliance ComplianceStats `json:"compliance" doc:"from gh.<district>.compliance.v1: the four rates with their trend, hazards, disputes, two-four-one coverage, ratings, timeliness (drill-down: /compliance)"`
	Patrols    PatrolStats     `json:"patrols" doc:"from gh.<district>.patrols.v1: volunteer strength, shifts, patrol hours, missed tours, incidents, dispatch response (drill-down: /patrols)"`
	Notices    NoticeStats     `json:"notices" doc:"from gh.<district>.messaging.v1: notice acknowledgement and directive delivery (drill-down: /notices)"`
	// SeedStats are the field visits, services plan, wages and complaints
	// (issue 17, seed.go).
	SeedStats
}

// Summary is the city-wide view.
type Summary struct {
	// Districts counts registered districts.
	Districts int `json:"districts"`
	Stats
	MeetingStats
	// Conflicts counts the conflicts of every kind (GET /api/v1/hq/conflicts).
	Conflicts int `json:"conflicts"`
	// ConflictsByKind counts them per kind; every kind is present.
	ConflictsByKind map[string]int64 `json:"conflicts_by_kind"`
	LastEventAt     *time.Time       `json:"last_event_at"`
	StaleDistricts  []string         `json:"stale_districts"`
	// SilentDistricts are the registered districts with a silent service.
	SilentDistricts []string `json:"silent_districts" doc:"registered districts with a service that stopped beating"`
	// Compliance, Patrols and Notices sum every district's city view (the
	// four-100% trend is per district only).
	Compliance ComplianceStats `json:"compliance"`
	Patrols    PatrolStats     `json:"patrols"`
	Notices    NoticeStats     `json:"notices"`
	// SeedStats sum every district's field visits, services plan, wages
	// and complaints (seed.go).
	SeedStats
}

// CompanyPage is one page of a district's companies.
type CompanyPage struct {
	Items []CompanyRow `json:"items"`
	// NextCursor is the cursor of the next page, empty on the last one.
	NextCursor string `json:"-"`
}

// Service is HQ's API.
type Service interface {
	// Summary returns the city-wide view over every district in the read model.
	Summary(ctx context.Context) (Summary, error)
	// Districts returns one view per registered district, ordered by id;
	// with district set, only that district's view (as District, an
	// unknown one ErrDistrictNotFound).
	Districts(ctx context.Context, district string) ([]DistrictView, error)
	// District returns one district; ErrDistrictNotFound if it is neither
	// registered nor in the read model.
	District(ctx context.Context, id string) (DistrictView, error)
	// Companies returns a page of a district's companies.
	Companies(ctx context.Context, district string, page kitx.Page) (CompanyPage, error)
	// Conflicts returns every conflict across districts (ConflictKinds),
	// with the links of their records; with district set, only those
	// involving it, each reduced by RedactOutside. A district neither
	// registered nor in the read model is ErrDistrictNotFound, as for
	// District.
	Conflicts(ctx context.Context, district string) ([]Conflict, error)
	// ConflictTallies returns, per kind that has any, how many conflicts
	// Conflicts("") holds and the newest first sighting among them,
	// without building them (/metrics' figures).
	ConflictTallies(ctx context.Context) (map[string]ConflictTally, error)
	// ActionItems returns a page of a district's action items (all, or
	// with f.Overdue only the overdue ones), as for Companies.
	ActionItems(ctx context.Context, district string, f ActionItemFilter, page kitx.Page) (ActionItemPage, error)
	// Convention returns the association's current convention;
	// ErrConventionNotPublished when none, ErrConventionUnavailable
	// without a ConventionStore or when it does not answer.
	Convention(ctx context.Context) (Convention, error)
	// Compliance returns a district's compliance figures with a row per
	// company (issue 10 part 7); errors as District.
	Compliance(ctx context.Context, district string) (ComplianceView, error)
	// Patrols returns a district's patrol figures with its companies'
	// volunteers (issue 11 part 7); errors as District.
	Patrols(ctx context.Context, district string) (PatrolsView, error)
	// Notices returns a page of a district's notices with their receipt
	// counts (issue 12 part 6); errors as District.
	Notices(ctx context.Context, district string, page kitx.Page) (NoticePage, error)
	// Unvisited returns a district's active companies not visited for the
	// visit plan's months (issue 17); errors as District.
	Unvisited(ctx context.Context, district string) (UnvisitedView, error)
	// PublishConvention makes d the current convention, published now
	// (UTC), and returns it as stored; see ValidateConventionDraft for the
	// rules and ErrConventionVersionExists, ErrConventionNotNewer for the
	// conflicts.
	PublishConvention(ctx context.Context, d ConventionDraft) (Convention, error)
}

// Config tunes the service.
type Config struct {
	// StaleAfter is how long a district may be behind (or its consumer not
	// connected) without applying anything before it is reported stale.
	StaleAfter time.Duration
	// Now returns the current time; time.Now if nil.
	Now func() time.Time
	// Policies supplies the current convention version and the districts'
	// roundtable cadences; nil reports the figures needing them as null.
	Policies Policies
	// Conventions is where the convention is read and published (etcd);
	// nil answers both convention methods ErrConventionUnavailable.
	Conventions ConventionStore
	// Logger records who published which convention version (HQ has no
	// audit table); discarded if nil.
	Logger *slog.Logger
	// ClockSkewLimit is how far a node's clock may be from HQ's before its
	// heartbeats flag it (DefaultClockSkewLimit if zero).
	ClockSkewLimit time.Duration
	// Knows says whether HQ consumes service and can apply typ at version;
	// a heartbeat's emitted types it cannot are listed as unknown. Nil:
	// none is.
	Knows func(service, typ string, version uint32) (consumed, known bool)
	// VisitPlan returns the city-wide field-visit plan (policy.VisitPlanKey,
	// the meetings services' too); policy.DefaultVisitPlan if nil.
	VisitPlan func() policy.VisitPlan
	// Generation, if set, is counted up by every commit that changes the
	// read model: the service then keeps the reads of the summary and the
	// district views until it moves (readCache). Nil: every view reads
	// the database.
	Generation *Generation
	// CompliancePolicy returns the city-wide compliance policy
	// (policy.ComplianceKey): its timeliness_days decides which periods
	// HQ's timeliness covers. policy.DefaultCompliance if nil.
	CompliancePolicy func() policy.Compliance
}

// DefaultClockSkewLimit is the clock offset a heartbeat may show before it
// is flagged: far above NTP's milliseconds and a heartbeat's transit, far
// below what would misdate events by a visible amount.
const DefaultClockSkewLimit = time.Minute

type hqService struct {
	repo    Repository
	monitor Monitor
	cfg     Config
	// summaries and views share each read among its concurrent readers
	// (flight: never a result from before the reader asked).
	summaries flight[Summary]
	views     flights[DistrictView]
	// data shares the read model's per-district data (every district's
	// counts, repo.Districts) among the summary and all the district
	// views being read at once: each district view needs it (its own
	// district's part of it), and it was nine tenths of a view's CPU, read
	// again for each of 20 districts' views under 50 readers.
	data daily[map[string]DistrictData]
}

// New returns the Service over repo and monitor.
func New(repo Repository, monitor Monitor, cfg Config) Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 2 * time.Minute
	}
	if cfg.ClockSkewLimit <= 0 {
		cfg.ClockSkewLimit = DefaultClockSkewLimit
	}
	if cfg.Generation != nil {
		repo = cachedRepo{Repository: repo, c: &readCache{gen: cfg.Generation}, hb: &readCache{gen: cfg.Generation, heartbeats: true}}
	}
	return &hqService{repo: repo, monitor: monitor, cfg: cfg}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// consumers returns the consumer state of every registered district. The
// service reads it before the read model, so a view's events_behind was
// measured no later than its counts: lag 0 means the counts hold every
// event the broker had when the lag was measured.
func (s *hqService) consumers(reg map[string]District) map[string]ConsumerState {
	out := make(map[string]ConsumerState, len(reg))
	for id := range reg {
		out[id] = s.monitor.Consumer(id)
	}
	return out
}

// view builds the view of district id from its consumers' state cs. The
// stale rule: a district is stale when it is registered and its consumers
// are behind (lag > 0) or cannot tell (lag unknown: not running, or not
// having read the broker's high watermarks since they started or since a
// broker failure), and nothing has been applied from it for StaleAfter
// (counted from the later of the last applied event and the consumers'
// start). A quiet district whose consumers are caught up (lag known to be
// 0) is not stale by that rule, however old its last event; but a district
// with a silent service is stale, and its status says silent (see status).
func (s *hqService) view(id string, reg District, registered bool, data DistrictData, cs ConsumerState, now time.Time) DistrictView {
	v := DistrictView{
		District:      id,
		Name:          reg.Name,
		NameZH:        reg.NameZH,
		Registered:    registered,
		Stats:         NewStats(data.Counts),
		LastEventAt:   timePtr(data.Freshness.LastEventAt),
		LastAppliedAt: timePtr(data.Freshness.LastAppliedAt),
		EventsApplied: data.Freshness.EventsApplied,
		Services:      health(data.Heartbeats, now, s.cfg.ClockSkewLimit, s.cfg.Knows),
		Parked:        data.Parked,
	}
	if v.Parked == nil {
		v.Parked = []ParkedEvents{}
	}
	if !registered {
		// Nobody consumes an unregistered district; its data is frozen on
		// purpose, so it is not "stale".
		v.Status = StatusDeregistered
		return v
	}
	v.ConsumerRunning = cs.Running
	if cs.Running && cs.Lag.Known {
		lag := cs.Lag.Events
		v.EventsBehind = &lag
	}
	if v.EventsBehind == nil || *v.EventsBehind != 0 {
		ref := data.Freshness.LastAppliedAt
		if cs.Since.After(ref) {
			ref = cs.Since
		}
		v.Stale = ref.IsZero() || now.Sub(ref) > s.cfg.StaleAfter
	}
	v.Status = status(v.Services, v.Stale, s.cfg.StaleAfter)
	if v.Status == StatusSilent {
		v.Stale = true
	}
	return v
}

// districtData reads the read model of every district and adds what HQ's
// consumers hold parked of each.
// districtData returns every district's data as of today, one read shared
// with the concurrent callers (flight: read after the caller asked). The
// map is shared: callers only read it.
func (s *hqService) districtData(ctx context.Context, today string) (map[string]DistrictData, error) {
	return s.data.of(today).do(ctx, func(ctx context.Context) (map[string]DistrictData, error) {
		return s.readDistrictData(ctx, today)
	})
}

func (s *hqService) readDistrictData(ctx context.Context, today string) (map[string]DistrictData, error) {
	kept, err := s.repo.Districts(ctx, today)
	if err != nil {
		return nil, err
	}
	heartbeats, err := s.repo.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	parked, err := s.monitor.Parked(ctx)
	if err != nil {
		return nil, err
	}
	// The repository's map may be kept for other readers (readCache): the
	// heartbeats and the parked events go into a copy. Parking commits no
	// read-model change the generation counts, so they are read each time.
	data := maps.Clone(kept)
	if data == nil {
		data = map[string]DistrictData{}
	}
	// entry is id's data, a new district's with its status map ready.
	entry := func(id string) DistrictData {
		dd, ok := data[id]
		if !ok {
			dd.Counts.CompaniesByStatus = map[string]int64{}
		}
		return dd
	}
	for id, hbs := range heartbeats {
		dd := entry(id)
		dd.Heartbeats = hbs
		data[id] = dd
	}
	for id, ps := range parked {
		dd := entry(id)
		dd.Parked = ps
		data[id] = dd
	}
	return data, nil
}

func (s *hqService) registry() map[string]District {
	m := map[string]District{}
	for _, d := range s.monitor.Registered() {
		m[d.ID] = d
	}
	return m
}

func (s *hqService) Districts(ctx context.Context, district string) ([]DistrictView, error) {
	if district != "" {
		v, err := s.District(ctx, district)
		if err != nil {
			return nil, err
		}
		return []DistrictView{v}, nil
	}
	reg := s.registry()
	states := s.consumers(reg)
	now := s.cfg.Now()
	data, err := s.districtData(ctx, Today(now))
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	md, err := s.readMeetings(ctx, now)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	cd, err := s.city(ctx, "", now)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	seedOf, _, err := s.citySeed(ctx, "", now)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	out := make([]DistrictView, 0, len(reg))
	for id, d := range reg {
		v := s.view(id, d, true, data[id], states[id], now)
		v.SeedStats = seedOf(id)
		if v.MeetingStats, err = s.meetingStats(ctx, id, md, v.CompaniesActive, now); err != nil {
			return nil, ErrReadModel.Wrap(err)
		}
		if v.Compliance, v.Patrols, v.Notices, err = s.cityStats(ctx, id, cd[id], v.GuardsActive, now, true); err != nil {
			return nil, ErrReadModel.Wrap(err)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].District < out[j].District })
	return out, nil
}

func validDistrict(id string) bool {
	if id == "" || len(id) > 63 || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func (s *hqService) District(ctx context.Context, id string) (DistrictView, error) {
	if !validDistrict(id) {
		return DistrictView{}, ErrDistrictInvalid
	}
	// Only a registered district's readers share a flight, so ids made up
	// by requests cannot grow the flights without bound.
	if _, ok := s.registry()[id]; !ok {
		return s.district(ctx, id)
	}
	return s.views.of(id).do(ctx, func(ctx context.Context) (DistrictView, error) { return s.district(ctx, id) })
}

func (s *hqService) district(ctx context.Context, id string) (DistrictView, error) {
	reg := s.registry()
	d, registered := reg[id]
	var cs ConsumerState
	if registered {
		cs = s.monitor.Consumer(id) // before the read model, see consumers
	}
	now := s.cfg.Now()
	data, err := s.districtData(ctx, Today(now))
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	md, err := s.readMeetings(ctx, now)
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	cd, err := s.city(ctx, id, now)
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	seedOf, _, err := s.citySeed(ctx, id, now)
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	dd, seen := data[id]
	_, met := md.counts[id]
	if _, city := cd[id]; !registered && !seen && !met && !city {
		return DistrictView{}, ErrDistrictNotFound
	}
	v := s.view(id, d, registered, dd, cs, now)
	v.SeedStats = seedOf(id)
	if v.MeetingStats, err = s.meetingStats(ctx, id, md, v.CompaniesActive, now); err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	if v.Compliance, v.Patrols, v.Notices, err = s.cityStats(ctx, id, cd[id], v.GuardsActive, now, true); err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	return v, nil
}

func (s *hqService) ConflictTallies(ctx context.Context) (map[string]ConflictTally, error) {
	t, err := s.repo.ConflictTallies(ctx)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	return t, nil
}

func (s *hqService) Summary(ctx context.Context) (Summary, error) {
	return s.summaries.do(ctx, s.summary)
}

func (s *hqService) summary(ctx context.Context) (Summary, error) {
	reg := s.registry()
	states := s.consumers(reg)
	now := s.cfg.Now()
	data, err := s.districtData(ctx, Today(now))
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	tallies, err := s.repo.ConflictTallies(ctx)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	byKind := make(map[string]int64, len(ConflictKinds))
	conflicts := int64(0)
	for _, k := range ConflictKinds {
		byKind[k] = tallies[k].Count
		conflicts += tallies[k].Count
	}
	md, err := s.readMeetings(ctx, now)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	cd, err := s.city(ctx, "", now)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	var total Counts
	var last time.Time
	for _, dd := range data {
		total.Add(dd.Counts)
		if dd.Freshness.LastEventAt.After(last) {
			last = dd.Freshness.LastEventAt
		}
	}
	stale, silent := []string{}, []string{}
	// The roundtable figures are per registered district: a cadence is
	// configured for a district the city runs, not for a retired one.
	ids := make([]string, 0, len(reg))
	for id := range reg {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	views := make([]MeetingStats, 0, len(ids))
	for _, id := range ids {
		v := s.view(id, reg[id], true, data[id], states[id], now)
		if v.Stale {
			stale = append(stale, id)
		}
		if v.Status == StatusSilent {
			silent = append(silent, id)
		}
		m, err := s.meetingStats(ctx, id, md, data[id].Counts.CompaniesActive, now)
		if err != nil {
			return Summary{}, ErrReadModel.Wrap(err)
		}
		views = append(views, m)
	}
	comp, pat, notices := cityTotals(cd, total.GuardsActive, now, s.timelinessDays())
	_, seed, err := s.citySeed(ctx, "", now)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	return Summary{
		SeedStats:       seed,
		Compliance:      comp,
		Patrols:         pat,
		Notices:         notices,
		Districts:       len(reg),
		Stats:           NewStats(total),
		MeetingStats:    cityMeetings(md, views, ids, total.CompaniesActive),
		Conflicts:       int(conflicts),
		ConflictsByKind: byKind,
		LastEventAt:     timePtr(last),
		StaleDistricts:  stale,
		SilentDistricts: silent,
	}, nil
}

func (s *hqService) Companies(ctx context.Context, district string, page kitx.Page) (CompanyPage, error) {
	if _, err := s.District(ctx, district); err != nil {
		return CompanyPage{}, err
	}
	size := page.Size
	if size <= 0 {
		size = kitx.DefaultPageSize
	}
	rows, err := s.repo.Companies(ctx, district, Today(s.cfg.Now()), page.Cursor, size+1)
	if err != nil {
		return CompanyPage{}, ErrReadModel.Wrap(err)
	}
	var next string
	if len(rows) > size {
		rows = rows[:size]
		next = rows[size-1].ID
	}
	for i := range rows {
		r := &rows[i]
		r.ConventionSigned = r.ConventionVersion != ""
		r.BackgroundCheckRate = rates.Of(r.GuardsBackgroundChecked, r.GuardsActive)
		r.TrainingRate = rates.Of(r.GuardsTrained, r.GuardsActive)
		r.CertifiedRate = rates.Of(r.GuardsCertified, r.GuardsActive)
		r.BadgeRate = rates.Of(r.GuardsBadgeService, r.GuardsActive)
	}
	if rows == nil {
		rows = []CompanyRow{}
	}
	return CompanyPage{Items: rows, NextCursor: next}, nil
}

func (s *hqService) Conflicts(ctx context.Context, district string) ([]Conflict, error) {
	if district != "" {
		// Validates the id and 404s an unknown district, like the
		// district's other views.
		if _, err := s.District(ctx, district); err != nil {
			return nil, err
		}
	}
	all, err := s.repo.Conflicts(ctx)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	for i := range all {
		all[i] = all[i].withLinks()
	}
	if district == "" {
		if all == nil {
			all = []Conflict{}
		}
		return all, nil
	}
	out := []Conflict{}
	for _, c := range all {
		if slices.Contains(c.Districts, district) {
			out = append(out, c.RedactOutside(district))
		}
	}
	return out, nil
}

// GuardLink is the API path of guard id's record in district.
func GuardLink(district, id string) string { return "/api/v1/districts/" + district + "/guards/" + id }

// CompanyLink is the API path of company id in district.
func CompanyLink(district, id string) string {
	return "/api/v1/districts/" + district + "/companies/" + id
}

// withLinks returns c with the API path of each of its records.
func (c Conflict) withLinks() Conflict {
	c.Guards = slices.Clone(c.Guards)
	for i := range c.Guards {
		g := &c.Guards[i]
		g.Link = GuardLink(g.District, g.GuardID)
		if g.CompanyID != "" {
			g.CompanyLink = CompanyLink(g.District, g.CompanyID)
		}
	}
	c.Companies = slices.Clone(c.Companies)
	for i := range c.Companies {
		p := &c.Companies[i]
		p.Link = CompanyLink(p.District, p.CompanyID)
	}
	return c
}

// RedactOutside returns c as one district sees it: its own positions in
// full, and those in other districts reduced to the district (and, for a
// guard, since when the record is active there). The other district's
// companies, records, names and links are that district's data (a
// district-scoped caller may not read them anywhere else either); what
// the viewing district needs to act is that its guard, certificate number
// or company is also active elsewhere, where, and since when. The answer
// depends only on the request, never on who asks, so the policy table
// alone decides who may ask.
func (c Conflict) RedactOutside(district string) Conflict {
	guards := make([]GuardPosition, len(c.Guards))
	for i, g := range c.Guards {
		if g.District != district {
			g = GuardPosition{District: g.District, ActiveSince: g.ActiveSince}
		}
		guards[i] = g
	}
	companies := make([]CompanyPosition, len(c.Companies))
	for i, p := range c.Companies {
		if p.District != district {
			p = CompanyPosition{District: p.District}
		}
		companies[i] = p
	}
	c.Guards, c.Companies = guards, companies
	c.Districts = slices.Clone(c.Districts)
	return c
}
