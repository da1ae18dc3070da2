package policy_test

import (
	"errors"
	"testing"

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
