package service

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Middleware decorates a Service (go-kit's addsvc pattern).
type Middleware func(Service) Service

// LoggingMiddleware logs every call with its duration and error. It logs ids
// and outcomes only — never request bodies, which hold national ID numbers.
func LoggingMiddleware(logger *slog.Logger) Middleware {
	return func(next Service) Service { return loggingMiddleware{logger: logger, next: next} }
}

type loggingMiddleware struct {
	logger *slog.Logger
	next   Service
}

func (mw loggingMiddleware) log(ctx context.Context, method string, begin time.Time, err error, attrs ...any) {
	level := slog.LevelDebug
	if err != nil {
		level = slog.LevelInfo
	}
	attrs = append(attrs, "method", method, "took", time.Since(begin))
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	mw.logger.Log(ctx, level, "membership call", attrs...)
}

// RegisterCompany implements Service.
func (mw loggingMiddleware) RegisterCompany(ctx context.Context, in RegisterCompanyInput) (r0 Company, err error) {
	defer func(begin time.Time) { mw.log(ctx, "RegisterCompany", begin, err) }(time.Now())
	return mw.next.RegisterCompany(ctx, in)
}

// GetCompany implements Service.
func (mw loggingMiddleware) GetCompany(ctx context.Context, id string) (r0 Company, err error) {
	defer func(begin time.Time) { mw.log(ctx, "GetCompany", begin, err, "id", id) }(time.Now())
	return mw.next.GetCompany(ctx, id)
}

// ListCompanies implements Service.
func (mw loggingMiddleware) ListCompanies(ctx context.Context, f CompanyFilter, page kitx.Page) (r0 []Company, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListCompanies", begin, err) }(time.Now())
	return mw.next.ListCompanies(ctx, f, page)
}

// UpdateCompany implements Service.
func (mw loggingMiddleware) UpdateCompany(ctx context.Context, id string, pre kitx.Precondition, in UpdateCompanyInput) (r0 Company, err error) {
	defer func(begin time.Time) { mw.log(ctx, "UpdateCompany", begin, err, "id", id) }(time.Now())
	return mw.next.UpdateCompany(ctx, id, pre, in)
}

// ChangeCompanyStatus implements Service.
func (mw loggingMiddleware) ChangeCompanyStatus(ctx context.Context, id string, in ChangeStatusInput) (r0 Company, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ChangeCompanyStatus", begin, err, "id", id) }(time.Now())
	return mw.next.ChangeCompanyStatus(ctx, id, in)
}

// HireGuard implements Service.
func (mw loggingMiddleware) HireGuard(ctx context.Context, in HireGuardInput) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "HireGuard", begin, err) }(time.Now())
	return mw.next.HireGuard(ctx, in)
}

// GetGuard implements Service.
func (mw loggingMiddleware) GetGuard(ctx context.Context, id string) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "GetGuard", begin, err, "id", id) }(time.Now())
	return mw.next.GetGuard(ctx, id)
}

// ListGuards implements Service.
func (mw loggingMiddleware) ListGuards(ctx context.Context, f GuardFilter, page kitx.Page) (r0 []Guard, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListGuards", begin, err) }(time.Now())
	return mw.next.ListGuards(ctx, f, page)
}

// SearchGuards implements Service. The input is not logged: it may hold a
// national ID number.
func (mw loggingMiddleware) SearchGuards(ctx context.Context, in SearchGuardsInput, page kitx.Page) (r0 []Guard, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "SearchGuards", begin, err) }(time.Now())
	return mw.next.SearchGuards(ctx, in, page)
}

// ListExpiringCertificates implements Service.
func (mw loggingMiddleware) ListExpiringCertificates(ctx context.Context, f ExpiringFilter, page kitx.Page) (r0 []Guard, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListExpiringCertificates", begin, err) }(time.Now())
	return mw.next.ListExpiringCertificates(ctx, f, page)
}

// UpdateGuard implements Service.
func (mw loggingMiddleware) UpdateGuard(ctx context.Context, id string, pre kitx.Precondition, in UpdateGuardInput) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "UpdateGuard", begin, err, "id", id) }(time.Now())
	return mw.next.UpdateGuard(ctx, id, pre, in)
}

