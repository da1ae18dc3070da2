package service

// Patrol plans (节假日巡防): a period and a key area, its shifts, and the
// assignment of team members to them with no double-booking.

import (
	"context"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
)

// Plans are entered from 2000 on and planned at most two years ahead: a
// time outside is a typo that would break every coverage report.
var earliestPlan = time.Date(2000, 1, 1, 0, 0, 0, 0, Local)

const planHorizon = 2 * 365 * 24 * time.Hour

// wholeMinute reports whether t has no seconds: coverage is counted in
// whole minutes, exactly, so shift and plan bounds must fall on them.
func wholeMinute(t time.Time) bool { return t.Equal(t.Truncate(time.Minute)) }

// CreatePlan implements Service.
func (s *Patrols) CreatePlan(ctx context.Context, in PlanInput) (Plan, error) {
	name, err := text(in.Name, 100, ErrPlanNameRequired)
	if err != nil {
		return Plan{}, err
	}
	if !idLike(in.AreaID) {
		return Plan{}, ErrPlanAreaRequired
	}
	if in.StartsAt.IsZero() || !wholeMinute(in.StartsAt) || !wholeMinute(in.EndsAt) || !in.EndsAt.After(in.StartsAt) ||
		in.EndsAt.Sub(in.StartsAt) > 62*24*time.Hour || in.StartsAt.Before(earliestPlan) || in.StartsAt.After(s.now().Add(planHorizon)) {
		return Plan{}, ErrPlanPeriodInvalid
	}
	return idempotent(ctx, s, "POST plans", in.IdempotencyKey, in, func(q Queries) (Plan, []Change, error) {
		if _, err := q.GetArea(ctx, in.AreaID); err == ErrAreaNotFound {
			return Plan{}, nil, ErrPlanAreaRequired
		} else if err != nil {
			return Plan{}, nil, err
		}
		id, err := newID()
		if err != nil {
			return Plan{}, nil, err
		}
		p := Plan{ID: id, District: s.district, Name: name, AreaID: in.AreaID, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), CreatedAt: s.now().UTC()}
		if err := q.InsertPlan(ctx, p); err != nil {
			return Plan{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionPlanCreate, ResourcePlan, id, audit.SetFields("name", name, "area_id", in.AreaID)); err != nil {
			return Plan{}, nil, err
		}
		snap := p
		return p, []Change{{Type: EventPatrolPlanCreated, Plan: &snap}}, nil
	})
}

// fill sets a plan's shift totals and fill rate: staffed is each shift's
// assignments up to its required headcount (an extra guard on one shift
// does not fill another's hole).
func (s *Patrols) fill(ctx context.Context, q Queries, p *Plan) error {
	shifts, err := q.ListShifts(ctx, p.ID)
	if err != nil {
		return err
	}
	p.District = s.district
	p.Shifts, p.Required, p.Staffed = len(shifts), 0, 0
	for _, sh := range shifts {
		p.Required += sh.Required
		p.Staffed += min(sh.Assigned, sh.Required)
	}
	p.FillRate = rates.Of(int64(p.Staffed), int64(p.Required))
	return nil
}

