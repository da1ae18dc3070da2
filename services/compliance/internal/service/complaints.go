package service

// Fair-competition complaints (抱团取暖，杜绝恶意竞争, issue 17 part 4): a
// member company complains about another (below-cost bidding, poaching
// guards in breach of contract, defamation) with references to its
// evidence; the accused answers; the district lead mediates; the outcome
// is recorded and counts in the evaluations of the company it is found
// against. The accused sees the complaint but not who filed it unless the
// complainant agreed (disclose_complainant): a company that fears
// retaliation from a larger competitor still complains.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Complaint statuses: filed → answered → mediating → resolved, or
// withdrawn by the complainant before resolution.
const (
	ComplaintFiled     = "filed"
	ComplaintAnswered  = "answered"
	ComplaintMediating = "mediating"
	ComplaintResolved  = "resolved"
	ComplaintWithdrawn = "withdrawn"
)

// ComplaintStatuses are the statuses of a complaint, in order.
var ComplaintStatuses = []string{ComplaintFiled, ComplaintAnswered, ComplaintMediating, ComplaintResolved, ComplaintWithdrawn}

// ComplaintKinds are the kinds of complaint; other needs kind_other.
var ComplaintKinds = []string{"below_cost_bidding", "poaching", "defamation", "other"}

// Complaint outcomes and whom they count against.
const (
	OutcomeUpheld    = "upheld"
	OutcomeDismissed = "dismissed"
	OutcomeSettled   = "settled"

	AgainstAccused     = "accused"
	AgainstComplainant = "complainant"
	AgainstNone        = "none"
)

// ComplaintOutcomes are the outcomes of a resolved complaint.
var ComplaintOutcomes = []string{OutcomeUpheld, OutcomeDismissed, OutcomeSettled}

// ComplaintSides select a company's complaints by its side in them.
var ComplaintSides = []string{"filed", "received"}

// EvidenceKinds are the kinds of an evidence reference (no uploads: a
// file id of the association's document store, a URL, or a text such as
// a tender number).
var EvidenceKinds = []string{"file", "url", "text"}

// Events of the complaints. They carry the complainant's id and go to the
// district's compliance topic, which only HQ consumes: no company reads
// events, so the redaction is the API's.
const (
	EventComplaintFiled            = "ComplaintFiled"
	EventComplaintAnswered         = "ComplaintAnswered"
	EventComplaintStatusChanged    = "ComplaintStatusChanged"
	EventComplaintAnswerOverdue    = "ComplaintAnswerOverdue"
	EventComplaintMediationOverdue = "ComplaintMediationOverdue"
)

// Audit actions of the complaints.
const (
	ActionComplaintFile     = "complaint.file"
	ActionComplaintAnswer   = "complaint.answer"
	ActionComplaintStatus   = "complaint.status_change"
	ActionComplaintWithdraw = "complaint.withdraw"
	ActionComplaintTimer    = "complaint.timer"
)

// EvidenceRef is a reference to a piece of evidence.
type EvidenceRef struct {
	Kind string `json:"kind" required:"true" enum:"file,url,text"`
	Ref  string `json:"ref" required:"true" doc:"the file id, the URL or the text (at most 500 characters)"`
	Note string `json:"note,omitempty" doc:"what it shows (at most 500 characters)"`
}

// ComplaintInput files a complaint.
type ComplaintInput struct {
	kitx.Idempotent
	ComplainantID string        `json:"complainant_id" required:"true" doc:"the company complaining (a company-admin names its own)"`
	AccusedID     string        `json:"accused_id" required:"true" doc:"the company complained about, not the complainant; both are companies of the district's register (company.not_found otherwise)"`
	Kind          string        `json:"kind" required:"true" enum:"below_cost_bidding,poaching,defamation,other"`
	KindOther     string        `json:"kind_other,omitempty" doc:"what it is, required when kind is other (at most 200 characters)"`
	Description   string        `json:"description" required:"true" doc:"at most 5000 characters"`
	Evidence      []EvidenceRef `json:"evidence" required:"true" doc:"1 to 20 references"`
	// DiscloseComplainant agrees that the accused company sees who
	// complained; false (the default) keeps the complainant's id and the
	// filer out of everything the accused reads.
	DiscloseComplainant bool `json:"disclose_complainant,omitempty"`
}

