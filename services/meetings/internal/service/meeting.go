package service

// Meetings: create, read, list, update and the status lifecycle.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

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
		if err := s.Audit(ctx, q, ActionMeetingCreate, ResourceMeeting, m.ID,
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
	s.presentMeeting(&m)
	return m, nil
}

// presentMeeting sets what a meeting's answer carries besides its row and
// counts: its district and its ETag.
func (s *Meetings) presentMeeting(m *Meeting) {
	m.District = s.district
	m.ETag = kitx.ETag(m.Version)
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

// touch saves a meeting after a change to it or its parts (versioned.Save:
// a new version, its audit row e), with the counts its snapshot carries,
// and returns the change's events.
func (s *Meetings) touch(ctx context.Context, q Queries, m *Meeting, e Edit) ([]Change, error) {
	if err := q.FillCounts(ctx, m); err != nil {
		return nil, err
	}
	changes, err := versioned.Save(ctx, q, meetings, m, e)
	if err != nil {
		return nil, err
	}
	s.presentMeeting(m)
	return changes, nil
}

// UpdateMeeting implements Service.
func (s *Meetings) UpdateMeeting(ctx context.Context, id string, pre kitx.Precondition, in UpdateMeetingInput) (Meeting, error) {
	m, err := versioned.Update(ctx, s.repo.Tx, meetings, id, pre, func(q Queries, m *Meeting) (Edit, error) {
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
				return Edit{}, err
			}
			m.StartsAt, fields = in.StartsAt.UTC(), append(fields, "starts_at")
		}
		if in.EndsAt != nil && !in.EndsAt.Equal(m.EndsAt) {
			m.EndsAt, fields = in.EndsAt.UTC(), append(fields, "ends_at")
		}
		if err := validMeetingText(m.Title, m.Venue, m.Host); err != nil {
			return Edit{}, err
		}
		if err := validTimes(m.StartsAt, m.EndsAt); err != nil {
			return Edit{}, err
		}
		// The counts are the snapshot's, in the event and the answer.
		if err := q.FillCounts(ctx, m); err != nil {
			return Edit{}, err
		}
		if len(fields) == 0 {
			return Edit{}, nil
		}
		if m.Status != MeetingDraft && m.Status != MeetingScheduled {
			return Edit{}, ErrMeetingNotEditable
		}
		return s.edit(ctx, ActionMeetingUpdate, ResourceMeeting, m.ID, fields, Change{Type: EventMeetingUpdated, Meeting: m, Fields: fields}), nil
	})
	if err != nil {
		return Meeting{}, err
	}
	s.presentMeeting(&m)
	return m, nil
}

// ChangeMeetingStatus implements Service.
func (s *Meetings) ChangeMeetingStatus(ctx context.Context, id string, in MeetingStatusInput) (Meeting, error) {
	if !ValidMeetingStatus(in.Status) {
		return Meeting{}, ErrMeetingStatusInvalid
	}
	m, err := versioned.Update(ctx, s.repo.Tx, meetings, id, kitx.Precondition{}, func(q Queries, m *Meeting) (Edit, error) {
		from := m.Status
		if !CanTransitionMeeting(from, in.Status) {
			return Edit{}, ErrMeetingStatusIllegal.Wrap(fmt.Errorf("%s → %s", from, in.Status))
		}
		if in.Status == MeetingClosed && m.MinutesVersion == 0 {
			// "closed (minutes published)": a meeting is closed by its record.
			return Edit{}, ErrMeetingMinutesMissing
		}
		m.Status = in.Status
		if err := q.FillCounts(ctx, m); err != nil {
			return Edit{}, err
		}
		return s.edit(ctx, ActionMeetingStatus, ResourceMeeting, m.ID, []string{"status"},
			Change{Type: EventMeetingStatusChanged, Meeting: m, FromStatus: from, ToStatus: in.Status}), nil
	})
	if err != nil {
		return Meeting{}, err
	}
	s.presentMeeting(&m)
	return m, nil
}
