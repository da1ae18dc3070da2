// Package endpoints turns the membership Service into go-kit endpoints:
// one maker per route of the service's route table (routes.go at the
// module root), each taking a typed request and returning a response
// that carries business errors in Failed() (go-kit's addsvc pattern), so
// they do not trip circuit breakers and the transport maps them once.
package endpoints

import (
	"context"
	"io"
	"net/http"
	"path"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// MakeRegisterCompanyEndpoint returns the endpoint of POST /companies.
func MakeRegisterCompanyEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.RegisterCompany(ctx, request.(service.RegisterCompanyInput))
		return kitx.Created(c, base+"/companies/"+c.ID, c.ETag, http.StatusCreated, err), nil
	}
}

// MakeGetCompanyEndpoint returns the endpoint of GET /companies/{id}.
func MakeGetCompanyEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.GetCompany(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(c, c.ETag, err), nil
	}
}

// MakeListCompaniesEndpoint returns the endpoint of GET /companies.
func MakeListCompaniesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ListRequest[service.CompanyFilter])
		items, next, err := svc.ListCompanies(ctx, req.Filter, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeUpdateCompanyEndpoint returns the endpoint of PATCH /companies/{id}.
func MakeUpdateCompanyEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.UpdateRequest[service.UpdateCompanyInput])
		c, err := svc.UpdateCompany(ctx, req.ID, req.IfMatch, req.Input)
		return kitx.One(c, c.ETag, err), nil
	}
}

// MakeChangeCompanyStatusEndpoint returns the endpoint of POST /companies/{id}/status.
func MakeChangeCompanyStatusEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ActionRequest[service.ChangeStatusInput])
		c, err := svc.ChangeCompanyStatus(ctx, req.ID, req.Input)
		return kitx.One(c, c.ETag, err), nil
	}
}

// MakeHireGuardEndpoint returns the endpoint of POST /companies/{id}/guards.
func MakeHireGuardEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		g, err := svc.HireGuard(ctx, request.(service.HireGuardInput))
		return kitx.Created(g, base+"/guards/"+g.ID, g.ETag, http.StatusCreated, err), nil
	}
}

// MakeGetGuardEndpoint returns the endpoint of GET /guards/{id}.
func MakeGetGuardEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		g, err := svc.GetGuard(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(g, g.ETag, err), nil
	}
}

// MakeListGuardsEndpoint returns the endpoint of GET /guards and GET /companies/{id}/guards.
func MakeListGuardsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ListRequest[service.GuardFilter])
		items, next, err := svc.ListGuards(ctx, req.Filter, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeListExpiringCertificatesEndpoint returns the endpoint of GET /certificates/expiring.
func MakeListExpiringCertificatesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ListRequest[service.ExpiringFilter])
		items, next, err := svc.ListExpiringCertificates(ctx, req.Filter, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeSearchGuardsEndpoint returns the endpoint of POST /guards/search.
func MakeSearchGuardsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(service.SearchRequest)
		items, next, err := svc.SearchGuards(ctx, req.Input, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeUpdateGuardEndpoint returns the endpoint of PATCH /guards/{id}.
func MakeUpdateGuardEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.UpdateRequest[service.UpdateGuardInput])
		g, err := svc.UpdateGuard(ctx, req.ID, req.IfMatch, req.Input)
		return kitx.One(g, g.ETag, err), nil
	}
}

// MakeGuardLeavesEndpoint returns the endpoint of POST /guards/{id}/leave.
func MakeGuardLeavesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ActionRequest[service.LeaveInput])
		g, err := svc.GuardLeaves(ctx, req.ID, req.Input)
		return kitx.One(g, g.ETag, err), nil
	}
}

// MakeRecordTrainingEndpoint returns the endpoint of POST /guards/{id}/trainings.
func MakeRecordTrainingEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ActionRequest[service.TrainingInput])
		t, err := svc.RecordTraining(ctx, req.ID, req.Input)
		return kitx.Created(t, base+"/guards/"+req.ID+"/trainings", "", http.StatusCreated, err), nil
	}
}

