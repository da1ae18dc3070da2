package service

// The city view of compliance (issue 10 part 7), patrols (issue 11 part 7)
// and messaging (issue 12 part 6): what HQ folds in from each district's
// gh.<district>.compliance.v1, gh.<district>.patrols.v1 and
// gh.<district>.messaging.v1. Every section has "reported": false until
// HQ has applied an event of that district service, and then its counts
// are counts (0 is 0); every rate is pkg/rates' (null when its denominator
// is 0). Nothing here is recomputed from membership: the figures are the
// producers', summed.

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// DirectivesLink is the HQ-role messaging instance's view of the
// directives' delivery per district ("pending at node", last receipt):
// HQ's district view links it rather than repeating its logic.
const DirectivesLink = "/api/v1/hq/directives"

// TrendDays is how many days of the four-100% trend a view carries.
const TrendDays = 30

// Dispute statuses of the compliance service; each appears in DisputesByStatus.
var DisputeStatuses = []string{"reported", "mediating", "resolved", "escalated"}

// Incident statuses of the patrols service; each appears in IncidentsByStatus.
var IncidentStatuses = []string{"open", "handed_over", "dispatched", "resolved"}

// MissedTourKinds are the patrols service's kinds of missed tour.
var MissedTourKinds = []string{"not_started", "not_finished"}

// FourHundredCounts are four-100% counts (四个100%) as the compliance
// service computes them (its policy: training hours per year, what counts
// as pre-job training), summed over companies.
type FourHundredCounts struct {
	Active            int64 `json:"active"`
	BackgroundChecked int64 `json:"background_checked"`
	Trained           int64 `json:"trained"`
	Certified         int64 `json:"certified"`
	BadgeService      int64 `json:"badge_service"`
}

// Add adds o to c.
func (c *FourHundredCounts) Add(o FourHundredCounts) {
	c.Active += o.Active
	c.BackgroundChecked += o.BackgroundChecked
	c.Trained += o.Trained
	c.Certified += o.Certified
	c.BadgeService += o.BadgeService
}

// FourHundredRates are the four rates of counts; null without active guards.
type FourHundredRates struct {
	BackgroundCheckRate *float64 `json:"background_check_rate" doc:"background_checked / active; null (not reported) when active is 0"`
	TrainingRate        *float64 `json:"training_rate" doc:"trained / active; null (not reported) when active is 0"`
	CertifiedRate       *float64 `json:"certified_rate" doc:"certified / active; null (not reported) when active is 0"`
	BadgeRate           *float64 `json:"badge_rate" doc:"badge_service / active; null (not reported) when active is 0"`
}

// RatesOf derives the four rates.
func RatesOf(c FourHundredCounts) FourHundredRates {
	return FourHundredRates{BackgroundCheckRate: rates.Of(c.BackgroundChecked, c.Active), TrainingRate: rates.Of(c.Trained, c.Active),
		CertifiedRate: rates.Of(c.Certified, c.Active), BadgeRate: rates.Of(c.BadgeService, c.Active)}
}

// TrendPoint is one day's closing counts (ScoreboardSnapshot).
type TrendPoint struct {
	Day string `json:"day" format:"date"`
	FourHundredCounts
	FourHundredRates
}

// FourHundred is the live four-100% scoreboard of a district or the city.
type FourHundred struct {
	// Reported is true once HQ holds any company's counts.
	Reported bool `json:"reported" doc:"false until HQ holds a company's counts from FourHundredCountsChanged (or Reached/Lost): then the rates are null, not 0"`
	// CompaniesReported counts the companies whose counts HQ holds.
	CompaniesReported int64 `json:"companies_reported"`
	// Day is the newest scoreboard day among them.
	Day string `json:"day,omitempty" format:"date"`
	FourHundredCounts
	FourHundredRates
	// Trend is the district's closing counts of the last TrendDays days
	// snapshotted, oldest first (district view only).
	Trend []TrendPoint `json:"trend,omitempty" doc:"the district's daily closing counts (ScoreboardSnapshot), oldest first, up to 30 days; absent in the summary"`
}

