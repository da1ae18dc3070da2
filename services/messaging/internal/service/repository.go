package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Repository is the storage the service needs. Reads go straight to it;
// every write goes through Tx (versioned.Update for a notice's edit) so
// the change, its audit row and the events describing it commit together.
type Repository interface {
	Queries
	versioned.Transactions[Queries, Change]
}

// Queries reads and writes the messaging tables, inside or outside a
// transaction. Getters return the service's NotFound errors.
type Queries interface {
	GetNotice(ctx context.Context, id string) (Notice, error)
	// NoticeOfDirective returns the notice materialising a directive;
	// ErrNoticeNotFound if the node has none.
	NoticeOfDirective(ctx context.Context, directiveID string) (Notice, error)
	ListNotices(ctx context.Context, f NoticeFilter, page kitx.Page) ([]Notice, string, error)
	InsertNotice(ctx context.Context, n Notice) error
	// WriteNotice stores n over the stored notice of version n.Version-1
	// (kitx.ErrEtagStale otherwise): an edit, through versioned.
	WriteNotice(ctx context.Context, n Notice) error
	// WriteNoticeState stores n's counts, event sequence and update time
	// (a receipt changed, a reminder went out); the content stays.
	WriteNoticeState(ctx context.Context, n Notice) error

	InsertReceipt(ctx context.Context, r Receipt) error
	// GetReceipt returns a company's receipt of a notice:
	// ErrReceiptNotFound if it is no recipient.
	GetReceipt(ctx context.Context, noticeID, companyID string) (Receipt, error)
	// ListReceipts lists a notice's receipts in company id order.
	ListReceipts(ctx context.Context, noticeID string, page kitx.Page) ([]Receipt, string, error)
	// AllReceipts returns every receipt of a notice in company id order.
	AllReceipts(ctx context.Context, noticeID string) ([]Receipt, error)
	UpdateReceipt(ctx context.Context, r Receipt) error
	// ResetReceipts puts every receipt of a notice back to delivered for
	// revision (an edit asks again) and reports how many it reset.
	ResetReceipts(ctx context.Context, noticeID string, revision int64, at time.Time) (int, error)
	// CompanyNotices lists the notices a company received with its
	// receipts in publication order; ackOnly keeps those that ask for
	// acknowledgement (and then returns every one, ignoring page).
	CompanyNotices(ctx context.Context, companyID string, ackOnly bool, page kitx.Page) ([]CompanyNotice, string, error)
	// RemindersDue returns the receipts to remind at now: not
	// acknowledged, of notices that ask for acknowledgement with a deadline
	// after now and at most before away, never reminded or last reminded
	// at least interval ago; at most limit.
	RemindersDue(ctx context.Context, now time.Time, before, interval time.Duration, limit int) ([]Receipt, error)

	// GetCompany returns a company of the projection of membership's
	// events: ErrCompanyNotFound if the district has none of that id.
	GetCompany(ctx context.Context, id string) (Company, error)
	// PutCompany stores c unless the stored company's version is at
	// least c's (versions only move forward); it reports whether it did.
	PutCompany(ctx context.Context, c Company) (bool, error)
	// ActiveCompanies returns the district's active companies (of one
	// level, when level is not empty) in id order.
	ActiveCompanies(ctx context.Context, level string) ([]Company, error)

	// InsertDirective, GetDirective and ListDirectives keep HQ's
	// directives (the HQ role's database).
	InsertDirective(ctx context.Context, d Directive) error
	GetDirective(ctx context.Context, id string) (Directive, error)
	// WriteDirective stores d over the stored directive of version
	// d.Version-1 (kitx.ErrEtagStale otherwise).
	WriteDirective(ctx context.Context, d Directive) error
	ListDirectives(ctx context.Context, page kitx.Page) ([]Directive, string, error)
	// Deliveries returns what HQ knows of a directive's delivery, per
	// district that materialised it.
	Deliveries(ctx context.Context, directiveID string) ([]Delivery, error)
	// PutDistrictNotice stores a district notice's counts unless the
	// stored ones are of a sequence at least n.Seq.
	PutDistrictNotice(ctx context.Context, n Notice) error
	// NoticeRates returns, per district with notices that ask for
	// acknowledgement, their count and the sums of recipients and
	// acknowledgements, in district order.
	NoticeRates(ctx context.Context) ([]DistrictNoticeRate, error)
	// PutDelivery stores d unless the stored delivery of its (directive,
	// district) has a sequence at least d's; it reports whether it did.
	PutDelivery(ctx context.Context, d Delivery) (bool, error)

	LiaisonQueries
	AidQueries
	// NoteFirstOffer moves a request's first offer time back to at if it
	// is earlier (HQ's statistics).
	NoteFirstOffer(ctx context.Context, requestID string, at time.Time) error
	PublicityQueries
	TeamQueries
	audit.Queries
	idempotency.Queries
}

