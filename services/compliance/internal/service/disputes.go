package service

// Disputes (矛盾纠纷化解): a case through mediation to resolution or
// escalation, with its timers.

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// MediationDays is how long mediation may run before the parties may go
// to arbitration: 15 days from the mediation's start (劳动争议调解仲裁法
// art. 14: "自劳动争议调解组织收到调解申请之日起十五日内未达成调解协议的，
// 当事人可以依法申请仲裁"). A statute, not a policy.
const MediationDays = 15

// Dispute kinds, statuses and escalation targets.
const (
	DisputeReported  = "reported"
	DisputeMediating = "mediating"
	DisputeResolved  = "resolved"
	DisputeEscalated = "escalated"
)

// DisputeKinds are the kinds of dispute.
var DisputeKinds = []string{"wages", "labour_contract", "client_contract", "injury", "other"}

// EscalationTargets are where an escalated dispute goes.
var EscalationTargets = []string{"labour_arbitration", "police", "court"}

// Events of the disputes.
const (
	EventDisputeReported        = "DisputeReported"
	EventDisputeStepRecorded    = "DisputeStepRecorded"
	EventDisputeStatusChanged   = "DisputeStatusChanged"
	EventDisputeResponseOverdue = "DisputeResponseOverdue"
	EventDisputeEscalationDue   = "DisputeEscalationDue"
)

// Party is a party to a dispute.
type Party struct {
	Role string `json:"role" required:"true" enum:"guard,company,client"`
	ID   string `json:"id,omitempty" doc:"the guard's or company's id, if one of the district's"`
	Name string `json:"name" required:"true"`
}

// DisputeInput reports a dispute.
type DisputeInput struct {
	kitx.Idempotent
	CompanyID   string   `json:"company_id" required:"true" doc:"the member company concerned"`
	Kind        string   `json:"kind" required:"true" enum:"wages,labour_contract,client_contract,injury,other"`
	Parties     []Party  `json:"parties" required:"true"`
	Amount      *float64 `json:"amount,omitempty" doc:"the sum in dispute, yuan"`
	Description string   `json:"description" required:"true"`
	Mediator    string   `json:"mediator,omitempty"`
}

// Step is one entry of a dispute's timeline.
type Step struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Kind string    `json:"kind" enum:"contact,meeting,note,status"`
	Note string    `json:"note"`
}

// StepInput records a step.
type StepInput struct {
	Kind string `json:"kind" required:"true" enum:"contact,meeting,note"`
	Note string `json:"note" required:"true"`
}

// DisputeStatusInput moves a dispute on.
type DisputeStatusInput struct {
	Status      string `json:"status" required:"true" enum:"mediating,resolved,escalated"`
	Mediator    string `json:"mediator,omitempty" doc:"required to start mediating unless the dispute has one"`
	Outcome     string `json:"outcome,omitempty" doc:"required to resolve or escalate"`
	EscalatedTo string `json:"escalated_to,omitempty" enum:"labour_arbitration,police,court" doc:"required to escalate"`
}

