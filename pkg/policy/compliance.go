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
	// WageDeclarationDay is the day of the next month (China time) by the
	// end of which a company declares a month's wages (issue 17 part 2):
	// 1 to 28; 0 (absent) means DefaultWageDeclarationDay, so a policy
	// written before the field keeps its meaning.
	WageDeclarationDay int `json:"wage_declaration_day,omitempty"`
	// ComplaintAnswerDays is how many days (China time) after a
	// fair-competition complaint is filed the accused company's answer is
	// due (issue 17 part 4): 1 to 90; 0 (absent) means
	// DefaultComplaintAnswerDays.
	ComplaintAnswerDays int `json:"complaint_answer_days,omitempty"`
	// ComplaintMediationDays is how many days after the district lead
	// starts mediating a complaint its resolution is due: 1 to 180; 0
	// (absent) means DefaultComplaintMediationDays.
	ComplaintMediationDays int `json:"complaint_mediation_days,omitempty"`
}

// The complaint timers while the policy names none: ten days to answer
// and thirty to mediate (the association's working choice, not a statute;
// unlike a labour dispute, a complaint between companies has no statutory
// mediation period).
const (
	DefaultComplaintAnswerDays    = 10
	DefaultComplaintMediationDays = 30
)

// ComplaintAnswerDue is ComplaintAnswerDays, or its default when unset.
func (c Compliance) ComplaintAnswerDue() int {
	if c.ComplaintAnswerDays == 0 {
		return DefaultComplaintAnswerDays
	}
	return c.ComplaintAnswerDays
}

// ComplaintMediationDue is ComplaintMediationDays, or its default when
// unset.
func (c Compliance) ComplaintMediationDue() int {
	if c.ComplaintMediationDays == 0 {
		return DefaultComplaintMediationDays
	}
	return c.ComplaintMediationDays
}

// DefaultWageDeclarationDay is the declaration deadline while the policy
// names none: the 10th, after the usual pay day at month's start (the
// association's working choice, not a statute).
const DefaultWageDeclarationDay = 10

