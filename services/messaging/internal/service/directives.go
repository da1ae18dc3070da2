package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Directive is a notice of HQ to every company of the city or of listed
// districts, published once on gh.hq.directives.v1; each district node
// materialises it for its own companies.
type Directive struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	BodyMarkdown string       `json:"body_markdown"`
	BodyHTML     string       `json:"body_html"`
	Attachments  []Attachment `json:"attachments"`
	Priority     string       `json:"priority"`
	AckRequired  bool         `json:"ack_required"`
	AckDeadline  *time.Time   `json:"ack_deadline,omitempty"`
	// Districts are the districts addressed; empty: the whole city (every
	// registered district, those registered later included).
	Districts []string  `json:"districts"`
	IssuedAt  time.Time `json:"issued_at"`
	IssuedBy  string    `json:"issued_by"`
	// Version is the directive's revision: 1 when issued, +1 for every
	// revision, each of which every district's companies acknowledge
	// again. It is the ETag.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	ETag      string    `json:"-"`
}

// ReviseDirectiveInput is the body of revise_directive: fields absent stay.
type ReviseDirectiveInput struct {
	Title        *string            `json:"title,omitempty"`
	BodyMarkdown *string            `json:"body_markdown,omitempty"`
	Attachments  *[]AttachmentInput `json:"attachments,omitempty"`
	Priority     *string            `json:"priority,omitempty"`
	AckDeadline  *time.Time         `json:"ack_deadline,omitempty"`
}

// InForce reports whether a district node that has not materialised d yet
// still should at now: a directive whose acknowledgement deadline passed
// is history, not news.
func (d Directive) InForce(now time.Time) bool {
	return d.AckDeadline == nil || now.Before(*d.AckDeadline)
}

// Addresses reports whether d is for district.
func (d Directive) Addresses(district string) bool {
	return len(d.Districts) == 0 || slices.Contains(d.Districts, district)
}

// IssueDirectiveInput is the body of issue_directive.
type IssueDirectiveInput struct {
	kitx.Idempotent
	Title        string            `json:"title"`
	BodyMarkdown string            `json:"body_markdown"`
	Attachments  []AttachmentInput `json:"attachments,omitempty"`
	Priority     string            `json:"priority,omitempty"`
	AckRequired  bool              `json:"ack_required,omitempty"`
	AckDeadline  *time.Time        `json:"ack_deadline,omitempty"`
	// Districts are registered district ids; empty: the whole city.
	Districts []string `json:"districts,omitempty"`
}

// Delivery is what HQ knows of a directive at one district node, from the
// node's messaging topic.
type Delivery struct {
	DirectiveID   string
	District      string
	NoticeID      string
	Recipients    int
	Read          int
	Acknowledged  int
	DeliveredAt   time.Time
	LastReceiptAt *time.Time
	// Seq is the sequence of the notice event it was taken from.
	Seq int64
}

// Delivery statuses of a district.
const (
	// DeliveryPending: the district's node has not materialised the
	// directive yet (offline, or not caught up). Its counts are unknown,
	// which is not zero.
	DeliveryPending = "pending_at_node"
	// DeliveryDelivered: the node materialised it for its companies.
	DeliveryDelivered = "delivered"
)

// DistrictDelivery is one district's delivery health of a directive.
type DistrictDelivery struct {
	District string `json:"district"`
	Status   string `json:"status"`
	// NoticeID is the node's notice materialising the directive.
	NoticeID    string     `json:"notice_id,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at"`
	// LastReceiptAt is when the last receipt (read, acknowledged) of
	// the district came in.
	LastReceiptAt *time.Time `json:"last_receipt_at"`
	// Recipients, Read and Acknowledged are null while pending.
	Recipients          *int     `json:"recipients"`
	Read                *int     `json:"read"`
	Acknowledged        *int     `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
}

// DirectiveDelivery is a directive's delivery health across the districts.
type DirectiveDelivery struct {
	DirectiveID string             `json:"directive_id"`
	Districts   []DistrictDelivery `json:"districts"`
	Delivered   int                `json:"delivered_districts"`
	Pending     int                `json:"pending_districts"`
	// Recipients and Acknowledged sum the delivered districts; the rate is
	// theirs (pending districts are not counted as 0).
	Recipients          int      `json:"recipients"`
	Acknowledged        int      `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
	// Complete: every addressed district delivered.
	Complete bool `json:"complete"`
}

// DistrictNoticeRate is one district's acknowledgement rate over its
// notices that ask for acknowledgement (its own, the police office's and
// HQ's directives), as HQ knows them from the district's topic.
type DistrictNoticeRate struct {
	District     string `json:"district"`
	Notices      int    `json:"notices"`
	Recipients   int    `json:"recipients"`
	Acknowledged int    `json:"acknowledged"`
	// AcknowledgementRate is acknowledged / recipients (pkg/rates; null
	// without recipients).
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
}

