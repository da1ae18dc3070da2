package service

// Hazard inspections (风险隐患排查): versioned checklist templates, inspections
// scored on them, findings with their remediation, schedules per company,
// and the escalation of overdue remediations.

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Item kinds, answers, severities, finding statuses and escalation levels.
const (
	KindYesNo  = "yes_no"
	KindNumber = "number"
	KindChoice = "choice"

	AnswerYes = "yes"
	AnswerNo  = "no"
	AnswerNA  = "na"

	FindingOpen        = "open"
	FindingRemediating = "remediating"
	FindingClosed      = "closed"

	LevelCompany  = "company"
	LevelDistrict = "district"
	LevelHQ       = "hq"

	ResultPassed = "passed"
	ResultFailed = "failed"
)

// Event types of the inspections.
const (
	EventTemplatePublished     = "InspectionTemplatePublished"
	EventInspectionRecorded    = "InspectionRecorded"
	EventFindingStatusChanged  = "FindingStatusChanged"
	EventRemediationEscalated  = "RemediationEscalated"
	EventInspectionScheduleSet = "InspectionScheduleSet"
)

// DefaultPassMark is a template's pass mark when it sets none: 80%, the
// association's working threshold (a template may set its own).
const DefaultPassMark = 0.8

// Choice is one option of a choice item and whether it passes.
type Choice struct {
	Value string `json:"value" required:"true"`
	Pass  bool   `json:"pass,omitempty" doc:"this option passes (absent: it fails)"`
}

// Item is one checklist item: a yes/no question (yes passes), a number
// (passes within [min, max]) or a choice (passes per option), with its
// weight. A critical item that fails fails the inspection.
type Item struct {
	ID       string   `json:"id" required:"true" doc:"unique within the template"`
	Text     string   `json:"text" required:"true"`
	Kind     string   `json:"kind" required:"true" enum:"yes_no,number,choice"`
	Weight   float64  `json:"weight" required:"true" doc:"0 to 100"`
	Critical bool     `json:"critical,omitempty"`
	Min      *float64 `json:"min,omitempty" doc:"number: the lowest passing value"`
	Max      *float64 `json:"max,omitempty" doc:"number: the highest passing value"`
	Choices  []Choice `json:"choices,omitempty" doc:"choice: the options"`
}

// Section groups items; a critical section makes each of its items
// critical.
type Section struct {
	Title    string `json:"title" required:"true"`
	Critical bool   `json:"critical,omitempty" doc:"every item of the section is critical"`
	Items    []Item `json:"items" required:"true"`
}

// ChoiceInput, ItemInput and SectionInput are a template's body as a
// request sends it (Choice, Item and Section as it is returned).
type ChoiceInput Choice

// ItemInput is an item of a template's body.
type ItemInput struct {
	ID       string        `json:"id" required:"true"`
	Text     string        `json:"text" required:"true"`
	Kind     string        `json:"kind" required:"true" enum:"yes_no,number,choice"`
	Weight   float64       `json:"weight" required:"true" doc:"0 to 100"`
	Critical bool          `json:"critical,omitempty"`
	Min      *float64      `json:"min,omitempty"`
	Max      *float64      `json:"max,omitempty"`
	Choices  []ChoiceInput `json:"choices,omitempty"`
}

// SectionInput is a section of a template's body.
type SectionInput struct {
	Title    string      `json:"title" required:"true"`
	Critical bool        `json:"critical,omitempty"`
	Items    []ItemInput `json:"items" required:"true"`
}

// AnswerInput is an answer as a request sends it.
type AnswerInput Answer

// TemplateInput is the body of a template or of its next version.
type TemplateInput struct {
	kitx.Idempotent
	Name     string         `json:"name" required:"true"`
	PassMark *float64       `json:"pass_mark,omitempty" doc:"0 to 1; default 0.8"`
	Sections []SectionInput `json:"sections" required:"true"`
}

