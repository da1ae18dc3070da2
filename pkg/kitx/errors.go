package kitx

import "github.com/guildhall/guildhall/pkg/errs"

// Stable ids that more than one service answers for one condition: declared
// here once, so the services cannot drift apart on them (each service's
// errors.go names them after its own vocabulary).
var (
	// ErrDistrictNotFound is a district nobody here knows: a district
	// node asked for another district's data (DistrictOnly), or HQ asked
	// for a district that is neither registered nor in its read model.
	ErrDistrictNotFound = errs.E(errs.NotFound, "district.not_found", "no such district, or not one this node serves")
	// ErrCompanyNotFound is a company the district does not have: asked
	// for at membership, which owns the register, or named in an
	// invitation or a convention signature at meetings, which knows the
	// district's companies from membership's events. A company registered
	// a moment ago may not have reached meetings yet: retrying soon is
	// right there.
	ErrCompanyNotFound = errs.E(errs.NotFound, "company.not_found", "no such company in this district (one registered a moment ago may not be known to every service yet: retry)")
	// ErrOverdueInvalid is an action-item list's ?overdue filter that is
	// not a boolean, at the district (meetings) and at HQ.
	ErrOverdueInvalid = errs.InvalidField("action_item.overdue_invalid", "overdue", "?overdue is true or false")
	// ErrOverdueInvalidHQ is HQ's id for ErrOverdueInvalid.
	//
	// Deprecated: since issue 8 HQ answers action_item.overdue_invalid,
	// like the district; errors.Is still matches this one.
	ErrOverdueInvalidHQ = errs.Alias("request.overdue_invalid", ErrOverdueInvalid)
	// ErrFormatInvalid is an export's or template's ?format that is
	// neither csv nor xlsx, in membership and meetings.
	ErrFormatInvalid = errs.InvalidField("request.format_invalid", "format", "format must be csv or xlsx")
)
