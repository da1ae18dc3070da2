// Package service is the messaging service's business layer. On a district
// node: notices (通知) from the district lead or the police office to an
// audience of the district's companies, each recipient company's receipt
// (已读回执: delivered → read → acknowledged), the roll-ups and the
// reminders before the deadline; and the materialisation of HQ's
// directives for the district's companies. In the HQ role: the directives
// themselves and their delivery health per district. It validates every
// request before anything is written and hands each change to the
// repository with the domain change it reports, so the state change, its
// audit row and its outbox event commit together.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Origins of a notice: who sent it.
const (
	OriginDistrict = "district"
	OriginPolice   = "police"
	OriginHQ       = "hq"
)

// Priorities of a notice.
const (
	PriorityNormal = "normal"
	PriorityUrgent = "urgent"
)

// Audience kinds.
const (
	// AudienceDistrict is every active company of the district.
	AudienceDistrict = "district"
	// AudienceCompanies is a list of the district's companies.
	AudienceCompanies = "companies"
	// AudienceRole is the active companies of one association role (the
	// company's level in membership: president, vice_president, council,
	// member).
	AudienceRole = "role"
)

// Roles a notice may address (membership's company levels).
var Roles = []string{"president", "vice_president", "council", "member"}

// Receipt statuses, in the order a receipt moves through them.
const (
	ReceiptDelivered    = "delivered"
	ReceiptRead         = "read"
	ReceiptAcknowledged = "acknowledged"
)

// Attachment is a reference to a file kept elsewhere: its name and https
// address. The notice never holds the file.
type Attachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// AttachmentInput is an attachment as a request names it.
type AttachmentInput struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// attachmentsOf converts a request's attachments.
func attachmentsOf(in []AttachmentInput) []Attachment {
	if in == nil {
		return nil
	}
	out := make([]Attachment, len(in))
	for i, a := range in {
		out[i] = Attachment(a)
	}
	return out
}

// Audience is whom a notice addresses.
type Audience struct {
	// Kind is district, companies or role.
	Kind string `json:"kind"`
	// CompanyIDs are the companies of an audience of kind companies.
	CompanyIDs []string `json:"company_ids,omitempty"`
	// Role is the association role of an audience of kind role.
	Role string `json:"role,omitempty"`
}

// AudienceInput is an audience as publish_notice names it.
type AudienceInput struct {
	// Kind is district, companies or role.
	Kind string `json:"kind"`
	// CompanyIDs are the companies of an audience of kind companies.
	CompanyIDs []string `json:"company_ids,omitempty"`
	// Role is the association role of an audience of kind role.
	Role string `json:"role,omitempty"`
}

// Notice is a notice of the district node: its content (the current
// revision), its audience and the counts of its receipts.
type Notice struct {
	ID       string `json:"id"`
	District string `json:"district"`
	// Origin is district, police or hq (a directive materialised here).
	Origin string `json:"origin"`
	// DirectiveID is the HQ directive this notice materialises.
	DirectiveID  string `json:"directive_id,omitempty"`
	Title        string `json:"title"`
	BodyMarkdown string `json:"body_markdown"`
	// BodyHTML is the body rendered and sanitised (Markdown.HTML).
	BodyHTML    string       `json:"body_html"`
	Attachments []Attachment `json:"attachments"`
	Priority    string       `json:"priority"`
	AckRequired bool         `json:"ack_required"`
	AckDeadline *time.Time   `json:"ack_deadline,omitempty"`
	Audience    Audience     `json:"audience"`
	// Version is the notice's revision: 1 when published, +1 for every
	// edit, each of which asks every recipient to acknowledge again. It
	// is the ETag.
	Version int64 `json:"version"`
	// Recipients, Read and Acknowledged count the receipts of the current
	// revision (Read counts the acknowledged ones too).
	Recipients   int       `json:"recipients"`
	Read         int       `json:"read"`
	Acknowledged int       `json:"acknowledged"`
	SentBy       string    `json:"sent_by"`
	PublishedAt  time.Time `json:"published_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Seq is the notice's event sequence: +1 for each of its events
	// (publication, revision, each receipt change, each reminder), so a
	// consumer keeps the newest counts.
	Seq  int64  `json:"-"`
	ETag string `json:"-"`
}

// Receipt is a recipient company's receipt of a notice.
type Receipt struct {
	NoticeID    string `json:"notice_id"`
	CompanyID   string `json:"company_id"`
	CompanyName string `json:"company_name"`
	// Status is delivered, read or acknowledged, for the revision.
	Status string `json:"status"`
	// Revision is the notice revision the status is of.
	Revision       int64      `json:"revision"`
	DeliveredAt    time.Time  `json:"delivered_at"`
	ReadAt         *time.Time `json:"read_at,omitempty"`
	ReadBy         string     `json:"read_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	Comment        string     `json:"comment,omitempty"`
	// LastRemindedAt is when the company was last reminded.
	LastRemindedAt *time.Time `json:"last_reminded_at,omitempty"`
	Reminders      int        `json:"reminders"`
}