// ComplaintAnswerInput is the accused company's answer.
type ComplaintAnswerInput struct {
	Text     string        `json:"text" required:"true" doc:"at most 5000 characters"`
	Evidence []EvidenceRef `json:"evidence,omitempty" doc:"0 to 20 references"`
}

// ComplaintStatusInput moves a complaint on (the district lead, HQ).
type ComplaintStatusInput struct {
	Status   string `json:"status" required:"true" enum:"mediating,resolved"`
	Mediator string `json:"mediator,omitempty" doc:"required to start mediating (at most 100 characters)"`
	Outcome  string `json:"outcome,omitempty" enum:"upheld,dismissed,settled" doc:"required to resolve"`
	Finding  string `json:"finding,omitempty" doc:"required to resolve: what the mediation found (at most 2000 characters); shown as the reason in the evaluations"`
	// CountsAgainst is whom the outcome counts against in the
	// evaluations: upheld → accused (the default); dismissed → none (the
	// default) or complainant (found malicious); settled → none.
	CountsAgainst string `json:"counts_against,omitempty" enum:"accused,complainant,none"`
}

// ComplaintWithdrawInput withdraws a complaint (the complainant).
type ComplaintWithdrawInput struct {
	Reason string `json:"reason" required:"true" doc:"at most 2000 characters"`
}

// ComplaintAnswer is the accused company's answer.
type ComplaintAnswer struct {
	Text     string        `json:"text"`
	Evidence []EvidenceRef `json:"evidence"`
	At       time.Time     `json:"at"`
	By       string        `json:"by"`
}

// Complaint is a fair-competition complaint.
type Complaint struct {
	ID string `json:"id"`
	// ComplainantID and FiledBy are empty, and ComplainantRedacted true,
	// when the reader is the accused company and the complainant did not
	// agree to be disclosed.
	ComplainantID       string           `json:"complainant_id,omitempty"`
	FiledBy             string           `json:"filed_by,omitempty"`
	ComplainantRedacted bool             `json:"complainant_redacted" doc:"the complainant's identity is withheld from this reader"`
	DiscloseComplainant bool             `json:"disclose_complainant"`
	AccusedID           string           `json:"accused_id"`
	Kind                string           `json:"kind" enum:"below_cost_bidding,poaching,defamation,other"`
	KindOther           string           `json:"kind_other,omitempty"`
	Description         string           `json:"description"`
	Evidence            []EvidenceRef    `json:"evidence"`
	Status              string           `json:"status" enum:"filed,answered,mediating,resolved,withdrawn"`
	FiledAt             time.Time        `json:"filed_at"`
	AnswerDue           time.Time        `json:"answer_due" doc:"the end (China time) of the policy's complaint_answer_days after filing"`
	Answer              *ComplaintAnswer `json:"answer,omitempty"`
	Mediator            string           `json:"mediator,omitempty"`
	MediatingAt         *time.Time       `json:"mediating_at,omitempty"`
	MediationDue        *time.Time       `json:"mediation_due,omitempty" doc:"the end of the policy's complaint_mediation_days after mediation began"`
	Outcome             string           `json:"outcome,omitempty" enum:"upheld,dismissed,settled"`
	Finding             string           `json:"finding,omitempty"`
	CountsAgainst       string           `json:"counts_against,omitempty" enum:"accused,complainant,none"`
	ResolvedAt          *time.Time       `json:"resolved_at,omitempty"`
	ResolvedBy          string           `json:"resolved_by,omitempty"`
	WithdrawnAt         *time.Time       `json:"withdrawn_at,omitempty"`
	WithdrawReason      string           `json:"withdraw_reason,omitempty"`
	AnswerOverdue       bool             `json:"answer_overdue" doc:"announced: no answer by answer_due"`
	MediationOverdue    bool             `json:"mediation_overdue" doc:"announced: not resolved by mediation_due"`
	Version             int64            `json:"version"`
}

// Open reports whether c is neither resolved nor withdrawn.
func (c Complaint) Open() bool {
	return c.Status != ComplaintResolved && c.Status != ComplaintWithdrawn
}

