package service

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// InspectionStore is what the inspection operations need of the store:
// its transactions (the changes' events go to the outbox in them), the
// idempotency records, and reads outside a transaction.
type InspectionStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	idempotency.Getter
	InspectionQueries
}

// Inspections is the hazard-inspection API of the service.
type Inspections struct {
	Store  InspectionStore
	Now    func() time.Time
	Policy func() policy.Compliance
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	return id.String(), err
}

// once runs create once per Idempotency-Key (pkg/idempotency).
func once[T any](ctx context.Context, s *Inspections, scope, key string, in any, create func(q Queries) (T, []Change, error)) (T, error) {
	req := idempotency.Request{Scope: scope, Key: key, In: in, Now: s.Now}
	return idempotency.Do(ctx, s.Store, s.Store.Tx, req, create, nil)
}

// CreateTemplate publishes version 1 of a new template.
func (s *Inspections) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	if err := ValidateTemplate(in); err != nil {
		return Template{}, err
	}
	return once(ctx, s, "POST templates", in.IdempotencyKey, in, func(q Queries) (Template, []Change, error) {
		id, err := newID()
		if err != nil {
			return Template{}, nil, err
		}
		return s.publish(ctx, q, id, 1, in)
	})
}

// NewTemplateVersion publishes the next version of template id; the
// versions before stay as they were (inspections name theirs).
func (s *Inspections) NewTemplateVersion(ctx context.Context, id string, in TemplateInput) (Template, error) {
	if err := ValidateTemplate(in); err != nil {
		return Template{}, err
	}
	return once(ctx, s, "POST templates/"+id+"/versions", in.IdempotencyKey, in, func(q Queries) (Template, []Change, error) {
		cur, ok, err := q.Template(ctx, id, 0)
		if err != nil {
			return Template{}, nil, err
		}
		if !ok {
			return Template{}, nil, ErrTemplateNotFound
		}
		return s.publish(ctx, q, id, cur.Version+1, in)
	})
}

func (s *Inspections) publish(ctx context.Context, q Queries, id string, version int, in TemplateInput) (Template, []Change, error) {
	t := Template{ID: id, Version: version, Name: strings.TrimSpace(in.Name), PassMark: DefaultPassMark, Sections: sections(in.Sections), CreatedAt: s.Now().UTC()}
	if in.PassMark != nil {
		t.PassMark = *in.PassMark
	}
	if err := q.PutTemplate(ctx, t); err != nil {
		return Template{}, nil, err
	}
	if err := auditWrite(ctx, q, t.CreatedAt, ActionTemplatePublish, "template", t.ID, []string{"version"}); err != nil {
		return Template{}, nil, err
	}
	return t, []Change{{Type: EventTemplatePublished, Template: &t}}, nil
}

// GetTemplate returns a version of a template (0: the latest).
func (s *Inspections) GetTemplate(ctx context.Context, id string, version int) (Template, error) {
	t, ok, err := s.Store.Template(ctx, id, version)
	if err == nil && !ok {
		err = ErrTemplateNotFound
	}
	return t, err
}

