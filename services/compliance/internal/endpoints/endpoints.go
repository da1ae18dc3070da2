// Package endpoints turns the compliance read API into go-kit endpoints:
// one maker per route of the route table (routes.go), each returning a
// response that carries business errors in Failed().
package endpoints

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// MakeScoreboardEndpoint returns the endpoint of get_scoreboard.
func MakeScoreboardEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		v, err := svc.Scoreboard(ctx)
		return kitx.One(v, "", err), nil
	}
}

// MakeListCompaniesEndpoint returns the endpoint of list_company_scores.
func MakeListCompaniesEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListCompanies(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeCompanyEndpoint returns the endpoint of get_company_score.
func MakeCompanyEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.Company(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// MakeListGapsEndpoint returns the endpoint of list_gaps.
func MakeListGapsEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.GapFilter])
		items, next, err := svc.Gaps(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeTrendEndpoint returns the endpoint of get_trend.
func MakeTrendEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.Trend(ctx, request.(service.TrendRequest))
		return kitx.Items(items, err), nil
	}
}

// MakePolicyEndpoint returns the endpoint of get_policy.
func MakePolicyEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		v, err := svc.GetPolicy(ctx)
		return kitx.One(v, "", err), nil
	}
}