// WageDeadlineDay is WageDeclarationDay, or its default when unset.
func (c Compliance) WageDeadlineDay() int {
	if c.WageDeclarationDay == 0 {
		return DefaultWageDeclarationDay
	}
	return c.WageDeclarationDay
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
	ErrComplianceWageDay      = errs.InvalidField("compliance_policy.wage_declaration_day_invalid", "wage_declaration_day", "wage_declaration_day is 1 to 28")
	ErrComplianceAnswerDays   = errs.InvalidField("compliance_policy.complaint_answer_days_invalid", "complaint_answer_days", "complaint_answer_days is 1 to 90")
	ErrComplianceMediateDays  = errs.InvalidField("compliance_policy.complaint_mediation_days_invalid", "complaint_mediation_days", "complaint_mediation_days is 1 to 180")
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
	case c.WageDeclarationDay < 0 || c.WageDeclarationDay > 28:
		return ErrComplianceWageDay
	case c.ComplaintAnswerDays < 0 || c.ComplaintAnswerDays > 90:
		return ErrComplianceAnswerDays
	case c.ComplaintMediationDays < 0 || c.ComplaintMediationDays > 180:
		return ErrComplianceMediateDays
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

// EvaluationKey is the etcd key of the city-wide evaluation policy (行业评价):
// the weights of the criteria a company's periodic rating is computed
// from, the grade thresholds and the period, versioned. JSON such as
// {"version": 2, "period": "quarter", "weights": {"background_check": 10,
// …}, "grades": [{"grade": "A", "min": 90}, …]}. A rating records the
// version it used, so a writer must give every change a new, higher
// version. A field left out keeps its default.
const EvaluationKey = CityPrefix + "evaluation"

// EvaluationCriteria are the criteria a rating may weigh, in the order
// its breakdown lists them.
func EvaluationCriteria() []string {
	return []string{"background_check", "training", "certificate", "badge", "inspection_score", "overdue_remediations",
		"disputes", "convention", "meeting_attendance", "four_one_coverage", "wage_guarantee", "fair_competition"}
}

// Grade is one grade threshold: a score of at least Min earns Grade.
type Grade struct {
	Grade string  `json:"grade"`
	Min   float64 `json:"min"`
}

// EvaluationPolicy is the value at EvaluationKey.
type EvaluationPolicy struct {
	// Version names this policy; a rating records it. 0 is the built-in
	// default (no key in etcd); a value in etcd has a version of 1 or more.
	Version int64 `json:"version"`
	// Period is how often a company is rated: quarter (2026-Q3) or year
	// (2026), in Zone.
	Period Period `json:"period"`
	// Weights maps each criterion of EvaluationCriteria to its weight
	// (0 to 100; 0 leaves the criterion out). At least one is positive.
	Weights map[string]float64 `json:"weights"`
	// Grades are the thresholds, the highest first: the first whose Min
	// a score reaches is its grade. A score under every Min has the last.
	Grades []Grade `json:"grades"`
}

// DefaultEvaluationPolicy is the policy while the key is absent: a quarterly
// rating (the four rates 10 each, the hazard inspections' scores 15,
// remediations on time 10, disputes handled 10, the convention 5, meeting
// attendance 10, two-four-one coverage 10, and since issue 17 the wage
// guarantee 10 and fair competition 10: 120 in all; a score is the points
// over the weights of the criteria reported, so the sum need not be 100) and
// grades A ≥ 90, B ≥ 75, C ≥ 60, else D. The association's working
// figures, not a statute: set the city's in etcd.
var DefaultEvaluationPolicy = EvaluationPolicy{
	Version: 0, Period: Quarter,
	Weights: map[string]float64{"background_check": 10, "training": 10, "certificate": 10, "badge": 10, "inspection_score": 15,
		"overdue_remediations": 10, "disputes": 10, "convention": 5, "meeting_attendance": 10, "four_one_coverage": 10,
		"wage_guarantee": 10, "fair_competition": 10},
	Grades: []Grade{{"A", 90}, {"B", 75}, {"C", 60}, {"D", 0}},
}

// Stable error ids of an evaluation policy that is not valid.
var (
	ErrEvaluationVersion = errs.InvalidField("evaluation_policy.version_invalid", "version", "version is 1 or more in etcd (0 is the built-in default)")
	ErrEvaluationPeriod  = errs.InvalidField("evaluation_policy.period_invalid", "period", `period is "quarter" or "year"`)
	ErrEvaluationWeights = errs.InvalidField("evaluation_policy.weights_invalid", "weights", "weights name only known criteria, each 0 to 100, at least one positive")
	ErrEvaluationGrades  = errs.InvalidField("evaluation_policy.grades_invalid", "grades", "grades are 1 to 10 named thresholds 0 to 100, highest first")
)

// Validate implements Value.
func (e EvaluationPolicy) Validate() error {
	if e.Version < 0 {
		return ErrEvaluationVersion
	}
	if e.Period != Quarter && e.Period != Year {
		return ErrEvaluationPeriod
	}
	known := map[string]bool{}
	for _, c := range EvaluationCriteria() {
		known[c] = true
	}
	positive := false
	for c, w := range e.Weights {
		if !known[c] || math.IsNaN(w) || w < 0 || w > 100 {
			return ErrEvaluationWeights
		}
		positive = positive || w > 0
	}
	if !positive {
		return ErrEvaluationWeights
	}
	if len(e.Grades) < 1 || len(e.Grades) > 10 {
		return ErrEvaluationGrades
	}
	for i, g := range e.Grades {
		if g.Grade == "" || len(g.Grade) > 16 || math.IsNaN(g.Min) || g.Min < 0 || g.Min > 100 || (i > 0 && g.Min >= e.Grades[i-1].Min) {
			return ErrEvaluationGrades
		}
	}
	return nil
}

// GradeOf returns the grade of score under e.
func (e EvaluationPolicy) GradeOf(score float64) string {
	for _, g := range e.Grades {
		if score >= g.Min {
			return g.Grade
		}
	}
	return e.Grades[len(e.Grades)-1].Grade
}

// ParseEvaluation decodes and validates the value at EvaluationKey;
// fields absent from raw keep DefaultEvaluationPolicy's. A value in etcd must
// carry its version (1 or more).
func ParseEvaluation(raw []byte) (EvaluationPolicy, error) {
	v := DefaultEvaluationPolicy
	v.Weights, v.Grades = nil, nil
	v.Version = -1
	if err := json.Unmarshal(raw, &v); err != nil {
		return EvaluationPolicy{}, fmt.Errorf("policy: %T: %w", v, err)
	}
	if v.Version < 1 {
		return EvaluationPolicy{}, ErrEvaluationVersion
	}
	if v.Weights == nil {
		v.Weights = DefaultEvaluationPolicy.Weights
	}
	if v.Grades == nil {
		v.Grades = DefaultEvaluationPolicy.Grades
	}
	if err := v.Validate(); err != nil {
		return EvaluationPolicy{}, err
	}
	return v, nil
}

// EncodeEvaluation returns the value to store at EvaluationKey for e,
// after checking that every reader would accept it.
func EncodeEvaluation(e EvaluationPolicy) ([]byte, error) {
	if e.Version < 1 {
		return nil, ErrEvaluationVersion
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}
