package service

// The roster of volunteer-police teams (江城义警) and its gate: a guard
// serves only while active, a volunteer-police member, certified with a
// valid certificate and background-checked. The guard's record is
// membership's, known here only from its events (the projection); when a
// membership event, or the passing of a certificate's last valid day,
// takes a condition away, the member is suspended from future shifts.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Check returns every roster condition g fails on day (YYYY-MM-DD,
// Asia/Shanghai), in a fixed order; none means g may serve. A certificate
// is valid through its last valid day and not from the next; one without
// an end date stays valid.
func Check(g Guard, day string) []*errs.Error {
	var out []*errs.Error
	if g.EmploymentStatus != EmploymentActive {
		out = append(out, ErrGuardNotActive)
	}
	if !g.VolunteerPolice {
		out = append(out, ErrGuardNotVolunteer)
	}
	switch {
	case !g.HasCertificate:
		out = append(out, ErrGuardUncertified)
	case g.CertificateValidUntil != "" && g.CertificateValidUntil < day:
		out = append(out, ErrGuardCertificateExpired)
	}
	if g.BackgroundCheckStatus != BackgroundPassed {
		out = append(out, ErrGuardBackgroundCheck)
	}
	return out
}

func ids(es []*errs.Error) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// GuardEligibility implements Service.
func (s *Patrols) GuardEligibility(ctx context.Context, guardID string) (Eligibility, error) {
	g, err := s.repo.GetGuard(ctx, guardID)
	if err != nil {
		return Eligibility{}, err
	}
	day := today(s.now())
	reasons := ids(Check(g, day))
	return Eligibility{GuardID: g.ID, Eligible: len(reasons) == 0, Reasons: reasons, AsOf: day}, nil
}

// GuardCompany returns the company of a guard of the projection, for the
// authorization target of a request about that guard.
func (s *Patrols) GuardCompany(ctx context.Context, guardID string) (string, error) {
	g, err := s.repo.GetGuard(ctx, guardID)
	return g.CompanyID, err
}

// TeamTarget returns a team's company and leader, for authorization.
func (s *Patrols) TeamTarget(ctx context.Context, teamID string) (company, leader string, err error) {
	t, err := s.repo.GetTeam(ctx, teamID)
	return t.CompanyID, t.LeaderGuardID, err
}

// gate loads a guard and checks it may join team t today.
func (s *Patrols) gate(ctx context.Context, q Queries, t Team, guardID string) (Guard, error) {
	g, err := q.GetGuard(ctx, guardID)
	if err != nil {
		return Guard{}, err
	}
	if t.CompanyID != "" && g.CompanyID != t.CompanyID {
		return Guard{}, ErrGuardOtherCompany
	}
	if fails := Check(g, today(s.now())); len(fails) > 0 {
		return Guard{}, fails[0]
	}
	return g, nil
}

