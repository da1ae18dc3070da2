package policy

import (
	"encoding/json"

	"github.com/guildhall/guildhall/pkg/errs"
)

// VisitPlanKey is the etcd key of the city-wide field-visit plan
// (片区负责人下沉调研): how often each member company is to be visited by its
// district lead, and the period the visits are counted in.
var VisitPlanKey = CityKey("meetings/field-visits")

// MaxVisitEveryMonths is the longest interval a visit plan may allow
// between two visits to one company: two years, a council term's half.
const MaxVisitEveryMonths = 24

// VisitPlan is the association's plan of field visits, stored at
// VisitPlanKey as JSON {"every_months": 6, "per": "quarter"}: each active
// member company is to be visited at least once every EveryMonths months,
// and the meetings service reports the visits held against those planned
// per period (Per). HQ reads the same key with ParseVisitPlan, so the
// district figures and HQ's agree.
type VisitPlan struct {
	// EveryMonths is the most months that may pass between two visits to
	// one company (or since it became active), 1 to 24.
	EveryMonths int `json:"every_months"`
	// Per is the period visits are counted in: month, quarter or year (a
	// week is shorter than any visit interval).
	Per Period `json:"per"`
}

// DefaultVisitPlan is the plan while VisitPlanKey is absent: every company
// visited at least twice a year, counted per quarter.
var DefaultVisitPlan = VisitPlan{EveryMonths: 6, Per: Quarter}

// Stable error ids of a visit plan that is not valid.
var (
	ErrVisitPlanEvery = errs.InvalidField("visit_plan.every_months_invalid", "every_months",
		"every_months is 1 to 24")
	ErrVisitPlanPer = errs.InvalidField("visit_plan.per_invalid", "per",
		`per is "month", "quarter" or "year"`)
)

// Validate implements Value.
func (p VisitPlan) Validate() error {
	if p.EveryMonths < 1 || p.EveryMonths > MaxVisitEveryMonths {
		return ErrVisitPlanEvery
	}
	switch p.Per {
	case Month, Quarter, Year:
		return nil
	}
	return ErrVisitPlanPer
}

// ParseVisitPlan decodes and validates the value at VisitPlanKey.
func ParseVisitPlan(raw []byte) (VisitPlan, error) { return Parse[VisitPlan](raw) }

// EncodeVisitPlan returns the value to store at VisitPlanKey for p, after
// checking that every reader would accept it.
func EncodeVisitPlan(p VisitPlan) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// PeriodMonths is how many months a period of p lasts (month 1, quarter 3,
// year 12; 0 for a week, which a visit plan never counts in).
func (p Period) PeriodMonths() int {
	switch p {
	case Month:
		return 1
	case Quarter:
		return 3
	case Year:
		return 12
	}
	return 0
}

// Planned returns the visits planned in one period for companies active
// member companies: each is due once every EveryMonths months, so a period
// of m months plans companies×m/EveryMonths visits, rounded up: a district
// of 5 companies on a 6-month plan counted per quarter plans 3 a quarter.
func (p VisitPlan) Planned(companies int) int {
	if companies <= 0 || p.EveryMonths <= 0 {
		return 0
	}
	n := companies * p.Per.PeriodMonths()
	return (n + p.EveryMonths - 1) / p.EveryMonths
}
