package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// events turns the service's changes into outbox events. Protobuf stays
// here, out of the service layer.
var events = eventbus.Mapping[service.Change]{
	Type:      func(c service.Change) string { return c.Type },
	Aggregate: aggregate,
	Payload:   payload,
}

// aggregate keys every event of a notice (its receipts' too) by the
// notice id with the notice's event sequence, so a consumer sees one
// notice's events in order and keeps the newest counts.
func aggregate(c service.Change) (eventbus.Aggregate, error) {
	switch {
	case c.Notice != nil:
		return eventbus.Aggregate{Type: "notice", ID: c.Notice.ID, Version: c.Notice.Seq}, nil
	case c.Directive != nil:
		return eventbus.Aggregate{Type: "directive", ID: c.Directive.ID, Version: c.Directive.Version}, nil
	case c.Type == service.EventLiaisonThreadRead && c.Thread != nil:
		// A reader's marker is its own aggregate: its seq only grows.
		return eventbus.Aggregate{Type: "liaison_read_marker", ID: c.Thread.ID + "/" + c.Reader, Version: c.ReadSeq}, nil
	case c.Thread != nil:
		return eventbus.Aggregate{Type: "liaison_thread", ID: c.Thread.ID, Version: c.Thread.Posts}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventNoticePublished:
		return &eventsv1.NoticePublished{Notice: NoticeSnapshot(district, c.Notice)}, nil
	case service.EventNoticeRevised:
		return &eventsv1.NoticeRevised{Notice: NoticeSnapshot(district, c.Notice), Fields: c.Fields}, nil
	case service.EventReceiptRead, service.EventReceiptAcknowledged, service.EventNoticeReminderSent:
		if c.Receipt == nil {
			return nil, fmt.Errorf("store: %s without a receipt", c.Type)
		}
		n, r := NoticeSnapshot(district, c.Notice), receiptSnapshot(c.Receipt)
		switch c.Type {
		case service.EventReceiptRead:
			return &eventsv1.ReceiptRead{Notice: n, Receipt: r}, nil
		case service.EventReceiptAcknowledged:
			return &eventsv1.ReceiptAcknowledged{Notice: n, Receipt: r}, nil
		}
		return &eventsv1.NoticeReminderSent{Notice: n, Receipt: r}, nil
	case service.EventDirectiveIssued:
		return &eventsv1.DirectiveIssued{Directive: DirectiveSnapshot(c.Directive)}, nil
	case service.EventDirectiveRevised:
		return &eventsv1.DirectiveRevised{Directive: DirectiveSnapshot(c.Directive), Fields: c.Fields}, nil
	case service.EventLiaisonThreadOpened, service.EventLiaisonPostAdded:
		if c.Post == nil {
			return nil, fmt.Errorf("store: %s without a post", c.Type)
		}
		t, p := threadSnapshot(district, c.Thread), postSnapshot(c.Post)
		if c.Type == service.EventLiaisonThreadOpened {
			return &eventsv1.LiaisonThreadOpened{Thread: t, Post: p}, nil
		}
		return &eventsv1.LiaisonPostAdded{Thread: t, Post: p}, nil
	case service.EventLiaisonThreadRead:
		return &eventsv1.LiaisonThreadRead{ThreadId: c.Thread.ID, Reader: c.Reader, Seq: c.ReadSeq}, nil
	}
	return nil, nil
}

func attachments(as []service.Attachment) []*eventsv1.Attachment {
	out := make([]*eventsv1.Attachment, 0, len(as))
	for _, a := range as {
		out = append(out, &eventsv1.Attachment{Name: a.Name, Url: a.URL})
	}
	return out
}

// Attachments returns the service's attachments of an event's.
func Attachments(as []*eventsv1.Attachment) []service.Attachment {
	out := make([]service.Attachment, 0, len(as))
	for _, a := range as {
		out = append(out, service.Attachment{Name: a.GetName(), URL: a.GetUrl()})
	}
	return out
}

