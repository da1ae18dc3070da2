package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
)

func TestParsePatrols(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		raw  string
		want policy.Patrols
		err  error
	}{
		{"An empty object is every default.", `{}`, policy.DefaultPatrols, nil},
		{"One rule set keeps the others' defaults.", `{"checkpoint_tolerance_m": 50}`,
			policy.Patrols{ShiftGraceSeconds: 600, CheckpointToleranceM: 50, RepeatIntervalSeconds: 60, MaxClockSkewSeconds: 120}, nil},
		{"A zero grace is allowed.", `{"shift_grace_seconds": 0}`,
			policy.Patrols{ShiftGraceSeconds: 0, CheckpointToleranceM: 30, RepeatIntervalSeconds: 60, MaxClockSkewSeconds: 120}, nil},
		{"A negative grace is refused.", `{"shift_grace_seconds": -1}`, policy.Patrols{}, policy.ErrPatrolsGrace},
		{"A tolerance under 5 m is refused.", `{"checkpoint_tolerance_m": 4.9}`, policy.Patrols{}, policy.ErrPatrolsTolerance},
		{"A tolerance over 500 m is refused.", `{"checkpoint_tolerance_m": 501}`, policy.Patrols{}, policy.ErrPatrolsTolerance},
		{"A zero repeat interval is refused.", `{"repeat_interval_seconds": 0}`, policy.Patrols{}, policy.ErrPatrolsRepeat},
		{"A skew limit over a day is refused.", `{"max_clock_skew_seconds": 86401}`, policy.Patrols{}, policy.ErrPatrolsSkew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParsePatrols([]byte(tc.raw))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := policy.ParsePatrols([]byte(`not json`)); err == nil {
		t.Fatal("malformed JSON parsed")
	}
	raw, err := policy.EncodePatrols(policy.DefaultPatrols)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := policy.ParsePatrols(raw); err != nil || back != policy.DefaultPatrols {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestParseDispatch(t *testing.T) {
	t.Parallel()
	d, err := policy.ParseDispatch([]byte(`{"urgent": {"accept_seconds": 20}}`))
	if err != nil || d.Urgent.AcceptSeconds != 20 || d.Urgent.ArriveUrbanSeconds != 300 || d.Routine != policy.DefaultDispatch.Routine {
		t.Fatalf("%+v %v: want urgent accept 20, the rest defaults", d, err)
	}
	for _, raw := range []string{`{"urgent": {"accept_seconds": 0}}`, `{"routine": {"feedback_seconds": 86401}}`,
		`{"urgent": {"arrive_urban_seconds": 900, "arrive_suburban_seconds": 600}}`} {
		if _, err := policy.ParseDispatch([]byte(raw)); !errors.Is(err, policy.ErrDispatchTarget) {
			t.Errorf("%s: %v, want dispatch.target_invalid", raw, err)
		}
	}
	if got := policy.DefaultDispatch.For("urgent").Arrive("suburban"); got != 10*time.Minute {
		t.Fatalf("urgent suburban arrival %v", got)
	}
}
