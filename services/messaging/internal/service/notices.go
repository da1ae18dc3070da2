package service

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Limits of a notice's content.
const (
	MaxTitle       = 200
	MaxBody        = 100_000
	MaxAttachments = 20
	MaxAttachName  = 200
	MaxAttachURL   = 2000
	MaxAudience    = 1000
	MaxBy          = 100
	MaxComment     = 2000
)

// content is what a notice and a directive have in common, validated the
// same way.
type content struct {
	Title, Body string
	Attachments []Attachment
	Priority    string
	AckRequired bool
	Deadline    *time.Time
}

// validate normalises c (trimmed title, default priority, UTC deadline) and
// checks it against now.
func (c *content) validate(now time.Time) error {
	c.Title = strings.TrimSpace(c.Title)
	switch {
	case c.Title == "":
		return ErrTitleRequired
	case utf8.RuneCountInString(c.Title) > MaxTitle:
		return ErrTitleTooLong
	case strings.TrimSpace(c.Body) == "":
		return ErrBodyRequired
	case len(c.Body) > MaxBody:
		return ErrBodyTooLong
	}
	if c.Priority == "" {
		c.Priority = PriorityNormal
	}
	if c.Priority != PriorityNormal && c.Priority != PriorityUrgent {
		return ErrPriorityInvalid
	}
	if err := validAttachments(c.Attachments); err != nil {
		return err
	}
	if c.Attachments == nil {
		c.Attachments = []Attachment{}
	}
	switch {
	case c.AckRequired && c.Deadline == nil:
		return ErrDeadlineRequired
	case !c.AckRequired && c.Deadline != nil:
		return ErrDeadlineUnneeded
	case c.Deadline != nil && !c.Deadline.After(now):
		return ErrDeadlinePast
	}
	if c.Deadline != nil {
		d := c.Deadline.UTC()
		c.Deadline = &d
	}
	return nil
}

// revise applies the fields of a revision that are given and differ, and
// names them.
func (c *content) revise(title, body *string, atts *[]AttachmentInput, priority *string, deadline *time.Time) []string {
	var fields []string
	if title != nil && strings.TrimSpace(*title) != c.Title {
		c.Title, fields = *title, append(fields, "title")
	}
	if body != nil && *body != c.Body {
		c.Body, fields = *body, append(fields, "body_markdown")
	}
	if atts != nil && !slices.Equal(attachmentsOf(*atts), c.Attachments) {
		c.Attachments, fields = attachmentsOf(*atts), append(fields, "attachments")
	}
	if priority != nil && *priority != c.Priority {
		c.Priority, fields = *priority, append(fields, "priority")
	}
	if deadline != nil && (c.Deadline == nil || !deadline.Equal(*c.Deadline)) {
		c.Deadline, fields = deadline, append(fields, "ack_deadline")
	}
	return fields
}