// sections converts a template body's sections.
func sections(in []SectionInput) []Section {
	out := make([]Section, len(in))
	for i, s := range in {
		out[i] = Section{Title: s.Title, Critical: s.Critical, Items: make([]Item, len(s.Items))}
		for j, it := range s.Items {
			var ch []Choice
			for _, c := range it.Choices {
				ch = append(ch, Choice(c))
			}
			out[i].Items[j] = Item{ID: it.ID, Text: it.Text, Kind: it.Kind, Weight: it.Weight, Critical: it.Critical, Min: it.Min, Max: it.Max, Choices: ch}
		}
	}
	return out
}

// answers converts a request's answers.
func answers(in []AnswerInput) []Answer {
	out := make([]Answer, len(in))
	for i, a := range in {
		out[i] = Answer(a)
	}
	return out
}

// Template is one version of a checklist template; a version never
// changes (a change is the next version).
type Template struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	PassMark  float64   `json:"pass_mark"`
	Sections  []Section `json:"sections"`
	CreatedAt time.Time `json:"created_at"`
}

// Answer is an inspector's answer to one item: value yes, no or na (any
// kind may be na), a number, or a choice's value.
type Answer struct {
	ItemID string   `json:"item_id" required:"true"`
	Value  string   `json:"value,omitempty" doc:"yes, no or na; a choice's value; na for a number not applicable"`
	Number *float64 `json:"number,omitempty" doc:"a number item's reading"`
}

// FindingInput is a finding recorded with an inspection.
type FindingInput struct {
	ItemID           string   `json:"item_id,omitempty"`
	Text             string   `json:"text"`
	Severity         string   `json:"severity" enum:"low,medium,high,critical"`
	PhotoRefs        []string `json:"photo_refs,omitempty"`
	RemediationOwner string   `json:"remediation_owner" doc:"the subject responsible for the remediation"`
	RemediationDue   string   `json:"remediation_due" format:"date"`
}

// InspectionInput is the body of an inspection, as an inspector uploads it
// (possibly days after, when done offline: inspected_on is when it was
// done, and that is what satisfies a schedule).
type InspectionInput struct {
	kitx.Idempotent
	CompanyID       string         `json:"company_id" required:"true"`
	Site            string         `json:"site" required:"true" doc:"the site or post inspected"`
	TemplateID      string         `json:"template_id" required:"true"`
	TemplateVersion int            `json:"template_version,omitempty" doc:"default: the latest"`
	Inspector       string         `json:"inspector" required:"true"`
	InspectedOn     string         `json:"inspected_on" format:"date" required:"true"`
	ForPeriod       string         `json:"for_period,omitempty" doc:"the schedule period it is for (e.g. 2026-06), if done after that period ended: it counts there, late"`
	Answers         []AnswerInput  `json:"answers"`
	Findings        []FindingInput `json:"findings,omitempty"`
}

// Score is an inspection's result: earned over applicable weight (N-A in
// neither, the SafetyCulture model); a failed critical item fails it
// whatever the percentage.
type Score struct {
	Earned         float64  `json:"earned"`
	Applicable     float64  `json:"applicable"`
	Score          *float64 `json:"score" doc:"earned / applicable; null when nothing was applicable"`
	CriticalFailed []string `json:"critical_failed" doc:"the critical items answered failing"`
	Result         string   `json:"result" enum:"passed,failed"`
}

// Inspection is a recorded inspection.
type Inspection struct {
	ID              string    `json:"id"`
	CompanyID       string    `json:"company_id"`
	Site            string    `json:"site"`
	TemplateID      string    `json:"template_id"`
	TemplateVersion int       `json:"template_version"`
	Inspector       string    `json:"inspector"`
	InspectedOn     string    `json:"inspected_on" format:"date"`
	ForPeriod       string    `json:"for_period,omitempty"`
	Answers         []Answer  `json:"answers"`
	Score           Score     `json:"score"`
	Findings        []Finding `json:"findings"`
	RecordedAt      time.Time `json:"recorded_at"`
}