// NoticeRates is the city's notice acknowledgement rates per district.
type NoticeRates struct {
	// Districts has every registered district; one whose node has sent
	// nothing yet has null counts (not reported), never 0.
	Districts []DistrictRateView `json:"districts"`
}

// DistrictRateView is a district's row of NoticeRates.
type DistrictRateView struct {
	District            string   `json:"district"`
	Reported            bool     `json:"reported"`
	Notices             *int     `json:"notices"`
	Recipients          *int     `json:"recipients"`
	Acknowledged        *int     `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
}

// HQService is the messaging API of the HQ role.
type HQService interface {
	// IssueDirective publishes a directive on gh.hq.directives.v1.
	IssueDirective(ctx context.Context, in IssueDirectiveInput) (Directive, error)
	// ReviseDirective revises a directive: its next version, which every
	// district node that has it turns into a revision of its notice.
	ReviseDirective(ctx context.Context, id string, pre kitx.Precondition, in ReviseDirectiveInput) (Directive, error)
	// GetDirective returns one directive.
	GetDirective(ctx context.Context, id string) (Directive, error)
	// ListDirectives lists directives in issue (id) order.
	ListDirectives(ctx context.Context, page kitx.Page) ([]Directive, string, error)
	// DirectiveDelivery returns a directive's delivery health per district.
	DirectiveDelivery(ctx context.Context, id string) (DirectiveDelivery, error)
	// NoticeRates returns the notice acknowledgement rate per district.
	NoticeRates(ctx context.Context) (NoticeRates, error)
	// ListAudit lists the HQ role's audit log.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)

	HQAid
	HQPublicity
}

// NoticeRates implements HQService: every registered district, and any
// other that reported; a district that reported no notice asking for
// acknowledgement is not reported, with null counts.
func (s *Directives) NoticeRates(ctx context.Context) (NoticeRates, error) {
	rs, err := s.repo.NoticeRates(ctx)
	if err != nil {
		return NoticeRates{}, err
	}
	registered, _ := s.districts()
	got := map[string]DistrictNoticeRate{}
	all := slices.Clone(registered)
	for _, r := range rs {
		got[r.District] = r
		if !slices.Contains(all, r.District) {
			all = append(all, r.District)
		}
	}
	slices.Sort(all)
	out := NoticeRates{Districts: []DistrictRateView{}}
	for _, d := range all {
		r, ok := got[d]
		if !ok {
			out.Districts = append(out.Districts, DistrictRateView{District: d})
			continue
		}
		out.Districts = append(out.Districts, DistrictRateView{District: d, Reported: true, Notices: &r.Notices, Recipients: &r.Recipients,
			Acknowledged: &r.Acknowledged, AcknowledgementRate: rates.Of(int64(r.Acknowledged), int64(r.Recipients))})
	}
	return out, nil
}

// Directives implements HQService.
type Directives struct {
	audit.Log
	repo Repository
	md   *Markdown
	// districts returns the registered districts and whether the registry
	// was read yet.
	districts func() ([]string, bool)
	now       func() time.Time
}

// NewDirectives returns the HQ role's service; districts returns the
// district registry's ids (sorted) and whether it was read.
func NewDirectives(repo Repository, districts func() ([]string, bool), o Options) *Directives {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Directives{Log: audit.NewLog(o.Now, repo), repo: repo, md: NewMarkdown(), districts: districts, now: o.Now}
}

var _ HQService = (*Directives)(nil)

// IssueDirective implements HQService.
func (s *Directives) IssueDirective(ctx context.Context, in IssueDirectiveInput) (Directive, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Directive{}, err
	}
	now := s.now().UTC()
	c := content{Title: in.Title, Body: in.BodyMarkdown, Attachments: attachmentsOf(in.Attachments), Priority: in.Priority,
		AckRequired: in.AckRequired, Deadline: in.AckDeadline}
	if err := c.validate(now); err != nil {
		return Directive{}, err
	}
	districts := []string{}
	if len(in.Districts) > 0 {
		registered, ok := s.districts()
		if !ok {
			return Directive{}, ErrDirectiveNoDistricts
		}
		for _, d := range in.Districts {
			d = strings.TrimSpace(d)
			if !slices.Contains(registered, d) || slices.Contains(districts, d) {
				return Directive{}, ErrDirectiveDistricts
			}
			districts = append(districts, d)
		}
		slices.Sort(districts)
	}
	html, err := s.md.HTML(c.Body)
	if err != nil {
		return Directive{}, err
	}
	req := idempotency.Request{Scope: "POST directives", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, func(q Queries) (Directive, []Change, error) {
		id, err := newID()
		if err != nil {
			return Directive{}, nil, err
		}
		d := Directive{ID: id, Title: c.Title, BodyMarkdown: c.Body, BodyHTML: html, Attachments: c.Attachments, Priority: c.Priority,
			AckRequired: c.AckRequired, AckDeadline: c.Deadline, Districts: districts, IssuedAt: now, IssuedBy: p.Subject,
			Version: 1, UpdatedAt: now, ETag: kitx.ETag(1)}
		if err := q.InsertDirective(ctx, d); err != nil {
			return Directive{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionDirectiveIssue, ResourceDirective, d.ID,
			audit.SetFields("title", d.Title, "body_markdown", "x", "priority", d.Priority)); err != nil {
			return Directive{}, nil, err
		}
		return d, []Change{{Type: EventDirectiveIssued, Directive: &d}}, nil
	}, func(d Directive) any { return d })
}

// GetDirective implements HQService.
func (s *Directives) GetDirective(ctx context.Context, id string) (Directive, error) {
	d, err := s.repo.GetDirective(ctx, id)
	d.ETag = kitx.ETag(d.Version)
	return d, err
}

var directives = versioned.Row[Queries, Directive]{
	Get: Queries.GetDirective, Write: Queries.WriteDirective,
	Version:   func(d *Directive) *int64 { return &d.Version },
	UpdatedAt: func(d *Directive) *time.Time { return &d.UpdatedAt },
}

// ReviseDirective implements HQService, with the rules of a notice's
// revision (content.validate).
func (s *Directives) ReviseDirective(ctx context.Context, id string, pre kitx.Precondition, in ReviseDirectiveInput) (Directive, error) {
	now := s.now().UTC()
	d, err := versioned.Update(ctx, s.repo.Tx, directives, id, pre, func(q Queries, d *Directive) (Edit, error) {
		c := content{Title: d.Title, Body: d.BodyMarkdown, Attachments: slices.Clone(d.Attachments), Priority: d.Priority,
			AckRequired: d.AckRequired, Deadline: d.AckDeadline}
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
		d.Title, d.BodyMarkdown, d.BodyHTML, d.Attachments, d.Priority, d.AckDeadline = c.Title, c.Body, html, c.Attachments, c.Priority, c.Deadline
		return versioned.Changed(s.Entry(ctx, ActionDirectiveRevise, ResourceDirective, d.ID, fields),
			Change{Type: EventDirectiveRevised, Directive: d, Fields: fields}), nil
	})
	d.ETag = kitx.ETag(d.Version)
	return d, err
}

// ListDirectives implements HQService.
func (s *Directives) ListDirectives(ctx context.Context, page kitx.Page) ([]Directive, string, error) {
	return s.repo.ListDirectives(ctx, page)
}

// DirectiveDelivery implements HQService. The districts expected are the
// directive's, or for a city-wide one every registered district now (a
// district registered later is expected too: its node reads the topic
// from the start); a district that materialised it is shown even if it
// left the registry since.
func (s *Directives) DirectiveDelivery(ctx context.Context, id string) (DirectiveDelivery, error) {
	d, err := s.repo.GetDirective(ctx, id)
	if err != nil {
		return DirectiveDelivery{}, err
	}
	ds, err := s.repo.Deliveries(ctx, id)
	if err != nil {
		return DirectiveDelivery{}, err
	}
	expected := d.Districts
	if len(expected) == 0 {
		expected, _ = s.districts()
	}
	got := map[string]Delivery{}
	for _, x := range ds {
		got[x.District] = x
	}
	all := slices.Clone(expected)
	for _, x := range ds {
		if !slices.Contains(all, x.District) {
			all = append(all, x.District)
		}
	}
	slices.Sort(all)
	out := DirectiveDelivery{DirectiveID: id, Districts: []DistrictDelivery{}}
	for _, district := range all {
		x, ok := got[district]
		if !ok {
			out.Pending++
			out.Districts = append(out.Districts, DistrictDelivery{District: district, Status: DeliveryPending})
			continue
		}
		out.Delivered++
		out.Recipients += x.Recipients
		out.Acknowledged += x.Acknowledged
		dd := DistrictDelivery{District: district, Status: DeliveryDelivered, NoticeID: x.NoticeID, DeliveredAt: &x.DeliveredAt,
			LastReceiptAt: x.LastReceiptAt, Recipients: &x.Recipients, Read: &x.Read, Acknowledged: &x.Acknowledged}
		if d.AckRequired {
			dd.AcknowledgementRate = rates.Of(int64(x.Acknowledged), int64(x.Recipients))
		}
		out.Districts = append(out.Districts, dd)
	}
	if d.AckRequired {
		out.AcknowledgementRate = rates.Of(int64(out.Acknowledged), int64(out.Recipients))
	}
	out.Complete = out.Pending == 0 && len(all) > 0
	return out, nil
}

// ApplyNoticeEvent records, in the consumer's transaction q, what a
// district's notice event says: the notice's counts as of the event (kept
// only if newer than what HQ holds) for the district's acknowledgement
// rate, and, for a notice that materialises a directive, the directive's
// delivery there and, for a receipt event, when the last receipt came in.
func ApplyNoticeEvent(ctx context.Context, q Queries, district string, n Notice, receiptAt *time.Time) error {
	n.District = district
	if err := q.PutDistrictNotice(ctx, n); err != nil {
		return err
	}
	if n.DirectiveID == "" {
		return nil
	}
	_, err := q.PutDelivery(ctx, Delivery{DirectiveID: n.DirectiveID, District: district, NoticeID: n.ID, Recipients: n.Recipients,
		Read: n.Read, Acknowledged: n.Acknowledged, DeliveredAt: n.PublishedAt, LastReceiptAt: receiptAt, Seq: n.Seq})
	return err
}

// ReviseMaterialised applies a revision of directive d to the district
// node's notice of it, inside q (the consumer's transaction): the notice's
// next version, every receipt back to delivered, NoticeRevised. A revision
// the notice already has (its version is at least d's) changes nothing, so
// a redelivery is harmless. A node that has no notice of the directive has
// nothing to revise: the revision follows its DirectiveIssued on the same
// partition (both keyed by the directive), so a node that materialises
// the directive reads the revision right after.
func (s *Messaging) ReviseMaterialised(ctx context.Context, q Queries, d Directive, fields []string) ([]Change, error) {
	n, err := q.NoticeOfDirective(ctx, d.ID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if n.Version >= d.Version {
		return nil, nil
	}
	html, err := s.md.HTML(d.BodyMarkdown)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	n.Title, n.BodyMarkdown, n.BodyHTML, n.Attachments, n.Priority, n.AckDeadline = d.Title, d.BodyMarkdown, html, d.Attachments, d.Priority, d.AckDeadline
	n.Version, n.UpdatedAt = n.Version+1, now
	if _, err := q.ResetReceipts(ctx, n.ID, n.Version, now); err != nil {
		return nil, err
	}
	n.Read, n.Acknowledged, n.Seq = 0, 0, n.Seq+1
	if err := q.WriteNotice(ctx, n); err != nil {
		return nil, err
	}
	if err := q.InsertAudit(ctx, s.EntryAs(system, ActionNoticeRevise, ResourceNotice, n.ID, fields)); err != nil {
		return nil, err
	}
	return []Change{{Type: EventNoticeRevised, Notice: &n, Fields: fields}}, nil
}

// MaterialiseDirective makes directive d a notice of the district node's,
// to every active company of the district, inside q (the consumer's
// transaction): exactly once (a directive the node has is left as it
// is, whatever redelivers it), and only if it addresses the district and
// is still in force. It returns the notice's publication event, nothing
// when there is nothing to do.
func (s *Messaging) MaterialiseDirective(ctx context.Context, q Queries, d Directive) ([]Change, error) {
	now := s.now().UTC()
	if !d.Addresses(s.district) {
		return nil, nil
	}
	if _, err := q.NoticeOfDirective(ctx, d.ID); err == nil {
		return nil, nil
	} else if !isNotFound(err) {
		return nil, err
	}
	if !d.InForce(now) {
		s.logger.InfoContext(ctx, "messaging: directive no longer in force, not materialised", "directive", d.ID)
		return nil, nil
	}
	recipients, err := q.ActiveCompanies(ctx, "")
	if err != nil {
		return nil, err
	}
	html, err := s.md.HTML(d.BodyMarkdown)
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	n := Notice{ID: id, District: s.district, Origin: OriginHQ, DirectiveID: d.ID, Title: d.Title, BodyMarkdown: d.BodyMarkdown,
		BodyHTML: html, Attachments: d.Attachments, Priority: d.Priority, AckRequired: d.AckRequired, AckDeadline: d.AckDeadline,
		Audience: Audience{Kind: AudienceDistrict}, Version: 1, SentBy: d.IssuedBy, PublishedAt: now, UpdatedAt: now}
	changes, err := s.deliver(ctx, q, &n, recipients)
	if err != nil {
		return nil, err
	}
	if err := q.InsertAudit(ctx, s.EntryAs(system, ActionNoticeMaterialise, ResourceNotice, n.ID, []string{"directive_id"})); err != nil {
		return nil, err
	}
	return changes, nil
}
