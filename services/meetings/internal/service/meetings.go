package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// IdempotencyTTL is how long an Idempotency-Key replays its first result.
const IdempotencyTTL = idempotency.TTL

// Local is the association's time zone: due dates, "today" for overdue
// items and reminders, and roundtable periods are China Standard Time
// dates, whatever the server's zone.
var Local = time.FixedZone("CST", 8*3600)

// Options are the service's tunables; zero fields take the defaults.
type Options struct {
	// CheckInGrace is how long after a meeting's end its check-in codes
	// still work (default 2h): a meeting may overrun.
	CheckInGrace time.Duration
	// LateAfter is how long after the start a check-in counts as late
	// (default 10 minutes).
	LateAfter time.Duration
	// ReminderLead is how many days before its due date an open action
	// item starts to be reminded (default 3).
	ReminderLead int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Meetings implements Service for one district and runs its background work
// (reminders, idempotency-key expiry).
type Meetings struct {
	district   string
	repo       Repository
	convention func() Convention
	cadence    func() Cadence
	logger     *slog.Logger
	now        func() time.Time
	opt        Options
}

// New returns the meetings service of district. convention and cadence
// return the live city-wide convention and the district's roundtable
// cadence (config.Value.Load in production).
func New(district string, repo Repository, convention func() Convention, cadence func() Cadence, logger *slog.Logger, o Options) *Meetings {
	if o.CheckInGrace <= 0 {
		o.CheckInGrace = 2 * time.Hour
	}
	if o.LateAfter <= 0 {
		o.LateAfter = 10 * time.Minute
	}
	if o.ReminderLead <= 0 {
		o.ReminderLead = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Meetings{district: district, repo: repo, convention: convention, cadence: cadence, logger: logger, now: o.Now, opt: o}
}

var _ Service = (*Meetings)(nil)

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("meetings: new id: %w", err)
	}
	return id.String(), nil
}

// runeLen is the length of s in characters (the limits are for Chinese text).
func runeLen(s string) int { return utf8.RuneCountInString(s) }

func today(t time.Time) string { return t.In(Local).Format(time.DateOnly) }

// --- meetings ---

// ValidMeetingType reports whether t is a meeting type.
func ValidMeetingType(t string) bool {
	switch t {
	case TypeCouncil, TypePresidentsOffice, TypeDistrictWorking, TypeDistrictRoundtable:
		return true
	}
	return false
}

// ValidMeetingStatus reports whether s is a meeting status.
func ValidMeetingStatus(s string) bool {
	switch s {
	case MeetingDraft, MeetingScheduled, MeetingInProgress, MeetingClosed:
		return true
	}
	return false
}

// CanTransitionMeeting reports whether a meeting may move from → to: draft →
// scheduled → in_progress → closed, and back from scheduled to draft (a
// meeting taken off the calendar). Nothing leaves closed.
func CanTransitionMeeting(from, to string) bool {
	switch from + ">" + to {
	case "draft>scheduled", "scheduled>draft", "scheduled>in_progress", "in_progress>closed":
		return true
	}
	return false
}

// Meetings are entered from the association's records (none before 2000)
// and planned at most five years ahead; a time outside is a typo (0001,
// 9999) that would break every period and rate computed from it.
var earliestMeeting = time.Date(2000, 1, 1, 0, 0, 0, 0, Local)

// meetingHorizon is how far ahead a meeting, or an action item's due date,
// may lie.
const meetingHorizonYears = 5

// validStart checks a meeting's start against its range.
func (s *Meetings) validStart(start time.Time) error {
	if start.IsZero() {
		return ErrMeetingStartRequired
	}
	if start.Before(earliestMeeting) || start.After(s.now().AddDate(meetingHorizonYears, 0, 0)) {
		return ErrMeetingStartInvalid
	}
	return nil
}

func validTimes(start, end time.Time) error {
	if start.IsZero() {
		return ErrMeetingStartRequired
	}
	if !end.After(start) || end.Sub(start) > 7*24*time.Hour {
		return ErrMeetingTimesInvalid
	}
	return nil
}

func validMeetingText(title, venue, host string) error {
	if strings.TrimSpace(title) == "" {
		return ErrMeetingTitleRequired
	}
	if runeLen(title) > 200 {
		return ErrMeetingTitleTooLong
	}
	if runeLen(venue) > 200 {
		return ErrMeetingTextTooLong
	}
	if runeLen(host) > 200 {
		return ErrMeetingTextTooLong.WithField("host")
	}
	return singleLine("title", title, "venue", venue, "host", host)
}