func validAttachments(as []Attachment) error {
	if len(as) > MaxAttachments {
		return ErrAttachmentsTooMany
	}
	for i, a := range as {
		if n := strings.TrimSpace(a.Name); n == "" || utf8.RuneCountInString(n) > MaxAttachName {
			return ErrAttachmentName
		}
		u, err := url.Parse(a.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(a.URL) > MaxAttachURL {
			return ErrAttachmentURL
		}
		as[i].Name = strings.TrimSpace(a.Name)
	}
	return nil
}

// originOf is the office a caller sends a district's notices for.
func originOf(p auth.Principal) (string, error) {
	switch p.Role {
	case auth.RoleDistrictAdmin:
		return OriginDistrict, nil
	case auth.RolePolice:
		return OriginPolice, nil
	}
	return "", ErrNoticeOriginDenied
}

// PublishNotice implements Service.
func (s *Messaging) PublishNotice(ctx context.Context, in PublishNoticeInput) (Notice, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Notice{}, err
	}
	origin, err := originOf(p)
	if err != nil {
		return Notice{}, err
	}
	now := s.now().UTC()
	c := content{Title: in.Title, Body: in.BodyMarkdown, Attachments: attachmentsOf(in.Attachments), Priority: in.Priority,
		AckRequired: in.AckRequired, Deadline: in.AckDeadline}
	if err := c.validate(now); err != nil {
		return Notice{}, err
	}
	aud, err := validAudience(Audience(in.Audience))
	if err != nil {
		return Notice{}, err
	}
	html, err := s.md.HTML(c.Body)
	if err != nil {
		return Notice{}, err
	}
	req := idempotency.Request{Scope: "POST notices", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, func(q Queries) (Notice, []Change, error) {
		recipients, err := s.resolve(ctx, q, aud)
		if err != nil {
			return Notice{}, nil, err
		}
		id, err := newID()
		if err != nil {
			return Notice{}, nil, err
		}
		n := Notice{ID: id, District: s.district, Origin: origin, Title: c.Title, BodyMarkdown: c.Body, BodyHTML: html,
			Attachments: c.Attachments, Priority: c.Priority, AckRequired: c.AckRequired, AckDeadline: c.Deadline, Audience: aud,
			Version: 1, SentBy: p.Subject, PublishedAt: now, UpdatedAt: now}
		changes, err := s.deliver(ctx, q, &n, recipients)
		if err != nil {
			return Notice{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionNoticePublish, ResourceNotice, n.ID,
			audit.SetFields("title", n.Title, "body_markdown", "x", "priority", n.Priority, "audience", aud.Kind)); err != nil {
			return Notice{}, nil, err
		}
		return s.present(n), changes, nil
	}, func(n Notice) any { return n })
}

// deliver inserts n and a delivered receipt for each recipient, and
// returns the event of its publication.
func (s *Messaging) deliver(ctx context.Context, q Queries, n *Notice, recipients []Company) ([]Change, error) {
	n.Recipients, n.Seq = len(recipients), 1
	if err := q.InsertNotice(ctx, *n); err != nil {
		return nil, err
	}
	for _, c := range recipients {
		if err := q.InsertReceipt(ctx, Receipt{NoticeID: n.ID, CompanyID: c.ID, CompanyName: c.Name, Status: ReceiptDelivered,
			Revision: n.Version, DeliveredAt: n.PublishedAt}); err != nil {
			return nil, err
		}
	}
	return []Change{{Type: EventNoticePublished, Notice: n}}, nil
}

func validAudience(a Audience) (Audience, error) {
	switch a.Kind {
	case AudienceDistrict:
		if len(a.CompanyIDs) > 0 {
			return a, ErrAudienceCompanies
		}
		if a.Role != "" {
			return a, ErrAudienceRole
		}
	case AudienceCompanies:
		if a.Role != "" {
			return a, ErrAudienceRole
		}
		if len(a.CompanyIDs) == 0 || len(a.CompanyIDs) > MaxAudience {
			return a, ErrAudienceCompanies
		}
		ids := make([]string, 0, len(a.CompanyIDs))
		for _, id := range a.CompanyIDs {
			id = strings.TrimSpace(id)
			if id == "" || slices.Contains(ids, id) {
				return a, ErrAudienceCompanies
			}
			ids = append(ids, id)
		}
		a.CompanyIDs = ids
	case AudienceRole:
		if len(a.CompanyIDs) > 0 {
			return a, ErrAudienceCompanies
		}
		if !slices.Contains(Roles, a.Role) {
			return a, ErrAudienceRole
		}
	default:
		return a, ErrAudienceKind
	}
	return a, nil
}

// resolve returns the companies of an audience from the projection of the
// district's register: every active company (of the role), or the named
// ones, each of which must be known (company.not_found names the first
// that is not).
func (s *Messaging) resolve(ctx context.Context, q Queries, a Audience) ([]Company, error) {
	var out []Company
	switch a.Kind {
	case AudienceCompanies:
		for _, id := range a.CompanyIDs {
			c, err := q.GetCompany(ctx, id)
			if err != nil {
				if errors.Is(err, ErrCompanyNotFound) {
					return nil, ErrCompanyNotFound.WithField("audience.company_ids")
				}
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	case AudienceRole:
		var err error
		out, err = q.ActiveCompanies(ctx, a.Role)
		if err != nil {
			return nil, err
		}
	default:
		var err error
		out, err = q.ActiveCompanies(ctx, "")
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, ErrAudienceEmpty
	}
	return out, nil
}

// present fills what a notice shows beyond its row: its district (the
// node's; rows do not repeat it) and its ETag.
func (s *Messaging) present(n Notice) Notice {
	n.District, n.ETag = s.district, kitx.ETag(n.Version)
	if n.Attachments == nil {
		n.Attachments = []Attachment{}
	}
	return n
}

// GetNotice implements Service.
func (s *Messaging) GetNotice(ctx context.Context, id string) (Notice, error) {
	n, err := s.repo.GetNotice(ctx, id)
	return s.present(n), err
}

// ListNotices implements Service.
func (s *Messaging) ListNotices(ctx context.Context, f NoticeFilter, page kitx.Page) ([]Notice, string, error) {
	if f.Origin != "" && !slices.Contains([]string{OriginDistrict, OriginPolice, OriginHQ}, f.Origin) {
		return nil, "", ErrFilterOrigin
	}
	ns, next, err := s.repo.ListNotices(ctx, f, page)
	for i := range ns {
		ns[i] = s.present(ns[i])
	}
	return ns, next, err
}

// ReviseNotice implements Service. Any change is a new revision: the
// notice's version moves on and every receipt goes back to delivered for
// it, so each recipient reads and acknowledges what it now says.
func (s *Messaging) ReviseNotice(ctx context.Context, id string, pre kitx.Precondition, in ReviseNoticeInput) (Notice, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Notice{}, err
	}
	origin, err := originOf(p)
	if err != nil {
		return Notice{}, err
	}
	now := s.now().UTC()
	n, err := versioned.Update(ctx, s.repo.Tx, notices, id, pre, func(q Queries, n *Notice) (Edit, error) {
		if n.Origin == OriginHQ {
			return Edit{}, ErrNoticeNotEditable
		}
		if n.Origin != origin {
			return Edit{}, ErrNoticeReviseDenied
		}
		c := content{Title: n.Title, Body: n.BodyMarkdown, Attachments: slices.Clone(n.Attachments), Priority: n.Priority,
			AckRequired: n.AckRequired, Deadline: n.AckDeadline}
		fields := c.revise(in.Title, in.BodyMarkdown, in.Attachments, in.Priority, in.AckDeadline)
		if len(fields) == 0 {
			return Edit{}, nil
		}
		if err := c.validate(now); err != nil {
			return Edit{}, err
		}
		html, err := s.md.HTML(c.Body)
		if err != nil {
			return Edit{}, err
		}
		n.Title, n.BodyMarkdown, n.BodyHTML, n.Attachments, n.Priority, n.AckDeadline = c.Title, c.Body, html, c.Attachments, c.Priority, c.Deadline
		// The new revision is n.Version+1 once versioned saves it.
		if _, err := q.ResetReceipts(ctx, n.ID, n.Version+1, now); err != nil {
			return Edit{}, err
		}
		n.Read, n.Acknowledged, n.Seq = 0, 0, n.Seq+1
		return versioned.Changed(s.Entry(ctx, ActionNoticeRevise, ResourceNotice, n.ID, fields),
			Change{Type: EventNoticeRevised, Notice: n, Fields: fields}), nil
	})
	return s.present(n), err
}

// ListReceipts implements Service.
func (s *Messaging) ListReceipts(ctx context.Context, id string, page kitx.Page) ([]Receipt, string, error) {
	if _, err := s.repo.GetNotice(ctx, id); err != nil {
		return nil, "", err
	}
	return s.repo.ListReceipts(ctx, id, page)
}

// GetReceipt implements Service.
func (s *Messaging) GetReceipt(ctx context.Context, id, company string) (ReceiptView, error) {
	n, err := s.repo.GetNotice(ctx, id)
	if err != nil {
		return ReceiptView{}, err
	}
	r, err := s.repo.GetReceipt(ctx, id, company)
	if err != nil {
		return ReceiptView{}, err
	}
	return ReceiptView{Notice: s.present(n), Receipt: r}, nil
}

// ReadNotice implements Service: delivered → read. Reading again changes
// nothing (and says so with the receipt as it is); an acknowledged
// receipt is past reading.
func (s *Messaging) ReadNotice(ctx context.Context, id, company string, in ReadInput) (Receipt, error) {
	by := strings.TrimSpace(in.By)
	if by == "" || utf8.RuneCountInString(by) > MaxBy {
		return Receipt{}, ErrReceiptByRequired
	}
	return s.transition(ctx, id, company, func(n *Notice, r *Receipt, now time.Time) (string, error) {
		switch r.Status {
		case ReceiptRead:
			return "", nil
		case ReceiptAcknowledged:
			return "", ErrReceiptAcknowledged
		}
		r.Status, r.ReadAt, r.ReadBy = ReceiptRead, &now, by
		n.Read++
		return EventReceiptRead, nil
	})
}

// AcknowledgeNotice implements Service: read → acknowledged, for the
// notice's current revision only.
func (s *Messaging) AcknowledgeNotice(ctx context.Context, id, company string, in AcknowledgeInput) (Receipt, error) {
	by := strings.TrimSpace(in.By)
	switch {
	case in.Revision <= 0:
		return Receipt{}, ErrReceiptRevision
	case by == "" || utf8.RuneCountInString(by) > MaxBy:
		return Receipt{}, ErrReceiptByRequired
	case utf8.RuneCountInString(in.Comment) > MaxComment:
		return Receipt{}, ErrReceiptCommentTooLong
	}
	return s.transition(ctx, id, company, func(n *Notice, r *Receipt, now time.Time) (string, error) {
		switch {
		case !n.AckRequired:
			return "", ErrReceiptAckNotNeeded
		case in.Revision != n.Version:
			return "", ErrReceiptRevisionStale
		case r.Status == ReceiptAcknowledged:
			return "", ErrReceiptAcknowledged
		case r.Status == ReceiptDelivered:
			return "", ErrReceiptNotRead
		}
		r.Status, r.AcknowledgedAt, r.AcknowledgedBy, r.Comment = ReceiptAcknowledged, &now, by, strings.TrimSpace(in.Comment)
		n.Acknowledged++
		return EventReceiptAcknowledged, nil
	})
}

// transition runs one step of a receipt's state machine in a transaction:
// step changes the receipt and the notice's counts and names the event
// ("" for no change).
func (s *Messaging) transition(ctx context.Context, id, company string, step func(n *Notice, r *Receipt, now time.Time) (string, error)) (Receipt, error) {
	var out Receipt
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		n, err := q.GetNotice(ctx, id)
		if err != nil {
			return nil, err
		}
		r, err := q.GetReceipt(ctx, id, company)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		typ, err := step(&n, &r, now)
		if err != nil || typ == "" {
			out = r
			return nil, err
		}
		n.Seq, n.UpdatedAt = n.Seq+1, now
		if err := q.UpdateReceipt(ctx, r); err != nil {
			return nil, err
		}
		if err := q.WriteNoticeState(ctx, n); err != nil {
			return nil, err
		}
		action := ActionReceiptRead
		if typ == EventReceiptAcknowledged {
			action = ActionReceiptAck
		}
		if err := s.Audit(ctx, q, action, ResourceReceipt, id+"/"+company, []string{"status"}); err != nil {
			return nil, err
		}
		out = r
		return []Change{{Type: typ, Notice: &n, Receipt: &r}}, nil
	})
	if err != nil {
		return Receipt{}, err
	}
	return out, nil
}

