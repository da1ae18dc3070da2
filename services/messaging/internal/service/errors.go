package service

import (
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// The service's errors, each with its stable id (never renamed) and, for a
// bad request, the field at fault.
var (
	// ErrDistrictNotFound is the kit's: one id for every service.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound
	// ErrCompanyNotFound is the kit's, membership's id: a company not in
	// the node's projection of the district's register.
	ErrCompanyNotFound = kitx.ErrCompanyNotFound

	ErrTitleRequired      = errs.InvalidField("notice.title_required", "title", "a notice needs a title")
	ErrTitleTooLong       = errs.InvalidField("notice.title_too_long", "title", "a notice's or directive's title is at most 200 characters")
	ErrBodyRequired       = errs.InvalidField("notice.body_required", "body_markdown", "a notice needs a body")
	ErrBodyTooLong        = errs.InvalidField("notice.body_too_long", "body_markdown", "a body is at most 100000 bytes")
	ErrPriorityInvalid    = errs.InvalidField("notice.priority_invalid", "priority", "priority is normal or urgent")
	ErrDeadlineRequired   = errs.InvalidField("notice.deadline_required", "ack_deadline", "a notice that requires acknowledgement needs a deadline")
	ErrDeadlinePast       = errs.InvalidField("notice.deadline_past", "ack_deadline", "the acknowledgement deadline must be in the future")
	ErrDeadlineUnneeded   = errs.InvalidField("notice.deadline_unneeded", "ack_deadline", "a deadline is only for a notice that requires acknowledgement")
	ErrAttachmentsTooMany = errs.InvalidField("notice.attachments_too_many", "attachments", "at most 20 attachments")
	ErrAttachmentName     = errs.InvalidField("notice.attachment_name_invalid", "attachments", "every attachment needs a name of at most 200 characters")
	ErrAttachmentURL      = errs.InvalidField("notice.attachment_url_invalid", "attachments", "an attachment is an absolute https URL of at most 2000 characters")
	ErrAudienceKind       = errs.InvalidField("notice.audience_invalid", "audience.kind", "audience kind is district, companies or role")
	ErrAudienceCompanies  = errs.InvalidField("notice.audience_companies_invalid", "audience.company_ids",
		"an audience of companies names 1 to 1000 distinct company ids (and only that kind does)")
	ErrAudienceRole = errs.InvalidField("notice.audience_role_invalid", "audience.role",
		"an audience by role names one of president, vice_president, council, member (and only that kind does)")
	ErrAudienceEmpty = errs.E(errs.Unprocessable, "notice.audience_empty", "the audience has no active company")

	ErrNoticeNotFound     = errs.E(errs.NotFound, "notice.not_found", "no such notice")
	ErrNoticeNotEditable  = errs.E(errs.Conflict, "notice.not_editable", "a directive of HQ is edited at HQ, not at a district node")
	ErrNoticeReviseDenied = errs.E(errs.Forbidden, "notice.revise_forbidden", "only the office that sent a notice (district or police) revises it")
	ErrNoticeOriginDenied = errs.E(errs.Forbidden, "notice.origin_forbidden", "only a district lead or the police office sends a district's notices")
	ErrFilterOrigin       = errs.InvalidField("notice.origin_invalid", "origin", "origin is district, police or hq")

	ErrReceiptNotFound      = errs.E(errs.NotFound, "receipt.not_found", "the company is not a recipient of the notice")
	ErrReceiptNotRead       = errs.E(errs.Conflict, "receipt.not_read", "a notice is read before it is acknowledged")
	ErrReceiptAcknowledged  = errs.E(errs.Conflict, "receipt.already_acknowledged", "this revision of the notice is acknowledged already")
	ErrReceiptAckNotNeeded  = errs.E(errs.Unprocessable, "receipt.ack_not_required", "the notice does not ask for acknowledgement")
	ErrReceiptRevisionStale = errs.EField(errs.Conflict, "receipt.revision_stale", "revision",
		"the notice was revised since: read the current revision and acknowledge that")
	ErrReceiptRevision       = errs.InvalidField("receipt.revision_required", "revision", "name the revision of the notice being acknowledged")
	ErrReceiptByRequired     = errs.InvalidField("receipt.by_required", "by", "name the person acknowledging (at most 100 characters)")
	ErrReceiptCommentTooLong = errs.InvalidField("receipt.comment_too_long", "comment", "a comment is at most 2000 characters")

	ErrDirectiveNotFound    = errs.E(errs.NotFound, "directive.not_found", "no such directive")
	ErrDirectiveDistricts   = errs.InvalidField("directive.districts_invalid", "districts", "districts are distinct registered district ids (empty: the whole city)")
	ErrDirectiveNoDistricts = errs.E(errs.Unavailable, "directive.registry_unavailable", "messaging's HQ role has not read the district registry yet, so it cannot check the listed districts")
)

func isNotFound(err error) bool { return errs.IsKind(err, errs.NotFound) }