// singleLine checks name/value pairs of one-line text (titles, names): no
// tab, line break or other control character (kitx.SingleLine).
func singleLine(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := kitx.SingleLine(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// CreateMeeting implements Service.
func (s *Meetings) CreateMeeting(ctx context.Context, in CreateMeetingInput) (Meeting, error) {
	in.Title, in.Venue, in.Host = strings.TrimSpace(in.Title), strings.TrimSpace(in.Venue), strings.TrimSpace(in.Host)
	if !ValidMeetingType(in.Type) {
		return Meeting{}, ErrMeetingTypeInvalid
	}
	if err := validMeetingText(in.Title, in.Venue, in.Host); err != nil {
		return Meeting{}, err
	}
	if err := s.validStart(in.StartsAt); err != nil {
		return Meeting{}, err
	}
	if err := validTimes(in.StartsAt, in.EndsAt); err != nil {
		return Meeting{}, err
	}
	return idempotent(ctx, s, "POST meetings", in.IdempotencyKey, in, func(q Queries) (Meeting, []Change, error) {
		id, err := newID()
		if err != nil {
			return Meeting{}, nil, err
		}
		now := s.now().UTC()
		m := Meeting{ID: id, District: s.district, Type: in.Type, Title: in.Title, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(),
			Venue: in.Venue, Host: in.Host, Status: MeetingDraft, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := q.InsertMeeting(ctx, m); err != nil {
			return Meeting{}, nil, err
		}
		if err := s.audit(ctx, q, ActionMeetingCreate, ResourceMeeting, m.ID,
			audit.SetFields("type", m.Type, "title", m.Title, "starts_at", "x", "ends_at", "x", "venue", m.Venue, "host", m.Host)); err != nil {
			return Meeting{}, nil, err
		}
		m.ETag = kitx.ETag(m.Version)
		return m, []Change{{Type: EventMeetingScheduled, Meeting: &m}}, nil
	})
}

func (s *Meetings) present(ctx context.Context, q Queries, m Meeting) (Meeting, error) {
	if err := q.FillCounts(ctx, &m); err != nil {
		return Meeting{}, err
	}
	m.District = s.district
	m.ETag = kitx.ETag(m.Version)
	return m, nil
}

// GetMeeting implements Service.
func (s *Meetings) GetMeeting(ctx context.Context, id string) (Meeting, error) {
	m, err := s.repo.GetMeeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	return s.present(ctx, s.repo, m)
}

// ListMeetings implements Service.
func (s *Meetings) ListMeetings(ctx context.Context, f MeetingFilter, page kitx.Page) ([]Meeting, string, error) {
	if f.Type != "" && !ValidMeetingType(f.Type) {
		return nil, "", ErrMeetingFilterType
	}
	if f.Status != "" && !ValidMeetingStatus(f.Status) {
		return nil, "", ErrMeetingFilterStatus
	}
	items, next, err := s.repo.ListMeetings(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.present(ctx, s.repo, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// touch bumps a meeting's version after a change to it or its parts, and
// fills the counts its snapshot carries.
func (s *Meetings) touch(ctx context.Context, q Queries, m *Meeting) error {
	m.Version++
	m.UpdatedAt = s.now().UTC()
	if err := q.UpdateMeeting(ctx, *m); err != nil {
		return err
	}
	p, err := s.present(ctx, q, *m)
	*m = p
	return err
}

// UpdateMeeting implements Service.
func (s *Meetings) UpdateMeeting(ctx context.Context, id string, pre kitx.Precondition, in UpdateMeetingInput) (Meeting, error) {
	var out Meeting
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := pre.Check(m.Version); err != nil {
			return nil, err
		}
		var fields []string
		for _, f := range []struct {
			name string
			dst  *string
			v    *string
		}{{"title", &m.Title, in.Title}, {"venue", &m.Venue, in.Venue}, {"host", &m.Host, in.Host}} {
			if f.v != nil && strings.TrimSpace(*f.v) != *f.dst {
				*f.dst = strings.TrimSpace(*f.v)
				fields = append(fields, f.name)
			}
		}
		if in.StartsAt != nil && !in.StartsAt.Equal(m.StartsAt) {
			if err := s.validStart(*in.StartsAt); err != nil {
				return nil, err
			}
			m.StartsAt, fields = in.StartsAt.UTC(), append(fields, "starts_at")
		}
		if in.EndsAt != nil && !in.EndsAt.Equal(m.EndsAt) {
			m.EndsAt, fields = in.EndsAt.UTC(), append(fields, "ends_at")
		}
		if err := validMeetingText(m.Title, m.Venue, m.Host); err != nil {
			return nil, err
		}
		if err := validTimes(m.StartsAt, m.EndsAt); err != nil {
			return nil, err
		}
		if len(fields) == 0 {
			out, err = s.present(ctx, q, m)
			return nil, err
		}
		if m.Status != MeetingDraft && m.Status != MeetingScheduled {
			return nil, ErrMeetingNotEditable
		}
		if err := s.touch(ctx, q, &m); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, q, ActionMeetingUpdate, ResourceMeeting, m.ID, fields); err != nil {
			return nil, err
		}
		out = m
		return []Change{{Type: EventMeetingUpdated, Meeting: &out, Fields: fields}}, nil
	})
	return out, err
}

// ChangeMeetingStatus implements Service.
func (s *Meetings) ChangeMeetingStatus(ctx context.Context, id string, in MeetingStatusInput) (Meeting, error) {
	if !ValidMeetingStatus(in.Status) {
		return Meeting{}, ErrMeetingStatusInvalid
	}
	var out Meeting
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, id)
		if err != nil {
			return nil, err
		}
		from := m.Status
		if !CanTransitionMeeting(from, in.Status) {
			return nil, ErrMeetingStatusIllegal.Wrap(fmt.Errorf("%s → %s", from, in.Status))
		}
		if in.Status == MeetingClosed && m.MinutesVersion == 0 {
			// "closed (minutes published)": a meeting is closed by its record.
			return nil, ErrMeetingMinutesMissing
		}
		m.Status = in.Status
		if err := s.touch(ctx, q, &m); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, q, ActionMeetingStatus, ResourceMeeting, m.ID, []string{"status"}); err != nil {
			return nil, err
		}
		out = m
		return []Change{{Type: EventMeetingStatusChanged, Meeting: &out, FromStatus: from, ToStatus: in.Status}}, nil
	})
	return out, err
}

// --- agenda ---

func validAgendaKind(k string) bool {
	switch k {
	case AgendaBriefing, AgendaSpeeches, AgendaDeployment, AgendaSigning, AgendaRemarks:
		return true
	}
	return false
}

