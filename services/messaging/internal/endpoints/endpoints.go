// Package endpoints turns the messaging services (a district node's
// Service, the HQ role's HQService) into go-kit endpoints: one maker per
// route of the route tables (routes.go at the module root), each taking a
// typed request and returning a response that carries business errors in
// Failed(), so the transport maps them once.
package endpoints

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// MakePublishNoticeEndpoint returns the endpoint of publish_notice.
func MakePublishNoticeEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		n, err := svc.PublishNotice(ctx, request.(service.PublishNoticeInput))
		return kitx.Created(n, basePath+"/notices/"+n.ID, n.ETag, http.StatusCreated, err), nil
	}
}

// MakeListNoticesEndpoint returns the endpoint of list_notices.
func MakeListNoticesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.NoticeFilter])
		items, next, err := svc.ListNotices(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetNoticeEndpoint returns the endpoint of get_notice.
func MakeGetNoticeEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		n, err := svc.GetNotice(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(n, n.ETag, err), nil
	}
}

// MakeReviseNoticeEndpoint returns the endpoint of revise_notice.
func MakeReviseNoticeEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.UpdateRequest[service.ReviseNoticeInput])
		n, err := svc.ReviseNotice(ctx, r.ID, r.IfMatch, r.Input)
		return kitx.One(n, n.ETag, err), nil
	}
}

// MakeListReceiptsEndpoint returns the endpoint of list_receipts.
func MakeListReceiptsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListReceipts(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetReceiptEndpoint returns the endpoint of get_receipt.
func MakeGetReceiptEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.IDRequest)
		v, err := svc.GetReceipt(ctx, r.ID, r.SubID)
		return kitx.One(v, "", err), nil
	}
}

// MakeReadNoticeEndpoint returns the endpoint of read_notice.
func MakeReadNoticeEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ReadInput])
		v, err := svc.ReadNotice(ctx, r.ID, r.SubID, r.Input)
		return kitx.One(v, "", err), nil
	}
}

// MakeAcknowledgeNoticeEndpoint returns the endpoint of acknowledge_notice.
func MakeAcknowledgeNoticeEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AcknowledgeInput])
		v, err := svc.AcknowledgeNotice(ctx, r.ID, r.SubID, r.Input)
		return kitx.One(v, "", err), nil
	}
}

// MakeNoticeRollupEndpoint returns the endpoint of notice_rollup.
func MakeNoticeRollupEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.NoticeRollup(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// MakeCompanyNoticesEndpoint returns the endpoint of company_notices.
func MakeCompanyNoticesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.CompanyNotices(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeCompanyRollupEndpoint returns the endpoint of company_rollup.
func MakeCompanyRollupEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.CompanyRollup(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// Auditor is what serves an audit log.
type Auditor interface {
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)
}

// MakeListAuditEndpoint returns the endpoint of list_audit (both roles).
func MakeListAuditEndpoint(svc Auditor) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[audit.Filter])
		items, next, err := svc.ListAudit(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeIssueDirectiveEndpoint returns the endpoint of issue_directive.
func MakeIssueDirectiveEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.IssueDirective(ctx, request.(service.IssueDirectiveInput))
		return kitx.Created(d, "/api/v1/hq/directives/"+d.ID, "", http.StatusCreated, err), nil
	}
}

// MakeListDirectivesEndpoint returns the endpoint of list_directives.
func MakeListDirectivesEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListDirectives(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetDirectiveEndpoint returns the endpoint of get_directive.
func MakeGetDirectiveEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.GetDirective(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(d, d.ETag, err), nil
	}
}

// MakeDirectiveDeliveryEndpoint returns the endpoint of directive_delivery.
func MakeDirectiveDeliveryEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.DirectiveDelivery(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// MakeOpenThreadEndpoint returns the endpoint of open_thread.
func MakeOpenThreadEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		t, err := svc.OpenThread(ctx, request.(service.OpenThreadInput))
		return kitx.Created(t, basePath+"/liaison/threads/"+t.ID, "", http.StatusCreated, err), nil
	}
}

// MakeListThreadsEndpoint returns the endpoint of list_threads.
func MakeListThreadsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListThreads(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetThreadEndpoint returns the endpoint of get_thread.
func MakeGetThreadEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		t, err := svc.GetThread(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(t, "", err), nil
	}
}

// MakeAddPostEndpoint returns the endpoint of add_post.
func MakeAddPostEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.PostInput])
		p, err := svc.AddPost(ctx, r.ID, r.Input)
		return kitx.Created(p, basePath+"/liaison/threads/"+r.ID+"/posts", "", http.StatusCreated, err), nil
	}
}

// MakeListPostsEndpoint returns the endpoint of list_posts.
func MakeListPostsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListPosts(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeMarkReadEndpoint returns the endpoint of mark_read.
func MakeMarkReadEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.MarkReadInput])
		t, err := svc.MarkRead(ctx, r.ID, r.Input)
		return kitx.One(t, "", err), nil
	}
}

// MakeUnreadEndpoint returns the endpoint of liaison_unread.
func MakeUnreadEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		u, err := svc.UnreadSummary(ctx)
		return kitx.One(u, "", err), nil
	}
}

// MakeNoticeRatesEndpoint returns the endpoint of notice_rates.
func MakeNoticeRatesEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		v, err := svc.NoticeRates(ctx)
		return kitx.One(v, "", err), nil
	}
}

// MakeReviseDirectiveEndpoint returns the endpoint of revise_directive.
func MakeReviseDirectiveEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.UpdateRequest[service.ReviseDirectiveInput])
		d, err := svc.ReviseDirective(ctx, r.ID, r.IfMatch, r.Input)
		return kitx.One(d, d.ETag, err), nil
	}
}

// MakeListTeamNoticesEndpoint returns the endpoint of list_team_notices.
func MakeListTeamNoticesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, next, err := svc.ListTeamNotices(ctx, request.(kitx.ListRequest[struct{}]).Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGuardTeamNoticesEndpoint returns the endpoint of guard_team_notices.
func MakeGuardTeamNoticesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.GuardTeamNotices(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeReadTeamNoticeEndpoint returns the endpoint of read_team_notice.
func MakeReadTeamNoticeEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.IDRequest)
		n, err := svc.ReadTeamNotice(ctx, r.ID, r.SubID)
		return kitx.One(n, "", err), nil
	}
}