// Company is a member company as the node's projection of membership's
// events holds it.
type Company struct {
	ID     string
	Name   string
	Status string
	// Level is the company's association role (president, vice_president,
	// council, member).
	Level   string
	Version int64
}

// PublishNoticeInput is the body of publish_notice.
type PublishNoticeInput struct {
	kitx.Idempotent
	Title        string            `json:"title"`
	BodyMarkdown string            `json:"body_markdown"`
	Attachments  []AttachmentInput `json:"attachments,omitempty"`
	// Priority is normal (default) or urgent.
	Priority    string        `json:"priority,omitempty"`
	AckRequired bool          `json:"ack_required,omitempty"`
	AckDeadline *time.Time    `json:"ack_deadline,omitempty"`
	Audience    AudienceInput `json:"audience"`
}

// ReviseNoticeInput is the body of revise_notice: fields absent stay.
type ReviseNoticeInput struct {
	Title        *string            `json:"title,omitempty"`
	BodyMarkdown *string            `json:"body_markdown,omitempty"`
	Attachments  *[]AttachmentInput `json:"attachments,omitempty"`
	Priority     *string            `json:"priority,omitempty"`
	AckDeadline  *time.Time         `json:"ack_deadline,omitempty"`
}

// ReadInput is the body of read_notice.
type ReadInput struct {
	// By is the person of the company who read it.
	By string `json:"by"`
}

// AcknowledgeInput is the body of acknowledge_notice.
type AcknowledgeInput struct {
	// Revision is the notice revision acknowledged: the current one.
	Revision int64 `json:"revision"`
	// By is the person of the company who acknowledges.
	By string `json:"by"`
	// Comment is optional.
	Comment string `json:"comment,omitempty"`
}

// NoticeFilter filters list_notices.
type NoticeFilter struct {
	Origin string
}

// Recipient names a company in a roll-up.
type Recipient struct {
	CompanyID   string `json:"company_id"`
	CompanyName string `json:"company_name"`
	Status      string `json:"status"`
}

// NoticeRollup is a notice's acknowledgement roll-up.
type NoticeRollup struct {
	NoticeID     string `json:"notice_id"`
	Version      int64  `json:"version"`
	Recipients   int    `json:"recipients"`
	Read         int    `json:"read"`
	Acknowledged int    `json:"acknowledged"`
	// AcknowledgementRate is acknowledged / recipients (pkg/rates; null
	// without recipients or for a notice that asks for none).
	AcknowledgementRate *float64    `json:"acknowledgement_rate"`
	AckDeadline         *time.Time  `json:"ack_deadline,omitempty"`
	NotAcknowledged     []Recipient `json:"not_acknowledged"`
	// Overdue are the recipients that have not acknowledged and whose
	// deadline has passed.
	Overdue []Recipient `json:"overdue"`
}

// NoticeRef names a notice in a company's roll-up.
type NoticeRef struct {
	NoticeID    string     `json:"notice_id"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`
	AckDeadline *time.Time `json:"ack_deadline,omitempty"`
}

