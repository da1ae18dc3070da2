package service

// Resolutions and the action items they spawn: status lifecycle and
// reminders.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// ActionItemCompany returns the owner company of an action item, for
// authorization.
func (s *Meetings) ActionItemCompany(ctx context.Context, id string) (string, error) {
	a, err := s.repo.GetActionItem(ctx, id)
	if err != nil {
		return "", err
	}
	return a.OwnerCompanyID, nil
}

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
		if err := s.Audit(ctx, q, ActionResolutionAdopt, ResourceResolution, r.ID, audit.SetFields("title", r.Title, "text", r.Text, "agenda_item_id", r.AgendaItemID, "action_items", len(r.ActionItems))); err != nil {
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
	a, err := versioned.Update(ctx, s.repo.Tx, actionItems, id, kitx.Precondition{}, func(_ Queries, a *ActionItem) (Edit, error) {
		from := a.Status
		if !CanTransitionItem(from, in.Status) {
			return Edit{}, ErrActionItemStatusIllegal.Wrap(fmt.Errorf("%s → %s", from, in.Status))
		}
		if from == ItemDone {
			if p, ok := auth.FromContext(ctx); !ok || (p.Role != auth.RoleHQAdmin && p.Role != auth.RoleDistrictAdmin) {
				return Edit{}, ErrActionItemAcceptDenied
			}
		}
		a.Status = in.Status
		return s.edit(ctx, ActionActionItemStatus, ResourceActionItem, a.ID, []string{"status"},
			Change{Type: EventActionItemStatus, ActionItem: a, FromStatus: from, ToStatus: in.Status, By: audit.ActorFromContext(ctx).Subject}), nil
	})
	if err != nil {
		return ActionItem{}, err
	}
	s.presentItem(&a)
	return a, nil
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
				if err := s.AuditAs(ctx, q, sys, ActionActionItemRemind, ResourceActionItem, a.ID, []string{"last_reminded_on"}); err != nil {
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
