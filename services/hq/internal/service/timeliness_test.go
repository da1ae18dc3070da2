package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// obligationEvent is compliance's ObligationMissed (missed) or
// ObligationCompleted of a company's obligation in period.
func obligationEvent(district, company, obligation, period string, expected, done, onTime int64, missed bool) *eventsv1.Envelope {
	t := &eventsv1.ObligationTimeliness{District: district, CompanyId: company, Obligation: obligation, Period: period,
		Expected: expected, Done: done, OnTime: onTime}
	id := fmt.Sprintf("%s/%s/%s", company, obligation, period)
	if missed {
		return envelope(district, "compliance", eventsv1.TypeObligationMissed, id, &eventsv1.ObligationMissed{Timeliness: t})
	}
	return envelope(district, "compliance", eventsv1.TypeObligationCompleted, id, &eventsv1.ObligationCompleted{Timeliness: t})
}

// TestTimelinessPeriods: on a day, each length's newest period whose end
// plus 15 days (policy.DefaultCompliance) has passed.
func TestTimelinessPeriods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		today string
		days  int
		want  []string
	}{
		// 2025-10-01: August's deadline (its end, 09-01, plus 15 days:
		// 09-16) passed, September's (10-16) not; the week of 09-08 ended
		// 09-15, its deadline 09-30.
		{"2025-10-01", 15, []string{"2025-W37", "2025-08", "2025-Q2", "2024"}},
		// The day of a deadline closes the period (compliance: missed from
		// the deadline on): September's and Q3's are 2025-10-16.
		{"2025-10-16", 15, []string{"2025-W39", "2025-09", "2025-Q3", "2024"}},
		{"2025-10-15", 15, []string{"2025-W39", "2025-08", "2025-Q2", "2024"}},
		{"2026-01-16", 15, []string{"2025-W52", "2025-12", "2025-Q4", "2025"}},
		{"yesterday", 15, nil},
		// The policy's timeliness_days, not the default: with 5 days
		// September closed on 10-06, with 15 it has not.
		{"2025-10-06", 5, []string{"2025-W39", "2025-09", "2025-Q3", "2024"}},
		{"2025-10-06", 15, []string{"2025-W37", "2025-08", "2025-Q2", "2024"}},
	} {
		if got := service.TimelinessPeriods(tc.today, tc.days); !slices.Equal(got, tc.want) {
			t.Errorf("TimelinessPeriods(%s, %d) = %v, want %v", tc.today, tc.days, got, tc.want)
		}
	}
}

