package store

import (
	"fmt"
	"time"

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
	case c.AidRequest != nil && c.Type != service.EventAidOfferMade:
		return eventbus.Aggregate{Type: "aid_request", ID: c.AidRequest.ID, Version: c.AidRequest.Seq}, nil
	case c.AidOffer != nil:
		// An offer made is its own aggregate (its acceptance is the
		// request's event, in the request's order).
		v := int64(1)
		if c.AidOffer.Status == service.OfferAccepted {
			v = 2
		}
		return eventbus.Aggregate{Type: "aid_offer", ID: c.AidOffer.ID, Version: v}, nil
	case c.Publicity != nil:
		return eventbus.Aggregate{Type: "publicity_post", ID: c.Publicity.ID, Version: c.Publicity.Version}, nil
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
	case service.EventAidRequestPosted:
		return &eventsv1.AidRequestPosted{Request: AidSnapshot(c.AidRequest)}, nil
	case service.EventAidRequestClosed:
		return &eventsv1.AidRequestClosed{Request: AidSnapshot(c.AidRequest), Reason: c.Reason}, nil
	case service.EventAidOfferMade:
		return &eventsv1.AidOfferMade{Offer: OfferSnapshot(c.AidOffer)}, nil
	case service.EventAidOfferAccepted:
		return &eventsv1.AidOfferAccepted{Request: AidSnapshot(c.AidRequest), Offer: OfferSnapshot(c.AidOffer)}, nil
	case service.EventPublicityPostSubmitted:
		return &eventsv1.PublicityPostSubmitted{Post: PostSnapshot(c.Publicity)}, nil
	case service.EventPublicityPostReviewed:
		return &eventsv1.PublicityPostReviewed{Post: PostSnapshot(c.Publicity), Decision: c.Decision, Reason: c.Reason, Reviewer: c.Reviewer}, nil
	case service.EventPublicityPostPublished:
		return &eventsv1.PublicityPostPublished{Post: PostSnapshot(c.Publicity), Reviewer: c.Reviewer}, nil
	case service.EventPublicityPostRejected:
		return &eventsv1.PublicityPostRejected{Post: PostSnapshot(c.Publicity), Reason: c.Reason, Reviewer: c.Reviewer}, nil
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

func optTS(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func optTimeOf(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := t.AsTime()
	return &v
}

// AidSnapshot is the event form of an aid request.
func AidSnapshot(r *service.AidRequest) *eventsv1.AidRequest {
	if r == nil {
		return nil
	}
	return &eventsv1.AidRequest{Id: r.ID, District: r.District, Kind: r.Kind, Title: r.Title, Headcount: int32(r.Headcount),
		Qualification: r.Qualification, StartsAt: timestamppb.New(r.StartsAt), EndsAt: timestamppb.New(r.EndsAt), Place: r.Place,
		ContactRole: r.ContactRole, Description: r.Description, VisibleTo: r.VisibleTo, RequestedBy: r.RequestedBy, RequesterRole: r.RequesterRole,
		RequesterCompanyId: r.RequesterCompanyID, Status: r.Status, Offered: int32(r.Offered), Accepted: int32(r.Accepted),
		CreatedAt: timestamppb.New(r.CreatedAt), FirstOfferAt: optTS(r.FirstOfferAt), ClosedAt: optTS(r.ClosedAt), Seq: r.Seq}
}

// AidRequestOf returns the service's request of an event's snapshot (nil
// for none).
func AidRequestOf(m *eventsv1.AidRequest, reason string) *service.AidRequest {
	if m == nil || m.GetId() == "" {
		return nil
	}
	vis := m.GetVisibleTo()
	if vis == nil {
		vis = []string{}
	}
	return &service.AidRequest{ID: m.GetId(), District: m.GetDistrict(), Kind: m.GetKind(), Title: m.GetTitle(), Headcount: int(m.GetHeadcount()),
		Qualification: m.GetQualification(), StartsAt: m.GetStartsAt().AsTime(), EndsAt: m.GetEndsAt().AsTime(), Place: m.GetPlace(),
		ContactRole: m.GetContactRole(), Description: m.GetDescription(), VisibleTo: vis, RequestedBy: m.GetRequestedBy(),
		RequesterRole: m.GetRequesterRole(), RequesterCompanyID: m.GetRequesterCompanyId(), Status: m.GetStatus(), Offered: int(m.GetOffered()),
		Accepted: int(m.GetAccepted()), CreatedAt: m.GetCreatedAt().AsTime(), FirstOfferAt: optTimeOf(m.GetFirstOfferAt()),
		ClosedAt: optTimeOf(m.GetClosedAt()), CloseReason: reason, Seq: m.GetSeq()}
}

// OfferSnapshot is the event form of an offer.
func OfferSnapshot(o *service.AidOffer) *eventsv1.AidOffer {
	if o == nil {
		return nil
	}
	return &eventsv1.AidOffer{Id: o.ID, RequestId: o.RequestID, RequestDistrict: o.RequestDistrict, District: o.District, CompanyId: o.CompanyID,
		CompanyName: o.CompanyName, Headcount: int32(o.Headcount), Status: o.Status, AcceptedHeadcount: int32(o.AcceptedHeadcount),
		OfferedBy: o.OfferedBy, OfferedAt: timestamppb.New(o.OfferedAt), AcceptedAt: optTS(o.AcceptedAt), Note: o.Note}
}

// AidOfferOf returns the service's offer of an event's snapshot (nil for
// none).
func AidOfferOf(m *eventsv1.AidOffer) *service.AidOffer {
	if m == nil || m.GetId() == "" {
		return nil
	}
	return &service.AidOffer{ID: m.GetId(), RequestID: m.GetRequestId(), RequestDistrict: m.GetRequestDistrict(), District: m.GetDistrict(),
		CompanyID: m.GetCompanyId(), CompanyName: m.GetCompanyName(), Headcount: int(m.GetHeadcount()), Status: m.GetStatus(),
		AcceptedHeadcount: int(m.GetAcceptedHeadcount()), OfferedBy: m.GetOfferedBy(), OfferedAt: m.GetOfferedAt().AsTime(),
		AcceptedAt: optTimeOf(m.GetAcceptedAt()), Note: m.GetNote()}
}

// PostSnapshot is the event form of a publicity post.
func PostSnapshot(p *service.PublicityPost) *eventsv1.PublicityPost {
	return &eventsv1.PublicityPost{Id: p.ID, District: p.District, Version: p.Version, Title: p.Title, BodyMarkdown: p.BodyMarkdown,
		RedShieldPost: p.RedShieldPost, CompanyId: p.CompanyID, Author: p.Author, AuthorRole: p.AuthorRole, AuthorName: p.AuthorName, Status: p.Status, Reason: p.Reason,
		SubmittedAt: timestamppb.New(p.SubmittedAt), PublishedAt: optTS(p.PublishedAt)}
}

// PublicityOf returns the service's post of an event's snapshot (its HTML
// is rendered by the reader).
func PublicityOf(m *eventsv1.PublicityPost) service.PublicityPost {
	sub := m.GetSubmittedAt().AsTime()
	return service.PublicityPost{ID: m.GetId(), District: m.GetDistrict(), Version: m.GetVersion(), Title: m.GetTitle(),
		BodyMarkdown: m.GetBodyMarkdown(), RedShieldPost: m.GetRedShieldPost(), CompanyID: m.GetCompanyId(), Author: m.GetAuthor(),
		AuthorRole: m.GetAuthorRole(), AuthorName: m.GetAuthorName(), Status: m.GetStatus(), Reason: m.GetReason(), SubmittedAt: sub, UpdatedAt: sub,
		PublishedAt: optTimeOf(m.GetPublishedAt())}
}
