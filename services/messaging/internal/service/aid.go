package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
)

// Mutual aid (互助机制): a company or the district lead asks for guards
// (a cultural-tourism event, a manufacturing site); companies of the
// districts that see the request (the messaging policy's aid_visibility)
// offer guards from their own node, checked against their certified
// headcount; the requester accepts offers up to the need; the request
// closes fulfilled, cancelled or expired. The request's node owns it;
// other nodes hold copies that HQ's messaging relays on
// gh.hq.directives.v1 (a district never writes another district's topic).

// Kinds of a request.
const (
	AidKindCulturalTourism = "cultural_tourism"
	AidKindManufacturing   = "manufacturing"
	AidKindOther           = "other"
)

// AidKinds are the kinds of a request, in the statistics' order.
var AidKinds = []string{AidKindCulturalTourism, AidKindManufacturing, AidKindOther}

// Qualifications a request asks for.
const (
	// AidCertified: guards with a valid 保安员证 through the window's last day.
	AidCertified = "certified"
	// AidAny: any active guard.
	AidAny = "any"
)

// Statuses of a request.
const (
	AidOpen      = "open"
	AidFulfilled = "fulfilled"
	AidCancelled = "cancelled"
	AidExpired   = "expired"
)

// Statuses of an offer.
const (
	OfferOffered  = "offered"
	OfferAccepted = "accepted"
)

// Limits of mutual aid.
const (
	MaxAidHeadcount   = 1000
	MaxAidWindow      = 31 * 24 * time.Hour
	MaxAidPlace       = 200
	MaxAidContactRole = 100
	MaxAidDescription = 5000
	MaxOfferNote      = 1000
)

// Errors of mutual aid.
var (
	ErrAidKind          = errs.InvalidField("aid.kind_invalid", "kind", "kind is cultural_tourism, manufacturing or other")
	ErrAidTitle         = errs.InvalidField("aid.title_required", "title", "a request needs a title of at most 200 characters")
	ErrAidHeadcount     = errs.InvalidField("aid.headcount_invalid", "headcount", "headcount is 1 to 1000 guards")
	ErrAidQualification = errs.InvalidField("aid.qualification_invalid", "qualification", "qualification is certified (default) or any")
	ErrAidStartsAt      = errs.InvalidField("aid.starts_at_invalid", "starts_at", "starts_at is required")
	ErrAidEndsAt        = errs.InvalidField("aid.ends_at_invalid", "ends_at",
		"ends_at is required, after starts_at, in the future, and at most 31 days after starts_at")
	ErrAidPlace         = errs.InvalidField("aid.place_required", "place", "a request needs a place of at most 200 characters")
	ErrAidContactRole   = errs.InvalidField("aid.contact_role_required", "contact_role", "a request names the role to contact (at most 100 characters)")
	ErrAidDescription   = errs.InvalidField("aid.description_too_long", "description", "an aid request's description is at most 5000 characters")
	ErrAidStatusFilter  = errs.InvalidField("aid.status_invalid", "status", "status is open, fulfilled, cancelled or expired")
	ErrAidNotFound      = errs.E(errs.NotFound, "aid.request_not_found", "no such aid request (or not visible to this district)")
	ErrAidRequesterOnly = errs.E(errs.Forbidden, "aid.requester_only", "only the requesting company or the district lead decides on a request")
	ErrAidNotLocal      = errs.E(errs.Conflict, "aid.not_local", "the request is another district's: its node accepts and closes it")
	ErrAidNotOpen       = errs.E(errs.Conflict, "aid.not_open", "the request is closed")
	ErrAidOwnRequest    = errs.E(errs.Unprocessable, "aid.own_request", "a company does not offer guards for its own request")
	ErrAidOfferCompany  = errs.E(errs.Forbidden, "aid.offer_company_only", "a company offers guards, through its own company-admin")
	ErrOfferHeadcount   = errs.InvalidField("aid.offer_headcount_invalid", "headcount", "an offer is 1 to 1000 guards")
	ErrOfferNote        = errs.InvalidField("aid.offer_note_too_long", "note", "a note is at most 1000 characters")
	ErrOfferExceedsNeed = errs.EField(errs.Unprocessable, "aid.offer_exceeds_need", "headcount",
		"more guards than the request still needs")
	ErrOfferExceedsAvailable = errs.EField(errs.Unprocessable, "aid.offer_exceeds_available", "headcount",
		"more guards than the company has available: its active guards qualified through the window, less those it offered for overlapping requests")
	ErrOfferNotFound        = errs.E(errs.NotFound, "aid.offer_not_found", "no such offer for this request")
	ErrOfferAccepted        = errs.E(errs.Conflict, "aid.offer_already_accepted", "the offer is accepted already")
	ErrAcceptHeadcount      = errs.InvalidField("aid.accept_headcount_invalid", "headcount", "accept 1 to the offer's headcount")
	ErrAcceptExceedsNeed    = errs.EField(errs.Unprocessable, "aid.accept_exceeds_need", "headcount", "accepting them would pass the headcount the request still needs")
	ErrAidOutcome           = errs.InvalidField("aid.outcome_invalid", "outcome", "outcome is fulfilled or cancelled")
	ErrAidNothingAccepted   = errs.E(errs.Unprocessable, "aid.nothing_accepted", "a request with no accepted guard cannot be fulfilled: cancel it")
	ErrAidCloseReasonLength = errs.InvalidField("aid.reason_too_long", "reason", "a reason is at most 1000 characters")
)