// CreateTeam implements Service.
func (s *Patrols) CreateTeam(ctx context.Context, in CreateTeamInput) (Team, error) {
	name, err := text(in.Name, 100, ErrTeamNameRequired)
	if err != nil {
		return Team{}, err
	}
	if len(in.CompanyID) > 64 {
		return Team{}, ErrTeamCompanyInvalid
	}
	if !idLike(in.LeaderGuardID) {
		return Team{}, ErrTeamLeaderRequired
	}
	return idempotent(ctx, s, "POST teams", in.IdempotencyKey, in, func(q Queries) (Team, []Change, error) {
		id, err := newID()
		if err != nil {
			return Team{}, nil, err
		}
		now := s.now().UTC()
		t := Team{ID: id, District: s.district, Name: name, CompanyID: in.CompanyID, LeaderGuardID: in.LeaderGuardID,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		g, err := s.gate(ctx, q, t, in.LeaderGuardID)
		if err != nil {
			return Team{}, nil, withField(err, "leader_guard_id")
		}
		t.ActiveMembers = 1
		if err := q.InsertTeam(ctx, t); err != nil {
			return Team{}, nil, err
		}
		m := Member{TeamID: id, GuardID: g.ID, CompanyID: g.CompanyID, Status: MemberActive, Reasons: []string{}, JoinedAt: now, UpdatedAt: now}
		if err := q.PutMember(ctx, m); err != nil {
			return Team{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionTeamCreate, ResourceTeam, id,
			audit.SetFields("name", name, "company_id", in.CompanyID, "leader_guard_id", in.LeaderGuardID)); err != nil {
			return Team{}, nil, err
		}
		t.Members = []Member{m}
		snap := t
		return t, []Change{{Type: EventTeamCreated, Team: &snap}}, nil
	})
}

// ListTeams implements Service.
func (s *Patrols) ListTeams(ctx context.Context, page kitx.Page) ([]Team, string, error) {
	items, next, err := s.repo.ListTeams(ctx, page)
	for i := range items {
		items[i].District = s.district
	}
	return items, next, err
}

// GetTeam implements Service.
func (s *Patrols) GetTeam(ctx context.Context, id string) (Team, error) {
	t, err := s.repo.GetTeam(ctx, id)
	if err != nil {
		return Team{}, err
	}
	if t.Members, err = s.repo.TeamMembers(ctx, id); err != nil {
		return Team{}, err
	}
	t.District = s.district
	return t, nil
}

// JoinTeam implements Service.
func (s *Patrols) JoinTeam(ctx context.Context, teamID string, in JoinInput) (Member, error) {
	if !idLike(in.GuardID) {
		return Member{}, ErrTeamGuardIDRequired
	}
	var out Member
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		t, err := q.GetTeam(ctx, teamID)
		if err != nil {
			return nil, err
		}
		members, err := q.TeamMembers(ctx, teamID)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(members, func(m Member) bool { return m.GuardID == in.GuardID }) {
			return nil, ErrTeamMemberDuplicate
		}
		g, err := s.gate(ctx, q, t, in.GuardID)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		out = Member{TeamID: teamID, GuardID: g.ID, CompanyID: g.CompanyID, Status: MemberActive, Reasons: []string{}, JoinedAt: now, UpdatedAt: now}
		if err := q.PutMember(ctx, out); err != nil {
			return nil, err
		}
		t.ActiveMembers++
		t.Version++
		t.UpdatedAt = now
		if err := q.TouchTeam(ctx, &t); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionTeamJoin, ResourceTeam, teamID, audit.SetFields("guard_id", g.ID)); err != nil {
			return nil, err
		}
		t.District = s.district
		return []Change{{Type: EventTeamMemberJoined, Team: &t, GuardID: g.ID, CompanyID: g.CompanyID}}, nil
	})
	return out, err
}

// ApplyGuard puts a guard snapshot from membership's events into the
// projection (versions only move forward) and, when it is newer,
// re-gates the guard's memberships at once: the changes are the
// suspensions, reinstatements and cancelled assignments that follow. It
// runs in the consumer's transaction (q).
func (s *Patrols) ApplyGuard(ctx context.Context, q Queries, g Guard) ([]Change, error) {
	applied, err := q.PutGuard(ctx, g)
	if err != nil || !applied {
		return nil, err
	}
	return s.regate(ctx, q, g)
}

