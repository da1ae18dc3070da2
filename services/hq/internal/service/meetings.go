package service

import (
	"context"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// Meeting types of the meetings service.
const (
	MeetingCouncil            = "council"
	MeetingPresidentsOffice   = "presidents_office"
	MeetingDistrictWorking    = "district_working"
	MeetingDistrictRoundtable = "district_roundtable"
)

// MeetingTypes lists every meeting type; each appears in MeetingsHeld.
var MeetingTypes = []string{MeetingCouncil, MeetingPresidentsOffice, MeetingDistrictWorking, MeetingDistrictRoundtable}

// MeetingClosed is the status of a meeting that was held (minutes published).
const MeetingClosed = "closed"

// Action item statuses of the meetings service.
const (
	ActionItemOpen     = "open"
	ActionItemDone     = "done"
	ActionItemAccepted = "accepted"
)

// Cadence periods of a district's roundtables (pkg/policy).
const (
	PerWeek    = policy.Week
	PerMonth   = policy.Month
	PerQuarter = policy.Quarter
	PerYear    = policy.Year
)

// Shanghai is the association's time zone (Asia/Shanghai), policy.Zone:
// periods and "today" follow it.
var Shanghai = policy.Zone

// Cadence is a district's expected roundtables (片区行业圆桌会) per period,
// as configured in etcd at policy.CadenceKey and read with
// policy.ParseCadence, like the district's meetings node reads it.
type Cadence = policy.Cadence

// Policies is the city-wide policy and per-district configuration the
// meetings figures depend on; the Node reads them from etcd. A nil Policies
// (no etcd) reports neither, and the figures that need them are null.
type Policies interface {
	// ConventionVersion returns the association's current convention
	// version; false when unknown (no policy published, or no etcd).
	ConventionVersion() (string, bool)
	// Cadence returns district's roundtable cadence (policy.DefaultCadence
	// while its key is absent, as at the district); false when unknown
	// (no etcd).
	Cadence(district string) (Cadence, bool)
}

// MeetingCounts are the raw meeting tallies of one district as the
// repository reports them.
type MeetingCounts struct {
	// Held counts closed meetings by type.
	Held map[string]int64
	// Resolutions counts resolutions adopted.
	Resolutions int64
	// The invited and attended tallies are summed over the meetings held:
	// closed and in progress.
	InvitedCompanies, AttendedCompanies, InvitedPeople, AttendedPeople int64
	// Action items by status; Overdue counts the open ones due before today.
	ActionItemsOpen, ActionItemsOverdue, ActionItemsDone, ActionItemsAccepted int64
}

// Add adds o's tallies to c.
func (c *MeetingCounts) Add(o MeetingCounts) {
	if c.Held == nil {
		c.Held = map[string]int64{}
	}
	for k, v := range o.Held {
		c.Held[k] += v
	}
	c.Resolutions += o.Resolutions
	c.InvitedCompanies += o.InvitedCompanies
	c.AttendedCompanies += o.AttendedCompanies
	c.InvitedPeople += o.InvitedPeople
	c.AttendedPeople += o.AttendedPeople
	c.ActionItemsOpen += o.ActionItemsOpen
	c.ActionItemsOverdue += o.ActionItemsOverdue
	c.ActionItemsDone += o.ActionItemsDone
	c.ActionItemsAccepted += o.ActionItemsAccepted
}

// Roundtables is a district's roundtable timeliness in the current period
// (会议及时性): how many district roundtables were held (closed, started in
// the period) against the cadence's expected count. In the summary it is
// the sum over the districts with a cadence, Per and PeriodStart empty.
type Roundtables struct {
	// Per is the cadence's period (week, month, quarter, year); empty in the summary.
	Per string `json:"per,omitempty"`
	// PeriodStart is the start of the current period in Asia/Shanghai;
	// absent in the summary.
	PeriodStart *time.Time `json:"period_start,omitempty"`
	// Held counts roundtables closed whose start is in the current period.
	Held int64 `json:"held"`
	// Expected is the cadence's count for the period.
	Expected int64 `json:"expected"`
	// OnTrack is held >= expected (in the summary: for every district).
	OnTrack bool `json:"on_track"`
	// DistrictsBehind lists the districts not on track (summary only).
	DistrictsBehind []string `json:"districts_behind,omitempty"`
}

// MeetingStats are the meetings figures of a district or of the city.
// Attendance rates are null when nobody was invited to a closed meeting. The
// convention figures are null when the current convention version is
// unknown (no etcd, or no policy published), and the signature rate also
// when there is no active company; roundtables is null when no cadence is
// configured for the district (or, in the summary, for any).
type MeetingStats struct {
	// MeetingsHeld counts closed meetings by type; every type is present.
	MeetingsHeld map[string]int64 `json:"meetings_held"`
	// ResolutionsAdopted counts the resolutions adopted.
	ResolutionsAdopted int64 `json:"resolutions_adopted"`
	// MeetingCompaniesInvited and the three following sum the invitees of
	// the meetings held: closed, and in progress (they move as check-ins
	// happen, not only when the meeting closes).
	MeetingCompaniesInvited  int64 `json:"meeting_companies_invited"`
	MeetingCompaniesAttended int64 `json:"meeting_companies_attended"`
	MeetingPeopleInvited     int64 `json:"meeting_people_invited"`
	MeetingPeopleAttended    int64 `json:"meeting_people_attended"`
	// CompanyAttendanceRate is meeting_companies_attended /
	// meeting_companies_invited; null when no company was invited.
	CompanyAttendanceRate *float64 `json:"company_attendance_rate" doc:"meeting_companies_attended / meeting_companies_invited; null (not reported) when no company was invited"`
	// PersonAttendanceRate is meeting_people_attended /
	// meeting_people_invited; null when nobody was invited.
	PersonAttendanceRate *float64 `json:"person_attendance_rate" doc:"meeting_people_attended / meeting_people_invited; null (not reported) when nobody was invited"`
	// ActionItemsOpen counts open action items, overdue ones included.
	ActionItemsOpen int64 `json:"action_items_open"`
	// ActionItemsOverdue counts open action items due before today (Asia/Shanghai).
	ActionItemsOverdue  int64 `json:"action_items_overdue"`
	ActionItemsDone     int64 `json:"action_items_done"`
	ActionItemsAccepted int64 `json:"action_items_accepted"`
	// ConventionCurrentVersion is the association's current convention version.
	ConventionCurrentVersion *string `json:"convention_current_version"`
	// ConventionSignedCurrent counts active companies that signed the
	// current version (a signature made while it was current).
	ConventionSignedCurrent *int64 `json:"convention_signed_current"`
	// ConventionSignatureRate is the convention rate (rates.Convention,
	// the one definition meetings' /convention/rate uses too):
	// convention_signed_current / companies_active, null when no company
	// is active.
	ConventionSignatureRate *float64 `json:"convention_signature_rate" nullable:"true" doc:"convention_signed_current / companies_active: the share of active member companies whose signature of the current version is on record; null when the current version is unknown or no company is active"`
	// ConventionRate is ConventionSignatureRate under the name the
	// membership figures used to give a rate of companies with any
	// convention version recorded, which disagreed with it.
	//
	// Deprecated: since issue 9 it is convention_signature_rate's value;
	// read convention_signature_rate.
	ConventionRate *float64 `json:"convention_rate" nullable:"true" deprecated:"true" doc:"deprecated: the same value as convention_signature_rate, which replaces it"`
	// Roundtables is the roundtable timeliness; null without a cadence.
	Roundtables *Roundtables `json:"roundtables"`
}

// newMeetingStats derives the figures of mc that need no policy.
func newMeetingStats(mc MeetingCounts) MeetingStats {
	held := make(map[string]int64, len(MeetingTypes))
	for _, t := range MeetingTypes {
		held[t] = 0
	}
	for k, v := range mc.Held {
		held[k] = v
	}
	return MeetingStats{
		MeetingsHeld:             held,
		ResolutionsAdopted:       mc.Resolutions,
		MeetingCompaniesInvited:  mc.InvitedCompanies,
		MeetingCompaniesAttended: mc.AttendedCompanies,
		MeetingPeopleInvited:     mc.InvitedPeople,
		MeetingPeopleAttended:    mc.AttendedPeople,
		CompanyAttendanceRate:    rates.Of(mc.AttendedCompanies, mc.InvitedCompanies),
		PersonAttendanceRate:     rates.Of(mc.AttendedPeople, mc.InvitedPeople),
		ActionItemsOpen:          mc.ActionItemsOpen,
		ActionItemsOverdue:       mc.ActionItemsOverdue,
		ActionItemsDone:          mc.ActionItemsDone,
		ActionItemsAccepted:      mc.ActionItemsAccepted,
	}
}

// setConvention fills the convention figures for version; the rate stays
// null without active companies.
func (m *MeetingStats) setConvention(version string, signed, active int64) {
	v, r := version, rates.Convention(signed, active)
	m.ConventionCurrentVersion, m.ConventionSignedCurrent, m.ConventionSignatureRate = &v, &signed, r
	m.ConventionRate = r // deprecated: the same figure under its old name
}

// Period returns the start and end (exclusive) of the cadence period per
// that contains now, in Asia/Shanghai: policy.Period.Bounds, the periods
// the district's meetings node counts too.
func Period(per policy.Period, now time.Time) (start, end time.Time) { return per.Bounds(now) }

// Today returns the date of now in Asia/Shanghai, YYYY-MM-DD: an action
// item due before it is overdue.
func Today(now time.Time) string { return now.In(Shanghai).Format(time.DateOnly) }

// ActionItemRow is one action item of a district (岗位责任清单).
type ActionItemRow struct {
	ID             string    `json:"id"`
	District       string    `json:"district"`
	ResolutionID   string    `json:"resolution_id"`
	MeetingID      string    `json:"meeting_id"`
	Title          string    `json:"title"`
	OwnerKind      string    `json:"owner_kind"`
	OwnerCompanyID string    `json:"owner_company_id"`
	OwnerName      string    `json:"owner_name"`
	DueOn          string    `json:"due_on"`
	Status         string    `json:"status"`
	Overdue        bool      `json:"overdue"`
	Version        int64     `json:"version"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ActionItemFilter narrows a district's action items.
type ActionItemFilter struct {
	// Overdue keeps only the open items due before today (Asia/Shanghai).
	Overdue bool
}

// ActionItemPage is one page of a district's action items.
type ActionItemPage struct {
	Items []ActionItemRow `json:"items"`
	// NextCursor is the cursor of the next page, empty on the last one.
	NextCursor string `json:"-"`
}

// MeetingsRepository is the meetings part of the read model.
type MeetingsRepository interface {
	// Meetings returns the meeting tallies of every district with meetings
	// data; action items open and due before today (YYYY-MM-DD) are overdue.
	Meetings(ctx context.Context, today string) (map[string]MeetingCounts, error)
	// ConventionSigners counts, per district, the active companies with a
	// signature of version made while it was current.
	ConventionSigners(ctx context.Context, version string) (map[string]int64, error)
	// RoundtablesHeld counts district's closed roundtables that started in
	// [from, to).
	RoundtablesHeld(ctx context.Context, district string, from, to time.Time) (int64, error)
	// ActionItems returns up to limit action items of district with an id
	// greater than after, ordered by id; with overdueBefore set, only open
	// ones due before that date.
	ActionItems(ctx context.Context, district, overdueBefore, after string, limit int) ([]ActionItemRow, error)
}

// meetingsData reads what the meetings figures need: the tallies per
// district and, with a current convention version, its signers.
type meetingsData struct {
	counts  map[string]MeetingCounts
	version string
	known   bool
	signers map[string]int64
}

func (s *hqService) readMeetings(ctx context.Context, now time.Time) (meetingsData, error) {
	var md meetingsData
	var err error
	if md.counts, err = s.repo.Meetings(ctx, Today(now)); err != nil {
		return md, err
	}
	if s.cfg.Policies != nil {
		md.version, md.known = s.cfg.Policies.ConventionVersion()
	}
	if md.known {
		if md.signers, err = s.repo.ConventionSigners(ctx, md.version); err != nil {
			return md, err
		}
	}
	return md, nil
}

// meetingStats builds the meetings figures of district id.
func (s *hqService) meetingStats(ctx context.Context, id string, md meetingsData, active int64, now time.Time) (MeetingStats, error) {
	m := newMeetingStats(md.counts[id])
	if md.known {
		m.setConvention(md.version, md.signers[id], active)
	}
	if s.cfg.Policies == nil {
		return m, nil
	}
	c, ok := s.cfg.Policies.Cadence(id)
	if !ok {
		return m, nil
	}
	start, end := Period(c.Per, now)
	held, err := s.repo.RoundtablesHeld(ctx, id, start, end)
	if err != nil {
		return m, err
	}
	ps := start.UTC()
	m.Roundtables = &Roundtables{Per: string(c.Per), PeriodStart: &ps, Held: held, Expected: int64(c.Count), OnTrack: c.OnTrack(held)}
	return m, nil
}

// cityMeetings sums the districts' figures into the city's.
func cityMeetings(md meetingsData, views []MeetingStats, ids []string, active int64) MeetingStats {
	var total MeetingCounts
	for _, c := range md.counts {
		total.Add(c)
	}
	m := newMeetingStats(total)
	if md.known {
		var signed int64
		for _, n := range md.signers {
			signed += n
		}
		m.setConvention(md.version, signed, active)
	}
	var rt *Roundtables
	for i, v := range views {
		if v.Roundtables == nil {
			continue
		}
		if rt == nil {
			rt = &Roundtables{OnTrack: true}
		}
		rt.Held += v.Roundtables.Held
		rt.Expected += v.Roundtables.Expected
		if !v.Roundtables.OnTrack {
			rt.OnTrack = false
			rt.DistrictsBehind = append(rt.DistrictsBehind, ids[i])
		}
	}
	if rt != nil {
		slices.Sort(rt.DistrictsBehind)
	}
	m.Roundtables = rt
	return m
}

// ActionItems implements Service.
func (s *hqService) ActionItems(ctx context.Context, district string, f ActionItemFilter, page kitx.Page) (ActionItemPage, error) {
	if _, err := s.District(ctx, district); err != nil {
		return ActionItemPage{}, err
	}
	size := page.Size
	if size <= 0 {
		size = kitx.DefaultPageSize
	}
	today := Today(s.cfg.Now())
	var before string
	if f.Overdue {
		before = today
	}
	rows, err := s.repo.ActionItems(ctx, district, before, page.Cursor, size+1)
	if err != nil {
		return ActionItemPage{}, ErrReadModel.Wrap(err)
	}
	var next string
	if len(rows) > size {
		rows = rows[:size]
		next = rows[size-1].ID
	}
	for i := range rows {
		r := &rows[i]
		r.Overdue = r.Status == ActionItemOpen && r.DueOn != "" && r.DueOn < today
	}
	if rows == nil {
		rows = []ActionItemRow{}
	}
	return ActionItemPage{Items: rows, NextCursor: next}, nil
}
