package policy_test

import (
	"errors"
	"testing"

	"github.com/guildhall/guildhall/pkg/policy"
)

func TestParseVisitPlan(t *testing.T) {
	t.Parallel()
	if policy.VisitPlanKey != "/guildhall/policy/meetings/field-visits" {
		t.Fatalf("key %q", policy.VisitPlanKey)
	}
	for _, tc := range []struct {
		name, raw string
		want      policy.VisitPlan
		err       error
	}{
		{"A six-month plan per quarter is valid.", `{"every_months":6,"per":"quarter"}`, policy.VisitPlan{EveryMonths: 6, Per: policy.Quarter}, nil},
		{"A monthly plan per month is valid.", `{"every_months":1,"per":"month"}`, policy.VisitPlan{EveryMonths: 1, Per: policy.Month}, nil},
		{"Two years per year is the longest.", `{"every_months":24,"per":"year"}`, policy.VisitPlan{EveryMonths: 24, Per: policy.Year}, nil},
		{"A field the reader does not know is ignored.", `{"every_months":3,"per":"month","note":"x"}`, policy.VisitPlan{EveryMonths: 3, Per: policy.Month}, nil},
		{"0 months is refused.", `{"every_months":0,"per":"month"}`, policy.VisitPlan{}, policy.ErrVisitPlanEvery},
		{"25 months is refused.", `{"every_months":25,"per":"month"}`, policy.VisitPlan{}, policy.ErrVisitPlanEvery},
		{"A week is refused.", `{"every_months":6,"per":"week"}`, policy.VisitPlan{}, policy.ErrVisitPlanPer},
		{"A missing period is refused.", `{"every_months":6}`, policy.VisitPlan{}, policy.ErrVisitPlanPer},
		{"JSON null is refused.", `null`, policy.VisitPlan{}, policy.ErrVisitPlanEvery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseVisitPlan([]byte(tc.raw))
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("ParseVisitPlan(%s) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || got != (policy.VisitPlan{}) {
				t.Fatalf("ParseVisitPlan(%s) = %+v, %v; want %v", tc.raw, got, err, tc.err)
			}
		})
	}
	if err := policy.DefaultVisitPlan.Validate(); err != nil {
		t.Fatalf("default plan: %v", err)
	}
	if raw, err := policy.EncodeVisitPlan(policy.DefaultVisitPlan); err != nil || string(raw) != `{"every_months":6,"per":"quarter"}` {
		t.Fatalf("EncodeVisitPlan = %s, %v", raw, err)
	}
	if _, err := policy.EncodeVisitPlan(policy.VisitPlan{EveryMonths: 6, Per: policy.Week}); !errors.Is(err, policy.ErrVisitPlanPer) {
		t.Fatalf("EncodeVisitPlan(week) = %v", err)
	}
}

func TestVisitPlanPlanned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		plan      policy.VisitPlan
		companies int
		want      int
	}{
		{"5 companies every 6 months plan 3 visits a quarter (2.5 rounded up).", policy.VisitPlan{EveryMonths: 6, Per: policy.Quarter}, 5, 3},
		{"4 companies every 6 months plan 2 visits a quarter.", policy.VisitPlan{EveryMonths: 6, Per: policy.Quarter}, 4, 2},
		{"4 companies every 6 months plan 8 visits a year.", policy.VisitPlan{EveryMonths: 6, Per: policy.Year}, 4, 8},
		{"3 companies monthly plan 3 a month.", policy.VisitPlan{EveryMonths: 1, Per: policy.Month}, 3, 3},
		{"No company plans no visit.", policy.VisitPlan{EveryMonths: 6, Per: policy.Quarter}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.plan.Planned(tc.companies); got != tc.want {
				t.Fatalf("Planned(%d) = %d, want %d", tc.companies, got, tc.want)
			}
		})
	}
}