// Dispute is a dispute case.
type Dispute struct {
	ID            string     `json:"id"`
	CompanyID     string     `json:"company_id"`
	Kind          string     `json:"kind"`
	Parties       []Party    `json:"parties"`
	Amount        *float64   `json:"amount,omitempty"`
	Description   string     `json:"description"`
	Mediator      string     `json:"mediator,omitempty"`
	Status        string     `json:"status" enum:"reported,mediating,resolved,escalated"`
	Outcome       string     `json:"outcome,omitempty"`
	EscalatedTo   string     `json:"escalated_to,omitempty"`
	ReportedAt    time.Time  `json:"reported_at"`
	ResponseDue   time.Time  `json:"response_due" doc:"the end of the policy's working days after it was reported"`
	RespondedAt   *time.Time `json:"responded_at,omitempty" doc:"the first step or move after it was reported"`
	MediatingAt   *time.Time `json:"mediating_at,omitempty"`
	MediationDue  *time.Time `json:"mediation_due,omitempty" doc:"15 days from the mediation's start (劳动争议调解仲裁法 art. 14)"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	ResponseLate  bool       `json:"response_overdue" doc:"announced: no response by response_due"`
	EscalationDue bool       `json:"escalation_due" doc:"announced: mediation not concluded by mediation_due"`
	Timeline      []Step     `json:"timeline"`
	Version       int64      `json:"version"`
}

// Errors of the disputes.
var (
	ErrDisputeNotFound      = errs.E(errs.NotFound, "dispute.not_found", "no such dispute")
	ErrDisputeCompany       = ErrCompanyIDRequired
	ErrDisputeKind          = errs.InvalidField("dispute.kind_invalid", "kind", "kind must be wages, labour_contract, client_contract, injury or other")
	ErrDisputeParties       = errs.InvalidField("dispute.parties_invalid", "parties", "1 to 20 parties, each with a role (guard, company, client) and a name (at most 100 characters)")
	ErrDisputeAmount        = errs.InvalidField("dispute.amount_invalid", "amount", "amount is 0 to 100,000,000 yuan")
	ErrDisputeDescription   = errs.InvalidField("dispute.description_required", "description", "a description is required (at most 5000 characters)")
	ErrDisputeMediator      = errs.InvalidField("dispute.mediator_invalid", "mediator", "a mediator is required to start mediating (at most 100 characters)")
	ErrDisputeStatusInvalid = errs.InvalidField("dispute.status_invalid", "status", "status must be mediating, resolved or escalated")
	ErrDisputeStatusIllegal = errs.E(errs.Conflict, "dispute.status_illegal", "a dispute moves reported → mediating → resolved or escalated (a reported one may be escalated at once)")
	ErrDisputeOutcome       = errs.InvalidField("dispute.outcome_required", "outcome", "an outcome is required to resolve or escalate (at most 2000 characters)")
	ErrDisputeEscalatedTo   = errs.InvalidField("dispute.escalated_to_invalid", "escalated_to", "escalated_to must be labour_arbitration, police or court")
	ErrDisputeStepInvalid   = errs.InvalidField("dispute.step_invalid", "note", "a step needs a kind (contact, meeting, note) and a note (1–2000 characters)")
	ErrDisputeClosed        = errs.E(errs.Conflict, "dispute.closed", "the dispute is resolved or escalated")
	ErrDisputeFilterStatus  = errs.InvalidField("dispute.status_filter_invalid", "status", "the status filter is reported, mediating, resolved or escalated")
	ErrDisputeFilterKind    = ErrDisputeKind
)

// WorkingDaysAfter returns the end (midnight China time) of the n-th
// working day (Monday to Friday) after t's day. Public holidays and the
// weekend days made working days are not modelled.
func WorkingDaysAfter(t time.Time, n int) time.Time {
	d := t.In(policy.Zone)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, policy.Zone)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day.AddDate(0, 0, 1)
}

// DisputeQueries are the store's reads and writes of the disputes.
type DisputeQueries interface {
	PutDispute(ctx context.Context, d Dispute) error
	Dispute(ctx context.Context, id string) (Dispute, bool, error)
	ListDisputes(ctx context.Context, f DisputeFilter, after string, limit int) ([]Dispute, error)
	// OpenDisputes returns the disputes not resolved or escalated.
	OpenDisputes(ctx context.Context) ([]Dispute, error)
	AllDisputes(ctx context.Context) ([]Dispute, error)
}

// DisputeFilter selects disputes.
type DisputeFilter struct {
	Status    string
	Kind      string
	CompanyID string
}

// DisputeStore is what the dispute operations need of the store.
type DisputeStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	DisputeQueries
}

// Disputes is the disputes API of the service.
type Disputes struct {
	Store  DisputeStore
	Now    func() time.Time
	Policy func() policy.Compliance
	ins    *Inspections
}

// NewDisputes returns the disputes API; ins provides the idempotency keys.
func NewDisputes(st DisputeStore, ins *Inspections, now func() time.Time, p func() policy.Compliance) *Disputes {
	return &Disputes{Store: st, Now: now, Policy: p, ins: ins}
}

// Report records a new dispute.
func (s *Disputes) Report(ctx context.Context, in DisputeInput) (Dispute, error) {
	switch {
	case !textOK(in.CompanyID, 64):
		return Dispute{}, ErrDisputeCompany
	case !slices.Contains(DisputeKinds, in.Kind):
		return Dispute{}, ErrDisputeKind
	case len(in.Parties) < 1 || len(in.Parties) > 20:
		return Dispute{}, ErrDisputeParties
	case in.Amount != nil && (math.IsNaN(*in.Amount) || *in.Amount < 0 || *in.Amount > 1e8):
		return Dispute{}, ErrDisputeAmount
	case !textOK(in.Description, 5000):
		return Dispute{}, ErrDisputeDescription
	case in.Mediator != "" && !textOK(in.Mediator, 100):
		return Dispute{}, ErrDisputeMediator
	}
	for _, p := range in.Parties {
		if (p.Role != "guard" && p.Role != "company" && p.Role != "client") || !textOK(p.Name, 100) || len(p.ID) > 64 {
			return Dispute{}, ErrDisputeParties
		}
	}
	return once(ctx, s.ins, "POST disputes", in.IdempotencyKey, in, func(q Queries) (Dispute, []Change, error) {
		id, err := newID()
		if err != nil {
			return Dispute{}, nil, err
		}
		now := s.Now().UTC()
		d := Dispute{ID: id, CompanyID: in.CompanyID, Kind: in.Kind, Parties: in.Parties, Amount: in.Amount,
			Description: strings.TrimSpace(in.Description), Mediator: strings.TrimSpace(in.Mediator), Status: DisputeReported,
			ReportedAt: now, ResponseDue: WorkingDaysAfter(now, s.Policy().DisputeResponseWorkingDays).UTC(), Timeline: []Step{}, Version: 1}
		if err := q.PutDispute(ctx, d); err != nil {
			return Dispute{}, nil, err
		}
		if err := auditWrite(ctx, q, now, ActionDisputeReport, "dispute", id, nil); err != nil {
			return Dispute{}, nil, err
		}
		return d, []Change{{Type: EventDisputeReported, Dispute: &d}}, nil
	})
}

// Get returns a dispute.
func (s *Disputes) Get(ctx context.Context, id string) (Dispute, error) {
	d, ok, err := s.Store.Dispute(ctx, id)
	if err == nil && !ok {
		err = ErrDisputeNotFound
	}
	return d, err
}

// Company returns the company of dispute id ("" if none).
func (s *Disputes) Company(ctx context.Context, id string) string {
	d, ok, err := s.Store.Dispute(ctx, id)
	if err != nil || !ok {
		return ""
	}
	return d.CompanyID
}

// List returns a page of disputes by id.
func (s *Disputes) List(ctx context.Context, f DisputeFilter, p kitx.Page) ([]Dispute, string, error) {
	if f.Status != "" && !slices.Contains([]string{DisputeReported, DisputeMediating, DisputeResolved, DisputeEscalated}, f.Status) {
		return nil, "", ErrDisputeFilterStatus
	}
	if f.Kind != "" && !slices.Contains(DisputeKinds, f.Kind) {
		return nil, "", ErrDisputeFilterKind
	}
	rows, err := s.Store.ListDisputes(ctx, f, p.Cursor, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Size {
		rows = rows[:p.Size]
		next = rows[len(rows)-1].ID
	}
	return rows, next, nil
}

func (s *Disputes) update(ctx context.Context, id, action string, fn func(d *Dispute, by string, now time.Time) (Change, error)) (Dispute, error) {
	p, _ := auth.FromContext(ctx)
	var out Dispute
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		d, ok, err := q.Dispute(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrDisputeNotFound
		}
		if d.Status == DisputeResolved || d.Status == DisputeEscalated {
			return nil, ErrDisputeClosed
		}
		now := s.Now().UTC()
		ch, err := fn(&d, p.Subject, now)
		if err != nil {
			return nil, err
		}
		if d.RespondedAt == nil {
			d.RespondedAt = &now
		}
		d.Version++
		if err := q.PutDispute(ctx, d); err != nil {
			return nil, err
		}
		if err := auditWrite(ctx, q, now, action, "dispute", id, nil); err != nil {
			return nil, err
		}
		out = d
		ch.Dispute = &out
		return []Change{ch}, nil
	})
	return out, err
}

// AddStep records a step of the timeline; the first one is the response.
func (s *Disputes) AddStep(ctx context.Context, id string, in StepInput) (Dispute, error) {
	if (in.Kind != "contact" && in.Kind != "meeting" && in.Kind != "note") || !textOK(in.Note, 2000) {
		return Dispute{}, ErrDisputeStepInvalid
	}
	return s.update(ctx, id, ActionDisputeStep, func(d *Dispute, by string, now time.Time) (Change, error) {
		d.Timeline = append(d.Timeline, Step{At: now, By: by, Kind: in.Kind, Note: strings.TrimSpace(in.Note)})
		return Change{Type: EventDisputeStepRecorded}, nil
	})
}

// ChangeStatus moves a dispute on: reported → mediating → resolved or
// escalated; a reported dispute may be escalated at once (a crime is the
// police's, not a mediator's).
func (s *Disputes) ChangeStatus(ctx context.Context, id string, in DisputeStatusInput) (Dispute, error) {
	switch in.Status {
	case DisputeMediating, DisputeResolved, DisputeEscalated:
	default:
		return Dispute{}, ErrDisputeStatusInvalid
	}
	if in.Mediator != "" && !textOK(in.Mediator, 100) {
		return Dispute{}, ErrDisputeMediator
	}
	if (in.Status == DisputeResolved || in.Status == DisputeEscalated) && !textOK(in.Outcome, 2000) {
		return Dispute{}, ErrDisputeOutcome
	}
	if in.Status == DisputeEscalated && !slices.Contains(EscalationTargets, in.EscalatedTo) {
		return Dispute{}, ErrDisputeEscalatedTo
	}
	return s.update(ctx, id, ActionDisputeStatus, func(d *Dispute, by string, now time.Time) (Change, error) {
		from := d.Status
		switch {
		case in.Status == DisputeMediating && from == DisputeReported:
			if in.Mediator != "" {
				d.Mediator = strings.TrimSpace(in.Mediator)
			}
			if d.Mediator == "" {
				return Change{}, ErrDisputeMediator
			}
			due := now.AddDate(0, 0, MediationDays)
			d.MediatingAt, d.MediationDue = &now, &due
		case in.Status == DisputeResolved && from == DisputeMediating:
			d.Outcome, d.ClosedAt = strings.TrimSpace(in.Outcome), &now
		case in.Status == DisputeEscalated && (from == DisputeMediating || from == DisputeReported):
			d.Outcome, d.EscalatedTo, d.ClosedAt = strings.TrimSpace(in.Outcome), in.EscalatedTo, &now
		default:
			return Change{}, ErrDisputeStatusIllegal
		}
		d.Status = in.Status
		d.Timeline = append(d.Timeline, Step{At: now, By: by, Kind: "status", Note: from + " → " + in.Status})
		return Change{Type: EventDisputeStatusChanged, FromStatus: from, ToStatus: in.Status, By: by}, nil
	})
}

// Timers announces, once each, the open disputes whose first response is
// overdue and the mediations not concluded in 15 days.
func (s *Disputes) Timers(ctx context.Context) (int, error) {
	now := s.Now()
	due := func(d Dispute) bool {
		return (!d.ResponseLate && d.RespondedAt == nil && !now.Before(d.ResponseDue)) ||
			(!d.EscalationDue && d.Status == DisputeMediating && d.MediationDue != nil && !now.Before(*d.MediationDue))
	}
	open, err := s.Store.OpenDisputes(ctx)
	if err != nil || !slices.ContainsFunc(open, due) {
		return 0, err
	}
	var n int
	err = s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		open, err := q.OpenDisputes(ctx)
		if err != nil {
			return nil, err
		}
		var changes []Change
		for _, d := range open {
			if !due(d) {
				continue
			}
			var types []string
			if !d.ResponseLate && d.RespondedAt == nil && !now.Before(d.ResponseDue) {
				d.ResponseLate = true
				types = append(types, EventDisputeResponseOverdue)
			}
			if !d.EscalationDue && d.Status == DisputeMediating && d.MediationDue != nil && !now.Before(*d.MediationDue) {
				d.EscalationDue = true
				types = append(types, EventDisputeEscalationDue)
			}
			for _, t := range types {
				d.Version++
				snap := d
				changes = append(changes, Change{Type: t, Dispute: &snap})
			}
			if err := q.PutDispute(ctx, d); err != nil {
				return nil, err
			}
			if err := auditSystem(ctx, q, now, ActionDisputeTimer, "dispute", d.ID, types); err != nil {
				return nil, err
			}
		}
		n = len(changes)
		return changes, nil
	})
	return n, err
}

// Count is one group of a statistic.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// DisputeStats are the district's dispute statistics.
type DisputeStats struct {
	Total     int     `json:"total"`
	ByKind    []Count `json:"by_kind"`
	ByStatus  []Count `json:"by_status"`
	ByOutcome []Count `json:"by_outcome" doc:"resolved, or the escalation target"`
	// Days from report to resolution or escalation of the closed ones
	// (nearest rank); null when none is closed.
	ResolutionDaysP50 *float64 `json:"resolution_days_p50"`
	ResolutionDaysP90 *float64 `json:"resolution_days_p90"`
	ResponseOverdue   int      `json:"response_overdue"`
	EscalationDue     int      `json:"escalation_due"`
}

// Stats counts the district's disputes.
func (s *Disputes) Stats(ctx context.Context) (DisputeStats, error) {
	all, err := s.Store.AllDisputes(ctx)
	if err != nil {
		return DisputeStats{}, err
	}
	st := DisputeStats{Total: len(all)}
	kinds, statuses, outcomes := map[string]int{}, map[string]int{}, map[string]int{}
	var days []float64
	for _, d := range all {
		kinds[d.Kind]++
		statuses[d.Status]++
		if d.ResponseLate {
			st.ResponseOverdue++
		}
		if d.EscalationDue {
			st.EscalationDue++
		}
		switch d.Status {
		case DisputeResolved:
			outcomes[DisputeResolved]++
		case DisputeEscalated:
			outcomes[d.EscalatedTo]++
		}
		if d.ClosedAt != nil {
			days = append(days, d.ClosedAt.Sub(d.ReportedAt).Hours()/24)
		}
	}
	for _, k := range DisputeKinds {
		st.ByKind = append(st.ByKind, Count{k, kinds[k]})
	}
	for _, k := range []string{DisputeReported, DisputeMediating, DisputeResolved, DisputeEscalated} {
		st.ByStatus = append(st.ByStatus, Count{k, statuses[k]})
	}
	for _, k := range append([]string{DisputeResolved}, EscalationTargets...) {
		st.ByOutcome = append(st.ByOutcome, Count{k, outcomes[k]})
	}
	st.ResolutionDaysP50, st.ResolutionDaysP90 = percentile(days, 0.5), percentile(days, 0.9)
	return st, nil
}

// percentile is the nearest-rank percentile of v, nil for none.
func percentile(v []float64, p float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	r := math.Round(s[max(0, i)]*100) / 100
	return &r
}
