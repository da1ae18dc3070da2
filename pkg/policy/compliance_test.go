package policy

import (
	"errors"
	"testing"
)

func TestParseCompliance(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Compliance
		err  error
	}{
		{name: "An empty object is the default.", raw: `{}`, want: DefaultCompliance},
		{name: "One field set keeps the others' defaults.", raw: `{"annual_training_hours": 40}`,
			want: Compliance{AnnualTrainingHours: 40, CertificateWarningDays: 30, TrainingWarningDays: 30, PreJobCountsTowardAnnual: true,
				EscalationDistrictDays: 7, EscalationHQDays: 14, DisputeResponseWorkingDays: 2, TimelinessDays: 15}},
		{name: "A false bool is kept, not defaulted.", raw: `{"pre_job_counts_toward_annual": false}`,
			want: Compliance{AnnualTrainingHours: 24, CertificateWarningDays: 30, TrainingWarningDays: 30, EscalationDistrictDays: 7, EscalationHQDays: 14, DisputeResponseWorkingDays: 2, TimelinessDays: 15}},
		{name: "HQ before the district is refused.", raw: `{"escalation_district_days": 10, "escalation_hq_days": 5}`, err: ErrComplianceEscalation},
		{name: "Negative hours are refused.", raw: `{"annual_training_hours": -1}`, err: ErrComplianceAnnualHours},
		{name: "A zero certificate warning is refused.", raw: `{"certificate_warning_days": 0}`, err: ErrComplianceCertWarn},
		{name: "A training warning over a year is refused.", raw: `{"training_warning_days": 366}`, err: ErrComplianceTrainingWarn},
		{name: "Pre-job hours over the limit are refused.", raw: `{"pre_job_min_hours": 1001}`, err: ErrCompliancePreJobHours},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCompliance([]byte(tt.raw))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := ParseCompliance([]byte(`not json`)); err == nil {
		t.Fatal("malformed JSON accepted")
	}
	if raw, err := EncodeCompliance(DefaultCompliance); err != nil {
		t.Fatal(err)
	} else if back, err := ParseCompliance(raw); err != nil || back != DefaultCompliance {
		t.Fatalf("round trip %+v %v", back, err)
	}
}

// TestWageDeclarationDay: absent is the default 10th; 1 to 28 is taken;
// outside is refused with its id and field.
func TestWageDeclarationDay(t *testing.T) {
	if c, err := ParseCompliance([]byte(`{}`)); err != nil || c.WageDeadlineDay() != DefaultWageDeclarationDay {
		t.Fatalf("absent: %v %v", c.WageDeadlineDay(), err)
	}
	if c, err := ParseCompliance([]byte(`{"wage_declaration_day": 28}`)); err != nil || c.WageDeadlineDay() != 28 {
		t.Fatalf("28: %v %v", c.WageDeadlineDay(), err)
	}
	for _, raw := range []string{`{"wage_declaration_day": 29}`, `{"wage_declaration_day": -1}`} {
		if _, err := ParseCompliance([]byte(raw)); err != ErrComplianceWageDay {
			t.Errorf("%s: %v, want %v", raw, err, ErrComplianceWageDay)
		}
	}
}

// TestComplaintDays: absent are the defaults (10 days to answer, 30 to
// mediate); the bounds are taken; outside is refused with its id.
func TestComplaintDays(t *testing.T) {
	c, err := ParseCompliance([]byte(`{}`))
	if err != nil || c.ComplaintAnswerDue() != DefaultComplaintAnswerDays || c.ComplaintMediationDue() != DefaultComplaintMediationDays {
		t.Fatalf("absent: %d %d %v", c.ComplaintAnswerDue(), c.ComplaintMediationDue(), err)
	}
	c, err = ParseCompliance([]byte(`{"complaint_answer_days": 90, "complaint_mediation_days": 1}`))
	if err != nil || c.ComplaintAnswerDue() != 90 || c.ComplaintMediationDue() != 1 {
		t.Fatalf("bounds: %d %d %v", c.ComplaintAnswerDue(), c.ComplaintMediationDue(), err)
	}
	for raw, want := range map[string]error{
		`{"complaint_answer_days": 91}`: ErrComplianceAnswerDays, `{"complaint_answer_days": -1}`: ErrComplianceAnswerDays,
		`{"complaint_mediation_days": 181}`: ErrComplianceMediateDays, `{"complaint_mediation_days": -3}`: ErrComplianceMediateDays,
	} {
		if _, err := ParseCompliance([]byte(raw)); err != want {
			t.Errorf("%s: %v, want %v", raw, err, want)
		}
	}
}
