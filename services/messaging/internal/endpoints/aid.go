package endpoints

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// MakePostAidRequestEndpoint returns the endpoint of post_aid_request.
func MakePostAidRequestEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.PostAidRequest(ctx, request.(service.PostAidInput))
		return kitx.Created(r, basePath+"/aid/requests/"+r.ID, "", http.StatusCreated, err), nil
	}
}

// MakeListAidRequestsEndpoint returns the endpoint of list_aid_requests.
func MakeListAidRequestsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.AidFilter])
		items, next, err := svc.ListAidRequests(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetAidRequestEndpoint returns the endpoint of get_aid_request.
func MakeGetAidRequestEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.GetAidRequest(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(r, "", err), nil
	}
}

// MakeAvailabilityEndpoint returns the endpoint of aid_availability.
func MakeAvailabilityEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.Availability(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(a, "", err), nil
	}
}

// MakeOfferEndpoint returns the endpoint of make_aid_offer.
func MakeOfferEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.OfferInput])
		o, err := svc.MakeOffer(ctx, r.ID, r.Input)
		return kitx.Created(o, basePath+"/aid/requests/"+r.ID+"/offers/"+o.ID, "", http.StatusCreated, err), nil
	}
}

// MakeListOffersEndpoint returns the endpoint of list_aid_offers.
func MakeListOffersEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListOffers(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeAcceptOfferEndpoint returns the endpoint of accept_aid_offer.
func MakeAcceptOfferEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AcceptInput])
		o, err := svc.AcceptOffer(ctx, r.ID, r.SubID, r.Input)
		return kitx.One(o, "", err), nil
	}
}

// MakeCloseAidEndpoint returns the endpoint of close_aid_request.
func MakeCloseAidEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.CloseAidInput])
		a, err := svc.CloseAidRequest(ctx, r.ID, r.Input)
		return kitx.One(a, "", err), nil
	}
}

// MakeAidStatsEndpoint returns the endpoint of aid_stats.
func MakeAidStatsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		s, err := svc.AidStats(ctx)
		return kitx.One(s, "", err), nil
	}
}

// MakeCityAidStatsEndpoint returns the endpoint of city_aid_stats.
func MakeCityAidStatsEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		s, err := svc.CityAidStats(ctx)
		return kitx.One(s, "", err), nil
	}
}

// MakeSubmitPostEndpoint returns the endpoint of submit_post.
func MakeSubmitPostEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.SubmitPost(ctx, request.(service.WritePostInput))
		return kitx.Created(p, basePath+"/publicity/posts/"+p.ID, p.ETag, http.StatusCreated, err), nil
	}
}

// MakeRevisePostEndpoint returns the endpoint of revise_post.
func MakeRevisePostEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.UpdateRequest[service.RevisePostInput])
		p, err := svc.RevisePost(ctx, r.ID, r.IfMatch, r.Input)
		return kitx.One(p, p.ETag, err), nil
	}
}

// MakeReviewPostEndpoint returns the endpoint of review_post.
func MakeReviewPostEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ReviewInput])
		p, err := svc.ReviewPost(ctx, r.ID, r.Input)
		return kitx.One(p, p.ETag, err), nil
	}
}

// MakeGetPostEndpoint returns the endpoint of get_post.
func MakeGetPostEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.GetPublicityPost(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(p, p.ETag, err), nil
	}
}

// MakeListPublicityPostsEndpoint returns the endpoint of list_publicity_posts.
func MakeListPublicityPostsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.PostFilter])
		items, next, err := svc.ListPublicityPosts(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeListPublishedEndpoint returns the endpoint of list_published.
func MakeListPublishedEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, next, err := svc.ListPublished(ctx, request.(kitx.ListRequest[struct{}]).Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeListHQPostsEndpoint returns the endpoint of list_hq_posts.
func MakeListHQPostsEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.PostFilter])
		items, next, err := svc.ListHQPosts(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetHQPostEndpoint returns the endpoint of get_hq_post.
func MakeGetHQPostEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.GetHQPost(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(p, p.ETag, err), nil
	}
}

// MakeReviewHQPostEndpoint returns the endpoint of review_hq_post.
func MakeReviewHQPostEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ReviewInput])
		p, err := svc.ReviewHQPost(ctx, r.ID, r.Input)
		return kitx.One(p, p.ETag, err), nil
	}
}

// MakeListHQPublishedEndpoint returns the endpoint of list_hq_published.
func MakeListHQPublishedEndpoint(svc service.HQService) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, next, err := svc.ListHQPublished(ctx, request.(kitx.ListRequest[struct{}]).Page)
		return kitx.List(items, next, err), nil
	}
}
