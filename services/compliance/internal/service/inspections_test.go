package service

import (
	"errors"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
)

func num(v float64) *float64 { return &v }

// scoringTemplate: a critical section (fire exits, weight 10 and 5), a
// plain section with a number (a 2–8 °C cold store, weight 4), a choice
// (lighting: good passes, poor fails, weight 3) and a yes/no critical item
// (extinguisher, weight 2) in a plain section.
var scoringTemplate = Template{PassMark: 0.8, Sections: []Section{
	{Title: "疏散通道", Critical: true, Items: []Item{
		{ID: "exit", Kind: KindYesNo, Weight: 10},
		{ID: "sign", Kind: KindYesNo, Weight: 5},
	}},
	{Title: "设备", Items: []Item{
		{ID: "temp", Kind: KindNumber, Weight: 4, Min: num(2), Max: num(8)},
		{ID: "light", Kind: KindChoice, Weight: 3, Choices: []Choice{{Value: "good", Pass: true}, {Value: "poor"}}},
		{ID: "ext", Kind: KindYesNo, Weight: 2, Critical: true},
	}},
}}

func answersOf(exit, sign string, temp *float64, tempNA bool, light, ext string) []Answer {
	t := Answer{ItemID: "temp", Number: temp}
	if tempNA {
		t = Answer{ItemID: "temp", Value: AnswerNA}
	}
	return []Answer{{ItemID: "exit", Value: exit}, {ItemID: "sign", Value: sign}, t, {ItemID: "light", Value: light}, {ItemID: "ext", Value: ext}}
}

// TestScoringModel is the scoring table: earned over applicable weight,
// N-A in neither, a number within its range and a passing choice earn,
// a failed critical item (or an item of a critical section) fails the
// inspection whatever the percentage, and so does a score under the pass
// mark.
func TestScoringModel(t *testing.T) {
	for _, tc := range []struct {
		name         string
		answers      []Answer
		earned, appl float64
		score        *float64
		critical     []string
		result       string
		err          error
	}{
		{"Everything passes: 24 of 24.", answersOf("yes", "yes", num(5), false, "good", "yes"), 24, 24, num(1), nil, ResultPassed, nil},
		{"N-A counts in neither: 20 of 20.", answersOf("yes", "yes", nil, true, "good", "yes"), 20, 20, num(1), nil, ResultPassed, nil},
		{"A number out of range and a failing choice earn nothing: 17 of 24, under 0.8.", answersOf("yes", "yes", num(9), false, "poor", "yes"), 17, 24, num(17.0 / 24), nil, ResultFailed, nil},
		{"A number at the range's edge passes.", answersOf("yes", "yes", num(8), false, "good", "yes"), 24, 24, num(1), nil, ResultPassed, nil},
		{"A critical item failing fails it at 22 of 24 (92%).", answersOf("yes", "yes", num(5), false, "good", "no"), 22, 24, num(22.0 / 24), []string{"ext"}, ResultFailed, nil},
		{"An item of a critical section failing fails it at 19 of 24.", answersOf("yes", "no", num(5), false, "good", "yes"), 19, 24, num(19.0 / 24), []string{"sign"}, ResultFailed, nil},
		{"A critical item N-A is no failure.", answersOf("yes", "yes", num(5), false, "good", "na"), 22, 22, num(1), nil, ResultPassed, nil},
		{"All N-A: no score, passed.", answersOf("na", "na", nil, true, "na", "na"), 0, 0, nil, nil, ResultPassed, nil},
		{"A missing answer is refused.", answersOf("yes", "yes", num(5), false, "good", "yes")[:4], 0, 0, nil, nil, "", ErrAnswerInvalid},
		{"A yes/no item answered with a number is refused.", append(answersOf("yes", "yes", num(5), false, "good", "yes")[:4], Answer{ItemID: "ext", Number: num(1)}), 0, 0, nil, nil, "", ErrAnswerInvalid},
		{"A choice not offered is refused.", answersOf("yes", "yes", num(5), false, "dim", "yes"), 0, 0, nil, nil, "", ErrAnswerInvalid},
		{"An answer twice is refused.", append(answersOf("yes", "yes", num(5), false, "good", "yes"), Answer{ItemID: "exit", Value: "no"}), 0, 0, nil, nil, "", ErrAnswerInvalid},
		{"An answer to no item is refused.", append(answersOf("yes", "yes", num(5), false, "good", "yes"), Answer{ItemID: "ghost", Value: "yes"}), 0, 0, nil, nil, "", ErrAnswerInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ScoreInspection(scoringTemplate, tc.answers)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Earned != tc.earned || s.Applicable != tc.appl || s.Result != tc.result || len(s.CriticalFailed) != len(tc.critical) {
				t.Fatalf("score %+v", s)
			}
			for i := range tc.critical {
				if s.CriticalFailed[i] != tc.critical[i] {
					t.Fatalf("critical %v, want %v", s.CriticalFailed, tc.critical)
				}
			}
			if (s.Score == nil) != (tc.score == nil) || (s.Score != nil && *s.Score != *tc.score) {
				t.Fatalf("score %v, want %v", s.Score, tc.score)
			}
		})
	}
}

