// Package service is HQ's business layer: the city-wide read model of every
// district's member companies and guards, built only from the districts'
// events, with each district's freshness.
package service

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
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
	// GuardsCertified counts active guards holding a valid guard certificate (持证上岗).
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
// A rate is 0 when its denominator is 0.
type Stats struct {
	Counts
	// BackgroundCheckRate is guards_background_checked / guards_active.
	BackgroundCheckRate float64 `json:"background_check_rate"`
	// TrainingRate is guards_trained / guards_active.
	TrainingRate float64 `json:"training_rate"`
	// CertifiedRate is guards_certified / guards_active.
	CertifiedRate float64 `json:"certified_rate"`
	// BadgeRate is guards_badge_service / guards_active.
	BadgeRate float64 `json:"badge_rate"`
	// PartyOrgRate is party_org_companies / companies_active.
	PartyOrgRate float64 `json:"party_org_rate"`
	// UnionRate is union_companies / companies_active.
	UnionRate float64 `json:"union_rate"`
	// WorkersHomeRate is workers_home_companies / companies_active.
	WorkersHomeRate float64 `json:"workers_home_rate"`
}

func ratio(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
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
		BackgroundCheckRate: ratio(c.GuardsBackgroundChecked, c.GuardsActive),
		TrainingRate:        ratio(c.GuardsTrained, c.GuardsActive),
		CertifiedRate:       ratio(c.GuardsCertified, c.GuardsActive),
		BadgeRate:           ratio(c.GuardsBadgeService, c.GuardsActive),
		PartyOrgRate:        ratio(c.PartyOrgCompanies, c.CompaniesActive),
		UnionRate:           ratio(c.UnionCompanies, c.CompaniesActive),
		WorkersHomeRate:     ratio(c.WorkersHomeCompanies, c.CompaniesActive),
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
}

// GuardPosition is one guard record taking part in a conflict.
type GuardPosition struct {
	District string `json:"district"`
	// CompanyID and GuardID are empty (left out) for a position outside
	// the district a conflict list was asked for (Conflict.RedactOutside).
	CompanyID   string    `json:"company_id,omitempty"`
	GuardID     string    `json:"guard_id,omitempty"`
	HiredOn     string    `json:"hired_on,omitempty"`
	ActiveSince time.Time `json:"active_since"`
}

// Conflict is one person (the same id_hash) employed as an active guard in
// more than one district at once.
type Conflict struct {
	IDHash    string          `json:"id_hash"`
	Districts []string        `json:"districts"`
	Guards    []GuardPosition `json:"guards"`
	// Since is when the person became active in the last of the districts,
	// i.e. since when the double employment exists.
	Since time.Time `json:"since"`
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
	GuardsBackgroundChecked int64   `json:"guards_background_checked"`
	GuardsTrained           int64   `json:"guards_trained"`
	GuardsCertified         int64   `json:"guards_certified"`
	GuardsBadgeService      int64   `json:"guards_badge_service"`
	GuardsVolunteerPolice   int64   `json:"guards_volunteer_police"`
	GuardsPartyMembers      int64   `json:"guards_party_members"`
	BackgroundCheckRate     float64 `json:"background_check_rate"`
	TrainingRate            float64 `json:"training_rate"`
	CertifiedRate           float64 `json:"certified_rate"`
	BadgeRate               float64 `json:"badge_rate"`
}

// Repository is the read side of the read model; internal/store implements it.
type Repository interface {
	// Districts returns the read model of every district it holds data for.
	Districts(ctx context.Context) (map[string]DistrictData, error)
	// Companies returns up to limit companies of district with an id greater
	// than after, ordered by id, without rates.
	Companies(ctx context.Context, district, after string, limit int) ([]CompanyRow, error)
	// Conflicts returns every person active in more than one district.
	Conflicts(ctx context.Context) ([]Conflict, error)
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	MeetingsRepository
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
}

// Summary is the city-wide view.
type Summary struct {
	// Districts counts registered districts.
	Districts int `json:"districts"`
	Stats
	MeetingStats
	Conflicts      int        `json:"conflicts"`
	LastEventAt    *time.Time `json:"last_event_at"`
	StaleDistricts []string   `json:"stale_districts"`
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
	// Districts returns one view per registered district, ordered by id.
	Districts(ctx context.Context) ([]DistrictView, error)
	// District returns one district; ErrDistrictNotFound if it is neither
	// registered nor in the read model.
	District(ctx context.Context, id string) (DistrictView, error)
	// Companies returns a page of a district's companies.
	Companies(ctx context.Context, district string, page kitx.Page) (CompanyPage, error)
	// Conflicts returns every person active in more than one district; with
	// district set, only those active in it, each reduced by RedactOutside.
	// A district neither registered nor in the read model is
	// ErrDistrictNotFound, as for District.
	Conflicts(ctx context.Context, district string) ([]Conflict, error)
	// ActionItems returns a page of a district's action items (all, or
	// with f.Overdue only the overdue ones), as for Companies.
	ActionItems(ctx context.Context, district string, f ActionItemFilter, page kitx.Page) (ActionItemPage, error)
	// Convention returns the association's current convention;
	// ErrConventionNotPublished when none, ErrConventionUnavailable
	// without a ConventionStore or when it does not answer.
	Convention(ctx context.Context) (Convention, error)
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
}