// AddAgendaItem implements Service.
func (s *Meetings) AddAgendaItem(ctx context.Context, meetingID string, in AgendaItemInput) (AgendaItem, error) {
	in.Title, in.Presenter = strings.TrimSpace(in.Title), strings.TrimSpace(in.Presenter)
	if !validAgendaKind(in.Kind) {
		return AgendaItem{}, ErrAgendaKindInvalid
	}
	if in.Title == "" || runeLen(in.Title) > 200 {
		return AgendaItem{}, ErrAgendaTitleRequired
	}
	if runeLen(in.Presenter) > 100 {
		return AgendaItem{}, ErrAgendaPresenterTooLong
	}
	if err := singleLine("title", in.Title, "presenter", in.Presenter); err != nil {
		return AgendaItem{}, err
	}
	if in.DurationMin < 0 || in.DurationMin > 600 {
		return AgendaItem{}, ErrAgendaDurationInvalid
	}
	return idempotent(ctx, s, "POST meetings/"+meetingID+"/agenda", in.IdempotencyKey, in, func(q Queries) (AgendaItem, []Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return AgendaItem{}, nil, err
		}
		if m.Status == MeetingClosed {
			return AgendaItem{}, nil, ErrMeetingClosed
		}
		items, err := q.ListAgenda(ctx, meetingID)
		if err != nil {
			return AgendaItem{}, nil, err
		}
		if len(items) >= 100 {
			return AgendaItem{}, nil, ErrAgendaTooLong
		}
		id, err := newID()
		if err != nil {
			return AgendaItem{}, nil, err
		}
		a := AgendaItem{ID: id, MeetingID: meetingID, Position: len(items) + 1, Kind: in.Kind, Title: in.Title,
			Presenter: in.Presenter, DurationMin: in.DurationMin, Signing: in.Kind == AgendaSigning, CreatedAt: s.now().UTC()}
		if err := q.InsertAgendaItem(ctx, a); err != nil {
			return AgendaItem{}, nil, err
		}
		if err := s.touch(ctx, q, &m); err != nil {
			return AgendaItem{}, nil, err
		}
		if err := s.audit(ctx, q, ActionAgendaAdd, ResourceMeeting, m.ID, []string{"agenda"}); err != nil {
			return AgendaItem{}, nil, err
		}
		return a, []Change{{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"agenda"}}}, nil
	})
}

// ListAgenda implements Service.
func (s *Meetings) ListAgenda(ctx context.Context, meetingID string) ([]AgendaItem, error) {
	if _, err := s.repo.GetMeeting(ctx, meetingID); err != nil {
		return nil, err
	}
	return s.repo.ListAgenda(ctx, meetingID)
}

// ReorderAgenda implements Service.
func (s *Meetings) ReorderAgenda(ctx context.Context, meetingID string, in ReorderInput) ([]AgendaItem, error) {
	var out []AgendaItem
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		if m.Status == MeetingClosed {
			return nil, ErrMeetingClosed
		}
		items, err := q.ListAgenda(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		byID := map[string]AgendaItem{}
		for _, a := range items {
			byID[a.ID] = a
		}
		if len(in.ItemIDs) != len(items) {
			return nil, ErrAgendaOrderInvalid
		}
		seen := map[string]bool{}
		out = make([]AgendaItem, 0, len(items))
		for i, id := range in.ItemIDs {
			a, ok := byID[id]
			if !ok || seen[id] {
				return nil, ErrAgendaOrderInvalid
			}
			seen[id] = true
			a.Position = i + 1
			out = append(out, a)
		}
		for _, a := range out {
			if err := q.UpdateAgendaItem(ctx, a); err != nil {
				return nil, err
			}
		}
		if err := s.touch(ctx, q, &m); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, q, ActionAgendaReorder, ResourceMeeting, m.ID, []string{"agenda"}); err != nil {
			return nil, err
		}
		return []Change{{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"agenda"}}}, nil
	})
	return out, err
}

// --- invitations and attendance ---

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
		for _, c := range in.Companies {
			if err := add(Invitation{Kind: InviteeCompany, CompanyID: c.CompanyID, CompanyName: c.Name}); err != nil {
				return nil, nil, err
			}
		}
		for _, p := range in.People {
			if err := add(Invitation{Kind: InviteePerson, PersonName: p.Name, PersonRole: p.Role, Organization: p.Organization}); err != nil {
				return nil, nil, err
			}
		}
		if err := s.touch(ctx, q, &m); err != nil {
			return nil, nil, err
		}
		if err := s.audit(ctx, q, ActionInvite, ResourceMeeting, m.ID, []string{"invitations"}); err != nil {
			return nil, nil, err
		}
		return invitationBatch(out), []Change{{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"invitations"}}}, nil
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

// storable is a result whose stored idempotent form differs from the
// response (secrets removed).
type storable interface{ forStorage() any }

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

// ActionItemCompany returns the owner company of an action item, for
// authorization.
func (s *Meetings) ActionItemCompany(ctx context.Context, id string) (string, error) {
	a, err := s.repo.GetActionItem(ctx, id)
	if err != nil {
		return "", err
	}
	return a.OwnerCompanyID, nil
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
	if err := s.touch(ctx, q, m); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, q, action, ResourceInvitation, inv.ID, []string{"status"}); err != nil {
		return nil, err
	}
	return []Change{{Type: EventAttendanceRecorded, Meeting: m, Invitation: inv}}, nil
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