// Hazards are the hazard inspections (风险隐患排查) and their findings.
type Hazards struct {
	Inspections       int64 `json:"inspections"`
	InspectionsScored int64 `json:"inspections_scored" doc:"inspections with a score (something was applicable)"`
	// ScoreSum is the sum of the scored inspections' scores (for the averages).
	ScoreSum     float64  `json:"-"`
	AverageScore *float64 `json:"average_score" doc:"mean score of the scored inspections, 0..1; null when none was scored"`
	Passed       int64    `json:"passed"`
	Failed       int64    `json:"failed"`
	// FindingsRecorded sums the findings of the inspections.
	FindingsRecorded int64 `json:"findings_recorded"`
	// FindingsOpen is recorded minus closed: HQ learns a finding's status
	// only when it changes, so a finding never moved is open.
	FindingsOpen int64 `json:"findings_open" doc:"findings recorded and not verified closed"`
	// FindingsOverdue counts the unclosed findings HQ knows are overdue:
	// escalated, or due before today (Asia/Shanghai).
	FindingsOverdue     int64 `json:"findings_overdue" doc:"unclosed findings escalated for being overdue, or whose remediation was due before today"`
	FindingsEscalatedHQ int64 `json:"findings_escalated_hq" doc:"unclosed findings escalated up to HQ"`
}

// Add adds o to h (not the average).
func (h *Hazards) Add(o Hazards) {
	h.Inspections += o.Inspections
	h.InspectionsScored += o.InspectionsScored
	h.ScoreSum += o.ScoreSum
	h.Passed += o.Passed
	h.Failed += o.Failed
	h.FindingsRecorded += o.FindingsRecorded
	h.FindingsOpen += o.FindingsOpen
	h.FindingsOverdue += o.FindingsOverdue
	h.FindingsEscalatedHQ += o.FindingsEscalatedHQ
}

func (h *Hazards) finish() {
	h.AverageScore = nil
	if h.InspectionsScored > 0 {
		a := h.ScoreSum / float64(h.InspectionsScored)
		h.AverageScore = &a
	}
}

// Disputes are the disputes (矛盾纠纷化解) by status.
type Disputes struct {
	Total int64 `json:"total"`
	// ByStatus has every status of DisputeStatuses.
	ByStatus map[string]int64 `json:"by_status" doc:"reported | mediating | resolved | escalated, each present"`
	// ResponseOverdue and EscalationDue count the flags of the disputes
	// not concluded.
	ResponseOverdue int64 `json:"response_overdue" doc:"unconcluded disputes without a first response within the policy's working days"`
	EscalationDue   int64 `json:"escalation_due" doc:"mediations not concluded in 15 days (劳动争议调解仲裁法 art. 14)"`
}

// Add adds o to d.
func (d *Disputes) Add(o Disputes) {
	d.Total += o.Total
	d.ByStatus = addMap(d.ByStatus, o.ByStatus)
	d.ResponseOverdue += o.ResponseOverdue
	d.EscalationDue += o.EscalationDue
}

// FourOne is the two-four-one coverage (双四一) of the current month.
type FourOne struct {
	// Period is the month, YYYY-MM in Asia/Shanghai.
	Period string `json:"period"`
	// CompaniesReported counts the companies with a coverage this month.
	CompaniesReported int64    `json:"companies_reported"`
	Checked           int64    `json:"checked"`
	Active            int64    `json:"active"`
	Rate              *float64 `json:"rate" doc:"checked / active over the companies that reported this month; null when none did"`
}

