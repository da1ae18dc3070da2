package compliance

import (
	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
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
// gaps, trend, inspections and schedule, records its own inspections and
// remediates its own findings. Templates and schedules are the
// association's (hq-admin, district-admin).
func routeTable(sv services, az *authorizer, base string) []kitx.Route {
	svc, ins, disp, fo, evals, timely, wages, compl := sv.svc, sv.ins, sv.disp, sv.fo, sv.evals, sv.timely, sv.wages, sv.compl
	var auditLog endpoints.AuditLister
	if ins != nil {
		auditLog = ins.Store.(endpoints.AuditLister)
	}
	at := kitx.Targets[targetKind](az.target).At
	district := at(targetDistrict)
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	criteria := service.Criteria()
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	templateErrs := []*errs.Error{service.ErrTemplateNameRequired, service.ErrTemplateSections, service.ErrTemplateItemInvalid, service.ErrTemplatePassMark}
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

		// Hazard inspections (风险隐患排查).
		{Name: "create_template", Method: "POST", Path: p("/compliance/templates"), Tag: "inspections",
			Summary: "Publish a checklist template (version 1)",
			Description: "Sections of items, each yes/no, a number with its passing range, or a choice with the passing options, with a " +
				"weight; an item or a section may be critical. pass_mark defaults to 0.8.",
			Request: service.TemplateInput{}, Response: service.Template{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(templateErrs...),
			Rule:   admins(), Target: district, Decode: kitx.DecodeCreate[service.TemplateInput], Endpoint: endpoints.MakeCreateTemplateEndpoint(ins, base)},
		{Name: "new_template_version", Method: "POST", Path: p("/compliance/templates/{id}/versions"), Tag: "inspections",
			Summary: "Publish the next version of a template (the earlier versions stay as they were)",
			Request: service.TemplateInput{}, Response: service.Template{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(append(templateErrs, service.ErrTemplateNotFound)...),
			Rule:   admins(), Target: district, Decode: kitx.DecodeCreateUnder[service.TemplateInput], Endpoint: endpoints.MakeNewTemplateVersionEndpoint(ins, base)},
		{Name: "get_template", Method: "GET", Path: p("/compliance/templates/{id}"), Tag: "inspections",
			Summary: "A template's latest version, or ?version=", Params: []kitx.Param{{Name: "version", In: "query", Type: "integer", Min: 1, Description: "a version (default: the latest)"}},
			Response: service.Template{}, Errors: errsOf(service.ErrTemplateNotFound, service.ErrTemplateVersionInvalid),
			Rule: readers(), Target: district, Decode: t.DecodeGetTemplate, Endpoint: endpoints.MakeGetTemplateEndpoint(ins)},
		{Name: "record_inspection", Method: "POST", Path: p("/compliance/inspections"), Tag: "inspections",
			Summary: "Record an inspection: its answers are scored, its findings opened",
			Description: "Every item of the template version is answered once. The score is the earned over the applicable weight (N-A in " +
				"neither); a failed critical item, or a score under the pass mark, fails it. inspected_on is the day it was done (an " +
				"inspection done offline is uploaded later and still counts in that day's period); for_period names an ended period it " +
				"was for, counted there as late. A company-admin records its own company's.",
			Request: service.InspectionInput{}, Response: service.Inspection{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrInspectionCompany, service.ErrInspectionSite, service.ErrInspectionInspector, service.ErrInspectionDate,
				service.ErrInspectionTemplate, service.ErrInspectionForPeriod, service.ErrAnswerInvalid, service.ErrFindingInvalid),
			Rule: inspectors(), Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.InspectionInput], Endpoint: endpoints.MakeRecordInspectionEndpoint(ins, base)},
		{Name: "list_inspections", Method: "GET", Path: p("/compliance/inspections"), Tag: "inspections",
			Summary: "List inspections by id (without their findings)", Params: []kitx.Param{kitx.Query("company_id", "only this company's (a company-admin must name its own)")},
			Response: kitx.ListResponse[service.Inspection]{}, Paged: true, Errors: errsOf(),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListInspections, Endpoint: endpoints.MakeListInspectionsEndpoint(ins)},
		{Name: "get_inspection", Method: "GET", Path: p("/compliance/inspections/{id}"), Tag: "inspections",
			Summary: "An inspection with its answers, score and findings", Response: service.Inspection{}, Errors: errsOf(service.ErrInspectionNotFound),
			Rule: companyReaders(), Target: at(targetInspection), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetInspectionEndpoint(ins)},
		{Name: "get_finding", Method: "GET", Path: p("/compliance/findings/{id}"), Tag: "inspections",
			Summary: "A finding and its remediation", Response: service.Finding{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrFindingNotFound),
			Rule: companyReaders(), Target: at(targetFinding), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetFindingEndpoint(ins)},
		{Name: "change_finding_status", Method: "POST", Path: p("/compliance/findings/{id}/status"), Tag: "inspections",
			Summary:     "Move a finding on: open → remediating → closed",
			Description: "Closing is the verification: the caller's subject is recorded as the verifier and must not be the remediation owner.",
			Request:     service.FindingStatusInput{}, Response: service.Finding{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrFindingNotFound, service.ErrFindingStatusInvalid, service.ErrFindingStatusIllegal, service.ErrFindingVerifierOwner),
			Rule:   remediators(), Target: at(targetFinding), Decode: kitx.DecodeActionRequest[service.FindingStatusInput], Endpoint: endpoints.MakeChangeFindingStatusEndpoint(ins)},
		{Name: "create_schedule", Method: "POST", Path: p("/compliance/schedules"), Tag: "inspections",
			Summary: "Expect a company to inspect count times per period from starts_on",
			Request: service.ScheduleInput{}, Response: service.Schedule{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrScheduleCompany, service.ErrScheduleInvalid, service.ErrScheduleExists),
			Rule:   admins(), Target: district, Decode: kitx.DecodeCreate[service.ScheduleInput], Endpoint: endpoints.MakeCreateScheduleEndpoint(ins, base)},
		{Name: "schedule_report", Method: "GET", Path: p("/compliance/schedules/{id}/report"), Tag: "inspections",
			Summary:  "A company's expected, done (on time, late) and missed inspections per period",
			Params:   []kitx.Param{{Name: "periods", In: "query", Type: "integer", Min: 1, Description: "how many periods back (1–36, default 6)"}},
			Response: service.ScheduleReport{}, Errors: errsOf(service.ErrScheduleNotFound, service.ErrSchedulePeriodsInvalid),
			Rule: companyReaders(), Target: at(targetCompanyPath), Decode: t.DecodeScheduleReport, Endpoint: endpoints.MakeScheduleReportEndpoint(ins)},

		{Name: "timeliness", Method: "GET", Path: p("/compliance/timeliness"), Tag: "inspections",
			Summary: "An obligation the DHIS2 way: expected, done, done on time, per company and district",
			Description: "obligation is inspection (each scheduled company's schedule), four_one (a month's two-four-one checks: at least " +
				"one check dated in the month) or roundtable (the district roundtables of meetings' cadence the company attended). Over " +
				"the last ended periods: a period is expected only if it overlaps the company's active window (from the day membership " +
				"reported it active, not after it lapsed); done counts what was done for it, on time what was uploaded or recorded by the " +
				"end of the policy's timeliness_days (15) after the period. Rates are null when nothing was expected.",
			Params: []kitx.Param{
				kitx.Query("obligation", "the obligation (default inspection)", service.Obligations()...),
				{Name: "periods", In: "query", Type: "integer", Min: 1, Description: "how many periods back (1–36, default 6)"},
			},
			Response: service.TimelinessReport{}, Errors: errsOf(service.ErrSchedulePeriodsInvalid, service.ErrObligationInvalid),
			Rule: supervisors(), Target: district, Decode: t.DecodeObligationTimeliness, Endpoint: endpoints.MakeTimelinessEndpoint(timely)},

		// Disputes (矛盾纠纷化解).
		{Name: "report_dispute", Method: "POST", Path: p("/compliance/disputes"), Tag: "disputes",
			Summary: "Report a dispute (status reported)",
			Description: "The first response (a step, or a move) is due by the end of the policy's working days after the report " +
				"(dispute_response_working_days, default 2; Monday to Friday, public holidays not modelled). A company-admin reports its own company's.",
			Request: service.DisputeInput{}, Response: service.Dispute{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrDisputeCompany, service.ErrDisputeKind, service.ErrDisputeParties, service.ErrDisputeAmount,
				service.ErrDisputeDescription, service.ErrDisputeMediator),
			Rule: reporters(), Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.DisputeInput], Endpoint: endpoints.MakeReportDisputeEndpoint(disp, base)},
		{Name: "list_disputes", Method: "GET", Path: p("/compliance/disputes"), Tag: "disputes", Summary: "List disputes by id",
			Params: []kitx.Param{
				kitx.Query("status", "only disputes in this status", service.DisputeReported, service.DisputeMediating, service.DisputeResolved, service.DisputeEscalated),
				kitx.Query("kind", "only of this kind", service.DisputeKinds...),
				kitx.Query("company_id", "only this company's (a company-admin must name its own)"),
			},
			Response: kitx.ListResponse[service.Dispute]{}, Paged: true, Errors: errsOf(service.ErrDisputeFilterStatus, service.ErrDisputeKind),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListDisputes, Endpoint: endpoints.MakeListDisputesEndpoint(disp)},
		{Name: "get_dispute", Method: "GET", Path: p("/compliance/disputes/{id}"), Tag: "disputes", Summary: "A dispute with its timeline and timers",
			Response: service.Dispute{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrDisputeNotFound),
			Rule: companyReaders(), Target: at(targetDispute), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetDisputeEndpoint(disp)},
		{Name: "add_dispute_step", Method: "POST", Path: p("/compliance/disputes/{id}/steps"), Tag: "disputes",
			Summary: "Add a step to a dispute's timeline (the first is its response)",
			Request: service.StepInput{}, Response: service.Dispute{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrDisputeNotFound, service.ErrDisputeStepInvalid, service.ErrDisputeClosed),
			Rule:   admins(), Target: district, Decode: kitx.DecodeActionRequest[service.StepInput], Endpoint: endpoints.MakeAddDisputeStepEndpoint(disp)},
		{Name: "change_dispute_status", Method: "POST", Path: p("/compliance/disputes/{id}/status"), Tag: "disputes",
			Summary: "Move a dispute on: reported → mediating → resolved | escalated",
			Description: "Mediating needs a mediator and starts the 15 days of 劳动争议调解仲裁法 art. 14; resolving or escalating needs the outcome, " +
				"escalating where to (labour_arbitration, police, court). A reported dispute may be escalated at once.",
			Request: service.DisputeStatusInput{}, Response: service.Dispute{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrDisputeNotFound, service.ErrDisputeStatusInvalid, service.ErrDisputeStatusIllegal, service.ErrDisputeMediator,
				service.ErrDisputeOutcome, service.ErrDisputeEscalatedTo, service.ErrDisputeClosed),
			Rule: admins(), Target: district, Decode: kitx.DecodeActionRequest[service.DisputeStatusInput], Endpoint: endpoints.MakeChangeDisputeStatusEndpoint(disp)},
		{Name: "dispute_stats", Method: "GET", Path: p("/compliance/disputes/stats"), Tag: "disputes",
			Summary:  "The district's disputes by kind, status and outcome, and the days to resolution (p50, p90)",
			Response: service.DisputeStats{}, Errors: errsOf(),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeDisputeStatsEndpoint(disp)},

		// The wage guarantee (建立职工薪资保障机制, issue 17 part 2).
		{Name: "declare_wages", Method: "POST", Path: p("/compliance/wages"), Tag: "wages",
			Summary: "Declare a month's wages: paid in full and on time, or the arrears; and the wage guarantee in place",
			Description: "One declaration per company and month (id company_id.month); declaring again replaces it until it is confirmed. " +
				"On time is by the end of day wage_declaration_day (policy, default 10) of the next month, China time. Not paid in full " +
				"opens a wages dispute (with the disputes' timers). A company-admin declares its own company's.",
			Request: service.WageInput{}, Response: service.WageDeclaration{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrCompanyIDRequired, service.ErrWageMonth, service.ErrWagePaidOn, service.ErrWageGuards, service.ErrWageArrears,
				service.ErrWageGuarantee, service.ErrWageReviewed),
			Rule: reporters(), Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.WageInput], Endpoint: endpoints.MakeDeclareWagesEndpoint(wages, base)},
		{Name: "list_wage_declarations", Method: "GET", Path: p("/compliance/wages"), Tag: "wages", Summary: "List wage declarations by id",
			Params: []kitx.Param{
				kitx.Query("company_id", "only this company's (a company-admin must name its own)"),
				kitx.Query("month", "only this month, YYYY-MM"),
				kitx.Query("status", "only in this status", service.WageStatuses...),
			},
			Response: kitx.ListResponse[service.WageDeclaration]{}, Paged: true, Errors: errsOf(service.ErrWageFilterStatus, service.ErrWageFilterMonth),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListWageDeclarations, Endpoint: endpoints.MakeListWageDeclarationsEndpoint(wages)},
		{Name: "get_wage_declaration", Method: "GET", Path: p("/compliance/wages/{id}"), Tag: "wages", Summary: "A wage declaration",
			Response: service.WageDeclaration{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrWageNotFound),
			Rule: companyReaders(), Target: at(targetWage), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetWageDeclarationEndpoint(wages)},
		{Name: "review_wage_declaration", Method: "POST", Path: p("/compliance/wages/{id}/review"), Tag: "wages",
			Summary: "The union contact confirms or disputes a declaration (a dispute opens a wages dispute)",
			Description: "There is no union-contact role: the association (hq-admin, the district lead) records the union contact's " +
				"review; the caller's subject is recorded as the reviewer.",
			Request: service.WageReviewInput{}, Response: service.WageDeclaration{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrWageNotFound, service.ErrWageOutcome, service.ErrWageNote, service.ErrWageNotReviewable),
			Rule:   admins(), Target: at(targetWage), Decode: kitx.DecodeActionRequest[service.WageReviewInput], Endpoint: endpoints.MakeReviewWageDeclarationEndpoint(wages)},
		{Name: "wage_stats", Method: "GET", Path: p("/compliance/wages/stats"), Tag: "wages",
			Summary: "A month's rates: declared on time (of the companies active), in arrears and guarantee in place (of those declared)",
			Description: "A rate is null when its denominator is 0 (not reported, never 0%). Missed counts the companies that declared " +
				"nothing by the deadline, from the district's first declared month on.",
			Params:   []kitx.Param{kitx.Query("month", "the month, YYYY-MM (default: the last ended month)")},
			Response: service.WageStats{}, Errors: errsOf(service.ErrWageFilterMonth),
			Rule: supervisors(), Target: district, Decode: t.DecodeWageStats, Endpoint: endpoints.MakeWageStatsEndpoint(wages)},

		// Fair-competition complaints (抱团取暖，杜绝恶意竞争, issue 17 part 4).
		{Name: "file_complaint", Method: "POST", Path: p("/compliance/complaints"), Tag: "complaints",
			Summary: "File a complaint against another company (status filed)",
			Description: "Kinds: below_cost_bidding, poaching (guards poached in breach of contract), defamation, other (with kind_other). " +
				"Evidence is 1–20 references (a file id, a URL or a text), no uploads. The accused's answer is due by the end of the " +
				"policy's complaint_answer_days (default 10) after filing, China time. The accused company sees the complaint without " +
				"complainant_id and filed_by unless disclose_complainant is true. A company-admin files as its own company.",
			Request: service.ComplaintInput{}, Response: service.Complaint{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrComplaintComplainant, service.ErrComplaintAccused, service.ErrComplaintKind, service.ErrComplaintKindOther,
				service.ErrComplaintDescription, service.ErrComplaintEvidence, service.ErrCompanyNotFound),
			Rule: reporters(), Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.ComplaintInput], Endpoint: endpoints.MakeFileComplaintEndpoint(compl, base)},
		{Name: "list_complaints", Method: "GET", Path: p("/compliance/complaints"), Tag: "complaints", Summary: "List complaints by id",
			Description: "company_id matches the complaints the company filed or received (side narrows it); there is no filter on the " +
				"complainant, and the accused's rows carry no complainant unless it was disclosed.",
			Params: []kitx.Param{
				kitx.Query("company_id", "only this company's, either side (a company-admin must name its own)"),
				kitx.Query("side", "with company_id: only those it filed or received", service.ComplaintSides...),
				kitx.Query("status", "only in this status", service.ComplaintStatuses...),
				kitx.Query("kind", "only of this kind", service.ComplaintKinds...),
			},
			Response: kitx.ListResponse[service.Complaint]{}, Paged: true,
			Errors: errsOf(service.ErrComplaintFilterStatus, service.ErrComplaintKind, service.ErrComplaintFilterSide, service.ErrCompanyIDInvalid),
			Rule:   companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListComplaints, Endpoint: endpoints.MakeListComplaintsEndpoint(compl)},
		{Name: "get_complaint", Method: "GET", Path: p("/compliance/complaints/{id}"), Tag: "complaints",
			Summary:  "A complaint with its evidence, answer, timers and outcome (the complainant redacted for the accused unless disclosed)",
			Response: service.Complaint{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrComplaintNotFound),
			Rule: companyReaders(), Target: at(targetComplaint), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetComplaintEndpoint(compl)},
		{Name: "answer_complaint", Method: "POST", Path: p("/compliance/complaints/{id}/answer"), Tag: "complaints",
			Summary:     "The accused company answers (filed → answered)",
			Description: "Only the accused's company-admin answers, once; a late answer (after answer_due, even in mediation) is still recorded.",
			Request:     service.ComplaintAnswerInput{}, Response: service.Complaint{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrComplaintNotFound, service.ErrComplaintAnswerText, service.ErrComplaintEvidence, service.ErrComplaintNotParty,
				service.ErrComplaintAnswered, service.ErrComplaintClosed),
			Rule: answerers(), Target: at(targetComplaint), Decode: kitx.DecodeActionRequest[service.ComplaintAnswerInput], Endpoint: endpoints.MakeAnswerComplaintEndpoint(compl)},
		{Name: "change_complaint_status", Method: "POST", Path: p("/compliance/complaints/{id}/status"), Tag: "complaints",
			Summary: "The district lead mediates and resolves: answered → mediating → resolved",
			Description: "Mediating needs a mediator and starts the policy's complaint_mediation_days (default 30); a filed complaint goes to " +
				"mediation unanswered once its answer is overdue. Resolving needs the outcome (upheld, dismissed, settled), the finding and " +
				"whom it counts against in the evaluations: upheld the accused; dismissed no one or, found malicious, the complainant; " +
				"settled no one.",
			Request: service.ComplaintStatusInput{}, Response: service.Complaint{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrComplaintNotFound, service.ErrComplaintStatusInvalid, service.ErrComplaintStatusIllegal, service.ErrComplaintMediator,
				service.ErrComplaintOutcome, service.ErrComplaintFinding, service.ErrComplaintAgainst, service.ErrComplaintClosed),
			Rule: admins(), Target: district, Decode: kitx.DecodeActionRequest[service.ComplaintStatusInput], Endpoint: endpoints.MakeChangeComplaintStatusEndpoint(compl)},
		{Name: "withdraw_complaint", Method: "POST", Path: p("/compliance/complaints/{id}/withdraw"), Tag: "complaints",
			Summary:     "The complainant withdraws its complaint before resolution",
			Description: "A company-admin withdraws only its own company's complaint (the accused's gets complaint.not_party); the association may on its behalf.",
			Request:     service.ComplaintWithdrawInput{}, Response: service.Complaint{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrComplaintNotFound, service.ErrComplaintReason, service.ErrComplaintNotParty, service.ErrComplaintClosed),
			Rule:   reporters(), Target: at(targetComplaint), Decode: kitx.DecodeActionRequest[service.ComplaintWithdrawInput], Endpoint: endpoints.MakeWithdrawComplaintEndpoint(compl)},
		{Name: "complaint_stats", Method: "GET", Path: p("/compliance/complaints/stats"), Tag: "complaints",
			Summary:  "The district's complaints: filed, open, overdue, resolved, withdrawn, by kind and by outcome",
			Response: service.ComplaintStats{}, Errors: errsOf(),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeComplaintStatsEndpoint(compl)},

		// Two-four-one checks (双四一机制): contents sealed at rest, every read
		// audited, only the guard's company-admin, hq-admin and police.
		{Name: "record_four_one_check", Method: "POST", Path: p("/compliance/four-one-checks"), Tag: "four-one",
			Summary: "Record a two-four-one check of a guard (contents sealed at rest)",
			Description: "The four points (whereabouts, job duties, state of mind, career plan), each rated 1–5 with a note, are sealed with " +
				"the city's keyring; the response and every list carry no contents, and the only event is the company's coverage (counts).",
			Request: service.FourOneInput{}, Response: service.FourOneCheck{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrFourOneCompany, service.ErrFourOneDate, service.ErrFourOnePoints, service.ErrFourOneGuard),
			Rule:   fourOneReaders(), Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.FourOneInput], Endpoint: endpoints.MakeRecordFourOneEndpoint(fo, base)},
		{Name: "list_four_one_checks", Method: "GET", Path: p("/compliance/four-one-checks"), Tag: "four-one",
			Summary: "A company's checks, without their contents", Params: []kitx.Param{{Name: "company_id", In: "query", Type: "string", Required: true, Description: "the company"}},
			Response: kitx.ListResponse[service.FourOneCheck]{}, Paged: true, Errors: errsOf(),
			Rule: fourOneReaders(), Target: at(targetCompanyField), Decode: t.DecodeListInspections, Endpoint: endpoints.MakeListFourOneEndpoint(fo)},
		{Name: "get_four_one_check", Method: "GET", Path: p("/compliance/four-one-checks/{id}"), Tag: "four-one",
			Summary: "A check with its contents (the read is audited)", Response: service.FourOneCheck{}, Errors: errsOf(service.ErrFourOneNotFound),
			Rule: fourOneReaders(), Target: at(targetFourOne), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetFourOneEndpoint(fo)},
		{Name: "four_one_coverage", Method: "GET", Path: p("/compliance/four-one-coverage"), Tag: "four-one",
			Summary: "A company's coverage of a month: guards checked over active guards",
			Params: []kitx.Param{
				{Name: "company_id", In: "query", Type: "string", Required: true, Description: "the company"},
				{Name: "period", In: "query", Type: "string", Required: true, Description: "the month, YYYY-MM"},
			},
			Response: service.Coverage{}, Errors: errsOf(service.ErrFourOneCompany, service.ErrFourOnePeriod),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeFourOneCoverage, Endpoint: endpoints.MakeFourOneCoverageEndpoint(fo)},

		// Evaluations (行业评价): a rating computed from evidence, explained
		// point by point; published versions immutable.
		{Name: "compute_evaluation", Method: "POST", Path: p("/compliance/evaluations"), Tag: "evaluations",
			Summary: "Compute (or recompute) a company's draft rating of a period from the evidence held",
			Description: "Every criterion of the evaluation policy in force (etcd /guildhall/policy/evaluation, versioned: the draft records " +
				"the version) is scored from its evidence in the period: the four rates, the hazard inspections' scores, the remediations " +
				"due, the disputes, the convention, meeting attendance, two-four-one coverage, the wage guarantee (declared on time, paid in full, a guarantee in place) and fair competition (complaints found against the company, with the finding as the reason). A criterion without evidence is left out " +
				"of the total (reported false), never 0. The draft's version is the next after the newest published one; recomputing " +
				"replaces the draft and keeps its adjustments.",
			Request: service.EvaluationInput{}, Response: service.Evaluation{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrEvaluationCompany, service.ErrEvaluationPeriod, service.ErrCompanyNotFound),
			Rule:   raters(), Target: at(targetCompanyField), Decode: t.DecodeComputeEvaluation, Endpoint: endpoints.MakeComputeEvaluationEndpoint(evals)},
		{Name: "list_evaluations", Method: "GET", Path: p("/compliance/evaluations"), Tag: "evaluations",
			Summary: "The newest version of each rating, by id",
			Params: []kitx.Param{
				kitx.Query("company_id", "only this company's (a company-admin must name its own)"),
				kitx.Query("period", "only this period (2026-Q3, 2026)"),
			},
			Response: kitx.ListResponse[service.Evaluation]{}, Paged: true, Errors: errsOf(service.ErrCompanyIDInvalid, service.ErrEvaluationPeriod),
			Rule: companyReaders(), Target: at(targetCompanyField), Decode: t.DecodeListEvaluations, Endpoint: endpoints.MakeListEvaluationsEndpoint(evals)},
		{Name: "get_evaluation", Method: "GET", Path: p("/compliance/evaluations/{id}"), Tag: "evaluations",
			Summary:  "A rating with its breakdown: criterion, weight, points, the evidence and its source event ids (?version=)",
			Params:   []kitx.Param{{Name: "version", In: "query", Type: "integer", Min: 1, Description: "a version (default: the newest, draft or published)"}},
			Response: service.Evaluation{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrEvaluationNotFound, service.ErrEvaluationVersionBad),
			Rule: companyReaders(), Target: at(targetEvaluation), Decode: t.DecodeGetEvaluation, Endpoint: endpoints.MakeGetEvaluationEndpoint(evals)},
		{Name: "publish_evaluation", Method: "POST", Path: p("/compliance/evaluations/{id}/publish"), Tag: "evaluations",
			Summary:     "Publish the draft as it was reviewed: immutable from now on, announced as EvaluationPublished",
			Description: "The body is ignored ({} will do).",
			Response:    service.Evaluation{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrEvaluationNotFound, service.ErrEvaluationNoDraft),
			Rule: raters(), Target: at(targetEvaluation), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakePublishEvaluationEndpoint(evals)},
		{Name: "adjust_evaluation", Method: "POST", Path: p("/compliance/evaluations/{id}/adjustments"), Tag: "evaluations",
			Summary: "Add a reviewed adjustment with its reason (the police and HQ only)",
			Description: "Added to the draft if there is one; else the published rating is corrected: the next version, with the " +
				"adjustment and the reason, published at once (the earlier version never changes).",
			Request: service.AdjustmentInput{}, Response: service.Evaluation{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrEvaluationNotFound, service.ErrAdjustmentPoints, service.ErrAdjustmentReason),
			Rule:   adjusters(), Target: at(targetEvaluation), Decode: kitx.DecodeActionRequest[service.AdjustmentInput], Endpoint: endpoints.MakeAdjustEvaluationEndpoint(evals)},
		{Name: "correct_evaluation", Method: "POST", Path: p("/compliance/evaluations/{id}/corrections"), Tag: "evaluations",
			Summary: "Correct a published rating from today's evidence: the next version, published at once with the reason",
			Request: service.CorrectionInput{}, Response: service.Evaluation{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrEvaluationNotFound, service.ErrEvaluationPublished, service.ErrAdjustmentReason),
			Rule:   raters(), Target: at(targetEvaluation), Decode: kitx.DecodeActionRequest[service.CorrectionInput], Endpoint: endpoints.MakeCorrectEvaluationEndpoint(evals)},

		// The audit log: who wrote what, and who read a two-four-one check.
		{Name: "list_audit", Method: "GET", Path: p("/compliance/audit"), Tag: "audit", Summary: "The compliance service's audit log, newest first",
			Description: "Every write, and every read of a two-four-one check's contents (four_one.read).",
			Response:    kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: admins(), Target: district, Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(auditLog)},
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
			{Name: "inspections", Description: "Hazard inspections (风险隐患排查): templates, inspections, findings, schedules"},
			{Name: "disputes", Description: "Disputes (矛盾纠纷化解): mediation, escalation, timers and statistics"},
			{Name: "four-one", Description: "Two-four-one checks (双四一机制): sealed, audited, counts only in events"},
			{Name: "audit", Description: "Who changed what, when; who read a check"},
			{Name: "policy", Description: "The city-wide compliance policy (etcd /guildhall/policy/compliance)"},
			{Name: "evaluations", Description: "Evaluations (行业评价): ratings from evidence, explained point by point, versioned"},
			{Name: "wages", Description: "The wage guarantee (建立职工薪资保障机制): monthly declarations, the union contact's review, rates"},
			{Name: "complaints", Description: "Fair-competition complaints (抱团取暖，杜绝恶意竞争): filed, answered, mediated, resolved; the complainant withheld from the accused unless disclosed"},
		},
		Routes: routeTable(services{}, nil, ""),
		Enums:  []kitx.Enum{{Type: policy.Period(""), Values: policy.PeriodNames()}},
	}
}

// services are the route table's services; all nil for the document
// generator and the policy table.
type services struct {
	svc    *service.Compliance
	ins    *service.Inspections
	disp   *service.Disputes
	fo     *service.FourOne
	evals  *service.Evaluations
	timely *service.Timeliness
	wages  *service.Wages
	compl  *service.Complaints
}
