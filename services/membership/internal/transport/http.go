// Package transport serves the membership endpoints over HTTP/JSON with
// go-kit, on Go 1.22+ http.ServeMux patterns under
// /api/v1/districts/{district}.
package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/membership/internal/endpoints"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// Prefix is the path prefix of every membership route; {district} is the
// district id.
const Prefix = "/api/v1/districts/{district}"

// BasePath returns the path prefix of district's resources.
func BasePath(district string) string { return "/api/v1/districts/" + district }

// Route is one HTTP route of the service.
type Route struct {
	Method string
	// Path is relative to Prefix, with {id} wildcards, e.g. "/companies/{id}".
	Path string
	// Name is the endpoint's name (as given to the endpoint middleware).
	Name     string
	endpoint endpoint.Endpoint
	decode   kithttp.DecodeRequestFunc
}

// Routes lists every route of the service; the OpenAPI test checks each one
// is documented.
func Routes(set endpoints.Set) []Route {
	return []Route{
		{"POST", "/companies", "register_company", set.RegisterCompany, decodeRegisterCompany},
		{"GET", "/companies", "list_companies", set.ListCompanies, decodeListCompanies},
		{"GET", "/companies/{id}", "get_company", set.GetCompany, decodeID},
		{"PATCH", "/companies/{id}", "update_company", set.UpdateCompany, decodeUpdate[service.UpdateCompanyInput]},
		{"POST", "/companies/{id}/status", "change_company_status", set.ChangeCompanyStatus, decodeAction[service.ChangeStatusInput]},
		{"POST", "/companies/{id}/guards", "hire_guard", set.HireGuard, decodeHireGuard},
		{"GET", "/companies/{id}/guards", "list_company_guards", set.ListCompanyGuards, decodeListCompanyGuards},
		{"POST", "/companies/{id}/guards/imports", "start_guard_import", set.StartGuardImport, decodeStartImport},
		{"GET", "/imports/{id}", "get_import", set.GetImport, decodeID},
		{"GET", "/guards", "list_guards", set.ListGuards, decodeListGuards},
		{"GET", "/guards/{id}", "get_guard", set.GetGuard, decodeID},
		{"PATCH", "/guards/{id}", "update_guard", set.UpdateGuard, decodeUpdate[service.UpdateGuardInput]},
		{"POST", "/guards/{id}/leave", "guard_leaves", set.GuardLeaves, decodeLeave},
		{"POST", "/guards/{id}/trainings", "record_training", set.RecordTraining, decodeTraining},
		{"GET", "/guards/{id}/trainings", "list_trainings", set.ListTrainings, decodeID},
		{"POST", "/guards/{id}/background-checks", "record_background_check", set.RecordBackgroundCheck, decodeAction[service.BackgroundCheckInput]},
		{"POST", "/guards/{id}/certificate", "issue_certificate", set.IssueCertificate, decodeAction[service.CertificateInput]},
		{"POST", "/council-members", "appoint_council_member", set.AppointCouncilMember, decodeAppointCouncil},
		{"GET", "/council-members", "list_council_members", set.ListCouncilMembers, decodeListCouncil},
		{"PATCH", "/council-members/{id}", "update_council_member", set.UpdateCouncilMember, decodeUpdate[service.UpdateCouncilMemberInput]},
		{"GET", "/audit", "list_audit", set.ListAudit, decodeListAudit},
	}
}

// Options tunes the HTTP handler.
type Options struct {
	// TrustProxy takes the client address for the audit log from the
	// last X-Forwarded-For entry (kitx.ClientIP) instead of the connection's peer. Set it
	// only behind a proxy that sets that header: anyone else can forge it.
	TrustProxy bool
}