func rate(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(int(float64(n)/float64(d)*1000+0.5)) / 1000
}

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

// --- minutes ---

func validEntryKind(k string) bool {
	switch k {
	case EntrySpeech, EntryRequirements, EntryBriefing, EntryDeployment, EntryNote:
		return true
	}
	return false
}

func validEntry(speaker, role, text string) error {
	if strings.TrimSpace(speaker) == "" || runeLen(speaker) > 100 {
		return ErrMinuteSpeakerRequired
	}
	if runeLen(role) > 100 {
		return ErrMinuteRoleTooLong
	}
	if err := singleLine("speaker", speaker, "speaker_role", role); err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" || runeLen(text) > 20000 {
		return ErrMinuteTextRequired
	}
	return nil
}

// AddMinuteEntry implements Service.
func (s *Meetings) AddMinuteEntry(ctx context.Context, meetingID string, in MinuteEntryInput) (MinuteEntry, error) {
	in.Speaker, in.SpeakerRole, in.Text = strings.TrimSpace(in.Speaker), strings.TrimSpace(in.SpeakerRole), strings.TrimSpace(in.Text)
	if in.Kind == "" {
		in.Kind = EntrySpeech
	}
	if !validEntryKind(in.Kind) {
		return MinuteEntry{}, ErrMinuteKindInvalid
	}
	if err := validEntry(in.Speaker, in.SpeakerRole, in.Text); err != nil {
		return MinuteEntry{}, err
	}
	if len(in.CompanyID) > 64 {
		return MinuteEntry{}, errs.InvalidField("minute.company_id_invalid", "company_id", "company_id is at most 64 characters")
	}
	return idempotent(ctx, s, "POST meetings/"+meetingID+"/minutes/entries", in.IdempotencyKey, in, func(q Queries) (MinuteEntry, []Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return MinuteEntry{}, nil, err
		}
		if m.Status != MeetingInProgress && m.Status != MeetingClosed {
			return MinuteEntry{}, nil, ErrMeetingNotHeld
		}
		if in.AgendaItemID != "" {
			if err := agendaItemOf(ctx, q, meetingID, in.AgendaItemID); err != nil {
				return MinuteEntry{}, nil, err
			}
		}
		entries, err := q.ListMinuteEntries(ctx, meetingID)
		if err != nil {
			return MinuteEntry{}, nil, err
		}
		if in.Supersedes != "" {
			i := slices.IndexFunc(entries, func(e MinuteEntry) bool { return e.ID == in.Supersedes })
			if i < 0 || entries[i].PublishedIn == 0 {
				return MinuteEntry{}, nil, ErrMinuteSupersedesInvalid
			}
		}
		id, err := newID()
		if err != nil {
			return MinuteEntry{}, nil, err
		}
		pos := 1
		for _, e := range entries {
			pos = max(pos, e.Position+1)
		}
		now := s.now().UTC()
		e := MinuteEntry{ID: id, MeetingID: meetingID, AgendaItemID: in.AgendaItemID, Position: pos, Speaker: in.Speaker,
			SpeakerRole: in.SpeakerRole, CompanyID: in.CompanyID, Kind: in.Kind, Text: in.Text, Supersedes: in.Supersedes,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := q.InsertMinuteEntry(ctx, e); err != nil {
			return MinuteEntry{}, nil, err
		}
		if err := s.audit(ctx, q, ActionMinuteAdd, ResourceMinute, e.ID,
			audit.SetFields("speaker", e.Speaker, "speaker_role", e.SpeakerRole, "company_id", e.CompanyID, "kind", e.Kind, "text", e.Text, "supersedes", e.Supersedes)); err != nil {
			return MinuteEntry{}, nil, err
		}
		e.ETag = kitx.ETag(e.Version)
		// Draft entries are not news: the event is MinutesPublished.
		return e, nil, nil
	})
}

func agendaItemOf(ctx context.Context, q Queries, meetingID, itemID string) error {
	items, err := q.ListAgenda(ctx, meetingID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(items, func(a AgendaItem) bool { return a.ID == itemID }) {
		return ErrAgendaItemNotFound
	}
	return nil
}

// UpdateMinuteEntry implements Service.
func (s *Meetings) UpdateMinuteEntry(ctx context.Context, meetingID, entryID string, pre kitx.Precondition, in UpdateMinuteEntryInput) (MinuteEntry, error) {
	var out MinuteEntry
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		e, err := q.GetMinuteEntry(ctx, meetingID, entryID)
		if err != nil {
			return nil, err
		}
		if e.PublishedIn > 0 {
			return nil, ErrMinuteEntryPublished
		}
		if err := pre.Check(e.Version); err != nil {
			return nil, err
		}
		var fields []string
		for _, f := range []struct {
			name string
			dst  *string
			v    *string
		}{{"speaker", &e.Speaker, in.Speaker}, {"speaker_role", &e.SpeakerRole, in.SpeakerRole}, {"text", &e.Text, in.Text}} {
			if f.v != nil && strings.TrimSpace(*f.v) != *f.dst {
				*f.dst = strings.TrimSpace(*f.v)
				fields = append(fields, f.name)
			}
		}
		if err := validEntry(e.Speaker, e.SpeakerRole, e.Text); err != nil {
			return nil, err
		}
		if len(fields) > 0 {
			e.Version++
			e.UpdatedAt = s.now().UTC()
			if err := q.UpdateMinuteEntry(ctx, e); err != nil {
				return nil, err
			}
			if err := s.audit(ctx, q, ActionMinuteUpdate, ResourceMinute, e.ID, fields); err != nil {
				return nil, err
			}
		}
		e.ETag = kitx.ETag(e.Version)
		out = e
		return nil, nil
	})
	return out, err
}

