// Package transport holds the membership service's own HTTP decoders, those
// its route table (routes.go) names beyond kitx's shared ones; the routes
// are mounted by node.Base.Serve with go-kit, on Go 1.22+ http.ServeMux
// patterns under /api/v1/districts/{district}.
package transport

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// DecodeLeave accepts an empty body: the guard leaves today.
func DecodeLeave(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.LeaveInput](r)
	if err != nil && !errors.Is(err, kitx.ErrBodyEmpty) {
		return nil, err
	}
	return kitx.ActionRequest[service.LeaveInput]{ID: r.PathValue("id"), Input: in}, nil
}

// DecodeHireGuard decodes the request of its route (see the route table).
func DecodeHireGuard(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.HireGuardInput](r)
	in.CompanyID = r.PathValue("id")
	in.IdempotencyKey = r.Header.Get(kitx.IdempotencyKeyHeader)
	return in, err
}

// ImportContentTypes are the media types an import body may be sent as:
// CSV, an .xlsx workbook, or either as application/octet-stream (what a
// browser or curl sends for a file it cannot name), told apart by content.
var ImportContentTypes = []string{"text/csv", sheet.XLSX.ContentType(), "application/octet-stream"}

// DecodeStartImport reads an import body of at most service.MaxImportBytes.
// The media type only gates the request: whether the bytes are a workbook
// or CSV text, and in which encoding, is read from the bytes themselves
// (pkg/sheet), so a CSV mislabelled by its sender still imports.
func DecodeStartImport(_ context.Context, r *http.Request) (any, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(ImportContentTypes, mt) {
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
	return service.StartImportInput{CompanyID: r.PathValue("id"), CSV: body, Idempotent: kitx.Idempotent{IdempotencyKey: r.Header.Get(kitx.IdempotencyKeyHeader)}}, nil
}

// DecodeListCompanies decodes the request of its route (see the route table).
func DecodeListCompanies(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.CompanyFilter]{Page: p, Filter: service.CompanyFilter{
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

// DecodeListGuards decodes the request of its route (see the route table).
func DecodeListGuards(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.GuardFilter]{Page: p, Filter: guardFilter(r)}, nil
}

// DecodeListCompanyGuards decodes the request of its route (see the route table).
func DecodeListCompanyGuards(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f := guardFilter(r)
	f.CompanyID = r.PathValue("id")
	return kitx.ListRequest[service.GuardFilter]{Page: p, Filter: f}, nil
}

// DecodeListExpiring decodes the request of its route (see the route
// table): within_days is 1–365, or absent for the city-wide window.
func DecodeListExpiring(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := service.ExpiringFilter{CompanyID: q.Get("company_id")}
	if v, ok := q["within_days"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || len(v) > 1 {
			return nil, service.ErrExpiringWithinInvalid
		}
		f.WithinDays = n
	}
	return kitx.ListRequest[service.ExpiringFilter]{Page: p, Filter: f}, nil
}

// DecodeSearchGuards decodes the request of its route (see the route
// table): the page from the query, the search from the JSON body (an
// empty body searches for everything the caller may see).
func DecodeSearchGuards(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	in, err := kitx.DecodeBody[service.SearchGuardsInput](r)
	if err != nil && !errors.Is(err, kitx.ErrBodyEmpty) {
		return nil, err
	}
	return service.SearchRequest{Page: p, Input: in}, nil
}

// DecodeListCouncil decodes the request of its route (see the route table).
func DecodeListCouncil(_ context.Context, r *http.Request) (any, error) {
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
	return kitx.ListRequest[service.CouncilFilter]{Page: p, Filter: f}, nil
}

// DecodeExportGuards reads the guard list's filters and ?format.
func DecodeExportGuards(_ context.Context, r *http.Request) (any, error) {
	f, err := kitx.DownloadFormat(r)
	if err != nil {
		return nil, err
	}
	return service.ExportGuardsInput{Filter: guardFilter(r), Format: f}, nil
}

// DecodeExportCompanies reads the company list's filters and ?format.
func DecodeExportCompanies(_ context.Context, r *http.Request) (any, error) {
	f, err := kitx.DownloadFormat(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return service.ExportCompaniesInput{Format: f, Filter: service.CompanyFilter{
		Status: q.Get("status"), Kind: q.Get("kind"), Level: q.Get("level"), Query: q.Get("q"),
	}}, nil
}

// DecodeFormat reads a download's ?format (the import template's).
func DecodeFormat(_ context.Context, r *http.Request) (any, error) {
	return kitx.DownloadFormat(r)
}
