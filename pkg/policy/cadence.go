package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// Zone is the association's time zone (Asia/Shanghai), in which every
// period begins. China has had no daylight saving time since 1991, so a
// fixed +08:00 zone is exact and does not depend on the host's tzdata.
var Zone = time.FixedZone("CST", 8*60*60)

// Period is the length of a roundtable cadence's period.
type Period string

// The periods a cadence may count in. The seed report asks each district
// group to hold its roundtable (片区行业圆桌会) "定期", regularly: a month
// is the usual period, a quarter or a year for a quiet district, and a
// week for a district in a campaign. Weeks start on Monday, quarters in
// January, April, July and October, all in Zone.
const (
	Week    Period = "week"
	Month   Period = "month"
	Quarter Period = "quarter"
	Year    Period = "year"
)

// Periods lists every period, shortest first.
func Periods() []Period { return []Period{Week, Month, Quarter, Year} }

// PeriodNames are the Periods as strings, for an API document's enum.
func PeriodNames() []string {
	var out []string
	for _, p := range Periods() {
		out = append(out, string(p))
	}
	return out
}

// Valid reports whether p is one of Periods.
func (p Period) Valid() bool {
	switch p {
	case Week, Month, Quarter, Year:
		return true
	}
	return false
}

// Start returns the start of the period of t, in Zone. An invalid period
// counts as Month, as a reader with no valid cadence does.
func (p Period) Start(t time.Time) time.Time {
	t = t.In(Zone)
	y, m, d := t.Date()
	switch p {
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, Zone)
	case Quarter:
		return time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, Zone)
	case Year:
		return time.Date(y, 1, 1, 0, 0, 0, 0, Zone)
	default:
		return time.Date(y, m, 1, 0, 0, 0, 0, Zone)
	}
}

// Shift returns the start of the period n periods after the one starting
// at start (before it for a negative n). start must be a period start, so
// month arithmetic never overflows a short month.
func (p Period) Shift(start time.Time, n int) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, 7*n)
	case Quarter:
		return start.AddDate(0, 3*n, 0)
	case Year:
		return start.AddDate(n, 0, 0)
	default:
		return start.AddDate(0, n, 0)
	}
}

// Bounds returns the start and end (exclusive) of the period containing t.
func (p Period) Bounds(t time.Time) (start, end time.Time) {
	start = p.Start(t)
	return start, p.Shift(start, 1)
}

// Label names the period starting at start: 2025-W39 (ISO week), 2025-09,
// 2025-Q3, 2025.
func (p Period) Label(start time.Time) string {
	t := start.In(Zone)
	switch p {
	case Week:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	case Year:
		return t.Format("2006")
	default:
		return t.Format("2006-01")
	}
}

// MaxCadenceCount is the most roundtables a cadence may expect per period.
const MaxCadenceCount = 100

// Cadence is a district's expected district roundtables (片区行业圆桌会)
// per period, stored at CadenceKey as JSON {"per": "month", "count": 1}.
// The meetings service reports held against expected per period, and HQ
// reports the current period's timeliness (会议及时性); both read it with
// ParseCadence and count periods with Period, so they agree.
type Cadence struct {
	// Per is the period: week, month, quarter or year.
	Per Period `json:"per"`
	// Count is how many roundtables are expected per period, 0 to 100.
	// 0 means none are expected (a district that has suspended them): every
	// period is on track, and the roundtables held are still counted.
	Count int `json:"count"`
}

// DefaultCadence is a district's cadence while its key is absent: one
// roundtable a month, the seed report's "定期召开片区行业圆桌会". Every
// reader uses it, and a first start writes it (EncodeCadence) so a
// district lead finds the key to change.
var DefaultCadence = Cadence{Per: Month, Count: 1}

// Stable error ids of a cadence that is not valid.
var (
	ErrCadencePer = errs.InvalidField("cadence.per_invalid", "per",
		`per is "week", "month", "quarter" or "year"`)
	ErrCadenceCount = errs.InvalidField("cadence.count_invalid", "count",
		"count is 0 to 100 roundtables per period")
)

// CadenceKey returns the etcd key of district's roundtable cadence.
func CadenceKey(district string) string {
	return DistrictKey(district, "meetings", "roundtable-cadence")
}

// Validate implements Value.
func (c Cadence) Validate() error {
	if !c.Per.Valid() {
		return ErrCadencePer
	}
	if c.Count < 0 || c.Count > MaxCadenceCount {
		return ErrCadenceCount
	}
	return nil
}

// ParseCadence decodes and validates the value at CadenceKey.
func ParseCadence(raw []byte) (Cadence, error) { return Parse[Cadence](raw) }

// EncodeCadence returns the value to store at CadenceKey for c, after
// checking that every reader would accept it.
func EncodeCadence(c Cadence) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// OnTrack reports whether a period in which held roundtables were held
// met the cadence.
func (c Cadence) OnTrack(held int64) bool { return held >= int64(c.Count) }
