package service

// Timeliness the DHIS2 way (issue 10 parts 6 and 7), from compliance's own
// obligation events: for each periodic obligation (the inspection
// schedules, the monthly two-four-one checks, the district roundtables)
// how many were expected, done, and done on time, per company, district
// and city. compliance counts them (a company is expected only in the
// periods of its active window, which HQ cannot know) and reports each
// company's period once it is settled: ObligationCompleted when done
// reaches expected, ObligationMissed when the deadline passed short. HQ
// sums those; it recomputes nothing.

import (
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// The obligations of compliance's ObligationTimeliness.obligation.
const (
	ObligationInspection = "inspection"
	ObligationFourOne    = "four_one"
	ObligationRoundtable = "roundtable"
)

// Obligations lists the obligations, in the order the view shows them.
func Obligations() []string {
	return []string{ObligationInspection, ObligationFourOne, ObligationRoundtable}
}

// TimelinessPeriods are the periods HQ's figures cover on day today
// (YYYY-MM-DD, Asia/Shanghai): for each period length (week, month,
// quarter, year) the newest period whose deadline (its end plus days, the
// compliance policy's timeliness_days) has passed, by label (2026-W45, 2026-10, 2026-Q3,
// 2025), newest week first.
//
// Why the newest closed period and not the current or the last ended
// one: until its deadline a period is reported only by the companies that
// already completed it (ObligationMissed comes at the deadline), so a
// figure over it would count the punctual and not yet the late, and read
// high. From the deadline on every expected company of the period has
// reported one way or the other, so the figure is complete, and it is
// the same period compliance's /compliance/timeliness?periods=1 counts
// once that period's deadline has passed. A company done late after the
// deadline sends ObligationCompleted then, and counts as done, not on
// time. Each length is its own period because a district's companies
// may keep schedules of different lengths.
func TimelinessPeriods(today string, days int) []string {
	day, err := time.ParseInLocation(time.DateOnly, today, policy.Zone)
	if err != nil {
		return nil
	}
	closedBy := day.AddDate(0, 0, -days)
	var out []string
	for _, p := range policy.Periods() {
		out = append(out, p.Label(p.Shift(p.Start(closedBy), -1)))
	}
	return out
}

// ObligationCounts are expected, done and on-time counts.
type ObligationCounts struct {
	Expected int64 `json:"expected" doc:"expected of the companies in the periods covered (only companies active in a period are expected)"`
	Done     int64 `json:"done" doc:"done for an expected period, at most expected (done after the deadline counts, late)"`
	OnTime   int64 `json:"on_time" doc:"done and uploaded by the period's end plus timeliness_days"`
}

func (c *ObligationCounts) add(o ObligationCounts) {
	c.Expected += o.Expected
	c.Done += o.Done
	c.OnTime += o.OnTime
}

// ObligationTimeliness is one obligation's figure over the periods
// TimelinessPeriods names.
type ObligationTimeliness struct {
	// Reported is true once HQ holds an obligation event of it (of any
	// period): then a null rate means nothing was expected in the periods
	// covered, not that nothing was heard.
	Reported bool `json:"reported" doc:"false until HQ applied an ObligationCompleted or ObligationMissed of this obligation (any period): then null rates mean nothing was expected in the periods covered"`
	// Periods are the labels the counts come from, sorted.
	Periods []string `json:"periods" doc:"the period labels the counts cover (the newest period of each length whose deadline passed, that has a row)"`
	// CompanyPeriods counts the (company, period) rows summed.
	CompanyPeriods int64 `json:"company_periods" doc:"company-periods summed (a company with one period counts once)"`
	ObligationCounts
	Completeness *float64 `json:"completeness" doc:"done / expected; null when nothing was expected"`
	Timeliness   *float64 `json:"timeliness" doc:"on_time / expected; null when nothing was expected"`
}

// AddPeriod adds a company's counts of period.
func (o *ObligationTimeliness) AddPeriod(period string, n ObligationCounts) {
	o.CompanyPeriods++
	o.ObligationCounts.add(n)
	if !slices.Contains(o.Periods, period) {
		o.Periods = append(o.Periods, period)
	}
}

func (o *ObligationTimeliness) addAll(x ObligationTimeliness) {
	o.Reported = o.Reported || x.Reported
	o.CompanyPeriods += x.CompanyPeriods
	o.ObligationCounts.add(x.ObligationCounts)
	for _, p := range x.Periods {
		if !slices.Contains(o.Periods, p) {
			o.Periods = append(o.Periods, p)
		}
	}
}

func (o *ObligationTimeliness) finish() {
	if o.Periods == nil {
		o.Periods = []string{}
	}
	slices.Sort(o.Periods)
	o.Completeness = rates.Of(o.Done, o.Expected)
	o.Timeliness = rates.Of(o.OnTime, o.Expected)
}

// Timeliness is the obligations' timeliness of a company, district or the
// city. Its top-level counts and rates are the inspection schedules', as
// the figure was before the other obligations were reported, so a reader
// of those keeps working.
type Timeliness struct {
	ObligationCounts
	// Days is how many days after a period's end a done is on time.
	Days         int                  `json:"timeliness_days"`
	Completeness *float64             `json:"completeness" doc:"the inspection schedules' done / expected (as inspection.completeness); null when nothing was expected"`
	Timeliness   *float64             `json:"timeliness" doc:"the inspection schedules' on_time / expected (as inspection.timeliness); null when nothing was expected"`
	Inspection   ObligationTimeliness `json:"inspection"`
	FourOne      ObligationTimeliness `json:"four_one"`
	Roundtable   ObligationTimeliness `json:"roundtable"`
}

// Of returns the figure of obligation, nil for an unknown one.
func (t *Timeliness) Of(obligation string) *ObligationTimeliness {
	switch obligation {
	case ObligationInspection:
		return &t.Inspection
	case ObligationFourOne:
		return &t.FourOne
	case ObligationRoundtable:
		return &t.Roundtable
	}
	return nil
}

// Add adds o's figures to t.
func (t *Timeliness) Add(o Timeliness) {
	for _, ob := range Obligations() {
		t.Of(ob).addAll(*o.Of(ob))
	}
}

func (t *Timeliness) finish(days int) {
	for _, ob := range Obligations() {
		t.Of(ob).finish()
	}
	t.Days = days
	t.ObligationCounts = t.Inspection.ObligationCounts
	t.Completeness, t.Timeliness = t.Inspection.Completeness, t.Inspection.Timeliness
}
