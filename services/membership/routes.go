package membership

import (
	"net/http"
	"strings"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/membership/internal/endpoints"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	t "github.com/guildhall/guildhall/services/membership/internal/transport"
)

// routeTable is THE table of the membership service: every route once,
// with its request and response types (the OpenAPI document is generated
// from them), its row of the policy table and where its authorization
// target comes from, its decoder and its endpoint. svc and az may be nil:
// the document generator and the tests read the table without a service,
// and nothing in a row is called until a request arrives.
//
// The policy: a role not named is denied; in particular ops (metrics and
// health, no personal data) has no row here, and guard only reads its own
// record. hq-admin is city-wide everywhere; district-admin has full control
// of its districts' data. Police is the supervising authority: read-only,
// on every GET except the audit log (the issue gives that to admins; police
// oversight reads the data, not who of the association touched it).
func routeTable(svc service.Service, az *authorizer, base string) []kitx.Route {
	at := kitx.Targets[targetKind](az.target).At
	district, companyID, companyField, guardID, importID :=
		at(targetDistrict), at(targetCompanyID), at(targetCompanyField), at(targetGuardID), at(targetImportID)
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	guardFilters := []kitx.Param{
		kitx.Query("employment_status", "only guards in this employment status", service.EmploymentActive, service.EmploymentLeft),
		kitx.Query("certificate", "has: only certified guards; none: only uncertified ones", "has", "none"),
		kitx.Query("background_check_status", "only guards with this background check status",
			service.CheckNone, service.CheckPending, service.CheckPassed, service.CheckFailed),
	}
	companyFilters := []kitx.Param{
		kitx.Query("status", "only companies in this status", service.StatusApplied, service.StatusActive, service.StatusSuspended, service.StatusLapsed),
		kitx.Query("kind", "only companies of this kind", service.KindServiceCompany, service.KindInHouseUnit),
		kitx.Query("level", "only companies of this level", service.LevelPresident, service.LevelVicePresident, service.LevelCouncil, service.LevelMember),
		kitx.Query("q", "name substring"),
	}
	guardFilterErrs := []*errs.Error{service.ErrGuardEmploymentInvalid, service.ErrGuardCertificateFilter, service.ErrBackgroundCheckStatus}
	companyFields := []*errs.Error{service.ErrCompanyNameRequired, service.ErrCompanyNameTooLong, service.ErrCompanyLicenceRequired,
		service.ErrCompanyLicenceInvalid, service.ErrCompanyConventionReadOnly,
		service.ErrCompanyLevelInvalid, service.ErrCompanyPartyOrgSince, service.ErrCompanyFieldTooLong}
	hireFields := []*errs.Error{service.ErrCompanyNotFound, service.ErrCompanyNotAcceptingGuards, service.ErrGuardNameRequired,
		service.ErrGuardNameTooLong, service.ErrGuardIDNumberInvalid, service.ErrGuardAlreadyActive, service.ErrGuardCertificateDate,
		service.ErrGuardCertificateNumber, service.ErrGuardCertificateNumberLong, service.ErrGuardCertificateIssuedOn,
		service.ErrGuardHiredOnInvalid, service.ErrGuardHiredBeforeWorkingAge, service.ErrGuardCertificateTaken,
		service.ErrGuardCertificateValidUntil, service.ErrGuardCertificateAuthority}
	return []kitx.Route{
		// Companies. Admitting a member is the association's decision, not
		// the applicant's.
		{Name: "register_company", Method: "POST", Path: p("/companies"), Tag: "companies", Summary: "Register a company (status applied)",
			Description: "The unified social credit code (its check character) and, for a service_company, the security-service licence number " +
				"(鄂公保服务许字〔2012〕第022号: a province's abbreviation, 公保服字/公保服务字/公保服许字/公保服务许字, a year 2000–this year in 〔〕 [] () or 【】, " +
				"an optional 第, a serial of 1–6 digits, 号; full-width digits and spaces are accepted) are checked; the licence is stored in its " +
				"canonical spelling (〔〕, ASCII digits, no spaces). An in_house_unit's licence_number is its police filing number, free form. " +
				"convention_version is read-only: only the company's signature of the convention sets it.",
			Request: service.RegisterCompanyInput{}, Response: service.Company{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors:          create(append(companyFields, service.ErrCompanyKindInvalid, service.ErrCompanyCreditCodeInvalid, service.ErrCompanyCreditCodeTaken)...),
			Rule:            rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}), Target: district,
			Decode: kitx.DecodeCreate[service.RegisterCompanyInput], Endpoint: endpoints.MakeRegisterCompanyEndpoint(svc, base)},
		// The member directory carries other companies' contact persons and
		// phones: association-internal, so company-admin is denied (it reads
		// its own company with get_company); police supervises all companies.
		{Name: "list_companies", Method: "GET", Path: p("/companies"), Tag: "companies", Summary: "List companies",
			Response: kitx.ListResponse[service.Company]{}, Paged: true,
			Params: companyFilters,
			Errors: errsOf(service.ErrCompanyStatusInvalid, service.ErrCompanyKindInvalid, service.ErrCompanyLevelInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}), Target: district,
			Decode: t.DecodeListCompanies, Endpoint: endpoints.MakeListCompaniesEndpoint(svc)},
		// The directory as a file: the list's roles and filters.
		{Name: "export_companies", Method: "GET", Path: p("/companies/export"), Tag: "companies", Summary: "Export companies as .xlsx or CSV",
			Description: "Every company the filters select (those of list_companies), streamed as it is read. Times are China time " +
				"(\"2025-09-23 14:05:00 +08:00\"; the header says UTC+08:00); yes/no columns are 是/否.",
			Params: append([]kitx.Param{kitx.FormatParam}, companyFilters...), Response: "", ResponseContentType: downloadTypes,
			ResponseHeaders: []string{"Content-Disposition"},
			Errors:          errsOf(kitx.ErrFormatInvalid, service.ErrCompanyStatusInvalid, service.ErrCompanyKindInvalid, service.ErrCompanyLevelInvalid),
			Rule:            rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}), Target: district,
			Decode: t.DecodeExportCompanies, Endpoint: endpoints.MakeExportCompaniesEndpoint(svc, base)},
		// A company-admin reads its own company only.
		{Name: "get_company", Method: "GET", Path: p("/companies/{id}"), Tag: "companies", Summary: "Get a company",
			Response: service.Company{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrCompanyNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyID,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetCompanyEndpoint(svc)},
		// A company-admin keeps its own contact, Party and union fields
		// current; name, licence, level and convention are the association's
		// records (companyAdminFields).
		{Name: "update_company", Method: "PATCH", Path: p("/companies/{id}"), Tag: "companies", Summary: "Update a company",
			Description: "A company-admin may change only its own contact, Party and union fields (contact_name, contact_phone, address, " +
				"party_org, party_org_since, trade_union, workers_home); name, licence_number and level are 403 company.field_forbidden. " +
				"convention_version is read-only for everyone (400 company.convention_version_read_only): only a signature of the convention sets it.",
			Request: service.UpdateCompanyInput{}, Response: service.Company{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(append(companyFields, service.ErrCompanyNotFound, ErrCompanyFieldForbidden)...),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: companyID, Middleware: companyAdminFields,
			Decode: kitx.DecodeUpdateRequest[service.UpdateCompanyInput], Endpoint: endpoints.MakeUpdateCompanyEndpoint(svc)},
		// Status (admission, suspension, lapse) is the association's
		// decision, never the company's own.
		{Name: "change_company_status", Method: "POST", Path: p("/companies/{id}/status"), Tag: "companies",
			Summary: "Move a company through applied → active → suspended → lapsed",
			Request: service.ChangeStatusInput{}, Response: service.Company{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrCompanyNotFound, service.ErrCompanyStatusInvalid, service.ErrCompanyStatusIllegal),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}), Target: companyID,
			Decode: kitx.DecodeActionRequest[service.ChangeStatusInput], Endpoint: endpoints.MakeChangeCompanyStatusEndpoint(svc)},

		// Guards of a company. A company hires into its own company only.
		{Name: "hire_guard", Method: "POST", Path: p("/companies/{id}/guards"), Tag: "guards", Summary: "Hire a guard into a company",
			Description: "The national ID number's check digit is verified; a person active at another company of the district is 409 guard.already_active, " +
				"a certificate number an active guard of the district holds 409 guard.certificate_number_taken. Only an active company hires " +
				"(an applied, suspended or lapsed one is 409 company.not_accepting_guards).",
			Request: service.HireGuardInput{}, Response: service.Guard{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"}, Errors: create(hireFields...),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeHireGuard, Endpoint: endpoints.MakeHireGuardEndpoint(svc, base)},
		// A company sees its own guards; police reads any company's roster.
		{Name: "list_company_guards", Method: "GET", Path: p("/companies/{id}/guards"), Tag: "guards", Summary: "List a company's guards",
			Response: kitx.ListResponse[service.Guard]{}, Paged: true, Params: guardFilters, Errors: errsOf(guardFilterErrs...),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeListCompanyGuards, Endpoint: endpoints.MakeListGuardsEndpoint(svc)},
		// An import is many hires: same scope as hire_guard.
		{Name: "start_guard_import", Method: "POST", Path: p("/companies/{id}/guards/imports"), Tag: "guards",
			Summary: "Import guards from an .xlsx workbook or a CSV file",
			Description: "The body is the file, at most 10 MiB and 50,000 rows: an .xlsx workbook (its first sheet) or CSV in UTF-8, UTF-8 with a BOM, " +
				"UTF-16 or GB18030/GBK (what Excel on a Chinese Windows saves), sent as text/csv, the xlsx media type or application/octet-stream; " +
				"the format and encoding are read from the bytes. The header row names the columns by field name (" + importColumnNames() + ") " +
				"or by the template's Chinese titles (GET …/guards/imports/template); name and id_number are required. Dates may be written " +
				"2024-01-02, 2024/1/2, 2024年1月2日, 20240102 or be Excel date cells; yes/no cells 是/否, 1/0 or true/false. " +
				"The import runs in the background; GET the Location for its progress (processed_rows of total_rows) and per-row error report, " +
				"where a row repeating an earlier row's id_number or certificate_number is import.row_duplicate \"duplicate of line N in this file\".",
			Request: "", RequestContentType: strings.Join(t.ImportContentTypes, ", "), Response: service.ImportJob{}, Status: http.StatusAccepted, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrCompanyNotFound, service.ErrCompanyNotAcceptingGuards, service.ErrImportContentType, service.ErrImportTooLarge,
				service.ErrImportTooManyRows, service.ErrImportHeader, service.ErrImportEmpty, service.ErrImportMalformed, service.ErrImportNotUTF8,
				service.ErrImportLegacyFormat),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeStartImport, Endpoint: endpoints.MakeStartGuardImportEndpoint(svc, base)},
		// The template holds no data: whoever may import may fetch it.
		{Name: "guard_import_template", Method: "GET", Path: p("/guards/imports/template"), Tag: "guards",
			Summary: "The guard import template (.xlsx with a notes sheet, or CSV)",
			Description: "xlsx: a header of the columns' Chinese titles, every cell formatted as text (an 18-digit ID number stays digits), and a " +
				"填写说明 sheet describing each column; CSV: the header line with a UTF-8 byte order mark. Its header is accepted by start_guard_import.",
			Params: []kitx.Param{kitx.FormatParam}, Response: "", ResponseContentType: downloadTypes, ResponseHeaders: []string{"Content-Disposition"},
			Errors: errsOf(kitx.ErrFormatInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: districtS}), Target: district,
			Decode: t.DecodeFormat, Endpoint: endpoints.MakeImportTemplateEndpoint()},
		// An import job's report belongs to the company it imported into.
		{Name: "get_import", Method: "GET", Path: p("/imports/{id}"), Tag: "guards", Summary: "An import job's progress and per-row error report",
			Response: service.ImportJob{}, Errors: errsOf(service.ErrImportNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: importID,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetImportEndpoint(svc)},

		// Guards. District-wide list: a company-admin must name its own
		// company_id (else 403, never a silently filtered list).
		{Name: "list_guards", Method: "GET", Path: p("/guards"), Tag: "guards", Summary: "List the district's guards",
			Description: "A company-admin must set company_id to its own company (403 otherwise).",
			Response:    kitx.ListResponse[service.Guard]{}, Paged: true,
			Params: append([]kitx.Param{kitx.Query("company_id", "only this company's guards")}, guardFilters...), Errors: errsOf(guardFilterErrs...),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeListGuards, Endpoint: endpoints.MakeListGuardsEndpoint(svc)},
		// The roster as a file: list_guards' roles, filters and ID rule.
		{Name: "export_guards", Method: "GET", Path: p("/guards/export"), Tag: "guards", Summary: "Export guards as .xlsx or CSV",
			Description: "Every guard the filters select (those of list_guards; a company-admin must set company_id to its own company), " +
				"streamed as it is read. 身份证号 is in full for hq-admin, police and the guard's own company-admin, masked (420************123) " +
				"for everyone else, as in get_guard. Times are China time (\"2025-09-23 14:05:00 +08:00\"; the header says UTC+08:00).",
			Params:   append([]kitx.Param{kitx.FormatParam, kitx.Query("company_id", "only this company's guards")}, guardFilters...),
			Response: "", ResponseContentType: downloadTypes, ResponseHeaders: []string{"Content-Disposition"},
			Errors: errsOf(append([]*errs.Error{kitx.ErrFormatInvalid, service.ErrCompanyNotFound}, guardFilterErrs...)...),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeExportGuards, Endpoint: endpoints.MakeExportGuardsEndpoint(svc, base)},
		// A guard reads their own record; a company-admin its own guards.
		{Name: "get_guard", Method: "GET", Path: p("/guards/{id}"), Tag: "guards", Summary: "Get a guard",
			Description: "id_number is in full for hq-admin, police and the guard's own company-admin, masked (420************123) for everyone else.",
			Response:    service.Guard{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrGuardNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS, guard: selfS}), Target: guardID,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetGuardEndpoint(svc)},
		// The employer keeps its guards' records; a guard cannot edit their own.
		{Name: "update_guard", Method: "PATCH", Path: p("/guards/{id}"), Tag: "guards", Summary: "Update a guard",
			Request: service.UpdateGuardInput{}, Response: service.Guard{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrGuardNotFound, service.ErrGuardNameRequired, service.ErrGuardNameTooLong, service.ErrGuardFlagInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: guardID,
			Decode: kitx.DecodeUpdateRequest[service.UpdateGuardInput], Endpoint: endpoints.MakeUpdateGuardEndpoint(svc)},
		// The employer records a guard's leaving.
		{Name: "guard_leaves", Method: "POST", Path: p("/guards/{id}/leave"), Tag: "guards", Summary: "End a guard's employment",
			Description: "An empty body: the guard leaves today.",
			Request:     service.LeaveInput{}, OptionalBody: true, Response: service.Guard{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrGuardNotFound, service.ErrGuardNotActive, service.ErrGuardLeftOnInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: guardID,
			Decode: t.DecodeLeave, Endpoint: endpoints.MakeGuardLeavesEndpoint(svc)},
		// The employer records the training it gave; a guard cannot credit
		// themselves hours.
		{Name: "record_training", Method: "POST", Path: p("/guards/{id}/trainings"), Tag: "guards", Summary: "Record a training",
			Request: service.TrainingInput{}, Response: service.Training{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrGuardNotFound, service.ErrGuardNotActive, service.ErrTrainingTypeInvalid, service.ErrTrainingHoursInvalid,
				service.ErrTrainingDateInvalid, service.ErrTrainingTopicTooLong),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: guardID,
			Decode: kitx.DecodeCreateUnder[service.TrainingInput], Endpoint: endpoints.MakeRecordTrainingEndpoint(svc, base)},
		// A guard reads their own training record.
		{Name: "list_trainings", Method: "GET", Path: p("/guards/{id}/trainings"), Tag: "guards", Summary: "A guard's trainings",
			Response: kitx.ListResponse[service.Training]{}, Errors: errsOf(service.ErrGuardNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS, guard: selfS}), Target: guardID,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeListTrainingsEndpoint(svc)},
		// The employer records the result of its guards' background checks.
		{Name: "record_background_check", Method: "POST", Path: p("/guards/{id}/background-checks"), Tag: "guards",
			Summary: "Record a background check result",
			Request: service.BackgroundCheckInput{}, Response: service.Guard{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrGuardNotFound, service.ErrGuardNotActive, service.ErrBackgroundCheckStatus, service.ErrBackgroundCheckDate),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: guardID,
			Decode: kitx.DecodeActionRequest[service.BackgroundCheckInput], Endpoint: endpoints.MakeRecordBackgroundCheckEndpoint(svc)},
		// The employer records the certificate its guard was issued.
		{Name: "issue_certificate", Method: "POST", Path: p("/guards/{id}/certificate"), Tag: "guards", Summary: "Record a guard's certificate",
			Request: service.CertificateInput{}, Response: service.Guard{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrGuardNotFound, service.ErrGuardNotActive, service.ErrGuardCertificateTaken, service.ErrCertificateNumberRequired,
				service.ErrGuardCertificateNumberLong, service.ErrCertificateIssuedOnInvalid, service.ErrCertificateValidUntil, service.ErrCertificateAuthority),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}), Target: guardID,
			Decode: kitx.DecodeActionRequest[service.CertificateInput], Endpoint: endpoints.MakeIssueCertificateEndpoint(svc)},

		// Finding people. A POST so a national ID number travels in the
		// body, never in a URL that access logs and proxies record; scoped
		// like list_guards (a company-admin names its own company_id).
		{Name: "search_guards", Method: "POST", Path: p("/guards/search"), Tag: "guards", Summary: "Search guards",
			Description: "Every field set narrows the search: name is a substring (张 finds 张伟), certificate_number and id_number are exact " +
				"(the ID number is checked, then compared by its keyed hash; it is never logged), company_id, employment_status, " +
				"volunteer_police, and missing (background_check: no passed check; training: no pre-job training; badge: no badge service). " +
				"Paged like the lists (page_size, page_token in the query), in id order. A company-admin must set company_id to its own company.",
			Request: service.SearchGuardsInput{}, OptionalBody: true, Response: kitx.ListResponse[service.Guard]{}, Paged: true,
			Errors: errsOf(service.ErrGuardEmploymentInvalid, service.ErrGuardNameTooLong, service.ErrGuardCertificateNumberLong,
				service.ErrGuardIDNumberInvalid, service.ErrSearchMissingInvalid, service.ErrCompanyNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeSearchGuards, Endpoint: endpoints.MakeSearchGuardsEndpoint(svc)},
		// Certificates about to lapse: the office's renewal list. Scoped
		// like list_guards (a company-admin names its own company_id).
		{Name: "list_expiring_certificates", Method: "GET", Path: p("/certificates/expiring"), Tag: "guards",
			Summary: "Active guards whose certificate lapses within a window of days",
			Description: "Active guards whose certificate_valid_until is from today to today + within_days (Asia/Shanghai, the service clock), " +
				"in id order. Without within_days the window is the city-wide policy at /guildhall/policy/certificate-expiry (default 30 days). " +
				"A lapsed certificate is not listed (GET /guards?certificate=none finds it). A company-admin must set company_id to its own company.",
			Response: kitx.ListResponse[service.Guard]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("company_id", "only this company's guards"),
				{Name: "within_days", In: "query", Type: "integer", Min: 1, Description: "the window in days, 1–365; absent: the city-wide policy"}},
			Errors: errsOf(service.ErrExpiringWithinInvalid, service.ErrCompanyNotFound),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}), Target: companyField,
			Decode: t.DecodeListExpiring, Endpoint: endpoints.MakeListExpiringCertificatesEndpoint(svc)},

		// The council is the association's own governance.
		{Name: "appoint_council_member", Method: "POST", Path: p("/council-members"), Tag: "council", Summary: "Seat a council member",
			Request: service.AppointCouncilMemberInput{}, Response: service.CouncilMember{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrCouncilTermInvalid, service.ErrCouncilPositionInvalid, service.ErrCouncilPersonRequired,
				service.ErrCouncilCompanyUnknown, service.ErrCouncilDistrictInvalid),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}), Target: district,
			Decode: kitx.DecodeCreate[service.AppointCouncilMemberInput], Endpoint: endpoints.MakeAppointCouncilMemberEndpoint(svc, base)},
		// Police may read who sits on the council (every GET but audit);
		// companies and guards have no business in the council roster here.
		{Name: "list_council_members", Method: "GET", Path: p("/council-members"), Tag: "council", Summary: "List council seats",
			Response: kitx.ListResponse[service.CouncilMember]{}, Paged: true,
			Params: []kitx.Param{
				{Name: "term", In: "query", Type: "integer", Min: 1, Description: "only seats of this term"},
				kitx.Query("position", "only seats of this position", service.PositionPresident, service.PositionVicePresident,
					service.PositionSecretaryGeneral, service.PositionSupervisorChief, service.PositionDirector),
			},
			Errors: errsOf(service.ErrCouncilTermInvalid, service.ErrCouncilPositionInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}), Target: district,
			Decode: t.DecodeListCouncil, Endpoint: endpoints.MakeListCouncilMembersEndpoint(svc)},
		{Name: "update_council_member", Method: "PATCH", Path: p("/council-members/{id}"), Tag: "council", Summary: "Update a council seat",
			Request: service.UpdateCouncilMemberInput{}, Response: service.CouncilMember{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrCouncilNotFound, service.ErrCouncilTermInvalid, service.ErrCouncilPositionInvalid, service.ErrCouncilPersonRequired,
				service.ErrCouncilCompanyUnknown, service.ErrCouncilDistrictInvalid),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}), Target: district,
			Decode: kitx.DecodeUpdateRequest[service.UpdateCouncilMemberInput], Endpoint: endpoints.MakeUpdateCouncilMemberEndpoint(svc)},

		// The audit log is for admins only (issue 3): police oversight reads
		// the data, not the association's internal trail.
		{Name: "list_audit", Method: "GET", Path: p("/audit"), Tag: "audit", Summary: "List the district's audit log, newest first",
			Description: "One row per write (create, update, status change, hire, leave, training, background check, certificate, council seat, " +
				"import start; imports also record one import.chunk row per committed chunk of up to 200 rows, as the user who started the job; " +
				"after a key rotation the node re-seals stored ID numbers with the current key and records one guard.reseal row per batch with " +
				"subject \"system\"). fields_changed names the fields written, never their values.",
			Response: kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}), Target: district,
			Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(svc)},
	}
}

// downloadTypes are the media types of an export or template: the
// ?format chooses.
var downloadTypes = sheet.XLSX.ContentType() + ", text/csv"

// importColumnNames lists the import's field names for the document.
func importColumnNames() string {
	var names []string
	for _, c := range service.ImportColumns() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// API describes the membership service for its OpenAPI document
// (pkg/apidoc): the route table, read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall membership API", Version: "v1",
		Description: "Member companies (保安从业单位), guards (保安员), the council (理事会) and guard imports of one district. " +
			"Every route is under /api/v1/districts/{district}; another district's path is 404 district.not_found. ops is allowed " +
			"nowhere (no personal data). National ID numbers (id_number) are shown in full to hq-admin, police and the guard's own " +
			"company-admin, masked (420************123) to everyone else.",
		Tags: []kitx.Tag{
			{Name: "companies", Description: "Member companies"},
			{Name: "guards", Description: "Guards, their trainings, checks and certificates, imports (.xlsx, CSV) and exports"},
			{Name: "council", Description: "The council (理事会)"},
			{Name: "audit", Description: "Who changed what, when"},
		},
		Routes: routeTable(nil, nil, ""),
	}
}