// Against returns the company the outcome counts against ("" for none).
func (c Complaint) Against() string {
	switch {
	case c.Status != ComplaintResolved:
		return ""
	case c.CountsAgainst == AgainstAccused:
		return c.AccusedID
	case c.CountsAgainst == AgainstComplainant:
		return c.ComplainantID
	}
	return ""
}

// RedactFor returns c as pr may read it: the accused company's admin
// does not see who complained unless the complainant agreed. Every
// response of the complaints goes through it.
func (c Complaint) RedactFor(pr auth.Principal) Complaint {
	if pr.Role == auth.RoleCompanyAdmin && pr.Company == c.AccusedID && pr.Company != c.ComplainantID && !c.DiscloseComplainant {
		c.ComplainantID, c.FiledBy, c.ComplainantRedacted = "", "", true
	}
	return c
}

// ComplaintFilter selects complaints. CompanyID matches either side (the
// accused cannot filter on the complainant: there is no such filter);
// Side narrows it to the complaints the company filed or received.
type ComplaintFilter struct {
	CompanyID string
	Side      string
	Status    string
	Kind      string
}

// Errors of the complaints.
var (
	ErrComplaintNotFound      = errs.E(errs.NotFound, "complaint.not_found", "no such complaint")
	ErrComplaintComplainant   = errs.InvalidField("complaint.complainant_invalid", "complainant_id", "complainant_id is required (at most 64 characters)")
	ErrComplaintAccused       = errs.InvalidField("complaint.accused_invalid", "accused_id", "accused_id is required (at most 64 characters) and is not the complainant")
	ErrComplaintKind          = errs.InvalidField("complaint.kind_invalid", "kind", "kind is below_cost_bidding, poaching, defamation or other")
	ErrComplaintKindOther     = errs.InvalidField("complaint.kind_other_invalid", "kind_other", "kind_other (at most 200 characters) is required when kind is other, and only then")
	ErrComplaintDescription   = ErrDisputeDescription // the same rule and field
	ErrComplaintEvidence      = errs.InvalidField("complaint.evidence_invalid", "evidence", "1 to 20 evidence references (0 to 20 in an answer), each a kind (file, url, text) and a ref of at most 500 characters, a note of at most 500")
	ErrComplaintAnswerText    = errs.InvalidField("complaint.answer_required", "text", "an answer is required (at most 5000 characters)")
	ErrComplaintStatusInvalid = errs.InvalidField("complaint.status_invalid", "status", "status is mediating or resolved")
	ErrComplaintStatusIllegal = errs.E(errs.Conflict, "complaint.status_illegal", "a complaint moves filed → answered → mediating → resolved; a filed one goes to mediation unanswered only once its answer is overdue")
	ErrComplaintMediator      = ErrDisputeMediator // the same rule and field
	ErrComplaintOutcome       = errs.InvalidField("complaint.outcome_invalid", "outcome", "outcome is upheld, dismissed or settled, required to resolve")
	ErrComplaintFinding       = errs.InvalidField("complaint.finding_required", "finding", "the finding is required to resolve (at most 2000 characters)")
	ErrComplaintAgainst       = errs.InvalidField("complaint.counts_against_invalid", "counts_against", "upheld counts against the accused; dismissed against no one or the complainant (malicious); settled against no one")
	ErrComplaintReason        = errs.InvalidField("complaint.reason_required", "reason", "a reason is required to withdraw (at most 2000 characters)")
	ErrComplaintClosed        = errs.E(errs.Conflict, "complaint.closed", "the complaint is resolved or withdrawn")
	ErrComplaintAnswered      = errs.E(errs.Conflict, "complaint.already_answered", "the complaint has its answer")
	ErrComplaintNotParty      = errs.E(errs.Forbidden, "complaint.not_party", "only the accused company answers a complaint, and only the complainant withdraws it")
	ErrComplaintFilterStatus  = errs.InvalidField("complaint.status_filter_invalid", "status", "the status filter is filed, answered, mediating, resolved or withdrawn")
	ErrComplaintFilterSide    = errs.InvalidField("complaint.side_filter_invalid", "side", "side is filed or received, and needs company_id")
)