// RecordInspection scores and records an inspection with its findings.
func (s *Inspections) RecordInspection(ctx context.Context, in InspectionInput) (Inspection, error) {
	today := Day(s.Now())
	switch {
	case !textOK(in.CompanyID, 64):
		return Inspection{}, ErrInspectionCompany
	case !textOK(in.Site, 200):
		return Inspection{}, ErrInspectionSite
	case !textOK(in.Inspector, 100):
		return Inspection{}, ErrInspectionInspector
	case !validDate(in.InspectedOn) || in.InspectedOn < "2000-01-01" || in.InspectedOn > today:
		return Inspection{}, ErrInspectionDate
	case in.TemplateID == "" || in.TemplateVersion < 0:
		return Inspection{}, ErrInspectionTemplate
	case len(in.Findings) > 100:
		return Inspection{}, ErrFindingInvalid
	}
	t, ok, err := s.Store.Template(ctx, in.TemplateID, in.TemplateVersion)
	if err != nil {
		return Inspection{}, err
	}
	if !ok {
		return Inspection{}, ErrInspectionTemplate
	}
	score, err := ScoreInspection(t, answers(in.Answers))
	if err != nil {
		return Inspection{}, err
	}
	items := map[string]bool{}
	for _, sec := range t.Sections {
		for _, it := range sec.Items {
			items[it.ID] = true
		}
	}
	for _, f := range in.Findings {
		if !textOK(f.Text, 2000) || !textOK(f.RemediationOwner, 100) || !validDate(f.RemediationDue) || f.RemediationDue < in.InspectedOn ||
			len(f.PhotoRefs) > 20 || (f.ItemID != "" && !items[f.ItemID]) {
			return Inspection{}, ErrFindingInvalid
		}
		switch f.Severity {
		case "low", "medium", "high", "critical":
		default:
			return Inspection{}, ErrFindingInvalid
		}
		for _, p := range f.PhotoRefs {
			if !textOK(p, 500) {
				return Inspection{}, ErrFindingInvalid
			}
		}
	}
	if in.ForPeriod != "" {
		if err := s.checkForPeriod(ctx, in); err != nil {
			return Inspection{}, err
		}
	}
	return once(ctx, s, "POST inspections", in.IdempotencyKey, in, func(q Queries) (Inspection, []Change, error) {
		id, err := newID()
		if err != nil {
			return Inspection{}, nil, err
		}
		now := s.Now().UTC()
		ins := Inspection{ID: id, CompanyID: in.CompanyID, Site: strings.TrimSpace(in.Site), TemplateID: t.ID, TemplateVersion: t.Version,
			Inspector: strings.TrimSpace(in.Inspector), InspectedOn: in.InspectedOn, ForPeriod: in.ForPeriod, Answers: answers(in.Answers),
			Score: score, Findings: []Finding{}, RecordedAt: now}
		for _, fi := range in.Findings {
			fid, err := newID()
			if err != nil {
				return Inspection{}, nil, err
			}
			photos := fi.PhotoRefs
			if photos == nil {
				photos = []string{}
			}
			ins.Findings = append(ins.Findings, Finding{ID: fid, InspectionID: id, CompanyID: in.CompanyID, ItemID: fi.ItemID,
				Text: strings.TrimSpace(fi.Text), Severity: fi.Severity, PhotoRefs: photos, RemediationOwner: strings.TrimSpace(fi.RemediationOwner),
				RemediationDue: fi.RemediationDue, Status: FindingOpen, Version: 1, UpdatedAt: now})
		}
		if err := q.PutInspection(ctx, ins); err != nil {
			return Inspection{}, nil, err
		}
		for _, f := range ins.Findings {
			if err := q.PutFinding(ctx, f); err != nil {
				return Inspection{}, nil, err
			}
		}
		if err := auditWrite(ctx, q, now, ActionInspectionAdd, "inspection", id, nil); err != nil {
			return Inspection{}, nil, err
		}
		return ins, []Change{{Type: EventInspectionRecorded, Inspection: &ins}}, nil
	})
}

// checkForPeriod: for_period must be a period of the company's schedule
// that ended before the inspection was done.
func (s *Inspections) checkForPeriod(ctx context.Context, in InspectionInput) error {
	sc, ok, err := s.Store.Schedule(ctx, in.CompanyID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInspectionForPeriod
	}
	on, _ := time.ParseInLocation(time.DateOnly, in.InspectedOn, policy.Zone)
	first, _ := time.ParseInLocation(time.DateOnly, sc.StartsOn, policy.Zone)
	for st := sc.Period.Start(first); st.Before(on); st = sc.Period.Shift(st, 1) {
		if sc.Period.Label(st) == in.ForPeriod {
			if sc.Period.Shift(st, 1).After(on) {
				return ErrInspectionForPeriod // not ended yet: it is simply on time
			}
			return nil
		}
	}
	return ErrInspectionForPeriod
}

// GetInspection returns an inspection with its findings.
func (s *Inspections) GetInspection(ctx context.Context, id string) (Inspection, error) {
	in, ok, err := s.Store.Inspection(ctx, id)
	if err == nil && !ok {
		err = ErrInspectionNotFound
	}
	return in, err
}