// Ratings are the companies' published ratings (行业评价) of the newest period.
type Ratings struct {
	// Period is the newest evaluation period rated; empty when none.
	Period         string           `json:"period"`
	CompaniesRated int64            `json:"companies_rated"`
	ByGrade        map[string]int64 `json:"by_grade" doc:"companies per grade of their newest version; a score not reported has grade \"\""`
	ScoreSum       float64          `json:"-"`
	Scored         int64            `json:"scored"`
	AverageScore   *float64         `json:"average_score" doc:"mean score (0..100) of the rated companies with a score; null when none"`
}

// ComplianceStats are a district's (or the city's) compliance figures.
type ComplianceStats struct {
	// Reported is true once HQ applied any compliance event of the district.
	Reported    bool        `json:"reported" doc:"false until HQ applied an event of the district's compliance service: then every figure below is 0 or null only because nothing was reported"`
	LastEventAt *time.Time  `json:"last_event_at"`
	FourHundred FourHundred `json:"four_hundred"`
	Hazards     Hazards     `json:"hazards"`
	Disputes    Disputes    `json:"disputes"`
	FourOne     FourOne     `json:"four_one"`
	Ratings     Ratings     `json:"ratings"`
	Timeliness  Timeliness  `json:"timeliness" doc:"per obligation (inspection, four_one, roundtable) from compliance's ObligationCompleted/Missed, over the newest period of each length whose deadline passed; the top-level counts are the inspection schedules'"`
}

// DispatchResponse are a district's dispatch response percentiles
// (警保联动), seconds from the request being raised.
type DispatchResponse struct {
	AcceptSamples   int64    `json:"accept_samples"`
	AcceptP50       *float64 `json:"accept_p50_seconds" doc:"null when no request was accepted"`
	AcceptP90       *float64 `json:"accept_p90_seconds"`
	ArriveSamples   int64    `json:"arrive_samples"`
	ArriveP50       *float64 `json:"arrive_p50_seconds" doc:"null when no team arrived"`
	ArriveP90       *float64 `json:"arrive_p90_seconds"`
	FeedbackSamples int64    `json:"feedback_samples"`
	FeedbackP50     *float64 `json:"feedback_p50_seconds" doc:"null when no feedback was given"`
	FeedbackP90     *float64 `json:"feedback_p90_seconds"`
}

// PatrolStats are a district's (or the city's) patrol figures.
type PatrolStats struct {
	Reported    bool       `json:"reported" doc:"false until HQ applied an event of the district's patrols service"`
	LastEventAt *time.Time `json:"last_event_at"`
	Teams       int64      `json:"teams"`
	// VolunteersActive counts the distinct guards active in a team.
	VolunteersActive    int64 `json:"volunteers_active" doc:"distinct guards active (not suspended) in a volunteer-police team (江城义警)"`
	VolunteersSuspended int64 `json:"volunteers_suspended"`
	// VolunteerShare is volunteers_active over the district's active
	// guards from membership's events.
	VolunteerShare *float64 `json:"volunteer_share" doc:"volunteers_active / guards_active (membership); null when there is no active guard"`
	Shifts         int64    `json:"shifts"`
	SeatsRequired  int64    `json:"seats_required"`
	SeatsFilled    int64    `json:"seats_filled" doc:"assigned, at most required, summed over shifts"`
	FillRate       *float64 `json:"fill_rate" doc:"seats_filled / seats_required; null when no shift requires anyone"`
	// PatrolHours sums, over each (shift, guard) with an accepted scan,
	// the shift's length.
	PatrolHours         float64          `json:"patrol_hours" doc:"sum over each shift and guard with an accepted scan of the shift's length, hours"`
	Scans               int64            `json:"scans"`
	ScansMockLocation   int64            `json:"scans_mock_location"`
	ScansOffline        int64            `json:"scans_offline"`
	MissedTours         int64            `json:"missed_tours"`
	MissedToursByKind   map[string]int64 `json:"missed_tours_by_kind" doc:"not_started | not_finished, each present"`
	Incidents           int64            `json:"incidents"`
	IncidentsByStatus   map[string]int64 `json:"incidents_by_status" doc:"open | handed_over | dispatched | resolved, each present"`
	Dispatches          int64            `json:"dispatches"`
	DispatchesEscalated int64            `json:"dispatches_escalated"`
	Response            DispatchResponse `json:"response"`
	// samples are the raw response times (seconds), for the percentiles.
	accept, arrive, feedback []float64
}