// DeleteMinuteEntry implements Service.
func (s *Meetings) DeleteMinuteEntry(ctx context.Context, meetingID, entryID string) error {
	return s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		e, err := q.GetMinuteEntry(ctx, meetingID, entryID)
		if err != nil {
			return nil, err
		}
		if e.PublishedIn > 0 {
			return nil, ErrMinuteEntryPublished
		}
		if err := q.DeleteMinuteEntry(ctx, meetingID, entryID); err != nil {
			return nil, err
		}
		return nil, s.audit(ctx, q, ActionMinuteDelete, ResourceMinute, e.ID, []string{})
	})
}

// PublishMinutes implements Service.
func (s *Meetings) PublishMinutes(ctx context.Context, meetingID string) (Minutes, error) {
	var version int
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		if m.Status != MeetingInProgress && m.Status != MeetingClosed {
			return nil, ErrMeetingNotHeld
		}
		version = m.MinutesVersion + 1
		n, err := q.PublishDrafts(ctx, meetingID, version)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, ErrMinutesNothingToPublish
		}
		if err := q.InsertMinutesVersion(ctx, meetingID, MinutesVersion{Version: version, Entries: n,
			PublishedAt: s.now().UTC(), PublishedBy: audit.ActorFromContext(ctx).Subject}); err != nil {
			return nil, err
		}
		m.MinutesVersion = version
		if err := s.touch(ctx, q, &m); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, q, ActionMinutesPublish, ResourceMeeting, m.ID, []string{"minutes_version"}); err != nil {
			return nil, err
		}
		return []Change{{Type: EventMinutesPublished, Meeting: &m, MinutesVersion: version, Entries: n}}, nil
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.GetMinutes(ctx, meetingID, version, false)
}

// GetMinutes implements Service. Version v of the minutes is every entry
// published in v or before, less those a correction published in v or
// before supersedes: publishing v2 leaves v1 exactly as it was.
func (s *Meetings) GetMinutes(ctx context.Context, meetingID string, version int, draft bool) (Minutes, error) {
	m, err := s.repo.GetMeeting(ctx, meetingID)
	if err != nil {
		return Minutes{}, err
	}
	versions, err := s.repo.ListMinutesVersions(ctx, meetingID)
	if err != nil {
		return Minutes{}, err
	}
	if version == 0 {
		version = m.MinutesVersion
	}
	if !draft && (version < 1 || version > m.MinutesVersion) {
		return Minutes{}, ErrMinutesNotPublished
	}
	all, err := s.repo.ListMinuteEntries(ctx, meetingID)
	if err != nil {
		return Minutes{}, err
	}
	in := func(e MinuteEntry) bool {
		if draft {
			return true
		}
		return e.PublishedIn > 0 && e.PublishedIn <= version
	}
	superseded := map[string]bool{}
	for _, e := range all {
		if e.Supersedes != "" && in(e) {
			superseded[e.Supersedes] = true
		}
	}
	out := Minutes{MeetingID: meetingID, Version: version, Draft: draft, Entries: []MinuteEntry{}, Versions: versions}
	if draft {
		out.Version = 0
	}
	for _, e := range all {
		if in(e) && !superseded[e.ID] {
			e.ETag = kitx.ETag(e.Version)
			out.Entries = append(out.Entries, e)
		}
	}
	return out, nil
}

// --- resolutions and action items ---

// ValidItemStatus reports whether st is an action item status.
func ValidItemStatus(st string) bool { return st == ItemOpen || st == ItemDone || st == ItemAccepted }

// CanTransitionItem reports whether an action item may move from → to:
// open → done → accepted, and done → open when the district lead sends the
// work back. accepted is final.
func CanTransitionItem(from, to string) bool {
	switch from + ">" + to {
	case "open>done", "done>accepted", "done>open":
		return true
	}
	return false
}

// validDueDate reports whether d is a YYYY-MM-DD date from 2000-01-01 to
// meetingHorizonYears ahead (China time), like the meetings that set it.
func (s *Meetings) validDueDate(d string) bool {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return false
	}
	day := t.Format(time.DateOnly)
	return day >= earliestMeeting.Format(time.DateOnly) && day <= today(s.now().AddDate(meetingHorizonYears, 0, 0))
}