// ListInspections returns a page of the inspections (of company), by id.
func (s *Inspections) ListInspections(ctx context.Context, company string, p kitx.Page) ([]Inspection, string, error) {
	rows, err := s.Store.ListInspections(ctx, company, p.Cursor, p.Size+1)
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

// GetFinding returns a finding.
func (s *Inspections) GetFinding(ctx context.Context, id string) (Finding, error) {
	f, ok, err := s.Store.Finding(ctx, id)
	if err == nil && !ok {
		err = ErrFindingNotFound
	}
	return f, err
}

// FindingCompany returns the company of finding id ("" if none).
func (s *Inspections) FindingCompany(ctx context.Context, id string) string {
	f, ok, err := s.Store.Finding(ctx, id)
	if err != nil || !ok {
		return ""
	}
	return f.CompanyID
}

// ChangeFindingStatus moves a finding on as the caller (its subject is the
// verifier when it closes).
func (s *Inspections) ChangeFindingStatus(ctx context.Context, id string, in FindingStatusInput) (Finding, error) {
	if in.Status != FindingRemediating && in.Status != FindingClosed {
		return Finding{}, ErrFindingStatusInvalid
	}
	p, _ := auth.FromContext(ctx)
	var out Finding
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		f, ok, err := q.Finding(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrFindingNotFound
		}
		if err := NextFindingStatus(f, in.Status, p.Subject); err != nil {
			return nil, err
		}
		from := f.Status
		f.Status, f.Version, f.UpdatedAt = in.Status, f.Version+1, s.Now().UTC()
		if in.Status == FindingClosed {
			f.VerifiedBy = p.Subject
		}
		if err := q.PutFinding(ctx, f); err != nil {
			return nil, err
		}
		if err := auditWrite(ctx, q, f.UpdatedAt, ActionFindingStatus, "finding", f.ID, []string{"status"}); err != nil {
			return nil, err
		}
		out = f
		return []Change{{Type: EventFindingStatusChanged, Finding: &f, FromStatus: from, ToStatus: in.Status, By: p.Subject}}, nil
	})
	return out, err
}

// CreateSchedule sets a company's expected inspections per period.
func (s *Inspections) CreateSchedule(ctx context.Context, in ScheduleInput) (Schedule, error) {
	if !textOK(in.CompanyID, 64) {
		return Schedule{}, ErrScheduleCompany
	}
	if !in.Period.Valid() || in.Count < 1 || in.Count > 100 || !validDate(in.StartsOn) {
		return Schedule{}, ErrScheduleInvalid
	}
	return once(ctx, s, "POST schedules", in.IdempotencyKey, in, func(q Queries) (Schedule, []Change, error) {
		if _, ok, err := q.Schedule(ctx, in.CompanyID); err != nil {
			return Schedule{}, nil, err
		} else if ok {
			return Schedule{}, nil, ErrScheduleExists
		}
		sc := Schedule{CompanyID: in.CompanyID, Period: in.Period, Count: in.Count, StartsOn: in.StartsOn, CreatedAt: s.Now().UTC()}
		if err := q.PutSchedule(ctx, sc); err != nil {
			return Schedule{}, nil, err
		}
		if err := auditWrite(ctx, q, sc.CreatedAt, ActionScheduleCreate, "schedule", sc.CompanyID, nil); err != nil {
			return Schedule{}, nil, err
		}
		return sc, []Change{{Type: EventInspectionScheduleSet, Schedule: &sc}}, nil
	})
}

// ScheduleReport is a company's schedule and its last periods.
type ScheduleReport struct {
	Schedule Schedule       `json:"schedule"`
	Periods  []PeriodReport `json:"periods"`
	Missed   int            `json:"missed"`
	Late     int            `json:"late"`
}

// GetScheduleReport counts the last periods of company's schedule.
func (s *Inspections) GetScheduleReport(ctx context.Context, company string, periods int) (ScheduleReport, error) {
	if periods < 1 || periods > 36 {
		return ScheduleReport{}, ErrSchedulePeriodsInvalid
	}
	sc, ok, err := s.Store.Schedule(ctx, company)
	if err != nil {
		return ScheduleReport{}, err
	}
	if !ok {
		return ScheduleReport{}, ErrScheduleNotFound
	}
	now := s.Now()
	since := sc.Period.Shift(sc.Period.Start(now), -periods).Format(time.DateOnly)
	ins, err := s.Store.CompanyInspections(ctx, company, since)
	if err != nil {
		return ScheduleReport{}, err
	}
	r := ScheduleReport{Schedule: sc, Periods: Report(sc, ins, now, periods)}
	if r.Periods == nil {
		r.Periods = []PeriodReport{}
	}
	for _, p := range r.Periods {
		r.Missed += p.Missed
		r.Late += p.Late
	}
	return r, nil
}

// Escalate runs one escalation pass now (Run does it every refresh).
func (s *Inspections) Escalate(ctx context.Context) (int, error) {
	// The common case, nothing newly due, takes no write lock.
	now, p := s.Now(), s.Policy()
	fs, err := s.Store.UnclosedFindingsDue(ctx, Day(now))
	if err != nil {
		return 0, err
	}
	due := false
	for _, f := range fs {
		if l := EscalationLevels(f.RemediationDue, Day(now), p); len(l) > 0 && levelRank(l[len(l)-1]) > levelRank(f.Escalated) {
			due = true
			break
		}
	}
	if !due {
		return 0, nil
	}
	var n int
	err = s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		ch, err := Escalate(ctx, q, now, p)
		n = len(ch)
		return ch, err
	})
	return n, err
}