// TestTimelinessFromObligationEvents: each obligation's expected, done and
// on time over the newest closed period, from compliance's events alone,
// per district, per company and summed in the summary; a period done late
// (Missed, then Completed) counts done and not on time whichever arrived
// first; a period not closed yet and an obligation never reported are not
// counted, and "not reported" stays distinct from "nothing expected".
func TestTimelinessFromObligationEvents(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	apply(companyActive("jingkai", "c1"), companyActive("jingkai", "c2"), companyActive("caidian", "c3"),
		// c1's August inspections: 1 of 2 by the deadline, the second late
		// (Missed, then Completed).
		obligationEvent("jingkai", "c1", "inspection", "2025-08", 2, 1, 1, true),
		obligationEvent("jingkai", "c1", "inspection", "2025-08", 2, 2, 1, false),
		// c2 the other way round (a consumer may see them so after a
		// replay): its late two-four-one check of August.
		obligationEvent("jingkai", "c2", "four_one", "2025-08", 1, 1, 0, false),
		obligationEvent("jingkai", "c2", "four_one", "2025-08", 1, 0, 0, true),
		// c1's August check missed; its September one done early (not
		// closed yet: not counted, though it reports the obligation).
		obligationEvent("jingkai", "c1", "four_one", "2025-08", 1, 0, 0, true),
		obligationEvent("jingkai", "c1", "four_one", "2025-09", 1, 1, 1, false),
		// c2's roundtables of the current period only: reported, nothing
		// expected in the periods covered.
		obligationEvent("jingkai", "c2", "roundtable", "2025-10", 1, 1, 1, false),
		// A quarterly schedule in caidian: Q2 is the newest closed quarter.
		obligationEvent("caidian", "c3", "inspection", "2025-Q2", 3, 0, 0, true),
		obligationEvent("caidian", "c3", "inspection", "2025-Q1", 3, 3, 3, false),
	)
	svc := cityService(st, "jingkai", "caidian")
	ctx := context.Background()
	v, err := svc.Compliance(ctx, "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	tl := v.Timeliness
	if i := tl.Inspection; !i.Reported || i.Expected != 2 || i.Done != 2 || i.OnTime != 1 || *i.Completeness != 1 || *i.Timeliness != 0.5 ||
		!slices.Equal(i.Periods, []string{"2025-08"}) || i.CompanyPeriods != 1 {
		t.Errorf("jingkai's inspections %+v, want 2 expected, 2 done, 1 on time in 2025-08", i)
	}
	if f := tl.FourOne; !f.Reported || f.Expected != 2 || f.Done != 1 || f.OnTime != 0 || f.CompanyPeriods != 2 || *f.Completeness != 0.5 {
		t.Errorf("jingkai's two-four-one %+v, want August's 2 expected, 1 done, 0 on time", f)
	}
	if r := tl.Roundtable; !r.Reported || r.Expected != 0 || r.Completeness != nil || r.Timeliness != nil {
		t.Errorf("jingkai's roundtables %+v, want reported with null rates (nothing expected in a closed period)", r)
	}
	// The top level stays the inspection schedules' figure, as before.
	if tl.Expected != 2 || tl.Done != 2 || tl.OnTime != 1 || tl.Timeliness == nil || *tl.Timeliness != 0.5 || tl.Days != 15 {
		t.Errorf("jingkai's timeliness top level %+v, want the inspections'", tl)
	}
	if len(v.Companies) != 2 {
		t.Fatalf("companies %+v", v.Companies)
	}
	c1, c2 := v.Companies[0].Timeliness, v.Companies[1].Timeliness
	if c1.Inspection.Done != 2 || c1.Inspection.OnTime != 1 || c1.FourOne.Expected != 1 || c1.FourOne.Done != 0 || c1.Roundtable.Reported {
		t.Errorf("c1 %+v", c1)
	}
	if c2.Inspection.Reported || c2.Inspection.Completeness != nil || c2.FourOne.Done != 1 || c2.FourOne.OnTime != 0 ||
		!c2.Roundtable.Reported || c2.Roundtable.Completeness != nil {
		t.Errorf("c2 %+v", c2)
	}
	b, _ := json.Marshal(v.Companies[1].Timeliness)
	for _, want := range []string{`"inspection":{"reported":false,"periods":[],"company_periods":0,"expected":0,"done":0,"on_time":0,"completeness":null,"timeliness":null}`,
		`"roundtable":{"reported":true,"periods":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("c2's timeliness lacks %s:\n%s", want, b)
		}
	}

	sum, err := svc.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := sum.Compliance.Timeliness.Inspection; i.Expected != 5 || i.Done != 2 || i.OnTime != 1 ||
		!slices.Equal(i.Periods, []string{"2025-08", "2025-Q2"}) {
		t.Errorf("the city's inspections %+v, want jingkai's August and caidian's Q2 summed", i)
	}
	if r := sum.Compliance.Timeliness.Roundtable; !r.Reported || r.Expected != 0 {
		t.Errorf("the city's roundtables %+v", r)
	}
	d, err := svc.District(ctx, "caidian")
	if err != nil {
		t.Fatal(err)
	}
	if f := d.Compliance.Timeliness.FourOne; f.Reported || f.Completeness != nil {
		t.Errorf("caidian's two-four-one %+v, want not reported", f)
	}
}
