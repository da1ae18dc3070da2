package projector

import (
	"context"
	"database/sql"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// The meetings events carry the meeting or action item snapshot after the
// change, but an attendance or minutes event may be keyed by a part of the
// meeting (an invitee, a minutes version) rather than the meeting itself,
// so the envelope's aggregate and sequence do not always describe the
// snapshot. The projector therefore orders meeting and action item
// snapshots by their own version (then update time, see
// store.SnapshotState.Newer) and checks only their district.

func decodeMeeting(env *eventsv1.Envelope) (*eventsv1.Meeting, error) {
	var m interface {
		proto.Message
		GetMeeting() *eventsv1.Meeting
	}
	switch env.GetType() {
	case eventsv1.TypeMeetingScheduled:
		m = &eventsv1.MeetingScheduled{}
	case eventsv1.TypeMeetingUpdated:
		m = &eventsv1.MeetingUpdated{}
	case eventsv1.TypeMeetingStatusChanged:
		m = &eventsv1.MeetingStatusChanged{}
	case eventsv1.TypeAttendanceRecorded:
		m = &eventsv1.AttendanceRecorded{}
	default:
		m = &eventsv1.MinutesPublished{}
	}
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	mt := m.GetMeeting()
	if mt == nil || mt.GetId() == "" {
		return nil, reject(eventbus.ReasonBadPayload, "%s without a meeting snapshot", env.GetType())
	}
	return mt, nil
}

func decodeActionItem(env *eventsv1.Envelope) (*eventsv1.ActionItem, error) {
	var m interface {
		proto.Message
		GetItem() *eventsv1.ActionItem
	}
	switch env.GetType() {
	case eventsv1.TypeActionItemCreated:
		m = &eventsv1.ActionItemCreated{}
	case eventsv1.TypeActionItemStatusChanged:
		m = &eventsv1.ActionItemStatusChanged{}
	default:
		m = &eventsv1.ActionItemReminder{}
	}
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	a := m.GetItem()
	if a == nil || a.GetId() == "" {
		return nil, reject(eventbus.ReasonBadPayload, "%s without an action item snapshot", env.GetType())
	}
	return a, nil
}

// ownDistrict rejects a snapshot of another district than the envelope's.
func ownDistrict(env *eventsv1.Envelope, district string) error {
	if district != "" && district != env.GetDistrict() {
		return reject(eventbus.ReasonDistrictMismatch, "snapshot of district %q in an event of district %q", district, env.GetDistrict())
	}
	return nil
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func (p *Projector) meeting(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.Meeting) (bool, error) {
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	updated := timeOf(m.GetUpdatedAt())
	st, found, err := p.store.MeetingState(ctx, tx, m.GetId())
	if err != nil {
		return false, err
	}
	if found && !st.Newer(m.GetVersion(), updated) {
		return false, nil
	}
	return true, p.store.PutMeeting(ctx, tx, store.Meeting{
		ID: m.GetId(), District: env.GetDistrict(), Type: m.GetType(), Title: m.GetTitle(), Status: m.GetStatus(),
		StartsAt: timeOf(m.GetStartsAt()), EndsAt: timeOf(m.GetEndsAt()),
		InvitedCompanies: int64(m.GetInvitedCompanies()), AttendedCompanies: int64(m.GetAttendedCompanies()),
		InvitedPeople: int64(m.GetInvitedPeople()), AttendedPeople: int64(m.GetAttendedPeople()),
		Version: m.GetVersion(), UpdatedAt: updated,
	})
}

func (p *Projector) actionItem(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, a *eventsv1.ActionItem) (bool, error) {
	if err := ownDistrict(env, a.GetDistrict()); err != nil {
		return false, err
	}
	updated := timeOf(a.GetUpdatedAt())
	st, found, err := p.store.ActionItemState(ctx, tx, a.GetId())
	if err != nil {
		return false, err
	}
	if found && !st.Newer(a.GetVersion(), updated) {
		return false, nil
	}
	return true, p.store.PutActionItem(ctx, tx, store.ActionItem{
		ID: a.GetId(), District: env.GetDistrict(), ResolutionID: a.GetResolutionId(), MeetingID: a.GetMeetingId(),
		Title: a.GetTitle(), OwnerKind: a.GetOwnerKind(), OwnerCompanyID: a.GetOwnerCompanyId(),
		OwnerName: a.GetOwnerName(), DueOn: a.GetDueOn(), Status: a.GetStatus(),
		Version: a.GetVersion(), UpdatedAt: updated,
	})
}

func (p *Projector) resolution(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	var r eventsv1.ResolutionAdopted
	if err := unmarshal(env, &r); err != nil {
		return false, err
	}
	if r.GetId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "ResolutionAdopted without an id")
	}
	if err := ownDistrict(env, r.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutResolution(ctx, tx, store.Resolution{
		ID: r.GetId(), District: env.GetDistrict(), MeetingID: r.GetMeetingId(), Title: r.GetTitle(),
		ActionItems: int64(r.GetActionItems()),
	})
}

// signature records a signature as it was made. Whether it counts for the
// convention signature rate is decided when the rate is read, against the
// current version then: a signature of an old version (or one made while
// its version was not current) is kept but never counts.
func (p *Projector) signature(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	var m eventsv1.ConventionSigned
	if err := unmarshal(env, &m); err != nil {
		return false, err
	}
	g := m.GetSignature()
	if g == nil || g.GetId() == "" || g.GetCompanyId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "ConventionSigned without a signature of a company")
	}
	if err := ownDistrict(env, g.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutSignature(ctx, tx, store.Signature{
		ID: g.GetId(), District: env.GetDistrict(), CompanyID: g.GetCompanyId(),
		ConventionVersion: g.GetConventionVersion(), Current: g.GetCurrent(),
		SignedAt: timeOf(g.GetSignedAt()), MeetingID: g.GetMeetingId(),
	})
}
