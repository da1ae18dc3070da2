package hq

import (
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
)

// TestTheVisitPlanIsReadFromEtcdLive: HQ counts the field visits against
// the city-wide plan at policy.VisitPlanKey (the meetings services' key),
// the default until one is stored, and follows a change without a restart.
func TestTheVisitPlanIsReadFromEtcdLive(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	plan := func() (float64, string) {
		t.Helper()
		status, id, body := e.do(t, http.MethodGet, "/api/v1/hq/districts/jingkai", "")
		if status != http.StatusOK {
			t.Fatalf("district view = %d %s", status, id)
		}
		fv, _ := body["field_visits"].(map[string]any)
		every, _ := fv["every_months"].(float64)
		per, _ := fv["per"].(string)
		return every, per
	}
	if every, per := plan(); every != float64(policy.DefaultVisitPlan.EveryMonths) || per != string(policy.DefaultVisitPlan.Per) {
		t.Fatalf("before any plan is stored: every %v per %q, want the default", every, per)
	}
	for _, want := range []policy.VisitPlan{{EveryMonths: 3, Per: policy.Month}, {EveryMonths: 12, Per: policy.Year}} {
		raw, err := policy.EncodeVisitPlan(want)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cli.Put(e.ctx, policy.VisitPlanKey, string(raw)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			every, per := plan()
			if every == float64(want.EveryMonths) && per == string(want.Per) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("HQ's plan is every %v per %q, want %+v", every, per, want)
			}
			time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
		}
	}
}

// TestTimelinessDaysFollowTheCompliancePolicyInEtcd: HQ's timeliness
// counts with the city-wide compliance policy's timeliness_days
// (policy.ComplianceKey, the districts' compliance services' key), the
// default until one is stored, and follows a change without a restart:
// the same days decide which period HQ and compliance call closed.
func TestTimelinessDaysFollowTheCompliancePolicyInEtcd(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	days := func() float64 {
		t.Helper()
		status, id, body := e.do(t, http.MethodGet, "/api/v1/hq/districts/jingkai", "")
		if status != http.StatusOK {
			t.Fatalf("district view = %d %s", status, id)
		}
		c, _ := body["compliance"].(map[string]any)
		tl, _ := c["timeliness"].(map[string]any)
		d, _ := tl["timeliness_days"].(float64)
		return d
	}
	if d := days(); d != float64(policy.DefaultCompliance.TimelinessDays) {
		t.Fatalf("before any policy is stored: timeliness_days %v, want the default %d", d, policy.DefaultCompliance.TimelinessDays)
	}
	p := policy.DefaultCompliance
	p.TimelinessDays = 4
	raw, err := policy.EncodeCompliance(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.Put(e.ctx, policy.ComplianceKey, string(raw)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d := days(); d != 4; d = days() {
		if time.Now().After(deadline) {
			t.Fatalf("HQ's timeliness_days is %v, want 4", d)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
}