// ComplaintQueries are the store's reads and writes of the complaints.
type ComplaintQueries interface {
	PutComplaint(ctx context.Context, c Complaint) error
	Complaint(ctx context.Context, id string) (Complaint, bool, error)
	ListComplaints(ctx context.Context, f ComplaintFilter, after string, limit int) ([]Complaint, error)
	// OpenComplaints returns the complaints not resolved or withdrawn.
	OpenComplaints(ctx context.Context) ([]Complaint, error)
	// CompanyComplaints returns the complaints company is a party to.
	CompanyComplaints(ctx context.Context, company string) ([]Complaint, error)
	AllComplaints(ctx context.Context) ([]Complaint, error)
}

// ComplaintStore is what the complaints need of the store.
type ComplaintStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	ComplaintQueries
}

// Complaints is the complaints API of the service.
type Complaints struct {
	Store  ComplaintStore
	Now    func() time.Time
	Policy func() policy.Compliance
	ins    *Inspections
}

// NewComplaints returns the complaints API; ins provides the idempotency
// keys.
func NewComplaints(st ComplaintStore, ins *Inspections, now func() time.Time, p func() policy.Compliance) *Complaints {
	return &Complaints{Store: st, Now: now, Policy: p, ins: ins}
}

// complaintQueries are q's complaint queries: the store's Queries
// implement them (kept out of the scoreboard's Queries interface).
func complaintQueries(q Queries) ComplaintQueries { return q.(ComplaintQueries) }

// DaysAfter is the end (midnight China time) of the n-th day after t's
// day.
func DaysAfter(t time.Time, n int) time.Time {
	d := t.In(policy.Zone)
	return time.Date(d.Year(), d.Month(), d.Day()+n+1, 0, 0, 0, 0, policy.Zone)
}

func evidenceOK(ev []EvidenceRef, minN int) bool {
	if len(ev) < minN || len(ev) > 20 {
		return false
	}
	for _, e := range ev {
		if !slices.Contains(EvidenceKinds, e.Kind) || !textOK(e.Ref, 500) || len([]rune(e.Note)) > 500 {
			return false
		}
	}
	return true
}

func trimEvidence(ev []EvidenceRef) []EvidenceRef {
	out := make([]EvidenceRef, 0, len(ev))
	for _, e := range ev {
		out = append(out, EvidenceRef{Kind: e.Kind, Ref: strings.TrimSpace(e.Ref), Note: strings.TrimSpace(e.Note)})
	}
	return out
}

// File records a new complaint.
func (s *Complaints) File(ctx context.Context, in ComplaintInput) (Complaint, error) {
	in.ComplainantID, in.AccusedID = strings.TrimSpace(in.ComplainantID), strings.TrimSpace(in.AccusedID)
	switch {
	case !textOK(in.ComplainantID, 64):
		return Complaint{}, ErrComplaintComplainant
	case !textOK(in.AccusedID, 64) || in.AccusedID == in.ComplainantID:
		return Complaint{}, ErrComplaintAccused
	case !slices.Contains(ComplaintKinds, in.Kind):
		return Complaint{}, ErrComplaintKind
	case (in.Kind == "other") != (strings.TrimSpace(in.KindOther) != "") || (in.KindOther != "" && !textOK(in.KindOther, 200)):
		return Complaint{}, ErrComplaintKindOther
	case !textOK(in.Description, 5000):
		return Complaint{}, ErrComplaintDescription
	case !evidenceOK(in.Evidence, 1):
		return Complaint{}, ErrComplaintEvidence
	}
	pr, _ := auth.FromContext(ctx)
	c, err := once(ctx, s.ins, "POST complaints", in.IdempotencyKey, in, func(q Queries) (Complaint, []Change, error) {
		// Both parties are member companies of the district as the
		// register (membership's events) has them; one registered a
		// moment ago may not be known yet, and the caller retries.
		for _, p := range []struct{ id, field string }{{in.ComplainantID, "complainant_id"}, {in.AccusedID, "accused_id"}} {
			known, err := q.CompanyKnown(ctx, p.id)
			if err != nil {
				return Complaint{}, nil, err
			}
			if !known {
				return Complaint{}, nil, ErrCompanyNotFound.WithField(p.field)
			}
		}
		id, err := newID()
		if err != nil {
			return Complaint{}, nil, err
		}
		now := s.Now().UTC()
		c := Complaint{ID: id, ComplainantID: in.ComplainantID, FiledBy: pr.Subject, DiscloseComplainant: in.DiscloseComplainant,
			AccusedID: in.AccusedID, Kind: in.Kind, KindOther: strings.TrimSpace(in.KindOther), Description: strings.TrimSpace(in.Description),
			Evidence: trimEvidence(in.Evidence), Status: ComplaintFiled, FiledAt: now,
			AnswerDue: DaysAfter(now, s.Policy().ComplaintAnswerDue()).UTC(), Version: 1}
		if err := complaintQueries(q).PutComplaint(ctx, c); err != nil {
			return Complaint{}, nil, err
		}
		if err := auditWrite(ctx, q, now, ActionComplaintFile, "complaint", id, nil); err != nil {
			return Complaint{}, nil, err
		}
		snap := c
		return c, []Change{{Type: EventComplaintFiled, Complaint: &snap}}, nil
	})
	return c.RedactFor(pr), err
}