type hqService struct {
	repo    Repository
	monitor Monitor
	cfg     Config
}

// New returns the Service over repo and monitor.
func New(repo Repository, monitor Monitor, cfg Config) Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 2 * time.Minute
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
// 0) is never stale, however old its last event.
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
	}
	if !registered {
		// Nobody consumes an unregistered district; its data is frozen on
		// purpose, so it is not "stale".
		return v
	}
	v.ConsumerRunning = cs.Running
	if cs.Running && cs.Lag.Known {
		lag := cs.Lag.Events
		v.EventsBehind = &lag
	}
	if v.EventsBehind != nil && *v.EventsBehind == 0 {
		return v
	}
	ref := data.Freshness.LastAppliedAt
	if cs.Since.After(ref) {
		ref = cs.Since
	}
	v.Stale = ref.IsZero() || now.Sub(ref) > s.cfg.StaleAfter
	return v
}

func (s *hqService) registry() map[string]District {
	m := map[string]District{}
	for _, d := range s.monitor.Registered() {
		m[d.ID] = d
	}
	return m
}

func (s *hqService) Districts(ctx context.Context) ([]DistrictView, error) {
	reg := s.registry()
	states := s.consumers(reg)
	data, err := s.repo.Districts(ctx)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	now := s.cfg.Now()
	md, err := s.readMeetings(ctx, now)
	if err != nil {
		return nil, ErrReadModel.Wrap(err)
	}
	out := make([]DistrictView, 0, len(reg))
	for id, d := range reg {
		v := s.view(id, d, true, data[id], states[id], now)
		if v.MeetingStats, err = s.meetingStats(ctx, id, md, v.CompaniesActive, now); err != nil {
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
	reg := s.registry()
	d, registered := reg[id]
	var cs ConsumerState
	if registered {
		cs = s.monitor.Consumer(id) // before the read model, see consumers
	}
	data, err := s.repo.Districts(ctx)
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	now := s.cfg.Now()
	md, err := s.readMeetings(ctx, now)
	if err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	dd, seen := data[id]
	if _, met := md.counts[id]; !registered && !seen && !met {
		return DistrictView{}, ErrDistrictNotFound
	}
	v := s.view(id, d, registered, dd, cs, now)
	if v.MeetingStats, err = s.meetingStats(ctx, id, md, v.CompaniesActive, now); err != nil {
		return DistrictView{}, ErrReadModel.Wrap(err)
	}
	return v, nil
}

func (s *hqService) Summary(ctx context.Context) (Summary, error) {
	reg := s.registry()
	states := s.consumers(reg)
	data, err := s.repo.Districts(ctx)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	conflicts, err := s.repo.Conflicts(ctx)
	if err != nil {
		return Summary{}, ErrReadModel.Wrap(err)
	}
	now := s.cfg.Now()
	md, err := s.readMeetings(ctx, now)
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
	stale := []string{}
	// The roundtable figures are per registered district: a cadence is
	// configured for a district the city runs, not for a retired one.
	ids := make([]string, 0, len(reg))
	for id := range reg {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	views := make([]MeetingStats, 0, len(ids))
	for _, id := range ids {
		if s.view(id, reg[id], true, data[id], states[id], now).Stale {
			stale = append(stale, id)
		}
		m, err := s.meetingStats(ctx, id, md, data[id].Counts.CompaniesActive, now)
		if err != nil {
			return Summary{}, ErrReadModel.Wrap(err)
		}
		views = append(views, m)
	}
	return Summary{
		Districts:      len(reg),
		Stats:          NewStats(total),
		MeetingStats:   cityMeetings(md, views, ids, total.CompaniesActive),
		Conflicts:      len(conflicts),
		LastEventAt:    timePtr(last),
		StaleDistricts: stale,
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
	rows, err := s.repo.Companies(ctx, district, page.Cursor, size+1)
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
		r.BackgroundCheckRate = ratio(r.GuardsBackgroundChecked, r.GuardsActive)
		r.TrainingRate = ratio(r.GuardsTrained, r.GuardsActive)
		r.CertifiedRate = ratio(r.GuardsCertified, r.GuardsActive)
		r.BadgeRate = ratio(r.GuardsBadgeService, r.GuardsActive)
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

// RedactOutside returns c as one district sees it: its own guard positions
// in full, and those in other districts reduced to the district and since
// when the person is active there. The other district's company and guard
// record ids are that district's data (a district-scoped caller may not
// read them anywhere else either); what the viewing district needs to act
// is that its guard is also active elsewhere, where, and since when. The
// answer depends only on the request, never on who asks, so the policy
// table alone decides who may ask.
func (c Conflict) RedactOutside(district string) Conflict {
	guards := make([]GuardPosition, len(c.Guards))
	for i, g := range c.Guards {
		if g.District != district {
			g = GuardPosition{District: g.District, ActiveSince: g.ActiveSince}
		}
		guards[i] = g
	}
	c.Guards = guards
	c.Districts = slices.Clone(c.Districts)
	return c
}