// Event types the messaging service emits: the constants of the proto
// package under the service's own names. The service layer builds no
// protobuf; it only names the types.
const (
	EventNoticePublished     = eventsv1.TypeNoticePublished
	EventNoticeRevised       = eventsv1.TypeNoticeRevised
	EventReceiptRead         = eventsv1.TypeReceiptRead
	EventReceiptAcknowledged = eventsv1.TypeReceiptAcknowledged
	EventNoticeReminderSent  = eventsv1.TypeNoticeReminderSent
	EventDirectiveIssued     = eventsv1.TypeDirectiveIssued
	EventDirectiveRevised    = eventsv1.TypeDirectiveRevised
	EventLiaisonThreadOpened = eventsv1.TypeLiaisonThreadOpened
	EventLiaisonPostAdded    = eventsv1.TypeLiaisonPostAdded
	EventLiaisonThreadRead   = eventsv1.TypeLiaisonThreadRead

	EventAidRequestPosted       = eventsv1.TypeAidRequestPosted
	EventAidRequestClosed       = eventsv1.TypeAidRequestClosed
	EventAidOfferMade           = eventsv1.TypeAidOfferMade
	EventAidOfferAccepted       = eventsv1.TypeAidOfferAccepted
	EventPublicityPostSubmitted = eventsv1.TypePublicityPostSubmitted
	EventPublicityPostReviewed  = eventsv1.TypePublicityPostReviewed
	EventPublicityPostPublished = eventsv1.TypePublicityPostPublished
	EventPublicityPostRejected  = eventsv1.TypePublicityPostRejected
)

// Change is a domain change the repository publishes as an event.
type Change struct {
	Type string
	// Notice is the notice after the change (its Seq is the event's
	// sequence).
	Notice *Notice
	// Receipt is the receipt a receipt event is about.
	Receipt *Receipt
	// Fields are the fields a revision changed.
	Fields []string
	// Directive is the directive of DirectiveIssued.
	Directive *Directive
	// Thread and Post are the liaison thread and post of a liaison event;
	// Reader and ReadSeq the marker of LiaisonThreadRead.
	Thread  *Thread
	Post    *Post
	Reader  string
	ReadSeq int64
	// AidRequest and AidOffer are a mutual-aid event's.
	AidRequest *AidRequest
	AidOffer   *AidOffer
	// Publicity is a positive-publicity event's post; Decision, Reason
	// and Reviewer its review (Reason also a closed request's outcome).
	Publicity *PublicityPost
	Decision  string
	Reason    string
	Reviewer  string
}

// Edit is versioned's Edit of the service's changes.
type Edit = versioned.Edit[Change]

var notices = versioned.Row[Queries, Notice]{
	Get: Queries.GetNotice, Write: Queries.WriteNotice,
	Version:   func(n *Notice) *int64 { return &n.Version },
	UpdatedAt: func(n *Notice) *time.Time { return &n.UpdatedAt },
}

// Audit actions and resources of the service's writes.
const (
	ActionNoticePublish     = "notice.publish"
	ActionNoticeRevise      = "notice.revise"
	ActionNoticeMaterialise = "notice.materialise_directive"
	ActionReceiptRead       = "receipt.read"
	ActionReceiptAck        = "receipt.acknowledge"
	ActionReceiptRemind     = "receipt.remind"
	ActionDirectiveIssue    = "directive.issue"
	ActionDirectiveRevise   = "directive.revise"
	ActionThreadOpen        = "liaison.open_thread"
	ActionPostAdd           = "liaison.add_post"
	ActionAidPost           = "aid.post_request"
	ActionAidOffer          = "aid.offer"
	ActionAidAccept         = "aid.accept_offer"
	ActionAidClose          = "aid.close_request"
	ActionPostSubmit        = "publicity.submit"
	ActionPostRevise        = "publicity.revise"
	ActionPostReview        = "publicity.review"
	ActionTeamNoticeDeliver = "team_notice.deliver"
	ActionTeamNoticeRead    = "team_notice.read"

	ResourceNotice     = "notice"
	ResourceReceipt    = "receipt"
	ResourceDirective  = "directive"
	ResourceThread     = "liaison_thread"
	ResourceAidRequest = "aid_request"
	ResourcePost       = "publicity_post"
	ResourceTeamNotice = "team_notice"
)

// system is the actor of the writes no request makes: reminders and the
// materialisation of HQ's directives.
var system = audit.Actor{Subject: "messaging", Role: "system"}
