package service

// Minutes: entries per agenda item, drafts and published versions.

import (
	"context"
	"slices"
	"strings"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

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
		return MinuteEntry{}, ErrMinuteCompanyIDInvalid
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
		if err := s.Audit(ctx, q, ActionMinuteAdd, ResourceMinute, e.ID,
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
	e, err := versioned.Update(ctx, s.repo.Tx, draftEntries(meetingID), entryID, pre, func(_ Queries, e *MinuteEntry) (Edit, error) {
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
			return Edit{}, err
		}
		if len(fields) == 0 {
			return Edit{}, nil
		}
		// A draft entry has no event of its own: the minutes publish.
		return s.edit(ctx, ActionMinuteUpdate, ResourceMinute, e.ID, fields), nil
	})
	if err != nil {
		return MinuteEntry{}, err
	}
	e.ETag = kitx.ETag(e.Version)
	return e, nil
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
		return nil, s.Audit(ctx, q, ActionMinuteDelete, ResourceMinute, e.ID, []string{})
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
		return s.touch(ctx, q, &m, s.edit(ctx, ActionMinutesPublish, ResourceMeeting, m.ID, []string{"minutes_version"},
			Change{Type: EventMinutesPublished, Meeting: &m, MinutesVersion: version, Entries: n}))
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
