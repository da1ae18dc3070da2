// Package service is the compliance service's domain: the four-100%
// scoreboard (四个100%) kept from membership's events, its evaluation of
// each guard against the city's policy on a given day, the drill-down to
// the guards that make each gap, and the daily snapshots of the trend.
package service

import (
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// The four criteria of the four 100% (四个100%), as the API and the events
// name them.
const (
	CriterionBackground  = "background_check" // 背景审查: a passed background check
	CriterionTraining    = "training"         // 教育培训: pre-job training and the year's hours
	CriterionCertificate = "certificate"      // 持证上岗: a certificate valid today
	CriterionBadge       = "badge"            // 挂牌服务: serves wearing a badge
)

// Criteria returns the four criteria in their order.
func Criteria() []string {
	return []string{CriterionBackground, CriterionTraining, CriterionCertificate, CriterionBadge}
}

// Employment statuses and training types of membership's guard snapshots.
const (
	EmploymentActive  = "active"
	EmploymentLeft    = "left"
	TrainingPreJob    = "pre_job"
	TrainingInService = "in_service"
	CheckPassed       = "passed"
)

// Shanghai is the association's time zone: a day, a year and the
// certificate's last valid day are China time's.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// Day is t's date in China time (YYYY-MM-DD).
func Day(t time.Time) string { return t.In(Shanghai).Format(time.DateOnly) }

// Guard is the scoreboard's record of one guard: the fields of
// membership's latest guard snapshot it scores, and its training hours
// (from the TrainingRecorded events, one per guard version).
type Guard struct {
	ID                    string `json:"id"`
	CompanyID             string `json:"company_id"`
	EmploymentStatus      string `json:"employment_status"`
	BackgroundCheckStatus string `json:"background_check_status"`
	HasCertificate        bool   `json:"has_certificate"`
	CertificateValidUntil string `json:"certificate_valid_until,omitempty"`
	BadgeService          bool   `json:"badge_service"`
	PreJobTrained         bool   `json:"pre_job_trained"`
	Version               int64  `json:"version"`
	// PreJobHours is every pre-job training hour on record.
	PreJobHours float64 `json:"pre_job_hours"`
	// Year is the calendar year YearPreJobHours and YearInServiceHours
	// count (the scoreboard's year).
	Year               string  `json:"-"`
	YearPreJobHours    float64 `json:"-"`
	YearInServiceHours float64 `json:"-"`
}

// Active reports whether the guard counts in the denominators.
func (g Guard) Active() bool { return g.EmploymentStatus == EmploymentActive }

// YearHours are the training hours of year that count toward the annual
// requirement under p (zero for a year the record does not hold).
func (g Guard) YearHours(year string, p policy.Compliance) float64 {
	if g.Year != year {
		return 0
	}
	h := g.YearInServiceHours
	if p.PreJobCountsTowardAnnual {
		h += g.YearPreJobHours
	}
	return h
}

// preJob reports whether the guard has what p counts as pre-job training.
func (g Guard) preJob(p policy.Compliance) bool {
	if p.PreJobMinHours <= 0 {
		return g.PreJobTrained || g.PreJobHours > 0
	}
	return g.PreJobHours >= p.PreJobMinHours
}

// Mask is the set of criteria a guard meets, one bit per criterion.
type Mask uint8

// Bits of a Mask.
const (
	MetBackground Mask = 1 << iota
	MetTraining
	MetCertificate
	MetBadge
)

func bit(criterion string) Mask {
	switch criterion {
	case CriterionBackground:
		return MetBackground
	case CriterionTraining:
		return MetTraining
	case CriterionCertificate:
		return MetCertificate
	case CriterionBadge:
		return MetBadge
	}
	return 0
}

// Has reports whether m meets criterion.
func (m Mask) Has(criterion string) bool { return m&bit(criterion) != 0 }

// Certified reports whether g is certified on duty on day: a certificate
// on record whose last valid day, if any, is not before day. It lapses
// the day after valid_until, with no event: the scoreboard re-scores at
// midnight.
func (g Guard) Certified(day string) bool {
	return g.HasCertificate && (g.CertificateValidUntil == "" || day <= g.CertificateValidUntil)
}

// Evaluate scores g on day (YYYY-MM-DD, China time) under p. A guard who
// is not active meets nothing and counts nowhere.
func Evaluate(g Guard, day string, p policy.Compliance) Mask {
	if !g.Active() {
		return 0
	}
	var m Mask
	if g.BackgroundCheckStatus == CheckPassed {
		m |= MetBackground
	}
	if g.preJob(p) && g.YearHours(day[:4], p) >= p.AnnualTrainingHours {
		m |= MetTraining
	}
	if g.Certified(day) {
		m |= MetCertificate
	}
	if g.BadgeService {
		m |= MetBadge
	}
	return m
}

// Counts are the four-100% counts of a company or a district: of the
// active guards, how many meet each criterion.
type Counts struct {
	Active            int64 `json:"active"`
	BackgroundChecked int64 `json:"background_checked"`
	Trained           int64 `json:"trained"`
	Certified         int64 `json:"certified"`
	BadgeService      int64 `json:"badge_service"`
}

// Add counts a guard of mask m (active) with sign +1, or takes it out
// with -1.
func (c *Counts) Add(active bool, m Mask, sign int64) {
	if !active {
		return
	}
	c.Active += sign
	if m&MetBackground != 0 {
		c.BackgroundChecked += sign
	}
	if m&MetTraining != 0 {
		c.Trained += sign
	}
	if m&MetCertificate != 0 {
		c.Certified += sign
	}
	if m&MetBadge != 0 {
		c.BadgeService += sign
	}
}

// Plus returns c + o.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Active + o.Active, c.BackgroundChecked + o.BackgroundChecked, c.Trained + o.Trained,
		c.Certified + o.Certified, c.BadgeService + o.BadgeService}
}

// Met is how many active guards meet criterion.
func (c Counts) Met(criterion string) int64 {
	switch criterion {
	case CriterionBackground:
		return c.BackgroundChecked
	case CriterionTraining:
		return c.Trained
	case CriterionCertificate:
		return c.Certified
	case CriterionBadge:
		return c.BadgeService
	}
	return 0
}

// Full is the set of criteria at 100%: every active guard meets them, and
// there is at least one (no guard is "not reported", never 100%).
func (c Counts) Full() Mask {
	var m Mask
	if c.Active <= 0 {
		return 0
	}
	for _, cr := range Criteria() {
		if c.Met(cr) == c.Active {
			m |= bit(cr)
		}
	}
	return m
}

// Rates are the four rates (pkg/rates: null when no guard is active).
type Rates struct {
	BackgroundChecked *float64 `json:"background_checked"`
	Trained           *float64 `json:"trained"`
	Certified         *float64 `json:"certified"`
	BadgeService      *float64 `json:"badge_service"`
}

// Rates returns c's four rates.
func (c Counts) Rates() Rates {
	return Rates{rates.Of(c.BackgroundChecked, c.Active), rates.Of(c.Trained, c.Active),
		rates.Of(c.Certified, c.Active), rates.Of(c.BadgeService, c.Active)}
}