// DirectiveDelivery summarises HQ directives as a district materialised
// them (its notices with a directive_id); the full delivery health,
// "pending at node" included, is the HQ-role messaging instance's (Link).
type DirectiveDelivery struct {
	Materialised    int64      `json:"materialised" doc:"directives the district node materialised as notices"`
	Recipients      int64      `json:"recipients"`
	Acknowledged    int64      `json:"acknowledged"`
	AckRate         *float64   `json:"ack_rate" doc:"acknowledged / recipients of the materialised directives that ask for it; null when none"`
	LastDeliveredAt *time.Time `json:"last_delivered_at" doc:"when the newest directive was materialised at the node"`
	LastReceiptAt   *time.Time `json:"last_receipt_at" doc:"the newest read or acknowledgement of a directive's notice"`
	Link            string     `json:"link" doc:"the HQ-role messaging instance's per-district delivery view (pending at node, receipts flowing)"`
}

// NoticeStats are a district's (or the city's) notice figures (通知).
type NoticeStats struct {
	Reported    bool       `json:"reported" doc:"false until HQ applied an event of the district's messaging service"`
	LastEventAt *time.Time `json:"last_event_at"`
	Notices     int64      `json:"notices"`
	// The receipt figures are over the notices that ask for acknowledgement.
	AckRequired  int64    `json:"ack_required" doc:"notices asking for acknowledgement"`
	Recipients   int64    `json:"recipients" doc:"recipient companies of the notices asking for acknowledgement (current revision)"`
	Read         int64    `json:"read"`
	Acknowledged int64    `json:"acknowledged"`
	AckRate      *float64 `json:"ack_rate" doc:"acknowledged / recipients; null when no notice asks for acknowledgement"`
	ReadRate     *float64 `json:"read_rate" doc:"read / recipients (acknowledged counts as read); null as ack_rate"`
	// Overdue counts the notices past their deadline not acknowledged by all.
	Overdue    int64             `json:"overdue" doc:"notices past their acknowledgement deadline that not every recipient acknowledged"`
	Directives DirectiveDelivery `json:"directives"`
	// NextDeadline is the earliest acknowledgement deadline not before the
	// instant the figures were read at, of a notice not acknowledged by
	// all: Overdue holds until it passes (nil: none). The service keeps
	// the figures that long (readCache).
	NextDeadline *time.Time `json:"-"`
}

// CityData is one district's raw city-view figures as the repository
// reads them; the service derives the rates.
type CityData struct {
	Compliance ComplianceStats
	Patrols    PatrolStats
	Messaging  NoticeStats
}

// ComplianceCompanyRow is one company's compliance figures.
type ComplianceCompanyRow struct {
	CompanyID string `json:"company_id"`
	// Name is the company's name from membership's events; empty while
	// HQ has not applied them.
	Name string `json:"name"`
	// FourHundred is the company's live counts; reported false without.
	FourHundred struct {
		Reported bool   `json:"reported"`
		Day      string `json:"day,omitempty" format:"date"`
		FourHundredCounts
		FourHundredRates
	} `json:"four_hundred"`
	Hazards  Hazards  `json:"hazards"`
	Disputes Disputes `json:"disputes"`
	FourOne  struct {
		Reported bool     `json:"reported"`
		Checked  int64    `json:"checked"`
		Active   int64    `json:"active"`
		Rate     *float64 `json:"rate"`
	} `json:"four_one" doc:"this month's coverage; reported false when the company recorded no check this month"`
	// Rating is the company's newest rating; null when never rated.
	Rating     *CompanyRating `json:"rating"`
	Timeliness Timeliness     `json:"timeliness" doc:"the company's obligations, as the district's timeliness"`
}

