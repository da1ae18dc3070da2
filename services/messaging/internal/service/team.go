package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Kinds of a team notice: the patrols event that made it.
const (
	TeamNoticeMemberSuspended  = "member_suspended"
	TeamNoticeMemberReinstated = "member_reinstated"
	TeamNoticeDoubleBooking    = "double_booking_resolved"
	// TeamNoticeDispatchOffered: a police dispatch (警保联动) is offered to
	// the leader's team, to accept (签收) over patrols' API.
	TeamNoticeDispatchOffered = "dispatch_offered"
)

// Statuses of a team notice's receipt.
const (
	TeamNoticeDelivered = "delivered"
	TeamNoticeRead      = "read"
)

// ErrTeamNoticeNotFound: the guard has no team notice of that id.
var ErrTeamNoticeNotFound = errs.E(errs.NotFound, "team_notice.not_found", "the guard has no such team notice")

// TeamNotice is a notice (通知) to one person: the leader of a
// volunteer-police team (江城义警), told what the district's patrols topic
// reports about the team (a member suspended automatically, or
// reinstated; a cross-district double booking resolved; a police dispatch
// offered to the team, which its leader accepts). Only the leader
// and the district lead see it; the leader's read is its receipt.
type TeamNotice struct {
	ID string `json:"id"`
	// GuardID is the leader's guard record: whom the notice is to.
	GuardID string `json:"guard_id"`
	// Kind is member_suspended, member_reinstated, double_booking_resolved
	// or dispatch_offered.
	Kind  string `json:"kind" enum:"member_suspended,member_reinstated,double_booking_resolved,dispatch_offered"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// TeamID is the team (empty for a double booking).
	TeamID string `json:"team_id"`
	// SubjectGuardID is the member suspended or reinstated, or the guard
	// double-booked (empty for a dispatch).
	SubjectGuardID string `json:"subject_guard_id"`
	// DispatchID is the dispatch offered (dispatch_offered only).
	DispatchID string `json:"dispatch_id" doc:"the police dispatch offered to the team (kind dispatch_offered), which the leader accepts at POST /api/v1/districts/{district}/dispatches/{id}/accept; empty for the other kinds"`
	// ShiftID is this district's shift of a double booking.
	ShiftID string `json:"shift_id"`
	// Reasons are the error ids of the conditions a suspended member fails.
	Reasons []string `json:"reasons"`
	// EventID is the patrols event the notice comes from.
	EventID   string    `json:"event_id"`
	CreatedAt time.Time `json:"created_at"`
	// Status is delivered or read.
	Status string     `json:"status"`
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// TeamQueries keeps the team notices.
type TeamQueries interface {
	// InsertTeamNotice stores n unless the leader already has the notice
	// of n.EventID; it reports whether it did.
	InsertTeamNotice(ctx context.Context, n TeamNotice) (bool, error)
	// GetTeamNotice returns guard's notice id: ErrTeamNoticeNotFound if
	// the guard has none of that id.
	GetTeamNotice(ctx context.Context, guard, id string) (TeamNotice, error)
	// ListTeamNotices lists guard's notices in delivery (id) order, every
	// leader's when guard is empty.
	ListTeamNotices(ctx context.Context, guard string, page kitx.Page) ([]TeamNotice, string, error)
	// MarkTeamNoticeRead records the read at at, unless it was read.
	MarkTeamNoticeRead(ctx context.Context, id string, at time.Time) error
}

// Team is the team notices' part of Service.
type Team interface {
	// ListTeamNotices lists every team notice of the district (the lead).
	ListTeamNotices(ctx context.Context, page kitx.Page) ([]TeamNotice, string, error)
	// GuardTeamNotices lists the team notices to guard.
	GuardTeamNotices(ctx context.Context, guard string, page kitx.Page) ([]TeamNotice, string, error)
	// ReadTeamNotice marks guard's notice read: the leader's receipt.
	ReadTeamNotice(ctx context.Context, guard, id string) (TeamNotice, error)
}

// teamActor is the actor of a team notice's delivery: the node, applying
// patrols' event.
var teamActor = audit.Actor{Subject: "patrols", Role: "system"}

// TeamEvent is what a patrols event tells a team's leader, decoded by the
// consumer of the district's patrols topic.
type TeamEvent struct {
	// EventID is the patrols event's id; Kind what it reports.
	EventID, Kind string
	// LeaderID is the leader's guard record (notify_guard_id).
	LeaderID string
	// TeamID and TeamName are the team's (a member's suspension or
	// reinstatement).
	TeamID, TeamName string
	// SubjectGuardID is the member, or the guard double-booked.
	SubjectGuardID string
	// Reasons are a suspension's error ids; ShiftsDropped the future
	// assignments it cancelled.
	Reasons       []string
	ShiftsDropped int
	// ShiftID, Outcome (kept or withdrawn) and OtherDistrict are a double
	// booking's.
	ShiftID, Outcome, OtherDistrict string
	// DispatchID, DispatchKind, Urgency, DistanceM and Offer are a dispatch
	// offer's: the request, what it is, urgent or routine, how far the
	// team's key area is from it, and which offer this is (1 = first team).
	DispatchID, DispatchKind, Urgency string
	DistanceM                         float64
	Offer                             int
	// At is when patrols recorded it.
	At time.Time
}

// teamContent is the notice's title and body (UI strings).
func teamContent(e TeamEvent) (title, body string) {
	team := e.TeamName
	if team == "" {
		team = e.TeamID
	}
	switch e.Kind {
	case TeamNoticeMemberSuspended:
		return "义警队员已暂停：" + e.SubjectGuardID,
			fmt.Sprintf("队伍「%s」的队员 %s 不再符合在册条件，已自动暂停（原因：%s），取消其后续排班 %d 个。",
				team, e.SubjectGuardID, strings.Join(e.Reasons, "、"), e.ShiftsDropped)
	case TeamNoticeMemberReinstated:
		return "义警队员已恢复：" + e.SubjectGuardID,
			fmt.Sprintf("队伍「%s」的队员 %s 已重新符合在册条件，恢复在队。", team, e.SubjectGuardID)
	case TeamNoticeDispatchOffered:
		urgency := "一般"
		if e.Urgency == "urgent" {
			urgency = "紧急"
		}
		again := ""
		if e.Offer > 1 {
			again = fmt.Sprintf("（前一队伍未签收，第 %d 次派单）", e.Offer)
		}
		// The event names the team and the dispatch by id only: the text
		// says "your team" and the notice's dispatch_id opens the request.
		return fmt.Sprintf("警保联动派单（%s）：%s", urgency, e.DispatchKind),
			fmt.Sprintf("派出所向本队派单%s：%s，%s，距本队巡防区域约 %.0f 米。请队长尽快签收。",
				again, e.DispatchKind, urgency, e.DistanceM)
	}
	outcome := "本片区的排班保留"
	if e.Outcome == "withdrawn" {
		outcome = "本片区的排班较晚，已撤销"
	}
	return "跨片区重复排班已处理：" + e.SubjectGuardID,
		fmt.Sprintf("保安员 %s 在本片区（班次 %s）与 %s 片区同时段被排班；%s。", e.SubjectGuardID, e.ShiftID, e.OtherDistrict, outcome)
}

// ApplyTeamNotice delivers the notice of e to its leader inside the
// consumer's transaction, once per event and leader: a redelivered event
// finds its notice and changes nothing.
func (s *Messaging) ApplyTeamNotice(ctx context.Context, q Queries, e TeamEvent) error {
	id, err := newID()
	if err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	title, body := teamContent(e)
	reasons := e.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	n := TeamNotice{ID: id, GuardID: e.LeaderID, Kind: e.Kind, Title: title, Body: body, TeamID: e.TeamID,
		SubjectGuardID: e.SubjectGuardID, ShiftID: e.ShiftID, DispatchID: e.DispatchID, Reasons: reasons, EventID: e.EventID, CreatedAt: at.UTC(),
		Status: TeamNoticeDelivered}
	added, err := q.InsertTeamNotice(ctx, n)
	if err != nil || !added {
		return err
	}
	return s.AuditAs(ctx, q, teamActor, ActionTeamNoticeDeliver, ResourceTeamNotice, n.ID, []string{"guard_id", "kind"})
}

// ListTeamNotices implements Service.
func (s *Messaging) ListTeamNotices(ctx context.Context, page kitx.Page) ([]TeamNotice, string, error) {
	return s.repo.ListTeamNotices(ctx, "", page)
}

// GuardTeamNotices implements Service.
func (s *Messaging) GuardTeamNotices(ctx context.Context, guard string, page kitx.Page) ([]TeamNotice, string, error) {
	return s.repo.ListTeamNotices(ctx, strings.TrimSpace(guard), page)
}

// ReadTeamNotice implements Service: delivered → read; reading again
// changes nothing. Only the leader reads it (the policy: the guard
// itself), so the receipt is the leader's own word.
func (s *Messaging) ReadTeamNotice(ctx context.Context, guard, id string) (TeamNotice, error) {
	if _, err := auth.RequirePrincipal(ctx); err != nil {
		return TeamNotice{}, err
	}
	var out TeamNotice
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		n, err := q.GetTeamNotice(ctx, guard, id)
		if err != nil {
			return nil, err
		}
		if n.Status == TeamNoticeRead {
			out = n
			return nil, nil
		}
		now := s.now().UTC()
		if err := q.MarkTeamNoticeRead(ctx, n.ID, now); err != nil {
			return nil, err
		}
		n.Status, n.ReadAt = TeamNoticeRead, &now
		out = n
		return nil, s.Audit(ctx, q, ActionTeamNoticeRead, ResourceTeamNotice, n.ID, []string{"read_at"})
	})
	return out, err
}