// CompanyRollup is a company's acknowledgement roll-up over the notices
// that ask it for one.
type CompanyRollup struct {
	CompanyID           string      `json:"company_id"`
	Notices             int         `json:"notices"`
	Acknowledged        int         `json:"acknowledged"`
	AcknowledgementRate *float64    `json:"acknowledgement_rate"`
	NotAcknowledged     []NoticeRef `json:"not_acknowledged"`
	Overdue             []NoticeRef `json:"overdue"`
}

// CompanyNotice is a notice addressed to a company with its receipt.
type CompanyNotice struct {
	Notice  Notice  `json:"notice"`
	Receipt Receipt `json:"receipt"`
}

// ReceiptView is a receipt with its notice (what a company sees).
type ReceiptView = CompanyNotice

// Service is the messaging API of one district node.
type Service interface {
	// PublishNotice publishes a notice of the caller's office (district
	// lead or police) to its audience.
	PublishNotice(ctx context.Context, in PublishNoticeInput) (Notice, error)
	// GetNotice returns one notice.
	GetNotice(ctx context.Context, id string) (Notice, error)
	// ListNotices lists notices in publication (id) order.
	ListNotices(ctx context.Context, f NoticeFilter, page kitx.Page) ([]Notice, string, error)
	// ReviseNotice edits a published notice: a new revision that asks
	// every recipient to acknowledge again.
	ReviseNotice(ctx context.Context, id string, pre kitx.Precondition, in ReviseNoticeInput) (Notice, error)
	// ListReceipts lists a notice's receipts.
	ListReceipts(ctx context.Context, id string, page kitx.Page) ([]Receipt, string, error)
	// GetReceipt returns a company's receipt of a notice with the notice.
	GetReceipt(ctx context.Context, id, company string) (ReceiptView, error)
	// ReadNotice marks a company's receipt read.
	ReadNotice(ctx context.Context, id, company string, in ReadInput) (Receipt, error)
	// AcknowledgeNotice acknowledges the notice's current revision.
	AcknowledgeNotice(ctx context.Context, id, company string, in AcknowledgeInput) (Receipt, error)
	// NoticeRollup returns a notice's roll-up.
	NoticeRollup(ctx context.Context, id string) (NoticeRollup, error)
	// CompanyNotices lists the notices addressed to a company in publication order.
	CompanyNotices(ctx context.Context, company string, page kitx.Page) ([]CompanyNotice, string, error)
	// CompanyRollup returns a company's roll-up.
	CompanyRollup(ctx context.Context, company string) (CompanyRollup, error)
	// ListAudit lists the service's audit log.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)

	Liaison
	Aid
	Publicity
	Team
}

// Options are the service's tunables; zero fields take the defaults.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Messaging implements Service for one district and runs its background
// work (reminders, idempotency-key expiry).
type Messaging struct {
	// Log records the service's writes and lists them (ListAudit).
	audit.Log
	district string
	repo     Repository
	md       *Markdown
	policy   func() Policy
	logger   *slog.Logger
	now      func() time.Time
}

// Policy is the reminder policy the service follows (the live value of
// pkg/policy's messaging key).
type Policy struct {
	// RemindBefore is how long before the deadline reminders start.
	RemindBefore time.Duration
	// Interval is the least time between two reminders of one company.
	Interval time.Duration
	// AidVisibleTo are the districts that see the node's new aid
	// requests (nil: the whole city).
	AidVisibleTo []string
}

// New returns the messaging service of district; policy returns the live
// reminder policy.
func New(district string, repo Repository, policy func() Policy, logger *slog.Logger, o Options) *Messaging {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Messaging{Log: audit.NewLog(o.Now, repo), district: district, repo: repo, md: NewMarkdown(), policy: policy, logger: logger, now: o.Now}
}

var _ Service = (*Messaging)(nil)

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("messaging: new id: %w", err)
	}
	return id.String(), nil
}
