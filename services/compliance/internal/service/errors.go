package service

import (
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Stable error ids of the compliance API. Users script against them: never
// rename one.
var (
	// ErrDistrictNotFound is the kit's: one id for every service.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound
	// ErrCompanyNotFound is the kit's, membership's id: a company the
	// scoreboard has not heard of from membership's events (one registered
	// a moment ago may not be projected yet: retry).
	ErrCompanyNotFound = kitx.ErrCompanyNotFound

	ErrCriterionRequired = errs.InvalidField("compliance.criterion_required", "criterion", "criterion is required: background_check, training, certificate or badge")
	ErrCriterionInvalid  = errs.InvalidField("compliance.criterion_invalid", "criterion", "criterion must be background_check, training, certificate or badge")
	ErrCompanyIDInvalid  = errs.InvalidField("compliance.company_id_invalid", "company_id", "the company_id filter is at most 64 characters")
	// ErrCompanyIDRequired is every compliance record's: an inspection,
	// a schedule, a dispute and a two-four-one check each belong to a
	// member company.
	ErrCompanyIDRequired = errs.InvalidField("compliance.company_id_required", "company_id", "company_id is required: the member company the inspection, schedule, dispute or check belongs to (at most 64 characters)")
	ErrTrendDaysInvalid  = errs.InvalidField("compliance.days_invalid", "days", "days is 1 to 400")
)