// NoticeRollup implements Service: the notice's counts as its row keeps
// them (moved in the transaction of every receipt change), with who has
// not acknowledged and who is overdue read from its receipts.
func (s *Messaging) NoticeRollup(ctx context.Context, id string) (NoticeRollup, error) {
	n, err := s.repo.GetNotice(ctx, id)
	if err != nil {
		return NoticeRollup{}, err
	}
	rs, err := s.repo.AllReceipts(ctx, id)
	if err != nil {
		return NoticeRollup{}, err
	}
	out := NoticeRollup{NoticeID: n.ID, Version: n.Version, Recipients: n.Recipients, Read: n.Read, Acknowledged: n.Acknowledged,
		AckDeadline: n.AckDeadline, NotAcknowledged: []Recipient{}, Overdue: []Recipient{}}
	if n.AckRequired {
		out.AcknowledgementRate = rates.Of(int64(n.Acknowledged), int64(n.Recipients))
	}
	overdue := n.AckRequired && n.AckDeadline != nil && !s.now().Before(*n.AckDeadline)
	for _, r := range rs {
		if !n.AckRequired || r.Status == ReceiptAcknowledged {
			continue
		}
		who := Recipient{CompanyID: r.CompanyID, CompanyName: r.CompanyName, Status: r.Status}
		out.NotAcknowledged = append(out.NotAcknowledged, who)
		if overdue {
			out.Overdue = append(out.Overdue, who)
		}
	}
	return out, nil
}