// AdoptResolution implements Service.
func (s *Meetings) AdoptResolution(ctx context.Context, meetingID string, in ResolutionInput) (Resolution, error) {
	in.Title, in.Text = strings.TrimSpace(in.Title), strings.TrimSpace(in.Text)
	if in.Title == "" || runeLen(in.Title) > 200 {
		return Resolution{}, ErrResolutionTitleRequired
	}
	if err := kitx.SingleLine("title", in.Title); err != nil {
		return Resolution{}, err
	}
	if runeLen(in.Text) > 20000 {
		return Resolution{}, ErrResolutionTextTooLong
	}
	if len(in.ActionItems) > 100 {
		return Resolution{}, ErrResolutionItemsInvalid
	}
	for i, a := range in.ActionItems {
		a.Title, a.OwnerName, a.OwnerCompanyID = strings.TrimSpace(a.Title), strings.TrimSpace(a.OwnerName), strings.TrimSpace(a.OwnerCompanyID)
		if a.Title == "" || runeLen(a.Title) > 500 {
			return Resolution{}, ErrActionItemTitleRequired
		}
		ok := false
		switch a.OwnerKind {
		case OwnerCompany:
			ok = a.OwnerCompanyID != "" && len(a.OwnerCompanyID) <= 64
		case OwnerDistrict:
			ok, a.OwnerCompanyID = true, ""
			if a.OwnerName == "" {
				a.OwnerName = s.district
			}
		case OwnerPerson:
			ok, a.OwnerCompanyID = a.OwnerName != "", ""
		}
		if !ok || runeLen(a.OwnerName) > 100 {
			return Resolution{}, ErrActionItemOwnerInvalid
		}
		if !s.validDueDate(a.DueOn) {
			return Resolution{}, ErrActionItemDueInvalid
		}
		if err := singleLine(fmt.Sprintf("action_items[%d].title", i), a.Title, fmt.Sprintf("action_items[%d].owner_name", i), a.OwnerName); err != nil {
			return Resolution{}, err
		}
		in.ActionItems[i] = a
	}
	return idempotent(ctx, s, "POST meetings/"+meetingID+"/resolutions", in.IdempotencyKey, in, func(q Queries) (Resolution, []Change, error) {
		m, err := q.GetMeeting(ctx, meetingID)
		if err != nil {
			return Resolution{}, nil, err
		}
		if m.Status != MeetingInProgress && m.Status != MeetingClosed {
			return Resolution{}, nil, ErrMeetingNotHeld
		}
		id, err := newID()
		if err != nil {
			return Resolution{}, nil, err
		}
		now := s.now().UTC()
		r := Resolution{ID: id, District: s.district, MeetingID: meetingID, AgendaItemID: in.AgendaItemID, Title: in.Title, Text: in.Text, AdoptedAt: now, ActionItems: []ActionItem{}}
		if in.AgendaItemID != "" {
			items, err := q.ListAgenda(ctx, meetingID)
			if err != nil {
				return Resolution{}, nil, err
			}
			i := slices.IndexFunc(items, func(a AgendaItem) bool { return a.ID == in.AgendaItemID })
			if i < 0 {
				return Resolution{}, nil, ErrAgendaItemNotFound
			}
			items[i].ResolutionID = r.ID
			if err := q.UpdateAgendaItem(ctx, items[i]); err != nil {
				return Resolution{}, nil, err
			}
		}
		if err := q.InsertResolution(ctx, r); err != nil {
			return Resolution{}, nil, err
		}
		changes := []Change{{Type: EventResolutionAdopted, Resolution: &r}}
		for _, ai := range in.ActionItems {
			iid, err := newID()
			if err != nil {
				return Resolution{}, nil, err
			}
			a := ActionItem{ID: iid, District: s.district, ResolutionID: r.ID, MeetingID: meetingID, Title: ai.Title, OwnerKind: ai.OwnerKind,
				OwnerCompanyID: ai.OwnerCompanyID, OwnerName: ai.OwnerName, DueOn: ai.DueOn, Status: ItemOpen, CreatedAt: now, UpdatedAt: now, Version: 1}
			if err := q.InsertActionItem(ctx, a); err != nil {
				return Resolution{}, nil, err
			}
			s.presentItem(&a)
			r.ActionItems = append(r.ActionItems, a)
		}
		for i := range r.ActionItems {
			changes = append(changes, Change{Type: EventActionItemCreated, ActionItem: &r.ActionItems[i]})
		}
		if err := s.audit(ctx, q, ActionResolutionAdopt, ResourceResolution, r.ID, audit.SetFields("title", r.Title, "text", r.Text, "agenda_item_id", r.AgendaItemID, "action_items", len(r.ActionItems))); err != nil {
			return Resolution{}, nil, err
		}
		return r, changes, nil
	})
}

func (s *Meetings) presentItem(a *ActionItem) {
	a.District = s.district
	a.Overdue = a.Status == ItemOpen && a.DueOn < today(s.now())
	a.ETag = kitx.ETag(a.Version)
}

// GetResolution implements Service.
func (s *Meetings) GetResolution(ctx context.Context, id string) (Resolution, error) {
	r, err := s.repo.GetResolution(ctx, id)
	if err != nil {
		return Resolution{}, err
	}
	return s.withItems(ctx, r)
}

func (s *Meetings) withItems(ctx context.Context, r Resolution) (Resolution, error) {
	items, err := s.repo.ActionItemsOf(ctx, r.ID)
	if err != nil {
		return Resolution{}, err
	}
	for i := range items {
		s.presentItem(&items[i])
	}
	r.District, r.ActionItems = s.district, items
	return r, nil
}