// Get returns a complaint as the caller may read it.
func (s *Complaints) Get(ctx context.Context, id string) (Complaint, error) {
	c, ok, err := s.Store.Complaint(ctx, id)
	if err == nil && !ok {
		err = ErrComplaintNotFound
	}
	pr, _ := auth.FromContext(ctx)
	return c.RedactFor(pr), err
}

// Party returns company if it is a party to complaint id, else "": the
// authorization target of a company-admin (the complainant and the
// accused both read it; any other company gets the same 403 as for an id
// that does not exist).
func (s *Complaints) Party(ctx context.Context, id, company string) string {
	c, ok, err := s.Store.Complaint(ctx, id)
	if err != nil || !ok || company == "" {
		return ""
	}
	if company == c.ComplainantID || company == c.AccusedID {
		return company
	}
	return ""
}

// List returns a page of complaints by id, as the caller may read them.
func (s *Complaints) List(ctx context.Context, f ComplaintFilter, p kitx.Page) ([]Complaint, string, error) {
	switch {
	case f.Status != "" && !slices.Contains(ComplaintStatuses, f.Status):
		return nil, "", ErrComplaintFilterStatus
	case f.Kind != "" && !slices.Contains(ComplaintKinds, f.Kind):
		return nil, "", ErrComplaintKind
	case f.Side != "" && (!slices.Contains(ComplaintSides, f.Side) || f.CompanyID == ""):
		return nil, "", ErrComplaintFilterSide
	case len(f.CompanyID) > 64:
		return nil, "", ErrCompanyIDInvalid
	}
	rows, err := s.Store.ListComplaints(ctx, f, p.Cursor, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Size {
		rows = rows[:p.Size]
		next = rows[len(rows)-1].ID
	}
	pr, _ := auth.FromContext(ctx)
	for i := range rows {
		rows[i] = rows[i].RedactFor(pr)
	}
	return rows, next, nil
}

// update runs fn on open complaint id in a transaction and writes it.
func (s *Complaints) update(ctx context.Context, id, action string, fn func(c *Complaint, pr auth.Principal, now time.Time) (Change, error)) (Complaint, error) {
	pr, _ := auth.FromContext(ctx)
	var out Complaint
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		cq := complaintQueries(q)
		c, ok, err := cq.Complaint(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrComplaintNotFound
		}
		if !c.Open() {
			return nil, ErrComplaintClosed
		}
		now := s.Now().UTC()
		ch, err := fn(&c, pr, now)
		if err != nil {
			return nil, err
		}
		c.Version++
		if err := cq.PutComplaint(ctx, c); err != nil {
			return nil, err
		}
		if err := auditWrite(ctx, q, now, action, "complaint", id, nil); err != nil {
			return nil, err
		}
		out = c
		snap := c
		ch.Complaint = &snap
		return []Change{ch}, nil
	})
	return out.RedactFor(pr), err
}

