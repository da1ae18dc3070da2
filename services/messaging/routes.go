package messaging

import (
	"net/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/messaging/internal/endpoints"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
	t "github.com/guildhall/guildhall/services/messaging/internal/transport"
)

// districtRoutes is THE table of a district node's messaging routes:
// every route once, with its request and response types (the OpenAPI
// document is generated from them), its row of the policy table, where its
// authorization target comes from, its decoder and its endpoint. svc and
// az may be nil: the document generator and the tests read the table
// without a service.
//
// The policy: a role not named is denied; ops has no row, and a guard
// only the rows of its own team notices (as a team's leader).
// The district lead and the police office send and revise the district's
// notices (each only its own office's: notice.revise_forbidden); HQ, the
// lead and the police read every notice, receipt and roll-up; a
// company-admin sees its own company's notices and receipts and is the
// only one who reads and acknowledges for its company.
func districtRoutes(svc service.Service, az *authorizer, base string) []kitx.Route {
	at := kitx.Targets[targetKind](az.target).At
	district := at(targetDistrict)
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	sub := []kitx.Param{{Name: "sub", In: "path", Description: "the recipient company's id"}}
	content := []*errs.Error{service.ErrTitleRequired, service.ErrTitleTooLong, service.ErrBodyRequired, service.ErrBodyTooLong,
		service.ErrPriorityInvalid, service.ErrDeadlineRequired, service.ErrDeadlinePast, service.ErrDeadlineUnneeded,
		service.ErrAttachmentsTooMany, service.ErrAttachmentName, service.ErrAttachmentURL}
	return []kitx.Route{
		{Name: "publish_notice", Method: "POST", Path: p("/notices"), Tag: "notices", Summary: "Publish a notice to an audience of the district's companies",
			Description: "The body is Markdown, rendered to sanitised HTML (body_html): no script, event handler, javascript: or data: URL " +
				"survives. The audience is every active company of the district, a list of its companies, or the active companies of one " +
				"association role; each recipient gets a receipt (delivered). The sender's office (district lead or police) is the origin.",
			Request: service.PublishNoticeInput{}, Response: service.Notice{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(append(content, service.ErrAudienceKind, service.ErrAudienceCompanies, service.ErrAudienceRole,
				service.ErrAudienceEmpty, service.ErrCompanyNotFound, service.ErrNoticeOriginDenied)...),
			Rule: senders(), Target: district, Decode: kitx.DecodeCreate[service.PublishNoticeInput], Endpoint: endpoints.MakePublishNoticeEndpoint(svc, base)},
		{Name: "list_notices", Method: "GET", Path: p("/notices"), Tag: "notices", Summary: "List the district's notices in publication order",
			Response: kitx.ListResponse[service.Notice]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("origin", "only notices of this origin", service.OriginDistrict, service.OriginPolice, service.OriginHQ)},
			Errors: errsOf(service.ErrFilterOrigin),
			Rule:   overseers(), Target: district, Decode: t.DecodeListNotices, Endpoint: endpoints.MakeListNoticesEndpoint(svc)},
		{Name: "get_notice", Method: "GET", Path: p("/notices/{id}"), Tag: "notices", Summary: "Read a notice",
			Response: service.Notice{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrNoticeNotFound),
			Rule: overseers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetNoticeEndpoint(svc)},
		{Name: "revise_notice", Method: "PATCH", Path: p("/notices/{id}"), Tag: "notices", Summary: "Revise a notice: a new version that asks for acknowledgement again",
			Description: "Fields absent stay. Any change makes the next version and puts every receipt back to delivered for it.",
			Request:     service.ReviseNoticeInput{}, Response: service.Notice{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(append(content, service.ErrNoticeNotFound, service.ErrNoticeNotEditable, service.ErrNoticeReviseDenied, service.ErrNoticeOriginDenied)...),
			Rule:   senders(), Target: district, Decode: kitx.DecodeUpdateRequest[service.ReviseNoticeInput], Endpoint: endpoints.MakeReviseNoticeEndpoint(svc)},
		{Name: "list_receipts", Method: "GET", Path: p("/notices/{id}/receipts"), Tag: "receipts", Summary: "A notice's receipts, by company id",
			Response: kitx.ListResponse[service.Receipt]{}, Paged: true, Errors: errsOf(service.ErrNoticeNotFound),
			Rule: overseers(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListReceiptsEndpoint(svc)},
		{Name: "get_receipt", Method: "GET", Path: p("/notices/{id}/receipts/{sub}"), Tag: "receipts", Summary: "A company's receipt of a notice, with the notice",
			Params: sub, Response: service.ReceiptView{}, Errors: errsOf(service.ErrNoticeNotFound, service.ErrReceiptNotFound),
			Rule: overseersAndCompany(), Target: at(targetSubCompany), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetReceiptEndpoint(svc)},
		{Name: "read_notice", Method: "POST", Path: p("/notices/{id}/receipts/{sub}/read"), Tag: "receipts", Summary: "Mark the company's receipt read",
			Description: "delivered → read; reading again changes nothing; an acknowledged receipt answers receipt.already_acknowledged.",
			Params:      sub, Request: service.ReadInput{}, Response: service.Receipt{},
			Errors: errsOf(service.ErrNoticeNotFound, service.ErrReceiptNotFound, service.ErrReceiptByRequired, service.ErrReceiptAcknowledged),
			Rule:   company(), Target: at(targetSubCompany), Decode: kitx.DecodeActionRequest[service.ReadInput], Endpoint: endpoints.MakeReadNoticeEndpoint(svc)},
		{Name: "acknowledge_notice", Method: "POST", Path: p("/notices/{id}/receipts/{sub}/acknowledge"), Tag: "receipts",
			Summary:     "Acknowledge the notice's current version for the company",
			Description: "read → acknowledged, naming the version read (receipt.revision_stale after a revision).",
			Params:      sub, Request: service.AcknowledgeInput{}, Response: service.Receipt{},
			Errors: errsOf(service.ErrNoticeNotFound, service.ErrReceiptNotFound, service.ErrReceiptRevision, service.ErrReceiptByRequired,
				service.ErrReceiptCommentTooLong, service.ErrReceiptAckNotNeeded, service.ErrReceiptRevisionStale, service.ErrReceiptAcknowledged,
				service.ErrReceiptNotRead),
			Rule: company(), Target: at(targetSubCompany), Decode: kitx.DecodeActionRequest[service.AcknowledgeInput], Endpoint: endpoints.MakeAcknowledgeNoticeEndpoint(svc)},
		{Name: "notice_rollup", Method: "GET", Path: p("/notices/{id}/rollup"), Tag: "receipts", Summary: "A notice's acknowledgement rate, who has not acknowledged, who is overdue",
			Response: service.NoticeRollup{}, Errors: errsOf(service.ErrNoticeNotFound),
			Rule: overseers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeNoticeRollupEndpoint(svc)},
		{Name: "company_notices", Method: "GET", Path: p("/company-notices/{id}"), Tag: "receipts", Summary: "The notices a company received, with its receipts",
			Params: []kitx.Param{{Name: "id", In: "path", Description: "the company's id"}}, Response: kitx.ListResponse[service.CompanyNotice]{}, Paged: true,
			Errors: errsOf(),
			Rule:   overseersAndCompany(), Target: at(targetCompany), Decode: t.DecodeListUnder, Endpoint: endpoints.MakeCompanyNoticesEndpoint(svc)},
		{Name: "company_rollup", Method: "GET", Path: p("/company-notices/{id}/rollup"), Tag: "receipts", Summary: "A company's acknowledgement rate, pending and overdue notices",
			Params:   []kitx.Param{{Name: "id", In: "path", Description: "the company's id"}},
			Response: service.CompanyRollup{}, Errors: errsOf(),
			Rule: overseersAndCompany(), Target: at(targetCompany), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeCompanyRollupEndpoint(svc)},
		// The liaison channel (常态化联络机制): the district lead, the
		// district's companies and the police liaison officers; HQ too.
		{Name: "open_thread", Method: "POST", Path: p("/liaison/threads"), Tag: "liaison", Summary: "Open a thread with its first post",
			Description: "mentions name account subjects (an @ in front is dropped); the body is Markdown, sanitised like a notice's.",
			Request:     service.OpenThreadInput{}, Response: service.Thread{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors:          create(service.ErrThreadTitleRequired, service.ErrPostBodyRequired, service.ErrMentionsInvalid),
			Rule:            liaisons(), Target: district, Decode: kitx.DecodeCreate[service.OpenThreadInput], Endpoint: endpoints.MakeOpenThreadEndpoint(svc, base)},
		{Name: "list_threads", Method: "GET", Path: p("/liaison/threads"), Tag: "liaison", Summary: "The channel's threads with the caller's unread counts",
			Response: kitx.ListResponse[service.Thread]{}, Paged: true, Errors: errsOf(),
			Rule: liaisons(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListThreadsEndpoint(svc)},
		{Name: "get_thread", Method: "GET", Path: p("/liaison/threads/{id}"), Tag: "liaison", Summary: "A thread with the caller's unread counts",
			Response: service.Thread{}, Errors: errsOf(service.ErrThreadNotFound),
			Rule: liaisons(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetThreadEndpoint(svc)},
		{Name: "add_post", Method: "POST", Path: p("/liaison/threads/{id}/posts"), Tag: "liaison", Summary: "Reply to a thread",
			Request: service.PostInput{}, Response: service.Post{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors:          create(service.ErrThreadNotFound, service.ErrPostBodyRequired, service.ErrMentionsInvalid),
			Rule:            liaisons(), Target: district, Decode: kitx.DecodeCreateUnder[service.PostInput], Endpoint: endpoints.MakeAddPostEndpoint(svc, base)},
		{Name: "list_posts", Method: "GET", Path: p("/liaison/threads/{id}/posts"), Tag: "liaison", Summary: "A thread's posts in order",
			Response: kitx.ListResponse[service.Post]{}, Paged: true, Errors: errsOf(service.ErrThreadNotFound),
			Rule: liaisons(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListPostsEndpoint(svc)},
		{Name: "mark_read", Method: "POST", Path: p("/liaison/threads/{id}/read"), Tag: "liaison", Summary: "Move the caller's last-read marker of a thread",
			Description: "To seq, or to the thread's last post when absent; a marker never moves back.",
			Request:     service.MarkReadInput{}, OptionalBody: true, Response: service.Thread{},
			Errors: errsOf(service.ErrThreadNotFound, service.ErrReadSeqInvalid),
			Rule:   liaisons(), Target: district, Decode: t.DecodeMarkRead, Endpoint: endpoints.MakeMarkReadEndpoint(svc)},
		{Name: "liaison_unread", Method: "GET", Path: p("/liaison/unread"), Tag: "liaison", Summary: "The caller's unread posts and mentions over the channel",
			Response: service.Unread{}, Errors: errsOf(),
			Rule: liaisons(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeUnreadEndpoint(svc)},
		// Mutual aid (互助机制): the node's own requests and the copies of
		// the other districts' it sees (the policy's aid_visibility).
		{Name: "post_aid_request", Method: "POST", Path: p("/aid/requests"), Tag: "aid", Summary: "Post a mutual-aid request",
			Description: "By the district lead or a company-admin (for its company). Visible to the districts the messaging policy's aid_visibility " +
				"names; HQ's messaging relays it to them on gh.hq.directives.v1.",
			Request: service.PostAidInput{}, Response: service.AidRequest{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrAidKind, service.ErrAidTitle, service.ErrAidHeadcount, service.ErrAidQualification, service.ErrAidStartsAt,
				service.ErrAidEndsAt, service.ErrAidPlace, service.ErrAidContactRole, service.ErrAidDescription, service.ErrAidOfferCompany, service.ErrCompanyNotFound),
			Rule: requesters(), Target: district, Decode: kitx.DecodeCreate[service.PostAidInput], Endpoint: endpoints.MakePostAidRequestEndpoint(svc, base)},
		{Name: "list_aid_requests", Method: "GET", Path: p("/aid/requests"), Tag: "aid", Summary: "The aid requests this district sees, in posting order",
			Response: kitx.ListResponse[service.AidRequest]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("status", "only requests of this status", service.AidOpen, service.AidFulfilled, service.AidCancelled, service.AidExpired),
				kitx.Query("mine", "true: only this district's own requests", "true", "false")},
			Errors: errsOf(service.ErrAidStatusFilter),
			Rule:   liaisons(), Target: district, Decode: t.DecodeListAid, Endpoint: endpoints.MakeListAidRequestsEndpoint(svc)},
		{Name: "get_aid_request", Method: "GET", Path: p("/aid/requests/{id}"), Tag: "aid", Summary: "Read an aid request",
			Response: service.AidRequest{}, Errors: errsOf(service.ErrAidNotFound),
			Rule: liaisons(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetAidRequestEndpoint(svc)},
		{Name: "aid_availability", Method: "GET", Path: p("/aid/requests/{id}/availability"), Tag: "aid",
			Summary:     "How many guards the caller's company can offer for a request",
			Description: "Its active guards qualified through the window (certified on its last day, for certified), less those it offered for open requests whose window overlaps.",
			Response:    service.Availability{}, Errors: errsOf(service.ErrAidNotFound, service.ErrAidOfferCompany),
			Rule: districtCompanies(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeAvailabilityEndpoint(svc)},
		{Name: "make_aid_offer", Method: "POST", Path: p("/aid/requests/{id}/offers"), Tag: "aid", Summary: "Offer guards of the caller's company for a request",
			Description: "At most what the request still needs and what the company has available (aid_availability). An offer for another district's " +
				"request reaches that district's node through HQ's relay.",
			Request: service.OfferInput{}, Response: service.AidOffer{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrAidNotFound, service.ErrAidOfferCompany, service.ErrOfferHeadcount, service.ErrOfferNote, service.ErrAidNotOpen,
				service.ErrAidOwnRequest, service.ErrOfferExceedsNeed, service.ErrOfferExceedsAvailable, service.ErrCompanyNotFound),
			Rule: districtCompanies(), Target: district, Decode: kitx.DecodeCreateUnder[service.OfferInput], Endpoint: endpoints.MakeOfferEndpoint(svc, base)},
		{Name: "list_aid_offers", Method: "GET", Path: p("/aid/requests/{id}/offers"), Tag: "aid", Summary: "A request's offers",
			Description: "Every offer for the requester, the district lead, the police and HQ; another company sees its own.",
			Response:    kitx.ListResponse[service.AidOffer]{}, Paged: true, Errors: errsOf(service.ErrAidNotFound),
			Rule: liaisons(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListOffersEndpoint(svc)},
		{Name: "accept_aid_offer", Method: "POST", Path: p("/aid/requests/{id}/offers/{sub}/accept"), Tag: "aid",
			Summary:     "Accept an offer, in part or in full, up to what the request still needs",
			Description: "By the requesting company or the district lead, at the request's own node; the request is fulfilled when the accepted guards reach its headcount.",
			Params:      []kitx.Param{{Name: "sub", In: "path", Description: "the offer's id"}}, Request: service.AcceptInput{}, OptionalBody: true,
			Response: service.AidOffer{},
			Errors: errsOf(service.ErrAidNotFound, service.ErrAidNotLocal, service.ErrAidRequesterOnly, service.ErrOfferNotFound, service.ErrAidNotOpen,
				service.ErrOfferAccepted, service.ErrAcceptHeadcount, service.ErrAcceptExceedsNeed),
			Rule: requesters(), Target: district, Decode: t.DecodeAccept, Endpoint: endpoints.MakeAcceptOfferEndpoint(svc)},
		{Name: "close_aid_request", Method: "POST", Path: p("/aid/requests/{id}/close"), Tag: "aid", Summary: "Close a request: fulfilled with what was accepted, or cancelled",
			Request: service.CloseAidInput{}, Response: service.AidRequest{},
			Errors: errsOf(service.ErrAidNotFound, service.ErrAidNotLocal, service.ErrAidRequesterOnly, service.ErrAidOutcome, service.ErrAidCloseReasonLength,
				service.ErrAidNotOpen, service.ErrAidNothingAccepted),
			Rule: requesters(), Target: district, Decode: kitx.DecodeActionRequest[service.CloseAidInput], Endpoint: endpoints.MakeCloseAidEndpoint(svc)},
		{Name: "aid_stats", Method: "GET", Path: p("/aid/stats"), Tag: "aid", Summary: "The district's own requests: counts, fill rate, time to first offer and to fulfilment, per kind",
			Response: service.AidStats{}, Errors: errsOf(),
			Rule: overseers(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeAidStatsEndpoint(svc)},
		// Positive publicity (正面宣传): the district's posts, reviewed by the
		// lead, then by HQ; the city's published feed.
		{Name: "submit_post", Method: "POST", Path: p("/publicity/posts"), Tag: "publicity", Summary: "Write a post about a good deed for review",
			Description: "By a company-admin (for its company) or the district lead; the body is Markdown, sanitised like a notice's. It awaits the " +
				"district lead's review, then HQ's, before it is published city-wide.",
			Request: service.WritePostInput{}, Response: service.PublicityPost{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors:          create(service.ErrPublicityTitle, service.ErrPublicityBody, service.ErrPublicityRedShield, service.ErrPublicityAuthor),
			Rule:            requesters(), Target: district, Decode: kitx.DecodeCreate[service.WritePostInput], Endpoint: endpoints.MakeSubmitPostEndpoint(svc, base)},
		{Name: "list_publicity_posts", Method: "GET", Path: p("/publicity/posts"), Tag: "publicity", Summary: "The district's posts and their review status (a company-admin: its own company's)",
			Response: kitx.ListResponse[service.PublicityPost]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("status", "only posts of this status", service.PostPendingDistrict, service.PostPendingHQ, service.PostPublished, service.PostRejected)},
			Errors: errsOf(service.ErrPublicityStatus),
			Rule:   liaisons(), Target: district, Decode: t.DecodeListPosts, Endpoint: endpoints.MakeListPublicityPostsEndpoint(svc)},
		{Name: "get_publicity_post", Method: "GET", Path: p("/publicity/posts/{id}"), Tag: "publicity", Summary: "Read a post",
			Response: service.PublicityPost{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrPublicityNotFound),
			Rule: liaisons(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetPostEndpoint(svc)},
		{Name: "revise_publicity_post", Method: "PATCH", Path: p("/publicity/posts/{id}"), Tag: "publicity",
			Summary:     "Edit a post: its next version, reviewed again",
			Description: "Fields absent stay. By the post's company (or the lead, for the lead's post). A published post stays published at its version until HQ publishes the new one.",
			Request:     service.RevisePostInput{}, Response: service.PublicityPost{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrPublicityNotFound, service.ErrPublicityEditDenied, service.ErrPublicityTitle, service.ErrPublicityBody, service.ErrPublicityRedShield),
			Rule:   requesters(), Target: district, Decode: kitx.DecodeUpdateRequest[service.RevisePostInput], Endpoint: endpoints.MakeRevisePostEndpoint(svc)},
		{Name: "review_publicity_post", Method: "POST", Path: p("/publicity/posts/{id}/review"), Tag: "publicity",
			Summary: "The district lead's review: approve (on to HQ) or reject with a reason",
			Request: service.ReviewInput{}, Response: service.PublicityPost{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrPublicityNotFound, service.ErrPublicityVersion, service.ErrPublicityDecision, service.ErrPublicityReason,
				service.ErrPublicityStale, service.ErrPublicityNotPending),
			Rule: leadOnly(), Target: district, Decode: kitx.DecodeActionRequest[service.ReviewInput], Endpoint: endpoints.MakeReviewPostEndpoint(svc)},
		{Name: "list_published_posts", Method: "GET", Path: p("/publicity/published"), Tag: "publicity", Summary: "The city's published posts, every district's",
			Response: kitx.ListResponse[service.PublishedPost]{}, Paged: true, Errors: errsOf(),
			Rule: liaisons(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListPublishedEndpoint(svc)},
		// Team notices (通知 to one person): what the district's patrols
		// topic tells a volunteer-police team's leader.
		{Name: "list_team_notices", Method: "GET", Path: p("/messaging/team-notices"), Tag: "team-notices",
			Summary:     "Every team notice of the district, in delivery order",
			Description: "The notices the node delivered to the leaders of the district's volunteer-police teams from its patrols topic: a member suspended automatically or reinstated, a cross-district double booking resolved.",
			Response:    kitx.ListResponse[service.TeamNotice]{}, Paged: true, Errors: errsOf(),
			Rule: leadOnly(), Target: district, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListTeamNoticesEndpoint(svc)},
		{Name: "guard_team_notices", Method: "GET", Path: p("/messaging/guards/{id}/team-notices"), Tag: "team-notices",
			Summary: "The team notices to a leader, in delivery order",
			Params:  []kitx.Param{{Name: "id", In: "path", Description: "the leader's guard id"}}, Response: kitx.ListResponse[service.TeamNotice]{}, Paged: true,
			Errors: errsOf(),
			Rule:   leaderAndLead(), Target: at(targetGuard), Decode: t.DecodeListUnder, Endpoint: endpoints.MakeGuardTeamNoticesEndpoint(svc)},
		{Name: "read_team_notice", Method: "POST", Path: p("/messaging/guards/{id}/team-notices/{sub}/read"), Tag: "team-notices",
			Summary:     "Mark a team notice read: the leader's receipt",
			Description: "delivered → read; reading again changes nothing.",
			Params:      []kitx.Param{{Name: "id", In: "path", Description: "the leader's guard id"}, {Name: "sub", In: "path", Description: "the team notice's id"}},
			Response:    service.TeamNotice{}, Errors: errsOf(service.ErrTeamNoticeNotFound),
			Rule: leader(), Target: at(targetGuard), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeReadTeamNoticeEndpoint(svc)},
		{Name: "list_audit", Method: "GET", Path: p("/messaging/audit"), Tag: "audit", Summary: "The messaging service's audit log, newest first",
			Response: kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: admins(), Target: district, Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(svc)},
	}
}

// hqRoutes is the table of the HQ role's routes, under /api/v1/hq.
func hqRoutes(svc service.HQService) []kitx.Route {
	city := kitx.Targets[targetKind]((&authorizer{}).target).At(targetCity)
	errsOf := kitx.CommonErrors(storage.ErrUnavailable)
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	return []kitx.Route{
		{Name: "issue_directive", Method: "POST", Path: "/api/v1/hq/directives", Tag: "directives", Summary: "Issue a directive to every company of the city or of listed districts",
			Description: "Published once on gh.hq.directives.v1; every addressed district's node materialises it as a notice to its active " +
				"companies, once, when it reads it (a node that is offline does when it is back; a district registered later reads the topic " +
				"from the start and gets the directives still in force).",
			Request: service.IssueDirectiveInput{}, Response: service.Directive{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrTitleRequired, service.ErrTitleTooLong, service.ErrBodyRequired, service.ErrBodyTooLong,
				service.ErrPriorityInvalid, service.ErrDeadlineRequired, service.ErrDeadlinePast, service.ErrDeadlineUnneeded,
				service.ErrAttachmentsTooMany, service.ErrAttachmentName, service.ErrAttachmentURL, service.ErrDirectiveDistricts, service.ErrDirectiveNoDistricts),
			Rule: hqOnly(), Target: city, Decode: kitx.DecodeCreate[service.IssueDirectiveInput], Endpoint: endpoints.MakeIssueDirectiveEndpoint(svc)},
		{Name: "list_directives", Method: "GET", Path: "/api/v1/hq/directives", Tag: "directives", Summary: "List directives in issue order",
			Response: kitx.ListResponse[service.Directive]{}, Paged: true, Errors: errsOf(),
			Rule: hqReaders(), Target: city, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListDirectivesEndpoint(svc)},
		{Name: "get_directive", Method: "GET", Path: "/api/v1/hq/directives/{id}", Tag: "directives", Summary: "Read a directive",
			Response: service.Directive{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrDirectiveNotFound),
			Rule: hqReaders(), Target: city, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetDirectiveEndpoint(svc)},
		{Name: "revise_directive", Method: "PATCH", Path: "/api/v1/hq/directives/{id}", Tag: "directives",
			Summary:     "Revise a directive: its next version, which every district's companies acknowledge again",
			Description: "Fields absent stay. Published on gh.hq.directives.v1 (DirectiveRevised); each district node that has the directive revises its notice.",
			Request:     service.ReviseDirectiveInput{}, Response: service.Directive{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrDirectiveNotFound, service.ErrTitleRequired, service.ErrTitleTooLong, service.ErrBodyRequired, service.ErrBodyTooLong,
				service.ErrPriorityInvalid, service.ErrDeadlinePast, service.ErrDeadlineUnneeded, service.ErrAttachmentsTooMany, service.ErrAttachmentName,
				service.ErrAttachmentURL),
			Rule: hqOnly(), Target: city, Decode: kitx.DecodeUpdateRequest[service.ReviseDirectiveInput], Endpoint: endpoints.MakeReviseDirectiveEndpoint(svc)},
		{Name: "directive_delivery", Method: "GET", Path: "/api/v1/hq/directives/{id}/delivery", Tag: "directives",
			Summary: "A directive's delivery health per district",
			Description: "Per addressed district: delivered to the node (when), the last receipt, the counts and acknowledgement rate; a district " +
				"whose node has not materialised it is pending_at_node with null counts (unknown, never 0 acknowledged).",
			Response: service.DirectiveDelivery{}, Errors: errsOf(service.ErrDirectiveNotFound),
			Rule: hqReaders(), Target: city, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeDirectiveDeliveryEndpoint(svc)},
		{Name: "notice_rates", Method: "GET", Path: "/api/v1/hq/directives/notice-rates", Tag: "directives",
			Summary: "Notice acknowledgement rates per district",
			Description: "Over every notice of each district that asks for acknowledgement (the district's own, the police office's and HQ's " +
				"directives), as the districts' messaging topics reported them; a district whose node reported none is not reported (null " +
				"counts), never 0.",
			Response: service.NoticeRates{}, Errors: errsOf(),
			Rule: hqReaders(), Target: city, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeNoticeRatesEndpoint(svc)},
		{Name: "city_aid_stats", Method: "GET", Path: "/api/v1/hq/aid/stats", Tag: "aid",
			Summary:  "Mutual aid across the city: counts, fill rate, time to first offer and to fulfilment, per district and kind",
			Response: service.AidStats{}, Errors: errsOf(),
			Rule: hqReaders(), Target: city, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeCityAidStatsEndpoint(svc)},
		{Name: "list_hq_publicity_posts", Method: "GET", Path: "/api/v1/hq/publicity/posts", Tag: "publicity",
			Summary:  "The posts the district leads approved (and their later versions), for HQ's review",
			Response: kitx.ListResponse[service.PublicityPost]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("status", "only posts of this status", service.PostPendingDistrict, service.PostPendingHQ, service.PostPublished, service.PostRejected)},
			Errors: errsOf(service.ErrPublicityStatus),
			Rule:   hqReaders(), Target: city, Decode: t.DecodeListPosts, Endpoint: endpoints.MakeListHQPostsEndpoint(svc)},
		{Name: "get_hq_publicity_post", Method: "GET", Path: "/api/v1/hq/publicity/posts/{id}", Tag: "publicity", Summary: "Read a post under HQ's review",
			Response: service.PublicityPost{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrPublicityNotFound),
			Rule: hqReaders(), Target: city, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetHQPostEndpoint(svc)},
		{Name: "review_hq_publicity_post", Method: "POST", Path: "/api/v1/hq/publicity/posts/{id}/review", Tag: "publicity",
			Summary:     "HQ's review: approve (published city-wide) or reject with a reason",
			Description: "Published on gh.hq.directives.v1 (PublicityPostPublished, PublicityPostRejected); every district node shows a published post.",
			Request:     service.ReviewInput{}, Response: service.PublicityPost{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrPublicityNotFound, service.ErrPublicityVersion, service.ErrPublicityDecision, service.ErrPublicityReason,
				service.ErrPublicityStale, service.ErrPublicityNotPending),
			Rule: hqOnly(), Target: city, Decode: kitx.DecodeActionRequest[service.ReviewInput], Endpoint: endpoints.MakeReviewHQPostEndpoint(svc)},
		{Name: "list_hq_published_posts", Method: "GET", Path: "/api/v1/hq/publicity/published", Tag: "publicity", Summary: "The city's published posts",
			Response: kitx.ListResponse[service.PublishedPost]{}, Paged: true, Errors: errsOf(),
			Rule: hqReaders(), Target: city, Decode: t.DecodeListUnder, Endpoint: endpoints.MakeListHQPublishedEndpoint(svc)},
		{Name: "list_directive_audit", Method: "GET", Path: "/api/v1/hq/directives/audit", Tag: "audit", Summary: "The HQ role's audit log, newest first",
			Response: kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: hqOnly(), Target: city, Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(svc)},
	}
}

// allRoutes is both tables, as the document and the policy table hold them.
func allRoutes() []kitx.Route { return append(districtRoutes(nil, nil, ""), hqRoutes(nil)...) }

// API describes the messaging service for its OpenAPI document: both
// roles' routes, read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall messaging API", Version: "v1",
		Description: "Notices (通知) of a district node from the district lead or the police office to the district's companies, with " +
			"read and acknowledgement receipts (已读回执) and their roll-ups, under /api/v1/districts/{district}; HQ's directives to the " +
			"whole city or listed districts and their delivery health per district, under /api/v1/hq/directives (the HQ role); mutual aid " +
			"between districts and positive publicity reviewed by the district lead and HQ.",
		Tags: []kitx.Tag{
			{Name: "notices", Description: "A district's notices"},
			{Name: "receipts", Description: "Receipts: delivered → read → acknowledged, and the roll-ups"},
			{Name: "liaison", Description: "The district's standing liaison channel: threads, replies, mentions, unread counts"},
			{Name: "directives", Description: "HQ's directives across the federation"},
			{Name: "aid", Description: "Mutual aid (互助机制): requests, offers checked against certified headcount, acceptance, closure, statistics"},
			{Name: "publicity", Description: "Positive publicity (正面宣传): posts reviewed by the district lead and HQ, published city-wide"},
			{Name: "team-notices", Description: "Notices to a volunteer-police team's leader from the district's patrols topic, with the leader's read receipt"},
			{Name: "audit", Description: "Who changed what, when"},
		},
		Routes: allRoutes(),
	}
}