// AidRequest is a mutual-aid request, at its district's node or as a copy
// at a node that sees it.
type AidRequest struct {
	ID string `json:"id"`
	// District posted it; its node owns it.
	District      string    `json:"district"`
	Kind          string    `json:"kind"`
	Title         string    `json:"title"`
	Headcount     int       `json:"headcount"`
	Qualification string    `json:"qualification"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Place         string    `json:"place"`
	ContactRole   string    `json:"contact_role"`
	Description   string    `json:"description"`
	// VisibleTo are the districts that see it; empty: the whole city.
	VisibleTo          []string `json:"visible_to"`
	RequestedBy        string   `json:"requested_by"`
	RequesterRole      string   `json:"requester_role"`
	RequesterCompanyID string   `json:"requester_company_id,omitempty"`
	// Status is open, fulfilled, cancelled or expired.
	Status string `json:"status"`
	// Offered and Accepted are guards offered and accepted, as the
	// request's node knows them.
	Offered      int        `json:"offered"`
	Accepted     int        `json:"accepted"`
	CreatedAt    time.Time  `json:"created_at"`
	FirstOfferAt *time.Time `json:"first_offer_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CloseReason  string     `json:"close_reason,omitempty"`
	// Seq grows with every change at the request's node: a copy keeps the
	// newest.
	Seq int64 `json:"seq"`
}

// Visible reports whether district sees r.
func (r AidRequest) Visible(district string) bool {
	return r.District == district || len(r.VisibleTo) == 0 || slices.Contains(r.VisibleTo, district)
}

// SharedBeyond reports whether a district other than r's sees it (HQ
// relays it then).
func (r AidRequest) SharedBeyond() bool {
	return len(r.VisibleTo) == 0 || slices.ContainsFunc(r.VisibleTo, func(d string) bool { return d != r.District })
}

// Remaining is the headcount still needed.
func (r AidRequest) Remaining() int { return max(0, r.Headcount-r.Accepted) }