// ListResolutions implements Service.
func (s *Meetings) ListResolutions(ctx context.Context, meetingID string, page kitx.Page) ([]Resolution, string, error) {
	items, next, err := s.repo.ListResolutions(ctx, meetingID, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.withItems(ctx, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// GetActionItem implements Service.
func (s *Meetings) GetActionItem(ctx context.Context, id string) (ActionItem, error) {
	a, err := s.repo.GetActionItem(ctx, id)
	if err != nil {
		return ActionItem{}, err
	}
	s.presentItem(&a)
	return a, nil
}

// ListActionItems implements Service. Overdue means open with a due date
// before today (China Standard Time): done items wait on the district
// lead, not on their owner.
func (s *Meetings) ListActionItems(ctx context.Context, f ActionItemFilter, page kitx.Page) ([]ActionItem, string, error) {
	if f.Status != "" && !ValidItemStatus(f.Status) {
		return nil, "", ErrActionItemStatusInvalid
	}
	f.Today = today(s.now())
	items, next, err := s.repo.ListActionItems(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		s.presentItem(&items[i])
	}
	return items, next, nil
}

// ChangeActionItemStatus implements Service. Accepting an item, or sending
// it back, is the district lead's (or HQ's) call: a company-admin may only
// mark its own item done.
func (s *Meetings) ChangeActionItemStatus(ctx context.Context, id string, in ActionItemStatusInput) (ActionItem, error) {
	if !ValidItemStatus(in.Status) {
		return ActionItem{}, ErrActionItemStatusInvalid
	}
	var out ActionItem
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		a, err := q.GetActionItem(ctx, id)
		if err != nil {
			return nil, err
		}
		from := a.Status
		if !CanTransitionItem(from, in.Status) {
			return nil, ErrActionItemStatusIllegal.Wrap(fmt.Errorf("%s → %s", from, in.Status))
		}
		if from == ItemDone {
			if p, ok := auth.FromContext(ctx); !ok || (p.Role != auth.RoleHQAdmin && p.Role != auth.RoleDistrictAdmin) {
				return nil, ErrActionItemAcceptDenied
			}
		}
		a.Status = in.Status
		a.Version++
		a.UpdatedAt = s.now().UTC()
		if err := q.UpdateActionItem(ctx, a); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, q, ActionActionItemStatus, ResourceActionItem, a.ID, []string{"status"}); err != nil {
			return nil, err
		}
		s.presentItem(&a)
		out = a
		return []Change{{Type: EventActionItemStatus, ActionItem: &out, FromStatus: from, ToStatus: in.Status, By: audit.ActorFromContext(ctx).Subject}}, nil
	})
	return out, err
}

// SendReminders emits one ActionItemReminder per open item due within
// ReminderLead days or overdue, at most once per item per day (CST), and
// returns how many it sent. Each reminder commits on its own with the
// item's reminded-on mark, so a crash mid-way neither loses nor repeats one.
func (s *Meetings) SendReminders(ctx context.Context) (int, error) {
	now := s.now()
	day := today(now)
	horizon := now.In(Local).AddDate(0, 0, s.opt.ReminderLead).Format(time.DateOnly)
	sent := 0
	for {
		items, err := s.repo.DueActionItems(ctx, horizon, day, 100)
		if err != nil {
			return sent, err
		}
		if len(items) == 0 {
			return sent, nil
		}
		for _, a := range items {
			err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
				ok, err := q.MarkReminded(ctx, a.ID, day)
				if err != nil || !ok {
					return nil, err
				}
				s.presentItem(&a)
				due, _ := time.ParseInLocation(time.DateOnly, a.DueOn, Local)
				cur, _ := time.ParseInLocation(time.DateOnly, day, Local)
				days := int(cur.Sub(due).Hours() / 24)
				overdue := days > 0
				if !overdue {
					days = -days
				}
				sys := audit.Actor{Subject: audit.SystemSubject}
				if err := s.auditAs(ctx, q, sys, ActionActionItemRemind, ResourceActionItem, a.ID, []string{"last_reminded_on"}); err != nil {
					return nil, err
				}
				sent++
				return []Change{{Type: EventActionItemReminder, ActionItem: &a, Overdue: overdue, Days: days}}, nil
			})
			if err != nil {
				return sent, err
			}
		}
	}
}

// ExpireIdempotencyKeys deletes keys older than IdempotencyTTL.
func (s *Meetings) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repo.ExpireIdempotency(ctx, s.now().Add(-IdempotencyTTL))
}

// --- convention ---

// ValidateConvention checks a convention version before it is published.
func ValidateConvention(c Convention) error {
	if strings.TrimSpace(c.Version) == "" || runeLen(c.Version) > 50 || strings.TrimSpace(c.Title) == "" ||
		runeLen(c.Title) > 200 || strings.TrimSpace(c.Text) == "" || runeLen(c.Text) > 100000 || c.PublishedAt.IsZero() {
		return ErrConventionInvalid
	}
	return nil
}

// CurrentConvention implements Service.
func (s *Meetings) CurrentConvention(context.Context) (Convention, error) {
	c := s.convention()
	if c.Version == "" {
		return Convention{}, ErrConventionNone
	}
	return c, nil
}

// SignConvention implements Service. A signature of any version is
// recorded; Current says whether it was the current one at signing, and
// only signatures of the version current now count in SignatureRate.
func (s *Meetings) SignConvention(ctx context.Context, in SignInput) (Signature, error) {
	in.CompanyID, in.SignedBy, in.ConventionVersion = strings.TrimSpace(in.CompanyID), strings.TrimSpace(in.SignedBy), strings.TrimSpace(in.ConventionVersion)
	if in.CompanyID == "" || len(in.CompanyID) > 64 {
		return Signature{}, ErrSignatureCompanyRequired
	}
	if in.SignedBy == "" || runeLen(in.SignedBy) > 100 {
		return Signature{}, ErrSignatureSignedByRequired
	}
	if err := kitx.SingleLine("signed_by", in.SignedBy); err != nil {
		return Signature{}, err
	}
	if in.SignedAt != nil && (in.SignedAt.After(s.now().Add(time.Minute)) || in.SignedAt.Before(earliestMeeting)) {
		return Signature{}, ErrSignatureSignedAtInvalid
	}
	if runeLen(in.ConventionVersion) > 50 {
		return Signature{}, ErrSignatureVersionInvalid
	}
	cur := s.convention()
	if in.ConventionVersion == "" {
		if cur.Version == "" {
			return Signature{}, ErrConventionNone
		}
		in.ConventionVersion = cur.Version
	}
	return idempotent(ctx, s, "POST convention/signatures", in.IdempotencyKey, in, func(q Queries) (Signature, []Change, error) {
		if in.MeetingID != "" {
			if _, err := q.GetMeeting(ctx, in.MeetingID); errors.Is(err, ErrMeetingNotFound) {
				return Signature{}, nil, ErrSignatureMeetingInvalid
			} else if err != nil {
				return Signature{}, nil, err
			}
		}
		id, err := newID()
		if err != nil {
			return Signature{}, nil, err
		}
		now := s.now().UTC()
		at := now
		if in.SignedAt != nil {
			at = in.SignedAt.UTC()
		}
		sig := Signature{ID: id, District: s.district, CompanyID: in.CompanyID, ConventionVersion: in.ConventionVersion, SignedBy: in.SignedBy,
			SignedAt: at, MeetingID: in.MeetingID, Current: cur.Version != "" && in.ConventionVersion == cur.Version, CreatedAt: now}
		if err := q.InsertSignature(ctx, sig); err != nil {
			return Signature{}, nil, err
		}
		if err := s.audit(ctx, q, ActionConventionSign, ResourceSignature, sig.ID, audit.SetFields("company_id", sig.CompanyID,
			"convention_version", sig.ConventionVersion, "signed_by", sig.SignedBy, "signed_at", "x", "meeting_id", sig.MeetingID)); err != nil {
			return Signature{}, nil, err
		}
		return sig, []Change{{Type: EventConventionSigned, Signature: &sig}}, nil
	})
}