// ListPlans implements Service.
func (s *Patrols) ListPlans(ctx context.Context, page kitx.Page) ([]Plan, string, error) {
	items, next, err := s.repo.ListPlans(ctx, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if err := s.fill(ctx, s.repo, &items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// GetPlan implements Service.
func (s *Patrols) GetPlan(ctx context.Context, id string) (Plan, error) {
	p, err := s.repo.GetPlan(ctx, id)
	if err != nil {
		return Plan{}, err
	}
	return p, s.fill(ctx, s.repo, &p)
}

// CreateShift implements Service.
func (s *Patrols) CreateShift(ctx context.Context, planID string, in ShiftInput) (Shift, error) {
	if in.StartsAt.IsZero() || !wholeMinute(in.StartsAt) || !wholeMinute(in.EndsAt) || !in.EndsAt.After(in.StartsAt) ||
		in.EndsAt.Sub(in.StartsAt) > 24*time.Hour {
		return Shift{}, ErrShiftTimesInvalid
	}
	if in.Required < 1 || in.Required > 500 {
		return Shift{}, ErrShiftRequired
	}
	if len(in.Route) < 1 || len(in.Route) > 100 {
		return Shift{}, ErrShiftRouteInvalid
	}
	seen := map[string]bool{}
	for _, id := range in.Route {
		if !idLike(id) || seen[id] {
			return Shift{}, ErrShiftRouteInvalid
		}
		seen[id] = true
	}
	if in.ExpectedScans < 0 || in.ExpectedScans > 10000 {
		return Shift{}, ErrShiftExpectedScans
	}
	return idempotent(ctx, s, "POST plans/"+planID+"/shifts", in.IdempotencyKey, in, func(q Queries) (Shift, []Change, error) {
		p, err := q.GetPlan(ctx, planID)
		if err != nil {
			return Shift{}, nil, err
		}
		if in.StartsAt.Before(p.StartsAt) || in.EndsAt.After(p.EndsAt) {
			return Shift{}, nil, ErrShiftTimesInvalid
		}
		for _, cid := range in.Route {
			c, err := q.GetCheckpoint(ctx, cid)
			if err == ErrCheckpointNotFound || (err == nil && c.AreaID != p.AreaID) {
				return Shift{}, nil, ErrShiftRouteInvalid
			} else if err != nil {
				return Shift{}, nil, err
			}
		}
		id, err := newID()
		if err != nil {
			return Shift{}, nil, err
		}
		sh := Shift{ID: id, PlanID: planID, AreaID: p.AreaID, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), Required: in.Required,
			Route: slices.Clone(in.Route), ExpectedScans: in.ExpectedScans, GuardIDs: []string{}, Version: 1}
		if err := q.InsertShift(ctx, sh); err != nil {
			return Shift{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionShiftCreate, ResourceShift, id, audit.SetFields("plan_id", planID, "required", "x", "route", "x")); err != nil {
			return Shift{}, nil, err
		}
		snap := sh
		return sh, []Change{{Type: EventPatrolShiftCreated, Shift: &snap}}, nil
	})
}

// ListShifts implements Service.
func (s *Patrols) ListShifts(ctx context.Context, planID string) ([]Shift, error) {
	if _, err := s.repo.GetPlan(ctx, planID); err != nil {
		return nil, err
	}
	return s.repo.ListShifts(ctx, planID)
}

// Assign implements Service. The guard must be an active member of a team
// (of team_id, when given) and not on another shift at an overlapping time,
// in this district or, as far as this node knows, another (the same
// person: id_hash); the transaction makes the check and the write one.
func (s *Patrols) Assign(ctx context.Context, shiftID string, in AssignInput) (Assignment, error) {
	if !idLike(in.GuardID) {
		return Assignment{}, ErrTeamGuardIDRequired
	}
	if len(in.TeamID) > 64 {
		return Assignment{}, ErrAssignNotMember.WithField("team_id")
	}
	var out Assignment
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		sh, err := q.GetShift(ctx, shiftID)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		if !now.Before(sh.EndsAt) {
			return nil, ErrAssignShiftOver
		}
		if slices.Contains(sh.GuardIDs, in.GuardID) {
			return nil, ErrAssignDuplicate
		}
		members, err := q.MembershipsOf(ctx, in.GuardID)
		if err != nil {
			return nil, err
		}
		var team string
		suspended := false
		for _, m := range members {
			if in.TeamID != "" && m.TeamID != in.TeamID {
				continue
			}
			if m.Status == MemberActive {
				team = m.TeamID
				break
			}
			suspended = true
		}
		switch {
		case team == "" && suspended:
			return nil, ErrAssignSuspended
		case team == "":
			return nil, ErrAssignNotMember
		}
		if sh.Assigned >= sh.Required {
			return nil, ErrAssignShiftFull
		}
		g, err := q.GetGuard(ctx, in.GuardID)
		if err != nil {
			return nil, err
		}
		// The same person on an overlapping shift: of this district (by
		// guard or, for a second record of the person here, by id_hash) or
		// of another district as this node has heard of it. What it has not
		// heard of yet is settled when it does (ApplyForeignAssignment).
		busy, err := personBusy(ctx, q, in.GuardID, g.IDHash, sh.StartsAt, sh.EndsAt)
		if err != nil {
			return nil, err
		}
		if busy {
			return nil, ErrAssignDoubleBook
		}
		out = Assignment{ShiftID: shiftID, GuardID: in.GuardID, TeamID: team, AssignedAt: now}
		if err := q.InsertAssignment(ctx, out); err != nil {
			return nil, err
		}
		sh.Assigned++
		sh.Version++
		sh.GuardIDs = append(sh.GuardIDs, in.GuardID)
		if err := q.TouchShift(ctx, &sh); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionAssign, ResourceShift, shiftID, audit.SetFields("guard_id", in.GuardID, "team_id", team)); err != nil {
			return nil, err
		}
		out.Shift = sh
		snap := sh
		return []Change{{Type: EventShiftAssigned, Shift: &snap, GuardID: in.GuardID, TeamID: team, Person: g.IDHash, AssignedAt: now}}, nil
	})
	return out, err
}