// MakeListTrainingsEndpoint returns the endpoint of GET /guards/{id}/trainings.
func MakeListTrainingsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.ListTrainings(ctx, request.(kitx.IDRequest).ID)
		return kitx.List(items, "", err), nil
	}
}

// MakeRecordBackgroundCheckEndpoint returns the endpoint of POST /guards/{id}/background-checks.
func MakeRecordBackgroundCheckEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ActionRequest[service.BackgroundCheckInput])
		g, err := svc.RecordBackgroundCheck(ctx, req.ID, req.Input)
		return kitx.One(g, g.ETag, err), nil
	}
}

// MakeIssueCertificateEndpoint returns the endpoint of POST /guards/{id}/certificate.
func MakeIssueCertificateEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ActionRequest[service.CertificateInput])
		g, err := svc.IssueCertificate(ctx, req.ID, req.Input)
		return kitx.One(g, g.ETag, err), nil
	}
}

// MakeAppointCouncilMemberEndpoint returns the endpoint of POST /council-members.
func MakeAppointCouncilMemberEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		m, err := svc.AppointCouncilMember(ctx, request.(service.AppointCouncilMemberInput))
		return kitx.Created(m, base+"/council-members/"+m.ID, m.ETag, http.StatusCreated, err), nil
	}
}

// MakeListCouncilMembersEndpoint returns the endpoint of GET /council-members.
func MakeListCouncilMembersEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ListRequest[service.CouncilFilter])
		items, next, err := svc.ListCouncilMembers(ctx, req.Filter, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeUpdateCouncilMemberEndpoint returns the endpoint of PATCH /council-members/{id}.
func MakeUpdateCouncilMemberEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.UpdateRequest[service.UpdateCouncilMemberInput])
		m, err := svc.UpdateCouncilMember(ctx, req.ID, req.IfMatch, req.Input)
		return kitx.One(m, m.ETag, err), nil
	}
}

// MakeStartGuardImportEndpoint returns the endpoint of POST /companies/{id}/guards/imports.
func MakeStartGuardImportEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		j, err := svc.StartGuardImport(ctx, request.(service.StartImportInput))
		return kitx.Created(j, base+"/imports/"+j.ID, "", http.StatusAccepted, err), nil
	}
}

// MakeGetImportEndpoint returns the endpoint of GET /imports/{id}.
func MakeGetImportEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		j, err := svc.GetImport(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(j, "", err), nil
	}
}

// MakeListAuditEndpoint returns the endpoint of GET /audit.
func MakeListAuditEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.ListRequest[audit.Filter])
		items, next, err := svc.ListAudit(ctx, req.Filter, req.Page)
		return kitx.List(items, next, err), nil
	}
}

// download answers a file of the district (base is its
// /api/v1/districts/<district> path) named after what it holds and today.
func download(what, base string, f sheet.Format, write func(w io.Writer) error) kitx.Download {
	return kitx.Download{Filename: service.ExportFilename(what, path.Base(base), f, time.Now()), ContentType: f.ContentType(), Write: write}
}

// MakeExportGuardsEndpoint returns the endpoint of GET /guards/export.
func MakeExportGuardsEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		in := request.(service.ExportGuardsInput)
		return download("保安员", base, in.Format, func(w io.Writer) error { return svc.ExportGuards(ctx, in, w) }), nil
	}
}

// MakeExportCompaniesEndpoint returns the endpoint of GET /companies/export.
func MakeExportCompaniesEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		in := request.(service.ExportCompaniesInput)
		return download("会员单位", base, in.Format, func(w io.Writer) error { return svc.ExportCompanies(ctx, in, w) }), nil
	}
}

// MakeImportTemplateEndpoint returns the endpoint of GET /guards/imports/template.
func MakeImportTemplateEndpoint() endpoint.Endpoint {
	return func(_ context.Context, request any) (any, error) {
		f := request.(sheet.Format)
		return kitx.Download{Filename: "保安员导入模板." + string(f), ContentType: f.ContentType(),
			Write: func(w io.Writer) error { return service.WriteImportTemplate(w, f) }}, nil
	}
}