// CertifiedOn is the day (YYYY-MM-DD, Asia/Shanghai) a guard's certificate
// must still be valid on for r: the window's last.
func (r AidRequest) CertifiedOn() string { return r.EndsAt.In(shanghai).Format(time.DateOnly) }

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// AidOffer is a company's offer of guards for a request.
type AidOffer struct {
	ID              string `json:"id"`
	RequestID       string `json:"request_id"`
	RequestDistrict string `json:"request_district"`
	// District is the offering company's.
	District    string `json:"district"`
	CompanyID   string `json:"company_id"`
	CompanyName string `json:"company_name"`
	Headcount   int    `json:"headcount"`
	// Status is offered or accepted.
	Status            string     `json:"status"`
	AcceptedHeadcount int        `json:"accepted_headcount"`
	OfferedBy         string     `json:"offered_by"`
	OfferedAt         time.Time  `json:"offered_at"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	Note              string     `json:"note,omitempty"`
}

// PostAidInput is the body of post_aid_request.
type PostAidInput struct {
	kitx.Idempotent
	// Kind is cultural_tourism, manufacturing or other.
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Headcount int    `json:"headcount"`
	// Qualification is certified (default) or any.
	Qualification string     `json:"qualification,omitempty"`
	StartsAt      *time.Time `json:"starts_at"`
	EndsAt        *time.Time `json:"ends_at"`
	Place         string     `json:"place"`
	ContactRole   string     `json:"contact_role"`
	Description   string     `json:"description,omitempty"`
}

// OfferInput is the body of make_aid_offer: the caller's company offers.
type OfferInput struct {
	kitx.Idempotent
	Headcount int    `json:"headcount"`
	Note      string `json:"note,omitempty"`
}

// AcceptInput is the body of accept_aid_offer: how many of the offered
// guards (absent: as many as the offer has, up to the need).
type AcceptInput struct {
	Headcount int `json:"headcount,omitempty"`
}

// CloseAidInput is the body of close_aid_request.
type CloseAidInput struct {
	// Outcome is fulfilled (with what was accepted) or cancelled.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// AidFilter filters list_aid_requests.
type AidFilter struct {
	Status string
	// Mine keeps the node's own requests.
	Mine bool
}

// Availability is what a company can still offer for a request.
type Availability struct {
	CompanyID string `json:"company_id"`
	RequestID string `json:"request_id"`
	// Qualified are the company's active guards qualified through the
	// window (certified on its last day, for a request of certified
	// guards), as membership's events told this node.
	Qualified int `json:"qualified"`
	// Committed are the guards the company offered (or had accepted) for
	// open requests whose window overlaps this one's.
	Committed int `json:"committed"`
	Available int `json:"available"`
}

// AidStatsRow is the statistics of one district and kind.
type AidStatsRow struct {
	District  string `json:"district"`
	Kind      string `json:"kind"`
	Requests  int    `json:"requests"`
	Open      int    `json:"open"`
	Fulfilled int    `json:"fulfilled"`
	Cancelled int    `json:"cancelled"`
	Expired   int    `json:"expired"`
	// Needed and Accepted are headcounts; FillRate is accepted / needed
	// (null without requests).
	Needed   int      `json:"needed"`
	Accepted int      `json:"accepted"`
	FillRate *float64 `json:"fill_rate"`
	// MeanSecondsToFirstOffer is over the requests with an offer;
	// MeanSecondsToFulfilment over the fulfilled ones (null: none).
	MeanSecondsToFirstOffer *float64 `json:"mean_seconds_to_first_offer"`
	MeanSecondsToFulfilment *float64 `json:"mean_seconds_to_fulfilment"`
}

// AidStats are the statistics of mutual aid per district and kind, and
// their total (district and kind "").
type AidStats struct {
	Rows  []AidStatsRow `json:"rows"`
	Total AidStatsRow   `json:"total"`
}

// Guard is a guard as the node's projection of membership's events holds
// it: enough to count a company's qualified guards.
type Guard struct {
	ID        string
	CompanyID string
	// Active: employment_status active.
	Active    bool
	Certified bool
	// ValidUntil is the certificate's last valid day ("" none).
	ValidUntil string
	Version    int64
}

// Aid is the mutual-aid API of a district node.
type Aid interface {
	PostAidRequest(ctx context.Context, in PostAidInput) (AidRequest, error)
	ListAidRequests(ctx context.Context, f AidFilter, page kitx.Page) ([]AidRequest, string, error)
	GetAidRequest(ctx context.Context, id string) (AidRequest, error)
	MakeOffer(ctx context.Context, requestID string, in OfferInput) (AidOffer, error)
	ListOffers(ctx context.Context, requestID string, page kitx.Page) ([]AidOffer, string, error)
	AcceptOffer(ctx context.Context, requestID, offerID string, in AcceptInput) (AidOffer, error)
	CloseAidRequest(ctx context.Context, id string, in CloseAidInput) (AidRequest, error)
	Availability(ctx context.Context, requestID string) (Availability, error)
	AidStats(ctx context.Context) (AidStats, error)
}

// AidQueries are the mutual-aid tables.
type AidQueries interface {
	GetAidRequest(ctx context.Context, id string) (AidRequest, error)
	// PutAidRequest inserts r, or stores it over a stored one of a lower
	// Seq; it reports whether it wrote.
	PutAidRequest(ctx context.Context, r AidRequest) (bool, error)
	ListAidRequests(ctx context.Context, f AidFilter, district string, page kitx.Page) ([]AidRequest, string, error)
	// AllAidRequests returns every request of district ("" every one).
	AllAidRequests(ctx context.Context, district string) ([]AidRequest, error)
	// OpenAidRequestsEnded returns district's open requests whose window
	// ended at now.
	OpenAidRequestsEnded(ctx context.Context, district string, now time.Time) ([]AidRequest, error)
	GetOffer(ctx context.Context, id string) (AidOffer, error)
	// PutOffer inserts o or replaces the stored offer of its id.
	PutOffer(ctx context.Context, o AidOffer) error
	// HasOffer reports whether the node has an offer of that id.
	HasOffer(ctx context.Context, id string) (bool, error)
	ListOffers(ctx context.Context, requestID, companyID string, page kitx.Page) ([]AidOffer, string, error)
	// CommittedGuards sums company's offers for open requests whose window
	// overlaps [from, to): the accepted headcount of an accepted offer, the
	// offered one otherwise.
	CommittedGuards(ctx context.Context, companyID string, from, to time.Time, except string) (int, error)
	// QualifiedGuards counts company's active guards, certified through
	// day when certified.
	QualifiedGuards(ctx context.Context, companyID string, certified bool, day string) (int, error)
	// PutGuard stores g unless the stored guard's version is at least g's.
	PutGuard(ctx context.Context, g Guard) (bool, error)
}

// PostAidRequest implements Aid: the district lead for the district, a
// company-admin for its company; visible to the districts the policy says.
func (s *Messaging) PostAidRequest(ctx context.Context, in PostAidInput) (AidRequest, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return AidRequest{}, err
	}
	now := s.now().UTC()
	r, err := validAidRequest(in, now)
	if err != nil {
		return AidRequest{}, err
	}
	if p.Role == auth.RoleCompanyAdmin {
		if p.Company == "" {
			return AidRequest{}, ErrAidOfferCompany
		}
		r.RequesterCompanyID = p.Company
	}
	r.District, r.RequestedBy, r.RequesterRole, r.Status, r.CreatedAt, r.Seq = s.district, p.Subject, string(p.Role), AidOpen, now, 1
	r.VisibleTo = slices.Clone(s.policy().AidVisibleTo)
	if r.VisibleTo == nil {
		r.VisibleTo = []string{}
	}
	req := idempotency.Request{Scope: "POST aid/requests", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, func(q Queries) (AidRequest, []Change, error) {
		if r.RequesterCompanyID != "" {
			if _, err := q.GetCompany(ctx, r.RequesterCompanyID); err != nil {
				return AidRequest{}, nil, err
			}
		}
		id, err := newID()
		if err != nil {
			return AidRequest{}, nil, err
		}
		r.ID = id
		if _, err := q.PutAidRequest(ctx, r); err != nil {
			return AidRequest{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionAidPost, ResourceAidRequest, r.ID, []string{"kind", "headcount", "starts_at", "ends_at", "place"}); err != nil {
			return AidRequest{}, nil, err
		}
		return r, []Change{{Type: EventAidRequestPosted, AidRequest: &r}}, nil
	}, func(r AidRequest) any { return r })
}

func validAidRequest(in PostAidInput, now time.Time) (AidRequest, error) {
	r := AidRequest{Kind: in.Kind, Title: strings.TrimSpace(in.Title), Headcount: in.Headcount, Qualification: in.Qualification,
		Place: strings.TrimSpace(in.Place), ContactRole: strings.TrimSpace(in.ContactRole), Description: in.Description}
	if r.Qualification == "" {
		r.Qualification = AidCertified
	}
	switch {
	case !slices.Contains(AidKinds, r.Kind):
		return r, ErrAidKind
	case r.Title == "" || utf8.RuneCountInString(r.Title) > MaxTitle:
		return r, ErrAidTitle
	case r.Headcount < 1 || r.Headcount > MaxAidHeadcount:
		return r, ErrAidHeadcount
	case r.Qualification != AidCertified && r.Qualification != AidAny:
		return r, ErrAidQualification
	case in.StartsAt == nil:
		return r, ErrAidStartsAt
	case in.EndsAt == nil || !in.EndsAt.After(*in.StartsAt) || !in.EndsAt.After(now) || in.EndsAt.Sub(*in.StartsAt) > MaxAidWindow:
		return r, ErrAidEndsAt
	case r.Place == "" || utf8.RuneCountInString(r.Place) > MaxAidPlace:
		return r, ErrAidPlace
	case r.ContactRole == "" || utf8.RuneCountInString(r.ContactRole) > MaxAidContactRole:
		return r, ErrAidContactRole
	case utf8.RuneCountInString(r.Description) > MaxAidDescription:
		return r, ErrAidDescription
	}
	r.StartsAt, r.EndsAt = in.StartsAt.UTC(), in.EndsAt.UTC()
	return r, nil
}

// GetAidRequest implements Aid: the node's own requests and the copies of
// those it sees.
func (s *Messaging) GetAidRequest(ctx context.Context, id string) (AidRequest, error) {
	r, err := s.repo.GetAidRequest(ctx, id)
	if err == nil && !r.Visible(s.district) {
		return AidRequest{}, ErrAidNotFound
	}
	return r, err
}

// ListAidRequests implements Aid, in id (posting) order.
func (s *Messaging) ListAidRequests(ctx context.Context, f AidFilter, page kitx.Page) ([]AidRequest, string, error) {
	if f.Status != "" && !slices.Contains([]string{AidOpen, AidFulfilled, AidCancelled, AidExpired}, f.Status) {
		return nil, "", ErrAidStatusFilter
	}
	district := ""
	if f.Mine {
		district = s.district
	}
	return s.repo.ListAidRequests(ctx, f, district, page)
}

// Availability implements Aid: the caller's company's guards for a request.
func (s *Messaging) Availability(ctx context.Context, requestID string) (Availability, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Availability{}, err
	}
	if p.Role != auth.RoleCompanyAdmin || p.Company == "" {
		return Availability{}, ErrAidOfferCompany
	}
	r, err := s.GetAidRequest(ctx, requestID)
	if err != nil {
		return Availability{}, err
	}
	return availability(ctx, s.repo, r, p.Company, "")
}

func availability(ctx context.Context, q AidQueries, r AidRequest, company, except string) (Availability, error) {
	qualified, err := q.QualifiedGuards(ctx, company, r.Qualification == AidCertified, r.CertifiedOn())
	if err != nil {
		return Availability{}, err
	}
	committed, err := q.CommittedGuards(ctx, company, r.StartsAt, r.EndsAt, except)
	if err != nil {
		return Availability{}, err
	}
	return Availability{CompanyID: company, RequestID: r.ID, Qualified: qualified, Committed: committed, Available: max(0, qualified-committed)}, nil
}

// MakeOffer implements Aid: the caller's company offers guards for a
// request it sees, at most what the request still needs and what the
// company has available. An offer for another district's request is
// written here and travels in AidOfferMade (HQ relays it to the request's
// node).
func (s *Messaging) MakeOffer(ctx context.Context, requestID string, in OfferInput) (AidOffer, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return AidOffer{}, err
	}
	if p.Role != auth.RoleCompanyAdmin || p.Company == "" {
		return AidOffer{}, ErrAidOfferCompany
	}
	if in.Headcount < 1 || in.Headcount > MaxAidHeadcount {
		return AidOffer{}, ErrOfferHeadcount
	}
	if utf8.RuneCountInString(in.Note) > MaxOfferNote {
		return AidOffer{}, ErrOfferNote
	}
	req := idempotency.Request{Scope: "POST aid/requests/" + requestID + "/offers", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, func(q Queries) (AidOffer, []Change, error) {
		r, err := q.GetAidRequest(ctx, requestID)
		if err == nil && !r.Visible(s.district) {
			err = ErrAidNotFound
		}
		if err != nil {
			return AidOffer{}, nil, err
		}
		now := s.now().UTC()
		switch {
		case r.Status != AidOpen || !now.Before(r.EndsAt):
			return AidOffer{}, nil, ErrAidNotOpen
		case r.District == s.district && r.RequesterCompanyID == p.Company:
			return AidOffer{}, nil, ErrAidOwnRequest
		case in.Headcount > r.Remaining():
			return AidOffer{}, nil, ErrOfferExceedsNeed
		}
		c, err := q.GetCompany(ctx, p.Company)
		if err != nil {
			return AidOffer{}, nil, err
		}
		if c.Status != "active" {
			return AidOffer{}, nil, ErrCompanyNotFound
		}
		av, err := availability(ctx, q, r, p.Company, "")
		if err != nil {
			return AidOffer{}, nil, err
		}
		if in.Headcount > av.Available {
			return AidOffer{}, nil, ErrOfferExceedsAvailable
		}
		id, err := newID()
		if err != nil {
			return AidOffer{}, nil, err
		}
		o := AidOffer{ID: id, RequestID: r.ID, RequestDistrict: r.District, District: s.district, CompanyID: c.ID, CompanyName: c.Name,
			Headcount: in.Headcount, Status: OfferOffered, OfferedBy: p.Subject, OfferedAt: now, Note: in.Note}
		if err := q.PutOffer(ctx, o); err != nil {
			return AidOffer{}, nil, err
		}
		changes := []Change{{Type: EventAidOfferMade, AidOffer: &o}}
		if r.District == s.district {
			// The request is this node's: it takes the offer now.
			if _, err := receiveOffer(ctx, q, r, o); err != nil {
				return AidOffer{}, nil, err
			}
		}
		if err := s.Audit(ctx, q, ActionAidOffer, ResourceAidRequest, r.ID, []string{"offers"}); err != nil {
			return AidOffer{}, nil, err
		}
		return o, changes, nil
	}, func(o AidOffer) any { return o })
}

// receiveOffer records offer o on the node's own request r: its offered
// headcount and the time of its first offer. It reports whether it did (an
// offer it has already is left alone).
func receiveOffer(ctx context.Context, q AidQueries, r AidRequest, o AidOffer) (bool, error) {
	r.Offered += o.Headcount
	if r.FirstOfferAt == nil || o.OfferedAt.Before(*r.FirstOfferAt) {
		t := o.OfferedAt
		r.FirstOfferAt = &t
	}
	r.Seq++
	_, err := q.PutAidRequest(ctx, r)
	return err == nil, err
}

// ListOffers implements Aid: the requester, the district lead, the police
// and HQ see every offer of a request; another company its own.
func (s *Messaging) ListOffers(ctx context.Context, requestID string, page kitx.Page) ([]AidOffer, string, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return nil, "", err
	}
	r, err := s.GetAidRequest(ctx, requestID)
	if err != nil {
		return nil, "", err
	}
	company := ""
	if p.Role == auth.RoleCompanyAdmin && !(r.District == s.district && r.RequesterCompanyID == p.Company) {
		if p.Company == "" {
			return nil, "", ErrAidOfferCompany
		}
		company = p.Company
	}
	return s.repo.ListOffers(ctx, requestID, company, page)
}

// decides checks that the caller decides on the node's own request r: the
// district lead, or the requesting company's admin.
func (s *Messaging) decides(p auth.Principal, r AidRequest) error {
	if r.District != s.district {
		return ErrAidNotLocal
	}
	if p.Role == auth.RoleDistrictAdmin || (p.Role == auth.RoleCompanyAdmin && p.Company != "" && p.Company == r.RequesterCompanyID) {
		return nil
	}
	return ErrAidRequesterOnly
}

// AcceptOffer implements Aid: the requester accepts an offer, in part or
// in full, up to what the request still needs; the request is fulfilled
// when the accepted guards reach its headcount.
func (s *Messaging) AcceptOffer(ctx context.Context, requestID, offerID string, in AcceptInput) (AidOffer, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return AidOffer{}, err
	}
	if in.Headcount < 0 || in.Headcount > MaxAidHeadcount {
		return AidOffer{}, ErrAcceptHeadcount
	}
	var out AidOffer
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		r, err := q.GetAidRequest(ctx, requestID)
		if err == nil && !r.Visible(s.district) {
			err = ErrAidNotFound
		}
		if err != nil {
			return nil, err
		}
		if err := s.decides(p, r); err != nil {
			return nil, err
		}
		o, err := q.GetOffer(ctx, offerID)
		if isNotFound(err) || (err == nil && o.RequestID != r.ID) {
			return nil, ErrOfferNotFound
		}
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		switch {
		case r.Status != AidOpen:
			return nil, ErrAidNotOpen
		case o.Status == OfferAccepted:
			return nil, ErrOfferAccepted
		}
		n := in.Headcount
		if n == 0 {
			n = min(o.Headcount, r.Remaining())
		}
		switch {
		case n < 1 || n > o.Headcount:
			return nil, ErrAcceptHeadcount
		case n > r.Remaining():
			return nil, ErrAcceptExceedsNeed
		}
		o.Status, o.AcceptedHeadcount, o.AcceptedAt = OfferAccepted, n, &now
		if err := q.PutOffer(ctx, o); err != nil {
			return nil, err
		}
		r.Accepted += n
		r.Seq++
		// Each event its own sequence of the request: the acceptance, then
		// the closure it causes.
		accepted := r
		changes := []Change{{Type: EventAidOfferAccepted, AidRequest: &accepted, AidOffer: &o}}
		if r.Accepted >= r.Headcount {
			r.Status, r.ClosedAt, r.CloseReason, r.Seq = AidFulfilled, &now, "", r.Seq+1
			changes = append(changes, Change{Type: EventAidRequestClosed, AidRequest: &r})
		}
		if _, err := q.PutAidRequest(ctx, r); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionAidAccept, ResourceAidRequest, r.ID, []string{"accepted"}); err != nil {
			return nil, err
		}
		out = o
		return changes, nil
	})
	return out, err
}

// CloseAidRequest implements Aid: fulfilled with what was accepted, or
// cancelled.
func (s *Messaging) CloseAidRequest(ctx context.Context, id string, in CloseAidInput) (AidRequest, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return AidRequest{}, err
	}
	if in.Outcome != AidFulfilled && in.Outcome != AidCancelled {
		return AidRequest{}, ErrAidOutcome
	}
	if utf8.RuneCountInString(in.Reason) > 1000 {
		return AidRequest{}, ErrAidCloseReasonLength
	}
	var out AidRequest
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		r, err := q.GetAidRequest(ctx, id)
		if err == nil && !r.Visible(s.district) {
			err = ErrAidNotFound
		}
		if err != nil {
			return nil, err
		}
		if err := s.decides(p, r); err != nil {
			return nil, err
		}
		if r.Status != AidOpen {
			return nil, ErrAidNotOpen
		}
		if in.Outcome == AidFulfilled && r.Accepted == 0 {
			return nil, ErrAidNothingAccepted
		}
		now := s.now().UTC()
		r.Status, r.ClosedAt, r.CloseReason, r.Seq = in.Outcome, &now, in.Reason, r.Seq+1
		if _, err := q.PutAidRequest(ctx, r); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionAidClose, ResourceAidRequest, r.ID, []string{"status"}); err != nil {
			return nil, err
		}
		out = r
		return []Change{{Type: EventAidRequestClosed, AidRequest: &r, Reason: r.CloseReason}}, nil
	})
	return out, err
}

// ExpireAidRequests closes the node's open requests whose window ended
// (Run does it with the reminder pass) and returns how many it closed.
func (s *Messaging) ExpireAidRequests(ctx context.Context) (int, error) {
	now := s.now().UTC()
	rs, err := s.repo.OpenAidRequestsEnded(ctx, s.district, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			cur, err := q.GetAidRequest(ctx, r.ID)
			if err != nil || cur.Status != AidOpen {
				return nil, err
			}
			cur.Status, cur.ClosedAt, cur.Seq = AidExpired, &now, cur.Seq+1
			if _, err := q.PutAidRequest(ctx, cur); err != nil {
				return nil, err
			}
			if err := q.InsertAudit(ctx, s.EntryAs(system, ActionAidClose, ResourceAidRequest, cur.ID, []string{"status"})); err != nil {
				return nil, err
			}
			n++
			return []Change{{Type: EventAidRequestClosed, AidRequest: &cur}}, nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// AidStats implements Aid: the node's own requests.
func (s *Messaging) AidStats(ctx context.Context) (AidStats, error) {
	rs, err := s.repo.AllAidRequests(ctx, s.district)
	if err != nil {
		return AidStats{}, err
	}
	return ComputeAidStats(rs), nil
}

// ComputeAidStats returns the statistics of rs per district and kind.
func ComputeAidStats(rs []AidRequest) AidStats {
	type acc struct {
		row                   AidStatsRow
		toOffer, toFulfil     time.Duration
		withOffer, fulfilledN int
	}
	groups := map[[2]string]*acc{}
	total := &acc{}
	for _, r := range rs {
		k := [2]string{r.District, r.Kind}
		g := groups[k]
		if g == nil {
			g = &acc{row: AidStatsRow{District: r.District, Kind: r.Kind}}
			groups[k] = g
		}
		for _, a := range []*acc{g, total} {
			a.row.Requests++
			a.row.Needed += r.Headcount
			a.row.Accepted += min(r.Accepted, r.Headcount)
			switch r.Status {
			case AidOpen:
				a.row.Open++
			case AidFulfilled:
				a.row.Fulfilled++
				if r.ClosedAt != nil {
					a.toFulfil += r.ClosedAt.Sub(r.CreatedAt)
					a.fulfilledN++
				}
			case AidCancelled:
				a.row.Cancelled++
			case AidExpired:
				a.row.Expired++
			}
			if r.FirstOfferAt != nil {
				a.toOffer += r.FirstOfferAt.Sub(r.CreatedAt)
				a.withOffer++
			}
		}
	}
	finish := func(a *acc) AidStatsRow {
		a.row.FillRate = rates.Of(int64(a.row.Accepted), int64(a.row.Needed))
		a.row.MeanSecondsToFirstOffer = mean(a.toOffer, a.withOffer)
		a.row.MeanSecondsToFulfilment = mean(a.toFulfil, a.fulfilledN)
		return a.row
	}
	out := AidStats{Rows: []AidStatsRow{}}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return slices.Index(AidKinds, a[1]) - slices.Index(AidKinds, b[1])
	})
	for _, k := range keys {
		out.Rows = append(out.Rows, finish(groups[k]))
	}
	out.Total = finish(total)
	return out
}

func mean(sum time.Duration, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := sum.Seconds() / float64(n)
	return &v
}

// ApplyRelayedAid applies, in a district node's consumer transaction, an
// aid event HQ relayed on gh.hq.directives.v1: another district's request
// this node sees (its copy, newest by Seq), an offer for this node's own
// request (recorded once), the acceptance of this node's company's offer.
// It returns no event: the node's topic carries only what it decided.
func (s *Messaging) ApplyRelayedAid(ctx context.Context, q Queries, typ string, r *AidRequest, o *AidOffer) error {
	switch typ {
	case EventAidRequestPosted, EventAidRequestClosed:
		if r == nil || r.District == s.district || !r.Visible(s.district) {
			return nil
		}
		_, err := q.PutAidRequest(ctx, *r)
		return err
	case EventAidOfferMade:
		if o == nil || o.RequestDistrict != s.district || o.District == s.district {
			return nil
		}
		if has, err := q.HasOffer(ctx, o.ID); err != nil || has {
			return err
		}
		req, err := q.GetAidRequest(ctx, o.RequestID)
		if isNotFound(err) {
			s.logger.WarnContext(ctx, "messaging: an offer for a request this node does not have", "request", o.RequestID, "offer", o.ID)
			return nil
		}
		if err != nil {
			return err
		}
		if err := q.PutOffer(ctx, *o); err != nil {
			return err
		}
		_, err = receiveOffer(ctx, q, req, *o)
		return err
	case EventAidOfferAccepted:
		if o == nil || o.District != s.district || o.RequestDistrict == s.district {
			return nil
		}
		if r != nil && r.Visible(s.district) {
			if _, err := q.PutAidRequest(ctx, *r); err != nil {
				return err
			}
		}
		cur, err := q.GetOffer(ctx, o.ID)
		if isNotFound(err) {
			return nil
		}
		if err != nil || cur.Status == OfferAccepted {
			return err
		}
		cur.Status, cur.AcceptedHeadcount, cur.AcceptedAt = OfferAccepted, o.AcceptedHeadcount, o.AcceptedAt
		return q.PutOffer(ctx, cur)
	}
	return nil
}

// ApplyGuard stores a guard of membership's events in the projection.
func ApplyGuard(ctx context.Context, q Queries, g Guard) error {
	_, err := q.PutGuard(ctx, g)
	return err
}
