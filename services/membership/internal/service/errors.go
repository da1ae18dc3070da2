package service

import (
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Stable error ids of the membership API. Users script against them: never
// rename one.
var (
	// ErrDistrictNotFound is the kit's: one id for every service.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound

	ErrCompanyNotFound           = kitx.ErrCompanyNotFound // meetings answers it too
	ErrCompanyNameRequired       = errs.InvalidField("company.name_required", "name", "a company needs a name")
	ErrCompanyNameTooLong        = errs.InvalidField("company.name_too_long", "name", "name is longer than 200 characters")
	ErrCompanyCreditCodeInvalid  = errs.InvalidField("company.credit_code_invalid", "credit_code", "credit_code is not a valid unified social credit code")
	ErrCompanyCreditCodeTaken    = errs.EField(errs.Conflict, "company.credit_code_taken", "credit_code", "a company with this credit code is already registered in the district")
	ErrCompanyLicenceRequired    = errs.InvalidField("company.licence_number_required", "licence_number", "licence_number is required")
	ErrCompanyLicenceInvalid     = errs.InvalidField("company.licence_number_invalid", "licence_number", "licence_number is not a security-service licence number of the form 鄂公保服务许字〔2012〕第022号")
	ErrCompanyConventionReadOnly = errs.InvalidField("company.convention_version_read_only", "convention_version", "convention_version is set only by the company's signature of the convention (meetings service), never by a request")
	ErrCompanyKindInvalid        = errs.InvalidField("company.kind_invalid", "kind", "kind must be service_company or in_house_unit")
	ErrCompanyLevelInvalid       = errs.InvalidField("company.level_invalid", "level", "level must be president, vice_president, council or member")
	ErrCompanyStatusInvalid      = errs.InvalidField("company.status_invalid", "status", "status must be applied, active, suspended or lapsed")
	ErrCompanyStatusIllegal      = errs.EField(errs.Conflict, "company.status_transition_illegal", "status", "the company cannot move from its current status to that one")
	ErrCompanyNotAcceptingGuards = errs.E(errs.Conflict, "company.not_accepting_guards", "only an active member company hires guards: this one is applied (not yet admitted), suspended or lapsed")
	ErrCompanyPartyOrgSince      = errs.InvalidField("company.party_org_since_invalid", "party_org_since", "party_org_since must be a date YYYY-MM-DD from 1949-10-01 to today")
	ErrCompanyFieldTooLong       = errs.E(errs.Invalid, "company.field_too_long", "the field is too long")

	ErrGuardNotFound              = errs.E(errs.NotFound, "guard.not_found", "no such guard")
	ErrGuardNameRequired          = errs.InvalidField("guard.name_required", "name", "a guard needs a name")
	ErrGuardNameTooLong           = errs.InvalidField("guard.name_too_long", "name", "name is longer than 100 characters")
	ErrGuardIDNumberInvalid       = errs.InvalidField("guard.id_number_invalid", "id_number", "id_number is not a valid resident ID number")
	ErrGuardAlreadyActive         = errs.EField(errs.Conflict, "guard.already_active", "id_number", "this person is already employed as an active guard elsewhere")
	ErrGuardNotActive             = errs.E(errs.Conflict, "guard.not_active", "the guard has already left: a left guard's record is closed (no leave, training, background check or certificate)")
	ErrGuardCertificateTaken      = errs.EField(errs.Conflict, "guard.certificate_number_taken", "certificate_number", "an active guard of the district already holds this certificate number")
	ErrGuardCertificateValidUntil = errs.InvalidField("guard.certificate_valid_until_invalid", "certificate_valid_until", "certificate_valid_until must be a date YYYY-MM-DD, not before the issue date")
	ErrGuardCertificateAuthority  = errs.InvalidField("guard.certificate_authority_too_long", "certificate_authority", "certificate_authority is longer than 100 characters")
	ErrGuardCertificateDate       = errs.InvalidField("guard.certificate_issued_on_invalid", "certificate_issued_on", "a certificate's issue date must be a date YYYY-MM-DD from 1990-01-01 to today")
	ErrGuardCertificateNumber     = errs.InvalidField("guard.certificate_number_required", "certificate_number", "certificate_number is required: a certificate has a number and an issue date")
	ErrGuardCertificateNumberLong = errs.InvalidField("guard.certificate_number_too_long", "certificate_number", "certificate_number is longer than 100 characters")
	ErrGuardCertificateIssuedOn   = errs.InvalidField("guard.certificate_issued_on_required", "certificate_issued_on", "certificate_issued_on is required with a certificate number")
	ErrGuardHiredOnInvalid        = errs.InvalidField("guard.hired_on_invalid", "hired_on", "hired_on must be a date YYYY-MM-DD, not in the future")
	ErrGuardHiredBeforeWorkingAge = errs.InvalidField("guard.hired_on_before_working_age", "hired_on", "hired_on is before the guard's 16th birthday (the birth date in id_number)")
	ErrGuardLeftOnInvalid         = errs.InvalidField("guard.left_on_invalid", "left_on", "left_on must be a date YYYY-MM-DD, not in the future and not before hired_on")
	ErrGuardFlagInvalid           = errs.E(errs.Invalid, "guard.flag_invalid", "must be true or false")
	ErrGuardEmploymentInvalid     = errs.InvalidField("guard.employment_status_invalid", "employment_status", "employment_status must be active or left")
	ErrGuardCertificateFilter     = errs.InvalidField("guard.certificate_filter_invalid", "certificate", "certificate must be has or none")
	ErrTrainingTypeInvalid        = errs.InvalidField("guard.training_type_invalid", "type", "type must be pre_job or in_service")
	ErrTrainingHoursInvalid       = errs.InvalidField("guard.training_hours_invalid", "hours", "hours must be more than 0 and at most 1000")
	ErrTrainingDateInvalid        = errs.InvalidField("guard.trained_on_invalid", "trained_on", "trained_on must be a date YYYY-MM-DD from 1990-01-01 to today")
	ErrTrainingTopicTooLong       = errs.InvalidField("guard.training_topic_too_long", "topic", "topic is longer than 200 characters")
	ErrBackgroundCheckStatus      = errs.InvalidField("guard.background_check_status_invalid", "status", "status must be pending, passed or failed")
	ErrBackgroundCheckDate        = errs.InvalidField("guard.checked_on_invalid", "checked_on", "checked_on must be a date YYYY-MM-DD from 1990-01-01 to today")
	// A certificate issued to a guard already hired: the ids of a hire
	// with a certificate, on the request's issued_on.
	ErrCertificateNumberRequired  = ErrGuardCertificateNumber
	ErrCertificateIssuedOnInvalid = ErrGuardCertificateDate.WithField("issued_on")
	ErrSearchMissingInvalid       = errs.InvalidField("guard.search_missing_invalid", "missing", "missing lists background_check, training or badge")
	ErrExpiringWithinInvalid      = errs.InvalidField("guard.within_days_invalid", "within_days", "within_days must be an integer from 1 to 365 (omit it for the city-wide window)")
	ErrCertificateValidUntil      = errs.InvalidField("guard.valid_until_invalid", "valid_until", "valid_until must be a date YYYY-MM-DD, not before issued_on")
	ErrCertificateAuthority       = errs.InvalidField("guard.authority_too_long", "authority", "authority is longer than 100 characters")

	ErrCouncilNotFound        = errs.E(errs.NotFound, "council_member.not_found", "no such council member")
	ErrCouncilTermInvalid     = errs.InvalidField("council_member.term_invalid", "term", "term must be an integer of at least 1")
	ErrCouncilPositionInvalid = errs.InvalidField("council_member.position_invalid", "position", "position must be president, vice_president, secretary_general, supervisor_chief or director")
	ErrCouncilPersonRequired  = errs.InvalidField("council_member.person_name_required", "person_name", "person_name is required and at most 100 characters")
	ErrCouncilCompanyUnknown  = errs.EField(errs.Unprocessable, "council_member.company_unknown", "company_id", "company_id names no company of this district")
	ErrCouncilDistrictInvalid = errs.InvalidField("council_member.district_in_charge_invalid", "district_in_charge", "district_in_charge must be a district id")

	ErrImportNotFound     = errs.E(errs.NotFound, "import.not_found", "no such import job")
	ErrImportContentType  = errs.EField(errs.UnsupportedMediaType, "import.content_type_invalid", "Content-Type", "an import must be sent as text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (.xlsx) or application/octet-stream")
	ErrImportTooLarge     = errs.E(errs.TooLarge, "import.too_large", "an import is at most 10 MiB")
	ErrImportTooManyRows  = errs.E(errs.TooLarge, "import.too_many_rows", "an import has at most 50000 rows")
	ErrImportHeader       = errs.E(errs.Invalid, "import.header_invalid", "the first row must be the header: the template's column titles (姓名, 身份证号, 保安员证号…) or field names (name, id_number, certificate_number…), each once; name and id_number are required")
	ErrImportEmpty        = errs.E(errs.Invalid, "import.empty", "the file has no data rows")
	ErrImportMalformed    = errs.E(errs.Invalid, "import.csv_malformed", "the file is not a valid CSV file or .xlsx workbook")
	ErrImportNotUTF8      = errs.E(errs.Invalid, "import.encoding_invalid", "the file is not text in UTF-8, UTF-16 or GB18030/GBK: in Excel choose Save As → \"CSV UTF-8 (comma delimited)\" or \"Excel Workbook (.xlsx)\"")
	ErrImportLegacyFormat = errs.E(errs.Invalid, "import.format_unsupported", "the file is an old .xls or a password-protected workbook: in Excel choose Save As → \"Excel Workbook (.xlsx)\" without a password")
	ErrImportRowDuplicate = errs.E(errs.Invalid, "import.row_duplicate", "the row repeats an earlier row of this file")
	ErrImportRowMalformed = errs.E(errs.Invalid, "import.row_malformed", "the row does not have the header's number of fields")

	ErrIdempotencyKeyReused = idempotency.ErrKeyReused
	ErrIdempotencyKeyLong   = idempotency.ErrKeyInvalid
)
