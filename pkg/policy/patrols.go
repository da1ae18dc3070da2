package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// PatrolsKey is the etcd key of the city-wide patrol rules (巡防): JSON
// such as {"shift_grace_seconds": 600, "checkpoint_tolerance_m": 30,
// "repeat_interval_seconds": 60, "max_clock_skew_seconds": 120}. Every
// district's patrols node checks each checkpoint scan against it and
// raises missed tours by it. A field left out keeps its default
// (DefaultPatrols), so a writer may set one rule alone.
const PatrolsKey = CityPrefix + "patrols"

// Patrols is the value at PatrolsKey.
type Patrols struct {
	// ShiftGraceSeconds is how long before a shift's start and after its
	// end a scan still counts for it, and how late a tour may start or
	// finish before it is a missed tour: 0 to 3600.
	ShiftGraceSeconds int `json:"shift_grace_seconds"`
	// CheckpointToleranceM is how far (metres, haversine) from its
	// checkpoint a scan's position may be: 5 to 500. GPS is good to
	// 15–20 m outdoors, so the default 30 m takes a fix at its usual error.
	CheckpointToleranceM float64 `json:"checkpoint_tolerance_m"`
	// RepeatIntervalSeconds is how long after (or, for an offline batch in
	// any order, before) an accepted scan of a checkpoint another scan of
	// it by the same guard is a repeat, refused: 1 to 3600. It defeats the
	// repeat-scanning cheat (standing at one tag scanning it again and
	// again to make up the expected scans).
	RepeatIntervalSeconds int `json:"repeat_interval_seconds"`
	// MaxClockSkewSeconds is how far a device's clock may disagree with the
	// server's at upload before the upload is flagged and its scans' times
	// are corrected by the offset: 1 to 86400.
	MaxClockSkewSeconds int `json:"max_clock_skew_seconds"`
}

// DefaultPatrols are the rules while the key is absent (and each rule a
// value leaves out): a 10-minute grace, 30 m, one minute, two minutes.
var DefaultPatrols = Patrols{ShiftGraceSeconds: 600, CheckpointToleranceM: 30, RepeatIntervalSeconds: 60, MaxClockSkewSeconds: 120}

// Stable ids of a patrol rule out of range.
var (
	ErrPatrolsGrace     = errs.InvalidField("patrols.shift_grace_invalid", "shift_grace_seconds", "shift_grace_seconds is 0 to 3600")
	ErrPatrolsTolerance = errs.InvalidField("patrols.checkpoint_tolerance_invalid", "checkpoint_tolerance_m", "checkpoint_tolerance_m is 5 to 500 metres")
	ErrPatrolsRepeat    = errs.InvalidField("patrols.repeat_interval_invalid", "repeat_interval_seconds", "repeat_interval_seconds is 1 to 3600")
	ErrPatrolsSkew      = errs.InvalidField("patrols.max_clock_skew_invalid", "max_clock_skew_seconds", "max_clock_skew_seconds is 1 to 86400")
)

// Validate implements Value.
func (p Patrols) Validate() error {
	switch {
	case p.ShiftGraceSeconds < 0 || p.ShiftGraceSeconds > 3600:
		return ErrPatrolsGrace
	case !(p.CheckpointToleranceM >= 5 && p.CheckpointToleranceM <= 500):
		return ErrPatrolsTolerance
	case p.RepeatIntervalSeconds < 1 || p.RepeatIntervalSeconds > 3600:
		return ErrPatrolsRepeat
	case p.MaxClockSkewSeconds < 1 || p.MaxClockSkewSeconds > 86400:
		return ErrPatrolsSkew
	}
	return nil
}

// Grace is ShiftGraceSeconds as a duration.
func (p Patrols) Grace() time.Duration { return time.Duration(p.ShiftGraceSeconds) * time.Second }

// RepeatInterval is RepeatIntervalSeconds as a duration.
func (p Patrols) RepeatInterval() time.Duration {
	return time.Duration(p.RepeatIntervalSeconds) * time.Second
}

// MaxClockSkew is MaxClockSkewSeconds as a duration.
func (p Patrols) MaxClockSkew() time.Duration {
	return time.Duration(p.MaxClockSkewSeconds) * time.Second
}

// ParsePatrols decodes the value at PatrolsKey over DefaultPatrols (a
// field left out keeps its default) and validates it.
func ParsePatrols(raw []byte) (Patrols, error) {
	v := DefaultPatrols
	if err := json.Unmarshal(raw, &v); err != nil {
		return Patrols{}, fmt.Errorf("policy: patrols: %w", err)
	}
	if err := v.Validate(); err != nil {
		return Patrols{}, err
	}
	return v, nil
}

// EncodePatrols returns the value to store at PatrolsKey for p, after
// checking that every reader would accept it.
func EncodePatrols(p Patrols) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}