// GuardLeaves implements Service.
func (mw loggingMiddleware) GuardLeaves(ctx context.Context, id string, in LeaveInput) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "GuardLeaves", begin, err, "id", id) }(time.Now())
	return mw.next.GuardLeaves(ctx, id, in)
}

// RecordTraining implements Service.
func (mw loggingMiddleware) RecordTraining(ctx context.Context, guardID string, in TrainingInput) (r0 Training, err error) {
	defer func(begin time.Time) { mw.log(ctx, "RecordTraining", begin, err, "id", guardID) }(time.Now())
	return mw.next.RecordTraining(ctx, guardID, in)
}

// ListTrainings implements Service.
func (mw loggingMiddleware) ListTrainings(ctx context.Context, guardID string) (r0 []Training, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListTrainings", begin, err, "id", guardID) }(time.Now())
	return mw.next.ListTrainings(ctx, guardID)
}

// RecordBackgroundCheck implements Service.
func (mw loggingMiddleware) RecordBackgroundCheck(ctx context.Context, guardID string, in BackgroundCheckInput) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "RecordBackgroundCheck", begin, err, "id", guardID) }(time.Now())
	return mw.next.RecordBackgroundCheck(ctx, guardID, in)
}

// IssueCertificate implements Service.
func (mw loggingMiddleware) IssueCertificate(ctx context.Context, guardID string, in CertificateInput) (r0 Guard, err error) {
	defer func(begin time.Time) { mw.log(ctx, "IssueCertificate", begin, err, "id", guardID) }(time.Now())
	return mw.next.IssueCertificate(ctx, guardID, in)
}

// AppointCouncilMember implements Service.
func (mw loggingMiddleware) AppointCouncilMember(ctx context.Context, in AppointCouncilMemberInput) (r0 CouncilMember, err error) {
	defer func(begin time.Time) { mw.log(ctx, "AppointCouncilMember", begin, err) }(time.Now())
	return mw.next.AppointCouncilMember(ctx, in)
}

// ListCouncilMembers implements Service.
func (mw loggingMiddleware) ListCouncilMembers(ctx context.Context, f CouncilFilter, page kitx.Page) (r0 []CouncilMember, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListCouncilMembers", begin, err) }(time.Now())
	return mw.next.ListCouncilMembers(ctx, f, page)
}

// UpdateCouncilMember implements Service.
func (mw loggingMiddleware) UpdateCouncilMember(ctx context.Context, id string, pre kitx.Precondition, in UpdateCouncilMemberInput) (r0 CouncilMember, err error) {
	defer func(begin time.Time) { mw.log(ctx, "UpdateCouncilMember", begin, err, "id", id) }(time.Now())
	return mw.next.UpdateCouncilMember(ctx, id, pre, in)
}

// StartGuardImport implements Service.
func (mw loggingMiddleware) StartGuardImport(ctx context.Context, in StartImportInput) (r0 ImportJob, err error) {
	defer func(begin time.Time) { mw.log(ctx, "StartGuardImport", begin, err) }(time.Now())
	return mw.next.StartGuardImport(ctx, in)
}

// GetImport implements Service.
func (mw loggingMiddleware) GetImport(ctx context.Context, id string) (r0 ImportJob, err error) {
	defer func(begin time.Time) { mw.log(ctx, "GetImport", begin, err, "id", id) }(time.Now())
	return mw.next.GetImport(ctx, id)
}

// ListAudit implements Service.
func (mw loggingMiddleware) ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) (r0 []audit.Entry, r1 string, err error) {
	defer func(begin time.Time) { mw.log(ctx, "ListAudit", begin, err) }(time.Now())
	return mw.next.ListAudit(ctx, f, page)
}

// ExportGuards implements Service.
func (mw loggingMiddleware) ExportGuards(ctx context.Context, in ExportGuardsInput, w io.Writer) (err error) {
	defer func(begin time.Time) { mw.log(ctx, "ExportGuards", begin, err) }(time.Now())
	return mw.next.ExportGuards(ctx, in, w)
}

// ExportCompanies implements Service.
func (mw loggingMiddleware) ExportCompanies(ctx context.Context, in ExportCompaniesInput, w io.Writer) (err error) {
	defer func(begin time.Time) { mw.log(ctx, "ExportCompanies", begin, err) }(time.Now())
	return mw.next.ExportCompanies(ctx, in, w)
}
