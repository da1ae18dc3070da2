package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/standalone"
)

// movedClock is the compliance and HQ nodes' clock: the real one moved
// forward by an offset the test sets (membership keeps the real clock, so
// a company registered now is active from the real today).
type movedClock struct{ offset atomic.Int64 }

func (c *movedClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// moveTo sets the clock to at (from now on it runs on from there).
func (c *movedClock) moveTo(at time.Time) { c.offset.Store(int64(time.Until(at))) }

// obligationFigure is expected, done and on time as both HQ (per
// obligation) and compliance (its report's district sums) spell them.
type obligationFigure struct {
	Reported bool     `json:"reported"`
	Periods  []string `json:"periods"`
	Expected int      `json:"expected"`
	Done     int      `json:"done"`
	OnTime   int      `json:"on_time"`
}

type hqTimeliness struct {
	Compliance struct {
		Timeliness struct {
			Inspection obligationFigure `json:"inspection"`
			FourOne    obligationFigure `json:"four_one"`
			Roundtable obligationFigure `json:"roundtable"`
		} `json:"timeliness"`
	} `json:"compliance"`
}

func (v hqTimeliness) of(obligation string) obligationFigure {
	t := v.Compliance.Timeliness
	return map[string]obligationFigure{"inspection": t.Inspection, "four_one": t.FourOne, "roundtable": t.Roundtable}[obligation]
}

// TestHQsTimelinessIsCompliancesObligationEvents runs issue 10's
// timeliness through the real city: a company registered today is
// scheduled one inspection a month and inspects this month over
// compliance's HTTP API, and records no two-four-one check; the clock of
// compliance and HQ then moves past the month's deadline (its end plus
// 15 days). compliance sends ObligationCompleted for the inspection and
// ObligationMissed for the two-four-one checks (and the roundtable), which
// travel its outbox → relay → gh.jingkai.compliance.v1 → HQ; then a check
// dated in the month is recorded late, and its ObligationCompleted makes
// it done, not on time. At each step HQ's figure of every obligation, over
// the newest closed month, equals compliance's own
// /compliance/timeliness?periods=1 over the same (last ended) month.
func TestHQsTimelinessIsCompliancesObligationEvents(t *testing.T) {
	clock := &movedClock{}
	_, c, _ := startCityWith(t, t.TempDir(), func(cfg *standalone.Config) { cfg.Now = clock.Now })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := "/api/v1/districts/jingkai"
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 93)
	if err != nil {
		t.Fatal(err)
	}
	guard, err := c.HireGuard(ctx, "jingkai", co, 9393)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(policy.Zone)
	today := now.Format(time.DateOnly)
	month := policy.Month.Start(now)
	label := policy.Month.Label(month)

	poll(t, "compliance to know the company and schedule it", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/compliance/schedules", map[string]any{"company_id": co, "period": "month",
			"count": 1, "starts_on": today}, nil)
		return err == nil && status == http.StatusCreated
	})
	var tpl struct {
		ID string `json:"id"`
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/compliance/templates", map[string]any{"name": "门岗隐患排查",
		"sections": []map[string]any{{"title": "消防", "items": []map[string]any{
			{"id": "exit", "text": "消防通道畅通", "kind": "yes_no", "weight": 10}}}}}, &tpl); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/compliance/inspections", map[string]any{"company_id": co, "site": "一号门岗",
		"template_id": tpl.ID, "inspector": "张检查", "inspected_on": today,
		"answers": []map[string]any{{"item_id": "exit", "value": "yes"}}}, nil); err != nil {
		t.Fatal(err)
	}

	// Past the month's deadline: the newest closed month at HQ, the last
	// ended one at compliance.
	clock.moveTo(policy.Month.Shift(month, 1).AddDate(0, 0, 20).Add(12 * time.Hour))
	same := func(what string, ok func(hq hqTimeliness) bool) hqTimeliness {
		t.Helper()
		var v hqTimeliness
		var last string
		// Up to two minutes: HQ's consumer may first see the district's
		// compliance topic at its next metadata refresh.
		if !pollFor(2*time.Minute, func() bool {
			if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v); err != nil || !ok(v) {
				last = fmt.Sprintf("HQ %+v, %v", v.Compliance.Timeliness, err)
				return false
			}
			for _, ob := range []string{"inspection", "four_one", "roundtable"} {
				var rep struct {
					District obligationFigure `json:"district"`
				}
				if err := c.Must(ctx, http.StatusOK, "GET", d+"/compliance/timeliness?periods=1&obligation="+ob, nil, &rep); err != nil {
					last = err.Error()
					return false
				}
				h, r := v.of(ob), rep.District
				if h.Expected != r.Expected || h.Done != r.Done || h.OnTime != r.OnTime {
					last = fmt.Sprintf("%s: HQ %+v, compliance %+v", ob, h, r)
					return false
				}
			}
			return true
		}) {
			t.Fatalf("timed out waiting for %s: %s", what, last)
		}
		return v
	}
	v := same("HQ's timeliness of the closed month to be compliance's, the inspection done and the checks missed", func(v hqTimeliness) bool {
		return v.of("inspection").Done == 1 && v.of("four_one").Expected == 1
	})
	if i := v.of("inspection"); !i.Reported || i.Expected != 1 || i.OnTime != 1 || !slices.Equal(i.Periods, []string{label}) {
		t.Errorf("inspection %+v, want 1 of 1 on time in %s", i, label)
	}
	if f := v.of("four_one"); !f.Reported || f.Done != 0 || !slices.Equal(f.Periods, []string{label}) {
		t.Errorf("two-four-one %+v, want 1 expected, none done in %s", f, label)
	}

	// The month's check, recorded now: done late. The next minute's
	// announcement sends its ObligationCompleted.
	poll(t, "compliance to know the guard and record the late check", func() bool {
		p := func(r int, note string) map[string]any { return map[string]any{"rating": r, "note": note} }
		status, _, err := c.Do(ctx, "POST", d+"/compliance/four-one-checks", map[string]any{"guard_id": guard, "company_id": co,
			"checked_on": today, "points": map[string]any{"whereabouts": p(5, "按时到岗"), "job_duties": p(4, "熟悉岗位职责"),
				"state_of_mind": p(4, "情绪稳定"), "career_plan": p(3, "考虑考取保安师")}}, nil)
		return err == nil && status == http.StatusCreated
	})
	clock.offset.Add(int64(2 * time.Minute))
	v = same("HQ's two-four-one of the closed month to be done late, as compliance's", func(v hqTimeliness) bool {
		return v.of("four_one").Done == 1
	})
	if f := v.of("four_one"); f.Expected != 1 || f.OnTime != 0 {
		t.Errorf("two-four-one %+v, want done late (on time 0)", f)
	}
	var sum hqTimeliness
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/summary", nil, &sum); err != nil {
		t.Fatal(err)
	}
	if s := sum.of("four_one"); s.Expected != 1 || s.Done != 1 || s.OnTime != 0 || sum.of("inspection").OnTime != 1 {
		t.Errorf("summary %+v", sum.Compliance.Timeliness)
	}
}