// Regate re-gates every member against the conditions as of now, one
// transaction per guard: a certificate whose last valid day has passed
// suspends its guard at the day rollover though no event says so. It
// returns how many members it suspended or reinstated.
func (s *Patrols) Regate(ctx context.Context) (int, error) {
	guards, err := s.repo.MemberGuards(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	day := today(s.now())
	for _, id := range guards {
		// A read first, outside any transaction: most members are as
		// they were, and a write transaction per member per sweep would
		// hold the database's one writer for nothing.
		if due, err := s.regateDue(ctx, id, day); err != nil || !due {
			if err != nil {
				return n, err
			}
			continue
		}
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			g, err := q.GetGuard(ctx, id)
			if err != nil {
				return nil, err
			}
			ch, err := s.regate(ctx, q, g)
			for _, c := range ch {
				if c.Type == EventTeamMemberSuspended || c.Type == EventTeamMemberReinstated {
					n++
				}
			}
			return ch, err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// regateDue reports whether regate would change a membership of guard id
// on day: an active one the guard no longer qualifies for, a suspended one
// the guard qualifies for again or fails for other reasons now.
func (s *Patrols) regateDue(ctx context.Context, id, day string) (bool, error) {
	g, err := s.repo.GetGuard(ctx, id)
	if err != nil {
		return false, err
	}
	members, err := s.repo.MembershipsOf(ctx, id)
	if err != nil {
		return false, err
	}
	reasons := ids(Check(g, day))
	for _, m := range members {
		switch {
		case len(reasons) > 0 && (m.Status == MemberActive || !slices.Equal(m.Reasons, reasons)):
			return true, nil
		case len(reasons) == 0 && m.Status == MemberSuspended:
			return true, nil
		}
	}
	return false, nil
}

// regate suspends g's active memberships if g fails a condition today
// (cancelling g's assignments to shifts not yet started), and reinstates
// suspended ones when g meets them all again.
func (s *Patrols) regate(ctx context.Context, q Queries, g Guard) ([]Change, error) {
	members, err := q.MembershipsOf(ctx, g.ID)
	if err != nil || len(members) == 0 {
		return nil, err
	}
	now := s.now().UTC()
	reasons := ids(Check(g, today(now)))
	var changes []Change
	dropped := -1 // not yet counted
	for _, m := range members {
		switch {
		case len(reasons) > 0 && (m.Status == MemberActive || !slices.Equal(m.Reasons, reasons)):
			wasActive := m.Status == MemberActive
			m.Status, m.Reasons, m.UpdatedAt = MemberSuspended, reasons, now
			if err := q.PutMember(ctx, m); err != nil {
				return nil, err
			}
			if !wasActive {
				continue // still suspended, for other reasons now: no new notice
			}
			if dropped < 0 {
				cancelled, err := s.dropFutureShifts(ctx, q, g.ID, now)
				if err != nil {
					return nil, err
				}
				dropped = len(cancelled)
				changes = append(changes, cancelled...)
			}
			t, err := s.touchTeam(ctx, q, m.TeamID, -1, +1, now)
			if err != nil {
				return nil, err
			}
			if err := s.AuditAs(ctx, q, system, ActionMemberSuspend, ResourceTeam, m.TeamID, []string{"members." + g.ID + ".status"}); err != nil {
				return nil, err
			}
			changes = append(changes, Change{Type: EventTeamMemberSuspended, Team: &t, GuardID: g.ID, Reasons: reasons,
				Notify: t.LeaderGuardID, Dropped: max(dropped, 0)})
		case len(reasons) == 0 && m.Status == MemberSuspended:
			m.Status, m.Reasons, m.UpdatedAt = MemberActive, []string{}, now
			if err := q.PutMember(ctx, m); err != nil {
				return nil, err
			}
			t, err := s.touchTeam(ctx, q, m.TeamID, +1, -1, now)
			if err != nil {
				return nil, err
			}
			if err := s.AuditAs(ctx, q, system, ActionMemberReinstate, ResourceTeam, m.TeamID, []string{"members." + g.ID + ".status"}); err != nil {
				return nil, err
			}
			changes = append(changes, Change{Type: EventTeamMemberReinstated, Team: &t, GuardID: g.ID, Notify: t.LeaderGuardID})
		}
	}
	return changes, nil
}

// touchTeam moves a team's member counts and version.
func (s *Patrols) touchTeam(ctx context.Context, q Queries, id string, active, suspended int, now time.Time) (Team, error) {
	t, err := q.GetTeam(ctx, id)
	if err != nil {
		return Team{}, err
	}
	t.ActiveMembers += active
	t.SuspendedMembers += suspended
	t.Version++
	t.UpdatedAt = now
	if err := q.TouchTeam(ctx, &t); err != nil {
		return Team{}, err
	}
	t.District = s.district
	return t, nil
}

// dropFutureShifts cancels the guard's assignments to shifts that start
// after now ("suspended from future shifts": a shift under way keeps its
// guard, whose scans of it still count).
func (s *Patrols) dropFutureShifts(ctx context.Context, q Queries, guardID string, now time.Time) ([]Change, error) {
	shifts, err := q.GuardShiftsAfter(ctx, guardID, now)
	if err != nil {
		return nil, err
	}
	var person string
	if g, err := q.GetGuard(ctx, guardID); err == nil {
		person = g.IDHash
	} else if !errors.Is(err, ErrGuardUnknown) {
		return nil, err
	}
	var out []Change
	for _, sh := range shifts {
		ch, err := s.cancelAssignment(ctx, q, sh, guardID, person, Change{Reason: CancelMemberSuspended})
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// withField names field in err when it is one of the service's errors (the
// leader's gate answers the guard's ids for leader_guard_id).
func withField(err error, field string) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.WithField(field)
	}
	return err
}

// system is the audit actor of the roster's own changes (a membership
// event or the day rollover, no request behind them).
var system = audit.Actor{Subject: audit.SystemSubject}