// CompanyRating is a company's rating of its newest period.
type CompanyRating struct {
	Period        string     `json:"period"`
	Version       int64      `json:"version" doc:"the newest published version (a correction supersedes the one before)"`
	ScoreReported bool       `json:"score_reported"`
	Score         *float64   `json:"score" doc:"0..100; null when no criterion had evidence"`
	Grade         string     `json:"grade"`
	PolicyVersion int64      `json:"policy_version"`
	PublishedAt   *time.Time `json:"published_at"`
}

// ComplianceView is a district's compliance drill-down.
type ComplianceView struct {
	District string `json:"district"`
	ComplianceStats
	Companies []ComplianceCompanyRow `json:"companies" doc:"one row per company HQ knows of the district (membership's or compliance's events), in id order"`
}

// PatrolCompanyRow is one company's volunteers.
type PatrolCompanyRow struct {
	CompanyID        string   `json:"company_id"`
	Name             string   `json:"name"`
	VolunteersActive int64    `json:"volunteers_active"`
	GuardsActive     int64    `json:"guards_active"`
	VolunteerShare   *float64 `json:"volunteer_share" doc:"volunteers_active / guards_active; null without active guards"`
}

// PatrolsView is a district's patrols drill-down.
type PatrolsView struct {
	District string `json:"district"`
	PatrolStats
	Companies []PatrolCompanyRow `json:"companies" doc:"the companies with an active guard or a volunteer, in id order"`
}

// NoticeRow is one notice of a district with its receipt counts.
type NoticeRow struct {
	ID            string     `json:"id"`
	Origin        string     `json:"origin" enum:"district,police,hq"`
	DirectiveID   string     `json:"directive_id,omitempty"`
	Title         string     `json:"title"`
	Priority      string     `json:"priority"`
	AckRequired   bool       `json:"ack_required"`
	AckDeadline   *time.Time `json:"ack_deadline"`
	Revision      int64      `json:"revision"`
	Recipients    int64      `json:"recipients"`
	Read          int64      `json:"read"`
	Acknowledged  int64      `json:"acknowledged"`
	AckRate       *float64   `json:"ack_rate" doc:"acknowledged / recipients; null when the notice asks for no acknowledgement or has no recipient"`
	Overdue       bool       `json:"overdue"`
	PublishedAt   *time.Time `json:"published_at"`
	LastReceiptAt *time.Time `json:"last_receipt_at"`
}

// NoticePage is a page of a district's notices.
type NoticePage struct {
	Items      []NoticeRow
	NextCursor string
}

// CityRepository reads the city view; internal/store implements it.
type CityRepository interface {
	// City returns the raw figures of district ("" every district with
	// any); today is YYYY-MM-DD and month YYYY-MM (Asia/Shanghai), now the
	// clock for the overdue notices.
	City(ctx context.Context, district, today, month string, now time.Time, periods []string) (map[string]CityData, error)
	// Trend returns district's daily closing counts since day, oldest first.
	Trend(ctx context.Context, district, since string) ([]TrendPoint, error)
	// ComplianceCompanies returns district's per-company compliance rows
	// (rates not derived), in id order.
	ComplianceCompanies(ctx context.Context, district, today, month string, periods []string) ([]ComplianceCompanyRow, error)
	// PatrolCompanies returns district's per-company volunteers, in id order.
	PatrolCompanies(ctx context.Context, district string) ([]PatrolCompanyRow, error)
	// Notices returns up to limit notices of district after the id after.
	Notices(ctx context.Context, district, after string, limit int) ([]NoticeRow, error)
}