// ListSignatures implements Service.
func (s *Meetings) ListSignatures(ctx context.Context, f SignatureFilter, page kitx.Page) ([]Signature, string, error) {
	items, next, err := s.repo.ListSignatures(ctx, f, page)
	for i := range items {
		items[i].District = s.district
	}
	return items, next, err
}

// SignatureRate implements Service.
func (s *Meetings) SignatureRate(ctx context.Context) (SignatureRate, error) {
	cur := s.convention()
	if cur.Version == "" {
		return SignatureRate{}, ErrConventionNone
	}
	signed, companies, err := s.repo.SignatureCounts(ctx, cur.Version)
	if err != nil {
		return SignatureRate{}, err
	}
	return SignatureRate{ConventionVersion: cur.Version, Signed: signed, Companies: companies, Rate: rate(signed, companies)}, nil
}

// --- roundtable cadence ---

// ValidateCadence checks a roundtable cadence.
func ValidateCadence(c Cadence) error {
	if (c.Per != "month" && c.Per != "quarter" && c.Per != "year") || c.Count < 0 || c.Count > 100 {
		return errors.New(`cadence: per must be month, quarter or year and count 0 to 100`)
	}
	return nil
}

// periodStart returns the start of the period of t (CST) and its label.
func periodStart(per string, t time.Time) (time.Time, string) {
	t = t.In(Local)
	switch per {
	case "year":
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, Local), t.Format("2006")
	case "quarter":
		q := (int(t.Month()) - 1) / 3
		return time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, Local), fmt.Sprintf("%d-Q%d", t.Year(), q+1)
	default:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, Local), t.Format("2006-01")
	}
}

func nextPeriod(per string, t time.Time) time.Time {
	switch per {
	case "year":
		return t.AddDate(1, 0, 0)
	case "quarter":
		return t.AddDate(0, 3, 0)
	default:
		return t.AddDate(0, 1, 0)
	}
}

// RoundtableCadence implements Service. A roundtable is held once it is in
// progress or closed; the current period is on track only once it has its
// expected count.
func (s *Meetings) RoundtableCadence(ctx context.Context, periods int) (CadenceReport, error) {
	if periods < 1 || periods > 36 {
		return CadenceReport{}, ErrCadencePeriodsInvalid
	}
	c := s.cadence()
	start, _ := periodStart(c.Per, s.now())
	for range periods - 1 {
		prev := start
		switch c.Per {
		case "year":
			start = prev.AddDate(-1, 0, 0)
		case "quarter":
			start = prev.AddDate(0, -3, 0)
		default:
			start = prev.AddDate(0, -1, 0)
		}
	}
	end := start
	for range periods {
		end = nextPeriod(c.Per, end)
	}
	held, err := s.repo.RoundtableStarts(ctx, start, end)
	if err != nil {
		return CadenceReport{}, err
	}
	out := CadenceReport{Per: c.Per, Count: c.Count, Periods: []CadencePeriod{}}
	for p := start; p.Before(end); p = nextPeriod(c.Per, p) {
		_, label := periodStart(c.Per, p)
		np := nextPeriod(c.Per, p)
		n := 0
		for _, t := range held {
			if !t.Before(p) && t.Before(np) {
				n++
			}
		}
		out.Periods = append(out.Periods, CadencePeriod{Period: label, Start: p, End: np, Expected: c.Count, Held: n, OnTrack: n >= c.Count})
	}
	return out, nil
}

// --- idempotency ---

// idempotent runs a create once per (scope, key) through pkg/idempotency:
// the first result is stored with the key in the create's transaction and
// replayed for the same request within IdempotencyTTL; the same key with a
// different request is refused.
func idempotent[T any](ctx context.Context, s *Meetings, scope, key string, in any, create func(q Queries) (T, []Change, error)) (T, error) {
	req := idempotency.Request{Scope: scope, Key: key, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, storedForm[T])
}

// storedForm is the form of v the idempotency record keeps: forStorage's
// for a storable result, v itself otherwise.
func storedForm[T any](v T) any {
	if st, ok := any(v).(storable); ok {
		return st.forStorage()
	}
	return v
}