// Answer records the accused company's answer (its company-admin only:
// the route's policy admits the company-admins of both parties).
func (s *Complaints) Answer(ctx context.Context, id string, in ComplaintAnswerInput) (Complaint, error) {
	switch {
	case !textOK(in.Text, 5000):
		return Complaint{}, ErrComplaintAnswerText
	case !evidenceOK(in.Evidence, 0):
		return Complaint{}, ErrComplaintEvidence
	}
	return s.update(ctx, id, ActionComplaintAnswer, func(c *Complaint, pr auth.Principal, now time.Time) (Change, error) {
		if pr.Role != auth.RoleCompanyAdmin || pr.Company != c.AccusedID {
			return Change{}, ErrComplaintNotParty
		}
		if c.Answer != nil {
			return Change{}, ErrComplaintAnswered
		}
		c.Answer = &ComplaintAnswer{Text: strings.TrimSpace(in.Text), Evidence: trimEvidence(in.Evidence), At: now, By: pr.Subject}
		from := c.Status
		if c.Status == ComplaintFiled {
			c.Status = ComplaintAnswered
		}
		return Change{Type: EventComplaintAnswered, FromStatus: from, ToStatus: c.Status, By: pr.Subject}, nil
	})
}

// ChangeStatus moves a complaint on: the district lead starts mediating
// an answered complaint (or a filed one whose answer is overdue) and
// resolves it with the outcome, the finding and whom it counts against.
func (s *Complaints) ChangeStatus(ctx context.Context, id string, in ComplaintStatusInput) (Complaint, error) {
	switch in.Status {
	case ComplaintMediating:
		if !textOK(in.Mediator, 100) {
			return Complaint{}, ErrComplaintMediator
		}
	case ComplaintResolved:
		if !slices.Contains(ComplaintOutcomes, in.Outcome) {
			return Complaint{}, ErrComplaintOutcome
		}
		if !textOK(in.Finding, 2000) {
			return Complaint{}, ErrComplaintFinding
		}
		against, ok := countsAgainst(in.Outcome, in.CountsAgainst)
		if !ok {
			return Complaint{}, ErrComplaintAgainst
		}
		in.CountsAgainst = against
	default:
		return Complaint{}, ErrComplaintStatusInvalid
	}
	return s.update(ctx, id, ActionComplaintStatus, func(c *Complaint, pr auth.Principal, now time.Time) (Change, error) {
		from := c.Status
		switch {
		case in.Status == ComplaintMediating && (from == ComplaintAnswered || (from == ComplaintFiled && !now.Before(c.AnswerDue))):
			due := DaysAfter(now, s.Policy().ComplaintMediationDue()).UTC()
			c.Mediator, c.MediatingAt, c.MediationDue = strings.TrimSpace(in.Mediator), &now, &due
		case in.Status == ComplaintResolved && from == ComplaintMediating:
			c.Outcome, c.Finding, c.CountsAgainst, c.ResolvedAt, c.ResolvedBy = in.Outcome, strings.TrimSpace(in.Finding), in.CountsAgainst, &now, pr.Subject
		default:
			return Change{}, ErrComplaintStatusIllegal
		}
		c.Status = in.Status
		return Change{Type: EventComplaintStatusChanged, FromStatus: from, ToStatus: in.Status, By: pr.Subject}, nil
	})
}

// countsAgainst checks whom an outcome may count against and returns it
// with the outcome's default filled in.
func countsAgainst(outcome, against string) (string, bool) {
	switch outcome {
	case OutcomeUpheld:
		return AgainstAccused, against == "" || against == AgainstAccused
	case OutcomeDismissed:
		if against == "" {
			return AgainstNone, true
		}
		return against, against == AgainstNone || against == AgainstComplainant
	case OutcomeSettled:
		return AgainstNone, against == "" || against == AgainstNone
	}
	return "", false
}

