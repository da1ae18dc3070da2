package service

// The agenda of a meeting: items in order.

import (
	"context"
	"strings"
)

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
		changes, err := s.touch(ctx, q, &m, s.edit(ctx, ActionAgendaAdd, ResourceMeeting, m.ID, []string{"agenda"},
			Change{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"agenda"}}))
		return a, changes, err
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
		return s.touch(ctx, q, &m, s.edit(ctx, ActionAgendaReorder, ResourceMeeting, m.ID, []string{"agenda"},
			Change{Type: EventMeetingUpdated, Meeting: &m, Fields: []string{"agenda"}}))
	})
	return out, err
}