func addMap(dst, src map[string]int64) map[string]int64 {
	if dst == nil {
		dst = map[string]int64{}
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// withKeys returns m with every key of keys present.
func withKeys(m map[string]int64, keys []string) map[string]int64 {
	out := make(map[string]int64, len(keys))
	for _, k := range keys {
		out[k] = 0
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// percentile is the nearest-rank p-th percentile of xs; nil when empty.
func percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	v := s[max(0, min(i, len(s)-1))]
	return &v
}

// SetSamples sets the raw response times (seconds) the percentiles come from.
func (p *PatrolStats) SetSamples(accept, arrive, feedback []float64) {
	p.accept, p.arrive, p.feedback = accept, arrive, feedback
}

// Add adds o's counts and samples to p.
func (p *PatrolStats) Add(o PatrolStats) {
	p.Reported = p.Reported || o.Reported
	p.LastEventAt = later(p.LastEventAt, o.LastEventAt)
	p.Teams += o.Teams
	p.VolunteersActive += o.VolunteersActive
	p.VolunteersSuspended += o.VolunteersSuspended
	p.Shifts += o.Shifts
	p.SeatsRequired += o.SeatsRequired
	p.SeatsFilled += o.SeatsFilled
	p.PatrolHours += o.PatrolHours
	p.Scans += o.Scans
	p.ScansMockLocation += o.ScansMockLocation
	p.ScansOffline += o.ScansOffline
	p.MissedTours += o.MissedTours
	p.MissedToursByKind = addMap(p.MissedToursByKind, o.MissedToursByKind)
	p.Incidents += o.Incidents
	p.IncidentsByStatus = addMap(p.IncidentsByStatus, o.IncidentsByStatus)
	p.Dispatches += o.Dispatches
	p.DispatchesEscalated += o.DispatchesEscalated
	p.accept = append(p.accept, o.accept...)
	p.arrive = append(p.arrive, o.arrive...)
	p.feedback = append(p.feedback, o.feedback...)
}

func (p *PatrolStats) finish(guardsActive int64) {
	// A district whose patrols service never reported has no volunteer
	// share: null, not 0 of its guards.
	p.VolunteerShare = nil
	if p.Reported {
		p.VolunteerShare = rates.Of(p.VolunteersActive, guardsActive)
	}
	p.FillRate = rates.Of(p.SeatsFilled, p.SeatsRequired)
	p.MissedToursByKind = withKeys(p.MissedToursByKind, MissedTourKinds)
	p.IncidentsByStatus = withKeys(p.IncidentsByStatus, IncidentStatuses)
	p.PatrolHours = math.Round(p.PatrolHours*1000) / 1000
	p.Response = DispatchResponse{
		AcceptSamples: int64(len(p.accept)), AcceptP50: percentile(p.accept, 50), AcceptP90: percentile(p.accept, 90),
		ArriveSamples: int64(len(p.arrive)), ArriveP50: percentile(p.arrive, 50), ArriveP90: percentile(p.arrive, 90),
		FeedbackSamples: int64(len(p.feedback)), FeedbackP50: percentile(p.feedback, 50), FeedbackP90: percentile(p.feedback, 90),
	}
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// Add adds o's counts to n.
func (n *NoticeStats) Add(o NoticeStats) {
	n.Reported = n.Reported || o.Reported
	n.LastEventAt = later(n.LastEventAt, o.LastEventAt)
	n.Notices += o.Notices
	n.AckRequired += o.AckRequired
	n.Recipients += o.Recipients
	n.Read += o.Read
	n.Acknowledged += o.Acknowledged
	n.Overdue += o.Overdue
	d, od := &n.Directives, o.Directives
	d.Materialised += od.Materialised
	d.Recipients += od.Recipients
	d.Acknowledged += od.Acknowledged
	d.LastDeliveredAt = later(d.LastDeliveredAt, od.LastDeliveredAt)
	d.LastReceiptAt = later(d.LastReceiptAt, od.LastReceiptAt)
}

func (n *NoticeStats) finish() {
	n.AckRate = rates.Of(n.Acknowledged, n.Recipients)
	n.ReadRate = rates.Of(n.Read, n.Recipients)
	n.Directives.AckRate = rates.Of(n.Directives.Acknowledged, n.Directives.Recipients)
	n.Directives.Link = DirectivesLink
}

// Add adds o's counts to c; the ratings' period stays the newer.
func (c *ComplianceStats) Add(o ComplianceStats) {
	c.Reported = c.Reported || o.Reported
	c.LastEventAt = later(c.LastEventAt, o.LastEventAt)
	f, of := &c.FourHundred, o.FourHundred
	f.Reported = f.Reported || of.Reported
	f.CompaniesReported += of.CompaniesReported
	if of.Day > f.Day {
		f.Day = of.Day
	}
	f.FourHundredCounts.Add(of.FourHundredCounts)
	c.Hazards.Add(o.Hazards)
	c.Disputes.Add(o.Disputes)
	c.FourOne.CompaniesReported += o.FourOne.CompaniesReported
	c.FourOne.Checked += o.FourOne.Checked
	c.FourOne.Active += o.FourOne.Active
	if o.FourOne.Period != "" {
		c.FourOne.Period = o.FourOne.Period
	}
	// The city's ratings are each district's newest period's, summed:
	// districts rate on the same city-wide policy period.
	r, or := &c.Ratings, o.Ratings
	if or.Period > r.Period {
		r.Period = or.Period
	}
	r.CompaniesRated += or.CompaniesRated
	r.ByGrade = addMap(r.ByGrade, or.ByGrade)
	r.ScoreSum += or.ScoreSum
	r.Scored += or.Scored
	c.Timeliness.Add(o.Timeliness)
}

func (c *ComplianceStats) finish(days int) {
	c.FourHundred.FourHundredRates = RatesOf(c.FourHundred.FourHundredCounts)
	c.Hazards.finish()
	c.Disputes.ByStatus = withKeys(c.Disputes.ByStatus, DisputeStatuses)
	c.FourOne.Rate = rates.Of(c.FourOne.Checked, c.FourOne.Active)
	if c.Ratings.ByGrade == nil {
		c.Ratings.ByGrade = map[string]int64{}
	}
	c.Ratings.AverageScore = nil
	if c.Ratings.Scored > 0 {
		a := c.Ratings.ScoreSum / float64(c.Ratings.Scored)
		c.Ratings.AverageScore = &a
	}
	c.Timeliness.finish(days)
}

// Month returns the month of now in Asia/Shanghai, YYYY-MM.
func Month(now time.Time) string { return now.In(Shanghai).Format("2006-01") }

// city reads the city view of district ("" every district) at now.
func (s *hqService) city(ctx context.Context, district string, now time.Time) (map[string]CityData, error) {
	return s.repo.City(ctx, district, Today(now), Month(now), now, TimelinessPeriods(Today(now), s.timelinessDays()))
}

// cityStats returns district's finished sections from data (zero sections,
// reported false, when HQ has none), with the trend when trend is set.
func (s *hqService) cityStats(ctx context.Context, district string, cd CityData, guardsActive int64, now time.Time, trend bool) (ComplianceStats, PatrolStats, NoticeStats, error) {
	c, p, n := cd.Compliance, cd.Patrols, cd.Messaging
	// cd may be kept for other readers (readCache): finish sorts the
	// timeliness' periods, so it sorts copies.
	for _, ob := range Obligations() {
		o := c.Timeliness.Of(ob)
		o.Periods = slices.Clone(o.Periods)
	}
	c.FourOne.Period = Month(now)
	c.finish(s.timelinessDays())
	p.finish(guardsActive)
	n.finish()
	if trend {
		since := now.In(Shanghai).AddDate(0, 0, -TrendDays).Format(time.DateOnly)
		kept, err := s.repo.Trend(ctx, district, since)
		if err != nil {
			return c, p, n, err
		}
		pts := slices.Clone(kept) // kept for other readers (readCache)
		for i := range pts {
			pts[i].FourHundredRates = RatesOf(pts[i].FourHundredCounts)
		}
		c.FourHundred.Trend = pts
	}
	return c, p, n, nil
}

// cityTotals sums the districts' sections for the summary.
func cityTotals(data map[string]CityData, guardsActive int64, now time.Time, timelinessDays int) (ComplianceStats, PatrolStats, NoticeStats) {
	var c ComplianceStats
	var p PatrolStats
	var n NoticeStats
	ids := make([]string, 0, len(data))
	for id := range data {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c.Add(data[id].Compliance)
		p.Add(data[id].Patrols)
		n.Add(data[id].Messaging)
	}
	c.FourOne.Period = Month(now)
	c.finish(timelinessDays)
	p.finish(guardsActive)
	n.finish()
	return c, p, n
}

func (s *hqService) Compliance(ctx context.Context, district string) (ComplianceView, error) {
	v, err := s.District(ctx, district)
	if err != nil {
		return ComplianceView{}, err
	}
	out := ComplianceView{District: district, ComplianceStats: v.Compliance, Companies: []ComplianceCompanyRow{}}
	now := s.cfg.Now()
	days := s.timelinessDays()
	rows, err := s.repo.ComplianceCompanies(ctx, district, Today(now), Month(now), TimelinessPeriods(Today(now), days))
	if err != nil {
		return ComplianceView{}, ErrReadModel.Wrap(err)
	}
	for i := range rows {
		r := &rows[i]
		r.FourHundred.FourHundredRates = RatesOf(r.FourHundred.FourHundredCounts)
		r.Hazards.finish()
		r.Disputes.ByStatus = withKeys(r.Disputes.ByStatus, DisputeStatuses)
		r.FourOne.Rate = rates.Of(r.FourOne.Checked, r.FourOne.Active)
		r.Timeliness.finish(days)
	}
	out.Companies = rows
	return out, nil
}

func (s *hqService) Patrols(ctx context.Context, district string) (PatrolsView, error) {
	v, err := s.District(ctx, district)
	if err != nil {
		return PatrolsView{}, err
	}
	out := PatrolsView{District: district, PatrolStats: v.Patrols, Companies: []PatrolCompanyRow{}}
	rows, err := s.repo.PatrolCompanies(ctx, district)
	if err != nil {
		return PatrolsView{}, ErrReadModel.Wrap(err)
	}
	for i := range rows {
		rows[i].VolunteerShare = rates.Of(rows[i].VolunteersActive, rows[i].GuardsActive)
	}
	if rows != nil {
		out.Companies = rows
	}
	return out, nil
}

func (s *hqService) Notices(ctx context.Context, district string, page kitx.Page) (NoticePage, error) {
	if _, err := s.District(ctx, district); err != nil {
		return NoticePage{}, err
	}
	size := page.Size
	if size <= 0 {
		size = kitx.DefaultPageSize
	}
	rows, err := s.repo.Notices(ctx, district, page.Cursor, size+1)
	if err != nil {
		return NoticePage{}, ErrReadModel.Wrap(err)
	}
	var next string
	if len(rows) > size {
		rows = rows[:size]
		next = rows[size-1].ID
	}
	now := s.cfg.Now()
	for i := range rows {
		r := &rows[i]
		if r.AckRequired {
			r.AckRate = rates.Of(r.Acknowledged, r.Recipients)
			r.Overdue = r.AckDeadline != nil && r.AckDeadline.Before(now) && r.Acknowledged < r.Recipients
		}
	}
	if rows == nil {
		rows = []NoticeRow{}
	}
	return NoticePage{Items: rows, NextCursor: next}, nil
}

// timelinessDays is the compliance policy's timeliness_days, the city-wide
// one the districts' compliance services count with
// (policy.ComplianceKey, followed by the HQ node), so that HQ's closed
// periods are theirs.
func (s *hqService) timelinessDays() int {
	if s.cfg.CompliancePolicy == nil {
		return policy.DefaultCompliance.TimelinessDays
	}
	return s.cfg.CompliancePolicy().TimelinessDays
}