// CompanyNotices implements Service.
func (s *Messaging) CompanyNotices(ctx context.Context, company string, page kitx.Page) ([]CompanyNotice, string, error) {
	cs, next, err := s.repo.CompanyNotices(ctx, company, false, page)
	for i := range cs {
		cs[i].Notice = s.present(cs[i].Notice)
	}
	return cs, next, err
}

// CompanyRollup implements Service: over the notices that ask the company
// for acknowledgement.
func (s *Messaging) CompanyRollup(ctx context.Context, company string) (CompanyRollup, error) {
	cs, _, err := s.repo.CompanyNotices(ctx, company, true, kitx.Page{})
	if err != nil {
		return CompanyRollup{}, err
	}
	now := s.now()
	out := CompanyRollup{CompanyID: company, NotAcknowledged: []NoticeRef{}, Overdue: []NoticeRef{}}
	for _, c := range cs {
		out.Notices++
		if c.Receipt.Status == ReceiptAcknowledged {
			out.Acknowledged++
			continue
		}
		ref := NoticeRef{NoticeID: c.Notice.ID, Title: c.Notice.Title, Status: c.Receipt.Status, AckDeadline: c.Notice.AckDeadline}
		out.NotAcknowledged = append(out.NotAcknowledged, ref)
		if c.Notice.AckDeadline != nil && !now.Before(*c.Notice.AckDeadline) {
			out.Overdue = append(out.Overdue, ref)
		}
	}
	out.AcknowledgementRate = rates.Of(int64(out.Acknowledged), int64(out.Notices))
	return out, nil
}

