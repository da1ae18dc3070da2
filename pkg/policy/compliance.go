package policy

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/guildhall/guildhall/pkg/errs"
)

// ComplianceKey is the etcd key of the city-wide four-100% policy
// (四个100%) the compliance service scores every guard against: JSON
// {"annual_training_hours": 24, "certificate_warning_days": 30,
// "training_warning_days": 30, "pre_job_min_hours": 0,
// "pre_job_counts_toward_annual": true, "escalation_district_days": 7,
// "escalation_hq_days": 14, "dispute_response_working_days": 2,
// "timeliness_days": 15}. A field left out keeps its
// default, so a writer may set one rule alone.
const ComplianceKey = CityPrefix + "compliance"

// Limits of the compliance policy.
const (
	MaxAnnualTrainingHours = 1000
	MaxComplianceWarnDays  = 365
)

// Compliance is the value at ComplianceKey.
type Compliance struct {
	// AnnualTrainingHours is how many hours of training a guard needs in
	// each calendar year (Asia/Shanghai) to count as trained: 0 to 1000.
	AnnualTrainingHours float64 `json:"annual_training_hours"`
	// CertificateWarningDays is how many days before a certificate's last
	// valid day the service warns that the guard's certificate is about to
	// lapse (RequirementLapsing): 1 to 365.
	CertificateWarningDays int `json:"certificate_warning_days"`
	// TrainingWarningDays is how many days before the year ends the service
	// warns about a guard still short of the year's hours: 1 to 365.
	TrainingWarningDays int `json:"training_warning_days"`
	// PreJobMinHours is what counts as pre-job training (岗前培训): the
	// hours of pre_job training records a guard needs in total. 0 counts
	// any pre-job training on record (membership's pre_job_trained).
	PreJobMinHours float64 `json:"pre_job_min_hours"`
	// PreJobCountsTowardAnnual says whether pre-job hours count toward the
	// year's training hours, besides in-service training.
	PreJobCountsTowardAnnual bool `json:"pre_job_counts_toward_annual"`
	// EscalationDistrictDays is how many days after a hazard remediation
	// became overdue (escalated to its company the day after it was due)
	// it escalates to the district: 1 to 365.
	EscalationDistrictDays int `json:"escalation_district_days"`
	// EscalationHQDays is how many days after it became overdue it
	// escalates to HQ: at least EscalationDistrictDays, at most 365.
	EscalationHQDays int `json:"escalation_hq_days"`
	// DisputeResponseWorkingDays is how many working days (Monday to
	// Friday, China time) after a dispute is reported its first response
	// is due: 1 to 30.
	DisputeResponseWorkingDays int `json:"dispute_response_working_days"`
	// TimelinessDays is how many days after a period ends an obligation
	// done for it (an inspection uploaded) still counts as on time: 0 to
	// 90 (the DHIS2 way: expected, done, done on time).
	TimelinessDays int `json:"timeliness_days"`
}

// DefaultCompliance is the policy while the key is absent. The numbers are
// the association's working choice, not a statute: 24 hours a year of
// training, a week overdue before a remediation goes to the district and
// two before it goes to HQ, a first response to a dispute within 2
// working days (the figure: the association's own rule), an upload
// within 15 days of a period's end counting as on time (the association's
// choice), a 30-day warning before a certificate lapses (the same as
// DefaultCertificateExpiry's window, so a company is told by both services
// on the same day), a 30-day warning before the year's hours are due, and
// any pre-job training on record counting as pre-job training.
var DefaultCompliance = Compliance{
	AnnualTrainingHours: 24, CertificateWarningDays: 30, TrainingWarningDays: 30,
	PreJobMinHours: 0, PreJobCountsTowardAnnual: true,
	EscalationDistrictDays: 7, EscalationHQDays: 14, DisputeResponseWorkingDays: 2,
	TimelinessDays: 15,
}

// Stable error ids of a compliance policy out of range.
var (
	ErrComplianceAnnualHours  = errs.InvalidField("compliance_policy.annual_training_hours_invalid", "annual_training_hours", "annual_training_hours is 0 to 1000")
	ErrComplianceCertWarn     = errs.InvalidField("compliance_policy.certificate_warning_days_invalid", "certificate_warning_days", "certificate_warning_days is 1 to 365")
	ErrComplianceTrainingWarn = errs.InvalidField("compliance_policy.training_warning_days_invalid", "training_warning_days", "training_warning_days is 1 to 365")
	ErrCompliancePreJobHours  = errs.InvalidField("compliance_policy.pre_job_min_hours_invalid", "pre_job_min_hours", "pre_job_min_hours is 0 to 1000")
	ErrComplianceTimeliness   = errs.InvalidField("compliance_policy.timeliness_days_invalid", "timeliness_days", "timeliness_days is 0 to 90")
	ErrComplianceDisputeDays  = errs.InvalidField("compliance_policy.dispute_response_working_days_invalid", "dispute_response_working_days", "dispute_response_working_days is 1 to 30")
	ErrComplianceEscalation   = errs.InvalidField("compliance_policy.escalation_days_invalid", "escalation_district_days", "escalation_district_days is 1 to 365 and escalation_hq_days from it to 365")
)

// Validate implements Value.
func (c Compliance) Validate() error {
	hours := func(h float64) bool { return !math.IsNaN(h) && h >= 0 && h <= MaxAnnualTrainingHours }
	switch {
	case !hours(c.AnnualTrainingHours):
		return ErrComplianceAnnualHours
	case c.CertificateWarningDays < 1 || c.CertificateWarningDays > MaxComplianceWarnDays:
		return ErrComplianceCertWarn
	case c.TrainingWarningDays < 1 || c.TrainingWarningDays > MaxComplianceWarnDays:
		return ErrComplianceTrainingWarn
	case !hours(c.PreJobMinHours):
		return ErrCompliancePreJobHours
	case c.EscalationDistrictDays < 1 || c.EscalationDistrictDays > MaxComplianceWarnDays ||
		c.EscalationHQDays < c.EscalationDistrictDays || c.EscalationHQDays > MaxComplianceWarnDays:
		return ErrComplianceEscalation
	case c.DisputeResponseWorkingDays < 1 || c.DisputeResponseWorkingDays > 30:
		return ErrComplianceDisputeDays
	case c.TimelinessDays < 0 || c.TimelinessDays > 90:
		return ErrComplianceTimeliness
	}
	return nil
}

// ParseCompliance decodes and validates the value at ComplianceKey; fields
// absent from raw keep DefaultCompliance's values.
func ParseCompliance(raw []byte) (Compliance, error) {
	v := DefaultCompliance
	if err := json.Unmarshal(raw, &v); err != nil {
		return Compliance{}, fmt.Errorf("policy: %T: %w", v, err)
	}
	if err := v.Validate(); err != nil {
		return Compliance{}, err
	}
	return v, nil
}

// EncodeCompliance returns the value to store at ComplianceKey for c, after
// checking that every reader would accept it.
func EncodeCompliance(c Compliance) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}