// TestFindingStatusMachine: open → remediating → closed, nothing else,
// and the closing verifier is never the remediation owner.
func TestFindingStatusMachine(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, by string
		err                error
	}{
		{"Open to remediating.", FindingOpen, FindingRemediating, "owner", nil},
		{"Remediating to closed by another.", FindingRemediating, FindingClosed, "inspector", nil},
		{"Remediating to closed by the owner is refused.", FindingRemediating, FindingClosed, "owner", ErrFindingVerifierOwner},
		{"Closing anonymously is refused.", FindingRemediating, FindingClosed, "", ErrFindingVerifierOwner},
		{"Open straight to closed is refused.", FindingOpen, FindingClosed, "inspector", ErrFindingStatusIllegal},
		{"Remediating again is refused.", FindingRemediating, FindingRemediating, "owner", ErrFindingStatusIllegal},
		{"A closed finding stays closed.", FindingClosed, FindingRemediating, "owner", ErrFindingStatusIllegal},
		{"Back to open is not a move.", FindingRemediating, FindingOpen, "owner", ErrFindingStatusInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := NextFindingStatus(Finding{Status: tc.from, RemediationOwner: "owner"}, tc.to, tc.by)
			if !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
}

// TestScheduleReport: a monthly schedule of 2 from 2026-04-10; an
// inspection counts in the month it was done whenever uploaded; one for
// an ended month done later counts there, late; an ended month short of
// its count is missed; the current month is not missed yet; months
// before the start are not expected.
func TestScheduleReport(t *testing.T) {
	s := Schedule{Period: policy.Month, Count: 2, StartsOn: "2026-04-10"}
	today := time.Date(2026, 7, 3, 10, 0, 0, 0, Shanghai)
	ins := []Inspection{
		{InspectedOn: "2026-04-02"},                       // before the start: not counted
		{InspectedOn: "2026-04-20"},                       // April, on time
		{InspectedOn: "2026-05-31"},                       // May, on time (uploaded in June, say)
		{InspectedOn: "2026-06-05", ForPeriod: "2026-05"}, // May, late
		{InspectedOn: "2026-06-06"},                       // June
		{InspectedOn: "2026-06-07"},                       // June
		{InspectedOn: "2026-07-01"},                       // July
	}
	got := Report(s, ins, today, 6)
	want := []PeriodReport{
		{Period: "2026-04", Start: "2026-04-01", End: "2026-04-30", Expected: 2, Done: 1, OnTime: 1, Missed: 1, Ended: true},
		{Period: "2026-05", Start: "2026-05-01", End: "2026-05-31", Expected: 2, Done: 2, OnTime: 1, Late: 1, Ended: true},
		{Period: "2026-06", Start: "2026-06-01", End: "2026-06-30", Expected: 2, Done: 2, OnTime: 2, Ended: true},
		{Period: "2026-07", Start: "2026-07-01", End: "2026-07-31", Expected: 2, Done: 1, OnTime: 1, Ended: false},
	}
	if len(got) != len(want) {
		t.Fatalf("periods %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("period %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestEscalationLevels: the day after it is due, the company; 7 days
// overdue later the district; 14 the HQ (the default policy).
func TestEscalationLevels(t *testing.T) {
	p := policy.DefaultCompliance
	for day, n := range map[string]int{"2026-06-10": 0, "2026-06-11": 1, "2026-06-17": 1, "2026-06-18": 2, "2026-06-24": 2, "2026-06-25": 3} {
		if got := EscalationLevels("2026-06-10", day, p); len(got) != n {
			t.Errorf("%s: %v, want %d levels", day, got, n)
		}
	}
}
