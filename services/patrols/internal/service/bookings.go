package service

// No double-booking across districts. A person may be a guard in two
// districts (two records in two membership databases, one id_hash); each
// district's patrols node keeps the other districts' live assignments from
// their ShiftAssigned and ShiftAssignmentCancelled events (it reads their
// patrols topics, it never writes them) and refuses an assignment that
// overlaps one. Two assignments made before either node heard of the other
// (a partition, or the moment the events take) are both accepted; when the
// events arrive, both nodes find the conflict and apply one deterministic
// rule (Later) to the same data, so exactly one of them — the later — is
// withdrawn, by the district that made it, and each district's lead gets a
// DoubleBookingResolved notice on its own topic.

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
)

// ForeignBooking is another district's live assignment of a person.
type ForeignBooking struct {
	District   string
	ShiftID    string
	GuardID    string
	Person     string
	StartsAt   time.Time
	EndsAt     time.Time
	AssignedAt time.Time
}

// LocalBooking is one of this district's assignments of a person.
type LocalBooking struct {
	ShiftID    string
	GuardID    string
	TeamID     string
	AssignedAt time.Time
}

// Outcomes of a cross-district double booking for this district's
// assignment.
const (
	BookingKept      = "kept"
	BookingWithdrawn = "withdrawn"
)

// Reasons of a ShiftAssignmentCancelled.
const (
	CancelMemberSuspended = "member_suspended"
	CancelWithdrawn       = "withdrawn"
	CancelDoubleBooked    = "double_booked"
)

// BookingConflict is a cross-district double booking found, from this
// district's side.
type BookingConflict struct {
	ID              string
	ShiftID         string
	GuardID         string
	Person          string
	AssignedAt      time.Time
	Outcome         string
	Other           ForeignBooking
	NotifyGuardID   string
	FoundAt         time.Time
	ShiftAfterwards *Shift
}

// BookingOrder is what orders two assignments of one person: when each
// was made, then the district, then the shift id. Both districts see the
// same three values of both (the events carry them), so both order them
// the same way.
type BookingOrder struct {
	AssignedAt time.Time
	District   string
	ShiftID    string
}

// Later reports whether a is the later of two assignments, the one a
// double booking withdraws: made later, or at the same instant by the
// district whose id sorts later, or in the same district (which cannot
// double-book itself, but the order stays total) by shift id. The
// assigning nodes' clocks decide "later"; a skewed clock may pick the
// other one, never both or neither.
func Later(a, b BookingOrder) bool {
	return cmp.Or(a.AssignedAt.Compare(b.AssignedAt), cmp.Compare(a.District, b.District), cmp.Compare(a.ShiftID, b.ShiftID)) > 0
}

// personBusy reports whether person (or, without one, guardID) has an
// assignment overlapping [from, to) in this district or a foreign one.
func personBusy(ctx context.Context, q Queries, guardID, person string, from, to time.Time) (bool, error) {
	busy, err := q.GuardShiftsOverlapping(ctx, guardID, from, to)
	if err != nil || len(busy) > 0 || person == "" {
		return len(busy) > 0, err
	}
	local, err := q.PersonAssignments(ctx, person, from, to)
	if err != nil || len(local) > 0 {
		return len(local) > 0, err
	}
	foreign, err := q.ForeignBookingsOf(ctx, person, from, to)
	return len(foreign) > 0, err
}

