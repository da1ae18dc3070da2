package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// DispatchKey is the etcd key of the city-wide response targets of police
// dispatch requests (警保联动), per urgency: JSON such as
// {"urgent": {"accept_seconds": 30, "arrive_urban_seconds": 300,
// "arrive_suburban_seconds": 600, "feedback_seconds": 1800}, "routine": {…}}.
// An urgency or a field left out keeps its default (DefaultDispatch).
const DispatchKey = CityPrefix + "dispatch"

// DispatchTargets are the response targets of one urgency, in seconds
// from the request being raised (accept: from each offer).
type DispatchTargets struct {
	// AcceptSeconds: a team leader accepts (签收) within it, or the
	// request is re-offered to the next team and escalated.
	AcceptSeconds int `json:"accept_seconds"`
	// ArriveUrbanSeconds and ArriveSuburbanSeconds: on scene (到场).
	ArriveUrbanSeconds    int `json:"arrive_urban_seconds"`
	ArriveSuburbanSeconds int `json:"arrive_suburban_seconds"`
	// FeedbackSeconds: the team's feedback (反馈) to the police.
	FeedbackSeconds int `json:"feedback_seconds"`
}

// Dispatch is the value at DispatchKey.
type Dispatch struct {
	Urgent  DispatchTargets `json:"urgent"`
	Routine DispatchTargets `json:"routine"`
}

// DefaultDispatch is the targets while the key is absent. Urgent requests
// take the Chinese police's own practice: accept (签收) within 30 s, on
// scene within 5 minutes in town and 10 in the suburbs, feedback within
// 30 minutes. Routine requests get twice as long (our choice: the
// practice sets no separate routine figure).
var DefaultDispatch = Dispatch{
	Urgent:  DispatchTargets{AcceptSeconds: 30, ArriveUrbanSeconds: 300, ArriveSuburbanSeconds: 600, FeedbackSeconds: 1800},
	Routine: DispatchTargets{AcceptSeconds: 60, ArriveUrbanSeconds: 600, ArriveSuburbanSeconds: 1200, FeedbackSeconds: 3600},
}

// ErrDispatchTarget is the stable id of a target out of range.
var ErrDispatchTarget = errs.InvalidField("dispatch.target_invalid", "accept_seconds",
	"every target is 1 to 86400 seconds, and a suburban arrival target is not shorter than the urban one")

// Validate checks one urgency's targets.
func (t DispatchTargets) Validate() error {
	for _, v := range []int{t.AcceptSeconds, t.ArriveUrbanSeconds, t.ArriveSuburbanSeconds, t.FeedbackSeconds} {
		if v < 1 || v > 86400 {
			return ErrDispatchTarget
		}
	}
	if t.ArriveSuburbanSeconds < t.ArriveUrbanSeconds {
		return ErrDispatchTarget.WithField("arrive_suburban_seconds")
	}
	return nil
}

// Validate implements Value.
func (d Dispatch) Validate() error {
	if err := d.Urgent.Validate(); err != nil {
		return err
	}
	return d.Routine.Validate()
}

// For returns the targets of urgency ("urgent" or "routine").
func (d Dispatch) For(urgency string) DispatchTargets {
	if urgency == "urgent" {
		return d.Urgent
	}
	return d.Routine
}

// Accept, Arrive and Feedback are the targets as durations.
func (t DispatchTargets) Accept() time.Duration { return time.Duration(t.AcceptSeconds) * time.Second }

// Arrive is the on-scene target of the setting ("urban" or "suburban").
func (t DispatchTargets) Arrive(setting string) time.Duration {
	if setting == "suburban" {
		return time.Duration(t.ArriveSuburbanSeconds) * time.Second
	}
	return time.Duration(t.ArriveUrbanSeconds) * time.Second
}

// Feedback is the feedback target.
func (t DispatchTargets) Feedback() time.Duration {
	return time.Duration(t.FeedbackSeconds) * time.Second
}

// ParseDispatch decodes the value at DispatchKey over DefaultDispatch and
// validates it.
func ParseDispatch(raw []byte) (Dispatch, error) {
	v := DefaultDispatch
	if err := json.Unmarshal(raw, &v); err != nil {
		return Dispatch{}, fmt.Errorf("policy: dispatch: %w", err)
	}
	if err := v.Validate(); err != nil {
		return Dispatch{}, err
	}
	return v, nil
}
