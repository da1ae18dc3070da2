package service

// Invitations and attendance: check-in codes, check-in, attendance
// recorded by an admin, and attendance figures.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
)

// NewCheckInCode returns a fresh check-in code: 160 random bits, base64url
// without padding (27 characters, safe in a URL and in a QR code's
// alphanumeric-free byte mode), and the hash under which it is stored.
func NewCheckInCode() (code, hash string, err error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("meetings: check-in code: %w", err)
	}
	code = base64.RawURLEncoding.EncodeToString(b)
	return code, HashCheckInCode(code), nil
}

// HashCheckInCode is the stored form of a code. A plain SHA-256 suffices:
// the code has 160 random bits, so there is nothing to brute-force.
func HashCheckInCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

func validPersonRole(r string) bool { return r == RoleOfficer || r == RolePolice || r == RoleGuest }

// Invite implements Service.
func (s *Meetings) Invite(ctx context.Context, meetingID string, in InviteInput) ([]Invitation, error) {
	n := len(in.Companies) + len(in.People)
	if n == 0 || n > 500 {
		return nil, ErrInviteEmpty
	}
	seen := map[string]bool{}
	for i, c := range in.Companies {
		c.CompanyID, c.Name = strings.TrimSpace(c.CompanyID), strings.TrimSpace(c.Name)
		if c.CompanyID == "" || len(c.CompanyID) > 64 || runeLen(c.Name) > 200 {
			return nil, ErrInviteCompanyIDRequired
		}
		if err := singleLine(fmt.Sprintf("companies[%d].company_id", i), c.CompanyID, fmt.Sprintf("companies[%d].name", i), c.Name); err != nil {
			return nil, err
		}
		if seen[c.CompanyID] {
			return nil, ErrInviteCompanyDuplicate
		}
		seen[c.CompanyID] = true
		in.Companies[i] = c
	}
	for i, p := range in.People {
		p.Name, p.Organization = strings.TrimSpace(p.Name), strings.TrimSpace(p.Organization)
		if p.Name == "" || runeLen(p.Name) > 100 || !validPersonRole(p.Role) || runeLen(p.Organization) > 200 {
			return nil, ErrInvitePersonInvalid
		}
		if err := singleLine(fmt.Sprintf("people[%d].name", i), p.Name, fmt.Sprintf("people[%d].organization", i), p.Organization); err != nil {
			return nil, err
		}
		in.People[i] = p
	}
	// Codes are stored only hashed, the idempotency record included (see
	// invitationBatch): a replayed invite answers without them, and the
	// admin checks those invitees in by hand.
	batch, err := idempotent(ctx, s, "POST meetings/"+meetingID+"/invitations", in.IdempotencyKey, in, func(q Queries) (invitationBatch, []Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return nil, nil, err
		}
		if m.Status == MeetingClosed {
			return nil, nil, ErrMeetingClosed
		}
		now := s.now().UTC()
		out := make([]Invitation, 0, n)
		add := func(inv Invitation) error {
			id, err := newID()
			if err != nil {
				return err
			}
			code, hash, err := NewCheckInCode()
			if err != nil {
				return err
			}
			inv.ID, inv.MeetingID, inv.Status, inv.CodeHash, inv.CreatedAt, inv.UpdatedAt = id, meetingID, AttendanceInvited, hash, now, now
			if err := q.InsertInvitation(ctx, inv); err != nil {
				return err
			}
			inv.CheckInCode = code
			out = append(out, inv)
			return nil
		}
		// Every company must be one of the district's, as meetings knows
		// them from membership's events; its name is the register's (the
		// request's name is ignored). Checked before anything is written.
		companies := make([]Company, len(in.Companies))
		for i, c := range in.Companies {
			co, err := q.GetCompany(ctx, c.CompanyID)
			if errors.Is(err, ErrCompanyNotFound) {
				return nil, nil, ErrCompanyNotFound.WithField(fmt.Sprintf("companies[%d].company_id", i))
			}
			if err != nil {
				return nil, nil, err
			}
			companies[i] = co
		}
		for _, co := range companies {
			if err := add(Invitation{Kind: InviteeCompany, CompanyID: co.ID, CompanyName: co.Name}); err != nil {
				return nil, nil, err
			}
		}
		for _, p := range in.People {
			if err := add(Invitation{Kind: InviteePerson, PersonName: p.Name, PersonRole: p.Role, Organization: p.Organization}); err != nil {
				return nil, nil, err
			}
		}
		changes, err := s.touch(ctx, q, &m, s.edit(ctx, ActionInvite, ResourceMeeting, m.ID, []string{"invitations"},
			Change{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"invitations"}}))
		return invitationBatch(out), changes, err
	})
	return []Invitation(batch), err
}