// Withdraw withdraws an open complaint (the complainant's company-admin,
// or the association on its behalf).
func (s *Complaints) Withdraw(ctx context.Context, id string, in ComplaintWithdrawInput) (Complaint, error) {
	if !textOK(in.Reason, 2000) {
		return Complaint{}, ErrComplaintReason
	}
	return s.update(ctx, id, ActionComplaintWithdraw, func(c *Complaint, pr auth.Principal, now time.Time) (Change, error) {
		if pr.Role == auth.RoleCompanyAdmin && pr.Company != c.ComplainantID {
			return Change{}, ErrComplaintNotParty
		}
		from := c.Status
		c.Status, c.WithdrawnAt, c.WithdrawReason = ComplaintWithdrawn, &now, strings.TrimSpace(in.Reason)
		return Change{Type: EventComplaintStatusChanged, FromStatus: from, ToStatus: ComplaintWithdrawn, By: pr.Subject}, nil
	})
}

// complaintDue reports which timers of c are due at now and not yet
// announced.
func complaintDue(c Complaint, now time.Time) (answer, mediation bool) {
	answer = !c.AnswerOverdue && c.Answer == nil && c.Open() && !now.Before(c.AnswerDue)
	mediation = !c.MediationOverdue && c.Status == ComplaintMediating && c.MediationDue != nil && !now.Before(*c.MediationDue)
	return answer, mediation
}

// Timers announces, once each, the open complaints whose answer is
// overdue and the mediations past their due day.
func (s *Complaints) Timers(ctx context.Context) (int, error) {
	now := s.Now()
	due := func(c Complaint) bool { a, m := complaintDue(c, now); return a || m }
	open, err := s.Store.OpenComplaints(ctx)
	if err != nil || !slices.ContainsFunc(open, due) {
		return 0, err
	}
	var n int
	err = s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		cq := complaintQueries(q)
		open, err := cq.OpenComplaints(ctx)
		if err != nil {
			return nil, err
		}
		var changes []Change
		for _, c := range open {
			a, m := complaintDue(c, now)
			if !a && !m {
				continue
			}
			var types []string
			if a {
				c.AnswerOverdue = true
				types = append(types, EventComplaintAnswerOverdue)
			}
			if m {
				c.MediationOverdue = true
				types = append(types, EventComplaintMediationOverdue)
			}
			for _, t := range types {
				c.Version++
				snap := c
				changes = append(changes, Change{Type: t, Complaint: &snap})
			}
			if err := cq.PutComplaint(ctx, c); err != nil {
				return nil, err
			}
			if err := auditSystem(ctx, q, now, ActionComplaintTimer, "complaint", c.ID, types); err != nil {
				return nil, err
			}
		}
		n = len(changes)
		return changes, nil
	})
	return n, err
}

// ComplaintStats are the district's complaint figures: the counts HQ
// shows per district. Every field is a count of complaints on record (0
// is a real zero: the district's node answered).
type ComplaintStats struct {
	Filed     int     `json:"filed" doc:"every complaint on record"`
	Open      int     `json:"open" doc:"filed, answered or mediating"`
	Overdue   int     `json:"overdue" doc:"open with its answer (still missing) or its mediation overdue"`
	Resolved  int     `json:"resolved"`
	Withdrawn int     `json:"withdrawn"`
	ByKind    []Count `json:"by_kind"`
	ByOutcome []Count `json:"by_outcome"`
}

// Stats counts the district's complaints.
func (s *Complaints) Stats(ctx context.Context) (ComplaintStats, error) {
	all, err := s.Store.AllComplaints(ctx)
	if err != nil {
		return ComplaintStats{}, err
	}
	st := ComplaintStats{Filed: len(all)}
	kinds, outcomes := map[string]int{}, map[string]int{}
	for _, c := range all {
		kinds[c.Kind]++
		switch {
		case c.Status == ComplaintResolved:
			st.Resolved++
			outcomes[c.Outcome]++
		case c.Status == ComplaintWithdrawn:
			st.Withdrawn++
		default:
			st.Open++
			if (c.AnswerOverdue && c.Answer == nil) || c.MediationOverdue {
				st.Overdue++
			}
		}
	}
	for _, k := range ComplaintKinds {
		st.ByKind = append(st.ByKind, Count{k, kinds[k]})
	}
	for _, k := range ComplaintOutcomes {
		st.ByOutcome = append(st.ByOutcome, Count{k, outcomes[k]})
	}
	return st, nil
}
