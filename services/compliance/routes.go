package compliance

import (
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/endpoints"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
	t "github.com/guildhall/guildhall/services/compliance/internal/transport"
)

// routeTable is THE table of the compliance service: every route once,
// with its request and response types, its policy row and where its
// authorization target comes from, its decoder and its endpoint. svc and
// az may be nil: the document generator and the tests read the table
// without a service.
//
// The policy: a role not named is denied; guard and ops have no row (the
// scoreboard names guards who fall short: the companies' and the
// supervisors' business). hq-admin is city-wide; district-admin and police
// read their districts; a company-admin reads its own company's score,
// gaps and trend.
func routeTable(svc *service.Compliance, az *authorizer, _ string) []kitx.Route {
	at := kitx.Targets[targetKind](az.target).At
	district := at(targetDistrict)
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	criteria := service.Criteria()
	return []kitx.Route{
		{Name: "get_scoreboard", Method: "GET", Path: p("/compliance/scoreboard"), Tag: "scoreboard",
			Summary: "The district's four-100% scoreboard",
			Description: "Of the district's active guards, how many meet each criterion (background check passed, trained this year as the " +
				"policy requires, certified on duty today in China time, badge service), the four rates (null when no guard is active: not " +
				"reported), and the criteria at 100%. Kept from membership's events; the day and the policy it was computed for are given.",
			Response: service.DistrictScoreboard{}, Errors: errsOf(),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeScoreboardEndpoint(svc)},
		{Name: "list_company_scores", Method: "GET", Path: p("/compliance/companies"), Tag: "scoreboard",
			Summary: "Every company's four rates, by company id", Response: kitx.ListResponse[service.CompanyView]{}, Paged: true,
			Errors: errsOf(), Rule: supervisors(), Target: district, Decode: t.DecodeListCompanies, Endpoint: endpoints.MakeListCompaniesEndpoint(svc)},
		{Name: "get_company_score", Method: "GET", Path: p("/compliance/companies/{id}"), Tag: "scoreboard",
			Summary: "One company's four rates", Response: service.CompanyView{}, Errors: errsOf(service.ErrCompanyNotFound),
			Rule: companyReaders(), Target: at(targetCompanyPath), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeCompanyEndpoint(svc)},
		{Name: "list_gaps", Method: "GET", Path: p("/compliance/gaps"), Tag: "scoreboard",
			Summary: "The exact guards who make a gap on one criterion, by guard id",
			Description: "Every active guard (of company_id, or of the district) who does not meet criterion, scored exactly as the counts " +
				"are, with the reason. A company-admin must set company_id to its own company.",
			Params: []kitx.Param{
				{Name: "criterion", In: "query", Type: "string", Enum: criteria, Required: true, Description: "the criterion"},
				kitx.Query("company_id", "only this company's guards"),
			},
			Response: kitx.ListResponse[service.Gap]{}, Paged: true,
			Errors: errsOf(service.ErrCriterionRequired, service.ErrCriterionInvalid, service.ErrCompanyIDInvalid),
			Rule:   companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListGaps, Endpoint: endpoints.MakeListGapsEndpoint(svc)},
		{Name: "get_trend", Method: "GET", Path: p("/compliance/trend"), Tag: "scoreboard",
			Summary: "The daily closing counts of the last days, oldest first",
			Description: "The snapshots of company_id (or of the district) taken at each midnight China time, kept 400 days. A day the " +
				"service did not run has no point (not reported, never 0). A company-admin must set company_id to its own company.",
			Params: []kitx.Param{
				kitx.Query("company_id", "this company's trend (absent: the district's)"),
				{Name: "days", In: "query", Type: "integer", Min: 1, Description: "how many days back (1–400, default 30)"},
			},
			Response: kitx.ItemsResponse[service.TrendPoint]{}, Errors: errsOf(service.ErrTrendDaysInvalid, service.ErrCompanyIDInvalid),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeTrend, Endpoint: endpoints.MakeTrendEndpoint(svc)},
		{Name: "get_policy", Method: "GET", Path: p("/compliance/policy"), Tag: "policy",
			Summary:  "The city's compliance policy in force, and the one the counts were computed with",
			Response: service.PolicyView{}, Errors: errsOf(),
			Rule: readers(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakePolicyEndpoint(svc)},
	}
}

// API describes the compliance service for its OpenAPI document
// (pkg/apidoc): the route table, read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall compliance API", Version: "v1",
		Description: "Compliance (合规) of one district: the four-100% scoreboard (四个100%) of every company and of the district, kept from " +
			"membership's events, with the exact guards behind every gap and the daily trend. Every route is under " +
			"/api/v1/districts/{district}; another district's path is 404 district.not_found.",
		Tags: []kitx.Tag{
			{Name: "scoreboard", Description: "The four 100%: counts, rates, gaps and trend"},
			{Name: "policy", Description: "The city-wide compliance policy (etcd /guildhall/policy/compliance)"},
		},
		Routes: routeTable(nil, nil, ""),
	}
}