// NewHTTPHandler serves set for district. A request naming another
// district gets 404 district.not_found before any routing, so one node never
// answers for another's data. Every request's context carries its client
// address (audit.WithRemoteIP) for the audit log.
func NewHTTPHandler(district string, set endpoints.Set, logger *slog.Logger, o Options) http.Handler {
	opts := kitx.ServerOptions(
		kithttp.ServerErrorHandler(kitx.ErrorLogger{Logger: logger, Service: "membership"}),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return audit.WithRemoteIP(ctx, kitx.ClientIP(r, o.TrustProxy))
		}),
	)
	mux := http.NewServeMux()
	for _, rt := range Routes(set) {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, kithttp.NewServer(rt.endpoint, rt.decode, kitx.EncodeJSONResponse, opts...))
	}
	mux.Handle("/", kitx.NotFoundHandler())
	return kitx.DistrictOnly(district, service.ErrDistrictNotFound, mux)
}

// IdempotencyKeyHeader is the header a client sets to make a create safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return endpoints.IDRequest{ID: r.PathValue("id")}, nil
}

func decodeUpdate[T any](_ context.Context, r *http.Request) (any, error) {
	v, in, err := kitx.DecodeUpdate[T](r)
	if err != nil {
		return nil, err
	}
	return endpoints.UpdateRequest[T]{ID: r.PathValue("id"), IfMatch: v, Input: in}, nil
}

func decodeAction[T any](_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	return endpoints.ActionRequest[T]{ID: r.PathValue("id"), Input: in}, nil
}

// decodeLeave accepts an empty body: the guard leaves today.
func decodeLeave(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.LeaveInput](r)
	if err != nil && !errors.Is(err, kitx.ErrBodyEmpty) {
		return nil, err
	}
	return endpoints.ActionRequest[service.LeaveInput]{ID: r.PathValue("id"), Input: in}, nil
}

func decodeRegisterCompany(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.RegisterCompanyInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return in, err
}

func decodeHireGuard(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.HireGuardInput](r)
	in.CompanyID = r.PathValue("id")
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return in, err
}

func decodeTraining(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.TrainingInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return endpoints.ActionRequest[service.TrainingInput]{ID: r.PathValue("id"), Input: in}, err
}

func decodeAppointCouncil(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.AppointCouncilMemberInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return in, err
}

// decodeStartImport reads a text/csv body of at most service.MaxImportBytes.
func decodeStartImport(_ context.Context, r *http.Request) (any, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		return nil, service.ErrImportContentType
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, service.MaxImportBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, service.ErrImportTooLarge
		}
		return nil, err
	}
	return service.StartImportInput{CompanyID: r.PathValue("id"), CSV: body, IdempotencyKey: r.Header.Get(IdempotencyKeyHeader)}, nil
}

func decodeListCompanies(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return endpoints.ListCompaniesRequest{Page: p, Filter: service.CompanyFilter{
		Status: q.Get("status"), Kind: q.Get("kind"), Level: q.Get("level"), Query: q.Get("q"),
	}}, nil
}

func guardFilter(r *http.Request) service.GuardFilter {
	q := r.URL.Query()
	return service.GuardFilter{
		CompanyID: q.Get("company_id"), EmploymentStatus: q.Get("employment_status"),
		Certificate: q.Get("certificate"), BackgroundCheckStatus: q.Get("background_check_status"),
	}
}

func decodeListGuards(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ListGuardsRequest{Page: p, Filter: guardFilter(r)}, nil
}

func decodeListCompanyGuards(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f := guardFilter(r)
	f.CompanyID = r.PathValue("id")
	return endpoints.ListGuardsRequest{Page: p, Filter: f}, nil
}

func decodeListAudit(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f, err := audit.FilterFromQuery(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ListAuditRequest{Page: p, Filter: f}, nil
}

func decodeListCouncil(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := service.CouncilFilter{Position: q.Get("position")}
	if t := q.Get("term"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return nil, service.ErrCouncilTermInvalid
		}
		f.Term = n
	}
	return endpoints.ListCouncilRequest{Page: p, Filter: f}, nil
}