// invitationBatch is the result of Invite; its stored (replayable) form
// drops the check-in codes, which exist nowhere but in the first response.
type invitationBatch []Invitation

func (b invitationBatch) forStorage() any {
	out := make([]Invitation, len(b))
	for i, inv := range b {
		inv.CheckInCode = ""
		out[i] = inv
	}
	return out
}

// ListInvitations implements Service.
func (s *Meetings) ListInvitations(ctx context.Context, meetingID string, page kitx.Page) ([]Invitation, string, error) {
	if _, err := s.repo.GetMeeting(ctx, meetingID); err != nil {
		return nil, "", err
	}
	return s.repo.ListInvitations(ctx, meetingID, page)
}

// InvitationCompany returns the company of the invitation a check-in code
// opens, for authorization; "" when the code opens none (or a person's).
func (s *Meetings) InvitationCompany(ctx context.Context, meetingID, code string) (string, error) {
	inv, err := s.repo.InvitationByCode(ctx, meetingID, HashCheckInCode(code))
	if err != nil {
		return "", err
	}
	return inv.CompanyID, nil
}

// attend records an invitation's new status with its meeting's new version.
func (s *Meetings) attend(ctx context.Context, q Queries, m *Meeting, inv *Invitation, status, action string) ([]Change, error) {
	now := s.now().UTC()
	inv.Status, inv.UpdatedAt = status, now
	if status == AttendancePresent || status == AttendanceLate {
		if inv.CheckedInAt == nil {
			inv.CheckedInAt = &now
		}
		inv.CheckedInBy = audit.ActorFromContext(ctx).Subject
	} else {
		inv.CheckedInAt, inv.CheckedInBy = nil, ""
	}
	if err := q.UpdateInvitation(ctx, *inv); err != nil {
		return nil, err
	}
	return s.touch(ctx, q, m, s.edit(ctx, action, ResourceInvitation, inv.ID, []string{"status"},
		Change{Type: EventAttendanceRecorded, Meeting: m, Invitation: inv}))
}

// CheckIn implements Service. A code works once, only for its own meeting,
// while the meeting is scheduled or in progress and until its end plus
// CheckInGrace; after LateAfter past the start the invitee is marked late.
func (s *Meetings) CheckIn(ctx context.Context, meetingID string, in CheckInInput) (Invitation, error) {
	code := strings.TrimSpace(in.Code)
	if code == "" || len(code) > 100 {
		return Invitation{}, ErrCheckInCodeInvalid
	}
	var out Invitation
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		inv, err := q.InvitationByCode(ctx, meetingID, HashCheckInCode(code))
		if errors.Is(err, ErrInvitationNotFound) {
			return nil, ErrCheckInCodeInvalid
		}
		if err != nil {
			return nil, err
		}
		now := s.now()
		if now.After(m.EndsAt.Add(s.opt.CheckInGrace)) || m.Status == MeetingClosed {
			return nil, ErrCheckInCodeExpired
		}
		if m.Status != MeetingScheduled && m.Status != MeetingInProgress {
			return nil, ErrMeetingNotOpenCheckIn
		}
		if inv.Status == AttendancePresent || inv.Status == AttendanceLate {
			return nil, ErrCheckInAlreadyUsed
		}
		status := AttendancePresent
		if now.After(m.StartsAt.Add(s.opt.LateAfter)) {
			status = AttendanceLate
		}
		ch, err := s.attend(ctx, q, &m, &inv, status, ActionCheckIn)
		out = inv
		return ch, err
	})
	return out, err
}