// reminderBatch is the most reminders one pass sends.
const reminderBatch = 500

// SendReminders sends one reminder (a NoticeReminderSent event) to every
// recipient that has not acknowledged a notice whose deadline is within
// the policy's RemindBefore, unless it was reminded less than the
// policy's Interval ago. An acknowledged receipt is never reminded; a
// deadline that has passed is overdue, not reminded. It returns how many
// it sent.
func (s *Messaging) SendReminders(ctx context.Context) (int, error) {
	pol := s.policy()
	now := s.now().UTC()
	due, err := s.repo.RemindersDue(ctx, now, pol.RemindBefore, pol.Interval, reminderBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range due {
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			n, err := q.GetNotice(ctx, d.NoticeID)
			if err != nil {
				return nil, err
			}
			r, err := q.GetReceipt(ctx, d.NoticeID, d.CompanyID)
			if err != nil {
				return nil, err
			}
			// Checked again inside the transaction: an acknowledgement
			// that came in since the query is never reminded.
			if r.Status == ReceiptAcknowledged || (r.LastRemindedAt != nil && now.Sub(*r.LastRemindedAt) < pol.Interval) {
				return nil, nil
			}
			r.LastRemindedAt, r.Reminders = &now, r.Reminders+1
			n.Seq, n.UpdatedAt = n.Seq+1, now
			if err := q.UpdateReceipt(ctx, r); err != nil {
				return nil, err
			}
			if err := q.WriteNoticeState(ctx, n); err != nil {
				return nil, err
			}
			if err := q.InsertAudit(ctx, s.EntryAs(system, ActionReceiptRemind, ResourceReceipt, r.NoticeID+"/"+r.CompanyID, []string{"last_reminded_at"})); err != nil {
				return nil, err
			}
			sent++
			return []Change{{Type: EventNoticeReminderSent, Notice: &n, Receipt: &r}}, nil
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// ExpireIdempotencyKeys deletes keys older than idempotency.TTL.
func (s *Messaging) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repo.ExpireIdempotency(ctx, s.now().Add(-idempotency.TTL))
}