// Finding is a hazard found by an inspection and its remediation: open →
// remediating → closed (verified by someone other than the owner).
type Finding struct {
	ID               string    `json:"id"`
	InspectionID     string    `json:"inspection_id"`
	CompanyID        string    `json:"company_id"`
	ItemID           string    `json:"item_id,omitempty"`
	Text             string    `json:"text"`
	Severity         string    `json:"severity" enum:"low,medium,high,critical"`
	PhotoRefs        []string  `json:"photo_refs"`
	RemediationOwner string    `json:"remediation_owner"`
	RemediationDue   string    `json:"remediation_due" format:"date"`
	Status           string    `json:"status" enum:"open,remediating,closed"`
	VerifiedBy       string    `json:"verified_by,omitempty"`
	Escalated        string    `json:"escalated,omitempty" enum:"company,district,hq" doc:"the highest level the overdue remediation was escalated to"`
	Version          int64     `json:"version"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// FindingStatusInput moves a finding on.
type FindingStatusInput struct {
	Status string `json:"status" enum:"remediating,closed" required:"true"`
}

// ScheduleInput sets a company's expected inspections per period.
type ScheduleInput struct {
	kitx.Idempotent
	CompanyID string        `json:"company_id" required:"true"`
	Period    policy.Period `json:"period" required:"true"`
	Count     int           `json:"count" doc:"inspections expected per period, 1 to 100"`
	StartsOn  string        `json:"starts_on" format:"date" required:"true" doc:"the first day the company is expected to inspect"`
}

// Schedule is a company's inspection schedule.
type Schedule struct {
	CompanyID string        `json:"company_id"`
	Period    policy.Period `json:"period"`
	Count     int           `json:"count"`
	StartsOn  string        `json:"starts_on" format:"date"`
	CreatedAt time.Time     `json:"created_at"`
}

// PeriodReport is one period of a schedule: expected, done (on time and
// late), missed.
type PeriodReport struct {
	Period   string `json:"period" doc:"its label, e.g. 2026-06"`
	Start    string `json:"start" format:"date"`
	End      string `json:"end" format:"date" doc:"the last day"`
	Expected int    `json:"expected"`
	Done     int    `json:"done"`
	OnTime   int    `json:"on_time" doc:"done within the period (whenever uploaded)"`
	Late     int    `json:"late" doc:"done after the period for it (for_period)"`
	Missed   int    `json:"missed" doc:"expected but not done, once the period has ended"`
	Ended    bool   `json:"ended"`
}

// Errors of the inspections.
var (
	ErrTemplateNotFound       = errs.E(errs.NotFound, "template.not_found", "no such template or version")
	ErrTemplateNameRequired   = errs.InvalidField("template.name_required", "name", "a template needs a name (at most 200 characters)")
	ErrTemplateSections       = errs.InvalidField("template.sections_invalid", "sections", "1 to 50 sections, each with a title (at most 200 characters) and 1 to 200 items")
	ErrTemplateItemInvalid    = errs.InvalidField("template.item_invalid", "sections.items", "each item needs a unique id (1–64 characters), a text (1–500), a kind (yes_no, number with min and/or max, choice with 2–20 distinct values) and a weight 0–100")
	ErrTemplatePassMark       = errs.InvalidField("template.pass_mark_invalid", "pass_mark", "pass_mark is 0 to 1")
	ErrInspectionNotFound     = errs.E(errs.NotFound, "inspection.not_found", "no such inspection")
	ErrInspectionCompany      = ErrCompanyIDRequired
	ErrInspectionSite         = errs.InvalidField("inspection.site_required", "site", "site is required (at most 200 characters)")
	ErrInspectionInspector    = errs.InvalidField("inspection.inspector_required", "inspector", "inspector is required (at most 100 characters)")
	ErrInspectionDate         = errs.InvalidField("inspection.inspected_on_invalid", "inspected_on", "inspected_on must be a date from 2000-01-01 to today")
	ErrInspectionForPeriod    = errs.InvalidField("inspection.for_period_invalid", "for_period", "for_period must be a period label of the company's schedule that ended before inspected_on")
	ErrInspectionTemplate     = errs.InvalidField("inspection.template_invalid", "template_id", "template_id and template_version must name a template version")
	ErrAnswerInvalid          = errs.InvalidField("inspection.answer_invalid", "answers", "every item of the template is answered exactly once: yes/no/na, a number (or na), or one of the item's choices (or na)")
	ErrFindingInvalid         = errs.InvalidField("finding.invalid", "findings", "each finding needs a text (1–2000), a severity (low, medium, high, critical), at most 20 photo references (≤ 500 characters), a remediation_owner (1–100) and a remediation_due date not before inspected_on; item_id must be the template's")
	ErrFindingNotFound        = errs.E(errs.NotFound, "finding.not_found", "no such finding")
	ErrFindingStatusInvalid   = errs.InvalidField("finding.status_invalid", "status", "status must be remediating or closed")
	ErrFindingStatusIllegal   = errs.E(errs.Conflict, "finding.status_illegal", "a finding moves open → remediating → closed")
	ErrFindingVerifierOwner   = errs.E(errs.Conflict, "finding.verifier_is_owner", "a remediation is verified by someone other than its owner")
	ErrScheduleInvalid        = errs.InvalidField("schedule.invalid", "period", "period is week, month, quarter or year; count 1 to 100; starts_on a date")
	ErrScheduleCompany        = ErrCompanyIDRequired
	ErrScheduleExists         = errs.E(errs.Conflict, "schedule.exists", "this company already has a schedule")
	ErrScheduleNotFound       = errs.E(errs.NotFound, "schedule.not_found", "this company has no inspection schedule")
	ErrTemplateVersionInvalid = errs.InvalidField("template.version_invalid", "version", "version is a positive integer")
	ErrSchedulePeriodsInvalid = errs.InvalidField("schedule.periods_invalid", "periods", "periods is 1 to 36 periods of the company's schedule back from the current one")
)

func textOK(s string, max int) bool {
	n := len([]rune(strings.TrimSpace(s)))
	return n >= 1 && n <= max
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

// ValidateTemplate checks a template's body.
func ValidateTemplate(in TemplateInput) error {
	if !textOK(in.Name, 200) {
		return ErrTemplateNameRequired
	}
	if in.PassMark != nil && (math.IsNaN(*in.PassMark) || *in.PassMark < 0 || *in.PassMark > 1) {
		return ErrTemplatePassMark
	}
	if len(in.Sections) < 1 || len(in.Sections) > 50 {
		return ErrTemplateSections
	}
	ids := map[string]bool{}
	for _, s := range in.Sections {
		if !textOK(s.Title, 200) || len(s.Items) < 1 || len(s.Items) > 200 {
			return ErrTemplateSections
		}
		for _, it := range s.Items {
			if len(it.ID) < 1 || len(it.ID) > 64 || ids[it.ID] || !textOK(it.Text, 500) || math.IsNaN(it.Weight) || it.Weight < 0 || it.Weight > 100 {
				return ErrTemplateItemInvalid
			}
			ids[it.ID] = true
			switch it.Kind {
			case KindYesNo:
				if it.Min != nil || it.Max != nil || len(it.Choices) > 0 {
					return ErrTemplateItemInvalid
				}
			case KindNumber:
				if (it.Min == nil && it.Max == nil) || len(it.Choices) > 0 || (it.Min != nil && it.Max != nil && *it.Min > *it.Max) {
					return ErrTemplateItemInvalid
				}
			case KindChoice:
				if len(it.Choices) < 2 || len(it.Choices) > 20 || it.Min != nil || it.Max != nil {
					return ErrTemplateItemInvalid
				}
				seen := map[string]bool{}
				for _, c := range it.Choices {
					if !textOK(c.Value, 100) || seen[c.Value] || c.Value == AnswerNA {
						return ErrTemplateItemInvalid
					}
					seen[c.Value] = true
				}
			default:
				return ErrTemplateItemInvalid
			}
		}
	}
	return nil
}

// ScoreInspection scores answers on template t: every item answered once;
// earned is the weight of the passing answers, applicable the weight of
// every answer but N-A; a critical item (or an item of a critical section)
// answered failing fails the inspection whatever the percentage, and so
// does a score under the template's pass mark.
func ScoreInspection(t Template, answers []Answer) (Score, error) {
	byID := map[string]Answer{}
	for _, a := range answers {
		if _, dup := byID[a.ItemID]; dup {
			return Score{}, ErrAnswerInvalid
		}
		byID[a.ItemID] = a
	}
	s := Score{CriticalFailed: []string{}}
	n := 0
	for _, sec := range t.Sections {
		for _, it := range sec.Items {
			a, ok := byID[it.ID]
			if !ok {
				return Score{}, ErrAnswerInvalid
			}
			n++
			pass, na, err := judge(it, a)
			if err != nil {
				return Score{}, err
			}
			if na {
				continue
			}
			s.Applicable += it.Weight
			if pass {
				s.Earned += it.Weight
			} else if it.Critical || sec.Critical {
				s.CriticalFailed = append(s.CriticalFailed, it.ID)
			}
		}
	}
	if n != len(byID) { // an answer to an item the template does not have
		return Score{}, ErrAnswerInvalid
	}
	if s.Applicable > 0 {
		v := s.Earned / s.Applicable
		s.Score = &v
	}
	s.Result = ResultPassed
	if len(s.CriticalFailed) > 0 || (s.Score != nil && *s.Score < t.PassMark) {
		s.Result = ResultFailed
	}
	return s, nil
}

// judge reads one answer: whether it passes, or is N-A.
func judge(it Item, a Answer) (pass, na bool, err error) {
	if a.Value == AnswerNA && a.Number == nil {
		return false, true, nil
	}
	switch it.Kind {
	case KindYesNo:
		if a.Number != nil || (a.Value != AnswerYes && a.Value != AnswerNo) {
			return false, false, ErrAnswerInvalid
		}
		return a.Value == AnswerYes, false, nil
	case KindNumber:
		if a.Number == nil || a.Value != "" || math.IsNaN(*a.Number) || math.IsInf(*a.Number, 0) {
			return false, false, ErrAnswerInvalid
		}
		v := *a.Number
		return (it.Min == nil || v >= *it.Min) && (it.Max == nil || v <= *it.Max), false, nil
	case KindChoice:
		if a.Number != nil {
			return false, false, ErrAnswerInvalid
		}
		for _, c := range it.Choices {
			if c.Value == a.Value {
				return c.Pass, false, nil
			}
		}
	}
	return false, false, ErrAnswerInvalid
}

// NextFindingStatus checks a finding's move to to by subject: open →
// remediating → closed, and closing is the verification, by someone other
// than the remediation owner.
func NextFindingStatus(f Finding, to, subject string) error {
	switch to {
	case FindingRemediating:
		if f.Status != FindingOpen {
			return ErrFindingStatusIllegal
		}
	case FindingClosed:
		if f.Status != FindingRemediating {
			return ErrFindingStatusIllegal
		}
		if subject == "" || subject == f.RemediationOwner {
			return ErrFindingVerifierOwner
		}
	default:
		return ErrFindingStatusInvalid
	}
	return nil
}

// EscalationLevels returns the levels an unclosed finding due on due is
// escalated to on day under p, in order: company the day after it is due,
// district escalation_district_days later, HQ escalation_hq_days later.
func EscalationLevels(due, day string, p policy.Compliance) []string {
	d := daysUntil(due, day)
	var out []string
	if d >= 1 {
		out = append(out, LevelCompany)
	}
	if d >= 1+p.EscalationDistrictDays {
		out = append(out, LevelDistrict)
	}
	if d >= 1+p.EscalationHQDays {
		out = append(out, LevelHQ)
	}
	return out
}

func levelRank(l string) int {
	switch l {
	case LevelCompany:
		return 1
	case LevelDistrict:
		return 2
	case LevelHQ:
		return 3
	}
	return 0
}

// Report counts a schedule's periods: the last n periods that began on or
// after the schedule's start (the company is not expected before), up to
// the one containing today. An inspection counts in the period of its
// inspected_on, whenever it was uploaded; one naming an ended period in
// for_period counts there, late.
func Report(s Schedule, inspections []Inspection, today time.Time, n int) []PeriodReport {
	first, _ := time.ParseInLocation(time.DateOnly, s.StartsOn, policy.Zone)
	cur := s.Period.Start(today)
	firstStart := s.Period.Start(first)
	var out []PeriodReport
	for i := n - 1; i >= 0; i-- {
		start := s.Period.Shift(cur, -i)
		if start.Before(firstStart) {
			continue
		}
		end := s.Period.Shift(start, 1)
		label := s.Period.Label(start)
		r := PeriodReport{Period: label, Start: start.Format(time.DateOnly), End: end.AddDate(0, 0, -1).Format(time.DateOnly),
			Expected: s.Count, Ended: !today.In(policy.Zone).Before(end)}
		for _, in := range inspections {
			on, _ := time.ParseInLocation(time.DateOnly, in.InspectedOn, policy.Zone)
			switch {
			case in.ForPeriod == label && !on.Before(end):
				r.Late++
			case in.ForPeriod == "" || in.ForPeriod == label:
				if !on.Before(start) && on.Before(end) && !on.Before(first) {
					r.OnTime++
				}
			}
		}
		r.Done = r.OnTime + r.Late
		if r.Ended && r.Done < r.Expected {
			r.Missed = r.Expected - r.Done
		}
		out = append(out, r)
	}
	return out
}

// InspectionQueries are the store's reads and writes of the inspections.
type InspectionQueries interface {
	PutTemplate(ctx context.Context, t Template) error
	Template(ctx context.Context, id string, version int) (Template, bool, error)
	PutInspection(ctx context.Context, in Inspection) error
	Inspection(ctx context.Context, id string) (Inspection, bool, error)
	PutFinding(ctx context.Context, f Finding) error
	Finding(ctx context.Context, id string) (Finding, bool, error)
	// UnclosedFindingsDue returns the findings not closed whose
	// remediation was due before day.
	UnclosedFindingsDue(ctx context.Context, day string) ([]Finding, error)
	PutSchedule(ctx context.Context, s Schedule) error
	Schedule(ctx context.Context, company string) (Schedule, bool, error)
	// CompanyInspections returns company's inspections inspected on or
	// after since (without answers and findings).
	CompanyInspections(ctx context.Context, company, since string) ([]Inspection, error)
	ListInspections(ctx context.Context, company, after string, limit int) ([]Inspection, error)
	Schedules(ctx context.Context) ([]Schedule, error)
	// CompanyWindow returns when company became active and lapsed ("").
	CompanyWindow(ctx context.Context, id string) (activeSince, lapsedOn string, err error)
	// CompanyKnown reports whether the register (membership's events)
	// holds company id, whatever its status.
	CompanyKnown(ctx context.Context, id string) (bool, error)
}

// Escalate escalates, once per level, every unclosed finding whose
// remediation is overdue on today (China time) under p: company, then
// district, then HQ, each as a RemediationEscalated event; a node that
// was down emits the levels it missed, in order.
func Escalate(ctx context.Context, q Queries, today time.Time, p policy.Compliance) ([]Change, error) {
	day := Day(today)
	fs, err := q.UnclosedFindingsDue(ctx, day)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for _, f := range fs {
		levels := EscalationLevels(f.RemediationDue, day, p)
		moved := false
		for _, l := range levels {
			if levelRank(l) <= levelRank(f.Escalated) {
				continue
			}
			f.Escalated, moved = l, true
			f.Version++
			snap := f
			changes = append(changes, Change{Type: EventRemediationEscalated, Finding: &snap, Level: l, DaysOverdue: daysUntil(f.RemediationDue, day)})
		}
		if moved {
			f.UpdatedAt = today.UTC()
			if err := q.PutFinding(ctx, f); err != nil {
				return nil, err
			}
			if err := auditSystem(ctx, q, today, ActionFindingEscalate, "finding", f.ID, []string{"escalated"}); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}