// RecordAttendance implements Service.
func (s *Meetings) RecordAttendance(ctx context.Context, meetingID, invitationID string, in AttendanceInput) (Invitation, error) {
	if in.Status != AttendancePresent && in.Status != AttendanceLate && in.Status != AttendanceAbsent {
		return Invitation{}, ErrAttendanceStatusInvalid
	}
	var out Invitation
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		if m.Status == MeetingDraft {
			return nil, ErrMeetingNotOpenCheckIn
		}
		inv, err := q.GetInvitation(ctx, meetingID, invitationID)
		if err != nil {
			return nil, err
		}
		if inv.Status == in.Status {
			out = inv
			return nil, nil
		}
		ch, err := s.attend(ctx, q, &m, &inv, in.Status, ActionAttendance)
		out = inv
		return ch, err
	})
	return out, err
}

// rate is the kit's one rate (rates.Of): null when d is 0.
func rate(n, d int) *float64 { return rates.Of(int64(n), int64(d)) }

// MeetingAttendance implements Service.
func (s *Meetings) MeetingAttendance(ctx context.Context, meetingID string) (MeetingAttendance, error) {
	if _, err := s.repo.GetMeeting(ctx, meetingID); err != nil {
		return MeetingAttendance{}, err
	}
	a := MeetingAttendance{MeetingID: meetingID}
	page := kitx.Page{Size: 500}
	for {
		items, next, err := s.repo.ListInvitations(ctx, meetingID, page)
		if err != nil {
			return MeetingAttendance{}, err
		}
		for _, inv := range items {
			attended := inv.Status == AttendancePresent || inv.Status == AttendanceLate
			if inv.Kind == InviteeCompany {
				a.InvitedCompanies++
				if attended {
					a.AttendedCompanies++
				}
				if inv.Status == AttendanceLate {
					a.LateCompanies++
				}
				if inv.Status == AttendanceAbsent {
					a.AbsentCompanies++
				}
			} else {
				a.InvitedPeople++
				if attended {
					a.AttendedPeople++
				}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	a.CompanyRate, a.PeopleRate = rate(a.AttendedCompanies, a.InvitedCompanies), rate(a.AttendedPeople, a.InvitedPeople)
	return a, nil
}

// CompanyAttendance implements Service. Only meetings that have been held
// (in progress or closed) count: an invitation to a future meeting is not
// yet an absence.
func (s *Meetings) CompanyAttendance(ctx context.Context, companyID string, since, until time.Time) (CompanyAttendance, error) {
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		return CompanyAttendance{}, ErrAttendanceUntilInvalid
	}
	invs, ms, err := s.repo.CompanyInvitations(ctx, companyID, since, until)
	if err != nil {
		return CompanyAttendance{}, err
	}
	out := CompanyAttendance{CompanyID: companyID, Meetings: []CompanyMeetingAttendance{}}
	for i, inv := range invs {
		m := ms[i]
		if m.Status != MeetingInProgress && m.Status != MeetingClosed {
			continue
		}
		out.Invited++
		switch inv.Status {
		case AttendancePresent:
			out.Attended++
		case AttendanceLate:
			out.Attended++
			out.Late++
		default:
			out.Absent++
		}
		out.Meetings = append(out.Meetings, CompanyMeetingAttendance{MeetingID: m.ID, Title: m.Title, Type: m.Type, StartsAt: m.StartsAt, Status: inv.Status})
	}
	out.Rate = rate(out.Attended, out.Invited)
	return out, nil
}
