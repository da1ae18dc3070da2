package compliance_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// TestAnEtcdPolicyChangeRecomputes runs a node watching a real (embedded)
// etcd: the city's policy at /guildhall/policy/compliance is scored with
// as soon as it is read, a change (fewer hours a year, stricter pre-job
// training) recomputes every company and announces what reached or fell
// from 100%, an invalid value is rejected and the last good one stays, and
// deleting the key restores the default.
func TestAnEtcdPolicyChangeRecomputes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded etcd; skipped in -short")
	}
	infra := testutil.NewEnv(t)
	infra.Put(policy.ComplianceKey, `{"annual_training_hours": 30}`)
	reg := prometheus.NewPedanticRegistry()
	e := newEnvWith(t, compliance.Config{RefreshInterval: 10 * time.Millisecond}, compliance.Deps{Etcd: infra.Etcd().Client, Registerer: reg})
	infra.Background("compliance node", e.node.Run)
	testutil.Eventually(t, "the etcd policy applied", func() bool { return e.scoreboard().Policy.AnnualTrainingHours == 30 })

	g := e.hireTrained(okGuard("g1", "c1")) // 24 h: short of 30
	if c := e.company("c1"); c.Counts.Trained != 0 {
		t.Fatalf("24 h under a 30 h policy: %+v", c)
	}
	seq := e.lastSeq()
	infra.Put(policy.ComplianceKey, `{"annual_training_hours": 20}`)
	testutil.Eventually(t, "the recompute under 20 h", func() bool { return e.company("c1").Counts.Trained == 1 })
	// Run also announces the changed counts (FourHundredCountsChanged);
	// the transition is announced once.
	reached := 0
	for _, typ := range typesOf(e.events(seq)) {
		if typ == eventsv1.TypeFourHundredReached {
			reached++
		}
	}
	if reached != 1 {
		t.Fatalf("%d FourHundredReached, want 1", reached)
	}
	var pv struct {
		Current policy.Compliance  `json:"current"`
		Applied *policy.Compliance `json:"applied"`
	}
	e.Must(200, "GET", "/compliance/policy", nil, &pv)
	if pv.Current.AnnualTrainingHours != 20 || pv.Applied == nil || *pv.Applied != pv.Current {
		t.Fatalf("policy %+v", pv)
	}

	// What counts as pre-job training: 8 h of pre-job records now; g1
	// has none (only membership's flag).
	infra.Put(policy.ComplianceKey, `{"annual_training_hours": 20, "pre_job_min_hours": 8}`)
	testutil.Eventually(t, "the recompute under 8 h pre-job", func() bool { return e.company("c1").Counts.Trained == 0 })
	if gs := e.gaps("criterion=training"); len(gs) != 1 || gs[0].Reason != "pre_job_missing" {
		t.Fatalf("gaps %+v", gs)
	}
	g3 := next(g, func(*guard) {})
	e.apply(trained(g3, "pre_job", 8, "2026-06-02"))
	if c := e.company("c1"); c.Counts.Trained != 1 {
		t.Fatalf("8 h pre-job: %+v", c)
	}

	// A bad value is rejected: the last good policy stays.
	infra.Put(policy.ComplianceKey, `{"annual_training_hours": -5}`)
	testutil.Eventually(t, "the bad value rejected", func() bool {
		return invalid(t, reg) == 1
	})
	e.Must(200, "GET", "/compliance/policy", nil, &pv)
	if pv.Current.AnnualTrainingHours != 20 || pv.Current.PreJobMinHours != 8 {
		t.Fatalf("after a bad value %+v", pv.Current)
	}
	// Deleting the key restores the default (24 h): 32 h still trained.
	if _, err := infra.Etcd().Client.Delete(t.Context(), policy.ComplianceKey); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the default policy", func() bool {
		s := e.scoreboard()
		return s.Policy == policy.DefaultCompliance && s.Counts.Trained == 1
	})
}

// invalid is the config watcher's count of rejected policy values (0
// before the first: the counter has no series yet).
func invalid(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "guildhall_config_invalid_total" {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestTheEvaluationPolicyParses: a value in etcd carries its version;
// unknown criteria, weights out of range or all zero, grades not highest
// first and periods other than quarter and year are refused with their
// ids; omitted weights and grades keep the defaults.
func TestTheEvaluationPolicyParses(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		err       error
	}{
		{"Versioned weights.", `{"version": 3, "weights": {"badge": 50, "convention": 50}}`, nil},
		{"A yearly policy with its grades.", `{"version": 1, "period": "year", "grades": [{"grade": "优", "min": 80}, {"grade": "良", "min": 0}]}`, nil},
		{"No version.", `{"weights": {"badge": 50}}`, policy.ErrEvaluationVersion},
		{"Version 0.", `{"version": 0}`, policy.ErrEvaluationVersion},
		{"A monthly period.", `{"version": 1, "period": "month"}`, policy.ErrEvaluationPeriod},
		{"An unknown criterion.", `{"version": 1, "weights": {"smile": 10}}`, policy.ErrEvaluationWeights},
		{"A weight over 100.", `{"version": 1, "weights": {"badge": 101}}`, policy.ErrEvaluationWeights},
		{"Every weight 0.", `{"version": 1, "weights": {"badge": 0}}`, policy.ErrEvaluationWeights},
		{"Grades not highest first.", `{"version": 1, "grades": [{"grade": "B", "min": 60}, {"grade": "A", "min": 90}]}`, policy.ErrEvaluationGrades},
		{"A grade without a name.", `{"version": 1, "grades": [{"grade": "", "min": 60}]}`, policy.ErrEvaluationGrades},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.ParseEvaluation([]byte(tc.raw))
			if err != tc.err {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && (len(p.Weights) == 0 || len(p.Grades) == 0 || p.Version < 1) {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
	if p, _ := policy.ParseEvaluation([]byte(`{"version": 2}`)); p.Period != policy.Quarter || p.Weights["inspection_score"] != 15 || p.GradeOf(89.99) != "B" {
		t.Fatalf("defaults kept: %+v", p)
	}
	if _, err := policy.EncodeEvaluation(policy.DefaultEvaluationPolicy); err != policy.ErrEvaluationVersion {
		t.Fatalf("encoding the built-in default (version 0): %v", err)
	}
}