// NoticeSnapshot is the event form of a notice of district.
func NoticeSnapshot(district string, n *service.Notice) *eventsv1.Notice {
	m := &eventsv1.Notice{
		Id: n.ID, District: district, Origin: n.Origin, DirectiveId: n.DirectiveID, Title: n.Title, BodyMarkdown: n.BodyMarkdown,
		Attachments: attachments(n.Attachments), Priority: n.Priority, AckRequired: n.AckRequired, Revision: n.Version,
		Recipients: int32(n.Recipients), Read: int32(n.Read), Acknowledged: int32(n.Acknowledged),
		PublishedAt: timestamppb.New(n.PublishedAt), UpdatedAt: timestamppb.New(n.UpdatedAt), SentBy: n.SentBy,
	}
	if n.AckDeadline != nil {
		m.AckDeadline = timestamppb.New(*n.AckDeadline)
	}
	return m
}

func receiptSnapshot(r *service.Receipt) *eventsv1.Receipt {
	m := &eventsv1.Receipt{
		NoticeId: r.NoticeID, CompanyId: r.CompanyID, CompanyName: r.CompanyName, Status: r.Status, Revision: r.Revision,
		DeliveredAt: timestamppb.New(r.DeliveredAt), ReadBy: r.ReadBy, AcknowledgedBy: r.AcknowledgedBy, Comment: r.Comment,
	}
	if r.ReadAt != nil {
		m.ReadAt = timestamppb.New(*r.ReadAt)
	}
	if r.AcknowledgedAt != nil {
		m.AcknowledgedAt = timestamppb.New(*r.AcknowledgedAt)
	}
	return m
}

// DirectiveSnapshot is the event form of a directive.
func DirectiveSnapshot(d *service.Directive) *eventsv1.Directive {
	m := &eventsv1.Directive{
		Id: d.ID, Title: d.Title, BodyMarkdown: d.BodyMarkdown, Attachments: attachments(d.Attachments), Priority: d.Priority,
		AckRequired: d.AckRequired, Districts: d.Districts, IssuedAt: timestamppb.New(d.IssuedAt), IssuedBy: d.IssuedBy, Revision: d.Version,
	}
	if d.AckDeadline != nil {
		m.AckDeadline = timestamppb.New(*d.AckDeadline)
	}
	return m
}

// NoticeOf returns the service's notice of an event's snapshot (the
// fields HQ's delivery view reads).
func NoticeOf(m *eventsv1.Notice) service.Notice {
	n := service.Notice{ID: m.GetId(), District: m.GetDistrict(), Origin: m.GetOrigin(), DirectiveID: m.GetDirectiveId(),
		Title: m.GetTitle(), Version: m.GetRevision(), AckRequired: m.GetAckRequired(), Recipients: int(m.GetRecipients()), Read: int(m.GetRead()),
		Acknowledged: int(m.GetAcknowledged()), PublishedAt: m.GetPublishedAt().AsTime()}
	return n
}

// DirectiveOf returns the service's directive of an event's snapshot.
func DirectiveOf(m *eventsv1.Directive) service.Directive {
	d := service.Directive{ID: m.GetId(), Title: m.GetTitle(), BodyMarkdown: m.GetBodyMarkdown(), Attachments: Attachments(m.GetAttachments()),
		Priority: m.GetPriority(), AckRequired: m.GetAckRequired(), Districts: m.GetDistricts(), IssuedAt: m.GetIssuedAt().AsTime(), IssuedBy: m.GetIssuedBy(),
		Version: max(m.GetRevision(), 1)}
	if m.AckDeadline != nil {
		t := m.GetAckDeadline().AsTime()
		d.AckDeadline = &t
	}
	return d
}

func threadSnapshot(district string, t *service.Thread) *eventsv1.LiaisonThread {
	return &eventsv1.LiaisonThread{Id: t.ID, District: district, Title: t.Title, CreatedBy: t.CreatedBy, CreatedByRole: t.CreatedByRole,
		Posts: t.Posts, CreatedAt: timestamppb.New(t.CreatedAt), LastPostAt: timestamppb.New(t.LastPostAt)}
}

func postSnapshot(p *service.Post) *eventsv1.LiaisonPost {
	return &eventsv1.LiaisonPost{Id: p.ID, ThreadId: p.ThreadID, Seq: p.Seq, Author: p.Author, AuthorRole: p.AuthorRole,
		CompanyId: p.CompanyID, BodyMarkdown: p.BodyMarkdown, Mentions: p.Mentions, CreatedAt: timestamppb.New(p.CreatedAt)}
}