// ApplyForeignAssignment records another district's assignment (its
// ShiftAssigned), inside the consumer's transaction q, and settles every
// double booking it makes with this district's assignments of the same
// person: the later of each pair is withdrawn if it is this district's,
// and either way this district's lead is told once (DoubleBookingResolved).
func (s *Patrols) ApplyForeignAssignment(ctx context.Context, q Queries, b ForeignBooking) ([]Change, error) {
	if b.District == s.district || b.Person == "" {
		return nil, nil
	}
	if err := q.PutForeignBooking(ctx, b); err != nil {
		return nil, err
	}
	locals, err := q.PersonAssignments(ctx, b.Person, b.StartsAt, b.EndsAt)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	theirs := BookingOrder{AssignedAt: b.AssignedAt, District: b.District, ShiftID: b.ShiftID}
	var out []Change
	for _, l := range locals {
		mine := BookingOrder{AssignedAt: l.AssignedAt, District: s.district, ShiftID: l.ShiftID}
		id, err := newID()
		if err != nil {
			return nil, err
		}
		c := BookingConflict{ID: id, ShiftID: l.ShiftID, GuardID: l.GuardID, Person: b.Person, AssignedAt: l.AssignedAt,
			Outcome: BookingKept, Other: b, FoundAt: now}
		if Later(mine, theirs) {
			c.Outcome = BookingWithdrawn
		}
		if ok, err := q.InsertBookingConflict(ctx, c); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue // found before (a redelivery): nobody is told twice
		}
		if t, err := q.GetTeam(ctx, l.TeamID); err == nil {
			c.NotifyGuardID = t.LeaderGuardID
		} else if !errors.Is(err, ErrTeamNotFound) {
			return nil, err
		}
		sh, err := q.GetShift(ctx, l.ShiftID)
		if err != nil {
			return nil, err
		}
		if c.Outcome == BookingWithdrawn {
			ch, err := s.cancelAssignment(ctx, q, sh, l.GuardID, b.Person, Change{Reason: CancelDoubleBooked,
				ConflictDistrict: b.District, ConflictShiftID: b.ShiftID})
			if err != nil {
				return nil, err
			}
			sh = *ch.Shift
			if err := s.AuditAs(ctx, q, system, ActionWithdraw, ResourceShift, l.ShiftID, []string{"assignments." + l.GuardID}); err != nil {
				return nil, err
			}
			out = append(out, ch)
		}
		snap := sh
		c.ShiftAfterwards = &snap
		out = append(out, Change{Type: EventDoubleBookingResolved, Conflict: &c})
	}
	return out, nil
}

// ApplyForeignCancellation forgets another district's assignment (its
// ShiftAssignmentCancelled): the person is free at that time again as far
// as that district goes.
func (s *Patrols) ApplyForeignCancellation(ctx context.Context, q Queries, district, shiftID, guardID string) ([]Change, error) {
	if district == s.district {
		return nil, nil
	}
	return nil, q.DeleteForeignBooking(ctx, district, shiftID, guardID)
}

// PruneForeignBookings forgets the other districts' assignments to shifts
// that ended a day ago or more: no assignment here can overlap them any
// more (a shift that has ended takes none), and the table would otherwise
// grow with every holiday of every district.
func (s *Patrols) PruneForeignBookings(ctx context.Context) (int, error) {
	return s.repo.PruneForeignBookings(ctx, s.now().UTC().Add(-24*time.Hour))
}

// cancelAssignment removes guardID from sh and returns its
// ShiftAssignmentCancelled (how carries the reason and its details).
func (s *Patrols) cancelAssignment(ctx context.Context, q Queries, sh Shift, guardID, person string, how Change) (Change, error) {
	if err := q.DeleteAssignment(ctx, sh.ID, guardID); err != nil {
		return Change{}, err
	}
	sh.Assigned--
	sh.Version++
	kept := sh.GuardIDs[:0:0]
	for _, g := range sh.GuardIDs {
		if g != guardID {
			kept = append(kept, g)
		}
	}
	sh.GuardIDs = kept
	if err := q.TouchShift(ctx, &sh); err != nil {
		return Change{}, err
	}
	snap := sh
	how.Type, how.Shift, how.GuardID, how.Person = EventShiftAssignmentCancelled, &snap, guardID, person
	return how, nil
}

// Withdraw implements Service: a planner (or the guard's company-admin)
// takes a guard off a shift that has not ended; the shift's place is open
// again and other districts forget the booking (ShiftAssignmentCancelled,
// reason withdrawn, by whom).
func (s *Patrols) Withdraw(ctx context.Context, shiftID, guardID string) error {
	if !idLike(guardID) {
		return ErrTeamGuardIDRequired
	}
	return s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		sh, err := q.GetShift(ctx, shiftID)
		if err != nil {
			return nil, err
		}
		if _, err := q.GetAssignment(ctx, shiftID, guardID); err != nil {
			return nil, err
		}
		if !s.now().Before(sh.EndsAt) {
			return nil, ErrAssignShiftOver
		}
		var person string
		if g, err := q.GetGuard(ctx, guardID); err == nil {
			person = g.IDHash
		} else if !errors.Is(err, ErrGuardUnknown) {
			return nil, err
		}
		ch, err := s.cancelAssignment(ctx, q, sh, guardID, person, Change{Reason: CancelWithdrawn, By: subject(ctx)})
		if err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionWithdraw, ResourceShift, shiftID, audit.SetFields("guard_id", guardID)); err != nil {
			return nil, err
		}
		return []Change{ch}, nil
	})
}
