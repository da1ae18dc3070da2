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
// The policy: a role not named is denied; guard and ops have no row.
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
			"whole city or listed districts and their delivery health per district, under /api/v1/hq/directives (the HQ role).",
		Tags: []kitx.Tag{
			{Name: "notices", Description: "A district's notices"},
			{Name: "receipts", Description: "Receipts: delivered → read → acknowledged, and the roll-ups"},
			{Name: "liaison", Description: "The district's standing liaison channel: threads, replies, mentions, unread counts"},
			{Name: "directives", Description: "HQ's directives across the federation"},
			{Name: "audit", Description: "Who changed what, when"},
		},
		Routes: allRoutes(),
	}
}
