package service

import (
	"context"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Event types the compliance service emits (the constants of the proto
// package's compliance block, repeated here so the service layer does not
// import protobuf).
const (
	EventFourHundredReached = "FourHundredReached"
	EventFourHundredLost    = "FourHundredLost"
	EventRequirementLapsing = "RequirementLapsing"
	EventScoreboardSnapshot = "ScoreboardSnapshot"
	EventCountsChanged      = "FourHundredCountsChanged"
)

// SnapshotRetentionDays is how long the daily snapshots are kept (the
// trend's reach).
const SnapshotRetentionDays = 400

// Training is one TrainingRecorded event: the guard version it produced
// identifies it (membership bumps the guard's version with each record).
type Training struct {
	GuardID      string
	GuardVersion int64
	Type         string
	Hours        float64
	TrainedOn    string
}

// Company is a member company as membership's events report it.
type Company struct {
	ID      string
	Name    string
	Status  string
	Version int64
	// At is when the event reporting it occurred (its activation or lapse
	// day, in China time, bounds what it is expected to do).
	At time.Time
	// EventID is the id of the membership event that reported it (the
	// evidence of its active window in a rating).
	EventID string
}

// MembershipEvent is one event of the district's membership topic, decoded
// by the transport: a guard snapshot (with the training it records, for
// TrainingRecorded), or a company snapshot.
type MembershipEvent struct {
	Guard    *Guard
	Training *Training
	Company  *Company
}

// State is what the stored counts were computed for: the day and the
// policy. The counts are recomputed whenever either changes.
type State struct {
	Day    string
	Policy policy.Compliance
}

// CompanyScore is a company's stored scoreboard row.
type CompanyScore struct {
	CompanyID string
	Name      string
	Status    string
	Counts    Counts
	// Full is the set of criteria at 100% the last events announced.
	Full    Mask
	Version int64
}

// Snapshot is a company's (or with CompanyID "" the district's) closing
// counts of Day.
type Snapshot struct {
	Day       string
	CompanyID string
	Counts    Counts
}

// Lapse is a warning that a guard's requirement is about to lapse.
type Lapse struct {
	GuardID, CompanyID, Criterion, LapsesOn, WindowDate string
	DaysLeft                                            int
	Hours, RequiredHours                                float64
}

// Change is what one step of the scoreboard emits; the store maps each to
// its outbox event in the same transaction.
type Change struct {
	Type      string
	Score     *CompanyScore
	Day       string
	Criterion string
	Lapse     *Lapse
	Snapshot  *Snapshot

	// The inspections' changes.
	Template    *Template
	Inspection  *Inspection
	Finding     *Finding
	Schedule    *Schedule
	FromStatus  string
	ToStatus    string
	By          string
	Level       string
	DaysOverdue int
	Dispute     *Dispute
	Coverage    *Coverage
	// The evaluations' and the obligations' changes.
	Evaluation *Evaluation
	Obligation *ObligationPeriod
	// The wage guarantee's changes.
	Wage *WageDeclaration
	// The complaints' changes (issue 17 part 4).
	Complaint *Complaint
}

// Queries are the store's reads and writes the scoreboard runs inside one
// transaction.
type Queries interface {
	State(ctx context.Context) (State, bool, error)
	PutState(ctx context.Context, s State) error
	Guard(ctx context.Context, id string) (Guard, bool, error)
	// Guards returns the guards of ids on record, by id.
	Guards(ctx context.Context, ids []string) (map[string]Guard, error)
	PutGuard(ctx context.Context, g Guard) error
	// PutGuards writes many guards (PutGuard of each).
	PutGuards(ctx context.Context, gs []Guard) error
	// AddTraining records t once (by guard and version): false when it
	// was on record already.
	AddTraining(ctx context.Context, t Training) (bool, error)
	// ResetYearHours recounts every guard's hours of year from the
	// training records.
	ResetYearHours(ctx context.Context, year string) error
	// EachGuard calls fn for every guard on record (active or not).
	EachGuard(ctx context.Context, fn func(Guard) error) error
	PutCompany(ctx context.Context, c Company) error
	CompanyScore(ctx context.Context, id string) (CompanyScore, bool, error)
	CompanyScores(ctx context.Context) ([]CompanyScore, error)
	PutCompanyScore(ctx context.Context, s CompanyScore) error
	// DirtyScores returns the companies whose counts changed since
	// Announced.
	DirtyScores(ctx context.Context) ([]CompanyScore, error)
	// Announced records that company's counts were announced at version.
	Announced(ctx context.Context, company string, version int64) error
	// AddCounts adds delta to company's counts (a new row starts at 0,
	// version 1) and returns the row as it is now.
	AddCounts(ctx context.Context, company string, delta Counts) (CompanyScore, error)
	// AddCountsMany is AddCounts of each company of order, with its delta.
	AddCountsMany(ctx context.Context, deltas map[string]Counts, order []string) ([]CompanyScore, error)
	// MarkWarned records the warning of guard's criterion for key (a
	// certificate's valid_until, a training year) once: false if it was.
	MarkWarned(ctx context.Context, guardID, criterion, key, day string) (bool, error)
	PutSnapshot(ctx context.Context, s Snapshot) error
	PruneSnapshots(ctx context.Context, before string) error

	InspectionQueries
	DisputeQueries
	FourOneQueries
	EvaluationQueries
	WageQueries
	idempotency.Queries
}

// Scoreboard keeps the four-100% counts current: Apply for each membership
// event, Refresh when the day or the policy changes.
type Scoreboard struct {
	District string
	Now      func() time.Time
	Policy   func() policy.Compliance
}

// current returns the day and policy to score with now.
func (b *Scoreboard) current() State { return State{Day: Day(b.Now()), Policy: b.Policy()} }

// Refresh recomputes the counts when the stored ones are of another day or
// policy (and, crossing midnight, snapshots the closing day first). It
// reports whether it recomputed.
func (b *Scoreboard) Refresh(ctx context.Context, q Queries) ([]Change, bool, error) {
	return b.refreshTo(ctx, q, b.current())
}

func (b *Scoreboard) refreshTo(ctx context.Context, q Queries, cur State) ([]Change, bool, error) {
	st, ok, err := q.State(ctx)
	if err != nil {
		return nil, false, err
	}
	if ok && st == cur {
		return nil, false, nil
	}
	var prev *State
	if ok {
		prev = &st
	}
	ch, err := b.Recompute(ctx, q, prev, cur)
	return ch, true, err
}

// Recompute scores every guard from scratch for cur and rewrites the
// company counts, announcing the criteria that reached or fell from 100%
// and the requirements about to lapse. prev is what the stored counts were
// computed for (nil: nothing yet); a later day snapshots prev's day first.
func (b *Scoreboard) Recompute(ctx context.Context, q Queries, prev *State, cur State) ([]Change, error) {
	var changes []Change
	stored, err := q.CompanyScores(ctx)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.Day < cur.Day {
		var district Counts
		for _, s := range stored {
			district = district.Plus(s.Counts)
			snap := Snapshot{Day: prev.Day, CompanyID: s.CompanyID, Counts: s.Counts}
			if err := q.PutSnapshot(ctx, snap); err != nil {
				return nil, err
			}
			changes = append(changes, Change{Type: EventScoreboardSnapshot, Snapshot: &snap, Score: &s})
		}
		snap := Snapshot{Day: prev.Day, Counts: district}
		if err := q.PutSnapshot(ctx, snap); err != nil {
			return nil, err
		}
		changes = append(changes, Change{Type: EventScoreboardSnapshot, Snapshot: &snap})
		cutoff, _ := time.ParseInLocation(time.DateOnly, cur.Day, Shanghai)
		if err := q.PruneSnapshots(ctx, cutoff.AddDate(0, 0, -SnapshotRetentionDays).Format(time.DateOnly)); err != nil {
			return nil, err
		}
	}
	if prev == nil || prev.Day[:4] != cur.Day[:4] {
		if err := q.ResetYearHours(ctx, cur.Day[:4]); err != nil {
			return nil, err
		}
	}
	counts := map[string]*Counts{}
	var watch []Guard
	err = q.EachGuard(ctx, func(g Guard) error {
		if !g.Active() {
			return nil
		}
		c := counts[g.CompanyID]
		if c == nil {
			c = &Counts{}
			counts[g.CompanyID] = c
		}
		m := Evaluate(g, cur.Day, cur.Policy)
		c.Add(true, m, 1)
		if inWindow(g, m, cur) {
			watch = append(watch, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		c := Counts{}
		if n := counts[s.CompanyID]; n != nil {
			c = *n
			delete(counts, s.CompanyID)
		}
		ch, err := b.rescore(ctx, q, s, c, cur.Day)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	for id, c := range counts { // a company with guards and no row yet
		ch, err := b.rescore(ctx, q, CompanyScore{CompanyID: id}, *c, cur.Day)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	for _, g := range watch {
		ch, err := b.lapses(ctx, q, g, cur)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	return changes, q.PutState(ctx, cur)
}

// rescore stores company s with counts c, announcing each criterion that
// reached or fell from 100%. An unchanged row is not written.
func (b *Scoreboard) rescore(ctx context.Context, q Queries, s CompanyScore, c Counts, day string) ([]Change, error) {
	full := c.Full()
	if s.Counts == c && s.Full == full && s.Version > 0 {
		return nil, nil
	}
	var changes []Change
	was := s.Full
	s.Counts, s.Full = c, full
	if s.Version == 0 {
		s.Version = 1
	}
	for _, cr := range Criteria() {
		typ := ""
		switch {
		case full.Has(cr) && !was.Has(cr):
			typ = EventFourHundredReached
		case !full.Has(cr) && was.Has(cr):
			typ = EventFourHundredLost
		default:
			continue
		}
		s.Version++
		snap := s
		changes = append(changes, Change{Type: typ, Score: &snap, Criterion: cr, Day: day})
	}
	return changes, q.PutCompanyScore(ctx, s)
}

// Apply applies one membership event: a company to the register, or a
// guard's snapshot (version-checked: an older or equal snapshot changes
// nothing) and its training record (once per guard version). The guard's
// old contribution leaves its company's counts and the new one enters; the
// counts are first brought to today and the current policy (Refresh).
func (b *Scoreboard) Apply(ctx context.Context, q Queries, ev MembershipEvent) ([]Change, error) {
	cur := b.current()
	changes, _, err := b.refreshTo(ctx, q, cur)
	if err != nil {
		return nil, err
	}
	ch, err := b.apply(ctx, q, ev, cur, nil)
	return append(changes, ch...), err
}

// batch is the memory of one batch of events: each company's count delta,
// written once when the batch ends, and for ApplyBatch the guards as the
// batch has left them (read once, up front; nil for TxBatch, whose events
// read and write their guard each). It lives only inside the transaction
// that applies the batch, so a rolled-back batch leaves nothing behind.
type batch struct {
	// guards is nil when each event reads and writes its guard itself.
	guards map[string]Guard
	// changed lists the guards to write, in the order first changed.
	changed []string
	dirty   map[string]bool
	deltas  map[string]*Counts
	order   []string
}

// ApplyBatch applies evs, in order, in one transaction as Apply would, but
// reads the state and the batch's guards once and writes each company's
// counts once at the end: per event, one guard upsert (and a training
// insert for a training). The 100% transitions are announced between the
// counts before and after the batch, the only states any reader can see
// (the batch commits as one).
func (b *Scoreboard) ApplyBatch(ctx context.Context, q Queries, evs []MembershipEvent) ([]Change, error) {
	cur := b.current()
	changes, _, err := b.refreshTo(ctx, q, cur)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ev := range evs {
		if ev.Guard != nil {
			ids = append(ids, ev.Guard.ID)
		}
	}
	gs, err := q.Guards(ctx, ids)
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = map[string]Guard{}
	}
	bt := &batch{guards: gs, dirty: map[string]bool{}, deltas: map[string]*Counts{}}
	for _, ev := range evs {
		ch, err := b.apply(ctx, q, ev, cur, bt)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	put := make([]Guard, len(bt.changed))
	for i, id := range bt.changed {
		put[i] = bt.guards[id]
	}
	if err := q.PutGuards(ctx, put); err != nil {
		return nil, err
	}
	ch, err := b.flushCounts(ctx, q, bt, cur.Day)
	return append(changes, ch...), err
}

// flushCounts writes bt's pending count deltas (one statement for the
// companies of the batch), announces the criteria that reached or fell
// from 100% between the counts before and after (with day, the day the
// counts are of) and empties bt's deltas.
func (b *Scoreboard) flushCounts(ctx context.Context, q Queries, bt *batch, day string) ([]Change, error) {
	deltas := make(map[string]Counts, len(bt.order))
	var order []string
	for _, id := range bt.order {
		if d := *bt.deltas[id]; d != (Counts{}) {
			deltas[id], order = d, append(order, id)
		}
	}
	clear(bt.deltas)
	bt.order = bt.order[:0]
	if len(order) == 0 {
		return nil, nil
	}
	scores, err := q.AddCountsMany(ctx, deltas, order)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for _, s := range scores {
		if s.Counts.Full() == s.Full {
			continue
		}
		ch, err := b.rescore(ctx, q, s, s.Counts, day)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	return changes, nil
}

// TxBatch is the scoreboard's memory of one consumer transaction, whose
// events the consumer applies one at a time (each in a savepoint): the
// state the counts are of, read once, and each company's count delta,
// written once by Settle just before the transaction commits (the
// flush of the consumer's Batch scope) instead of one counts upsert per event. Each
// event still reads and writes its guard row. Use a new TxBatch for each
// transaction; it must not outlive it.
type TxBatch struct {
	bt batch
	// state is what the stored counts are computed for, once known (ok)
	// in this transaction.
	state State
	ok    bool
	// failed is the error of an event of the transaction: its savepoint
	// is rolled back, but what the batch holds in memory may include its
	// part, so Settle refuses the transaction (the consumer then applies
	// its events one by one).
	failed error
}

// NewTxBatch returns the memory of a new consumer transaction.
func NewTxBatch() *TxBatch { return &TxBatch{bt: batch{deltas: map[string]*Counts{}}} }

// ApplyIn applies ev as Apply does, inside the transaction tb is of, but
// reads the state once for the transaction and keeps the counts' deltas
// in tb for Settle. The 100% transitions are announced by Settle, between
// the counts before and after the transaction (the only states a reader
// sees), as ApplyBatch does; a day or policy change met on the way (the
// Refresh of Apply) first writes the deltas so far.
func (b *Scoreboard) ApplyIn(ctx context.Context, q Queries, ev MembershipEvent, tb *TxBatch) ([]Change, error) {
	if tb.failed != nil {
		return nil, tb.failed
	}
	ch, err := b.applyIn(ctx, q, ev, tb)
	if err != nil {
		tb.failed = err
	}
	return ch, err
}

func (b *Scoreboard) applyIn(ctx context.Context, q Queries, ev MembershipEvent, tb *TxBatch) ([]Change, error) {
	cur := b.current()
	var changes []Change
	if !tb.ok || tb.state != cur {
		// A recompute reads the stored counts: the batch's go first.
		ch, err := b.flushCounts(ctx, q, &tb.bt, tb.state.Day)
		if err != nil {
			return nil, err
		}
		changes = ch
		ch, _, err = b.refreshTo(ctx, q, cur)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
		tb.state, tb.ok = cur, true
	}
	ch, err := b.apply(ctx, q, ev, cur, &tb.bt)
	return append(changes, ch...), err
}

// Settle writes tb's counts (see TxBatch), last in its transaction. It
// fails, so that the transaction rolls back, if one of its events failed.
func (b *Scoreboard) Settle(ctx context.Context, q Queries, tb *TxBatch) ([]Change, error) {
	if tb.failed != nil {
		return nil, fmt.Errorf("compliance: an event of the transaction failed: %w", tb.failed)
	}
	return b.flushCounts(ctx, q, &tb.bt, tb.state.Day)
}

// apply applies ev under cur; with bt, inside a batch.
func (b *Scoreboard) apply(ctx context.Context, q Queries, ev MembershipEvent, cur State, bt *batch) ([]Change, error) {
	var changes []Change
	if c := ev.Company; c != nil {
		if err := q.PutCompany(ctx, *c); err != nil {
			return nil, err
		}
		if _, ok, err := q.CompanyScore(ctx, c.ID); err != nil {
			return nil, err
		} else if !ok {
			if err := q.PutCompanyScore(ctx, CompanyScore{CompanyID: c.ID, Version: 1}); err != nil {
				return nil, err
			}
		}
		return changes, nil
	}
	in := ev.Guard
	if in == nil {
		return changes, nil
	}
	var old Guard
	var found bool
	if bt != nil && bt.guards != nil {
		old, found = bt.guards[in.ID]
	} else {
		var err error
		if old, found, err = q.Guard(ctx, in.ID); err != nil {
			return nil, err
		}
	}
	next := old
	if !found {
		next = Guard{ID: in.ID, Year: cur.Day[:4]}
	}
	changed := false
	if !found || in.Version > old.Version {
		next.CompanyID, next.EmploymentStatus, next.BackgroundCheckStatus = in.CompanyID, in.EmploymentStatus, in.BackgroundCheckStatus
		next.HasCertificate, next.CertificateValidUntil = in.HasCertificate, in.CertificateValidUntil
		next.BadgeService, next.PreJobTrained, next.Version = in.BadgeService, in.PreJobTrained, in.Version
		changed = true
	}
	if t := ev.Training; t != nil {
		added, err := q.AddTraining(ctx, *t)
		if err != nil {
			return nil, err
		}
		if added {
			addHours(&next, *t, cur.Day[:4])
			changed = true
		}
	}
	if !changed {
		return changes, nil
	}
	if bt != nil && bt.guards != nil {
		// Written once, at the batch's end.
		bt.guards[next.ID] = next
		if !bt.dirty[next.ID] {
			bt.dirty[next.ID], bt.changed = true, append(bt.changed, next.ID)
		}
	} else if err := q.PutGuard(ctx, next); err != nil {
		return nil, err
	}
	oldMask, newMask := Evaluate(old, cur.Day, cur.Policy), Evaluate(next, cur.Day, cur.Policy)
	if found && old.CompanyID == next.CompanyID && old.Active() == next.Active() && oldMask == newMask {
		// A change the scoreboard does not score (a new version with the
		// same standing): no count moves; only the warnings may be due.
		if inWindow(next, newMask, cur) {
			ch, err := b.lapses(ctx, q, next, cur)
			return append(changes, ch...), err
		}
		return changes, nil
	}
	shift := b.shift
	if bt != nil {
		shift = bt.shift
	}
	if found && old.CompanyID != next.CompanyID && old.Active() {
		ch, err := shift(ctx, q, old.CompanyID, func(c *Counts) { c.Add(true, oldMask, -1) }, cur.Day)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
		found = false // the old contribution has left
	}
	ch, err := shift(ctx, q, next.CompanyID, func(c *Counts) {
		if found {
			c.Add(old.Active(), oldMask, -1)
		}
		c.Add(next.Active(), newMask, 1)
	}, cur.Day)
	if err != nil {
		return nil, err
	}
	changes = append(changes, ch...)
	if inWindow(next, newMask, cur) {
		ch, err := b.lapses(ctx, q, next, cur)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	return changes, nil
}

// shift, in a batch, adds the delta fn makes to the company's pending
// delta (ApplyBatch or Settle writes it once at the end).
func (bt *batch) shift(_ context.Context, _ Queries, companyID string, fn func(*Counts), _ string) ([]Change, error) {
	d := bt.deltas[companyID]
	if d == nil {
		d = &Counts{}
		bt.deltas[companyID] = d
		bt.order = append(bt.order, companyID)
	}
	fn(d)
	return nil, nil
}

// shift changes a company's counts by the delta fn makes, in one
// statement (AddCounts), and announces the criteria that reached or fell
// from 100% (rescore, which then writes the row again: only then).
func (b *Scoreboard) shift(ctx context.Context, q Queries, companyID string, fn func(*Counts), day string) ([]Change, error) {
	var delta Counts
	fn(&delta)
	if delta == (Counts{}) {
		return nil, nil
	}
	s, err := q.AddCounts(ctx, companyID, delta)
	if err != nil {
		return nil, err
	}
	if s.Counts.Full() == s.Full {
		return nil, nil
	}
	return b.rescore(ctx, q, s, s.Counts, day)
}

// addHours counts t's hours into g's totals; year is the scoreboard's.
func addHours(g *Guard, t Training, year string) {
	if g.Year != year {
		g.Year, g.YearPreJobHours, g.YearInServiceHours = year, 0, 0
	}
	inYear := len(t.TrainedOn) >= 4 && t.TrainedOn[:4] == year
	switch t.Type {
	case TrainingPreJob:
		g.PreJobHours += t.Hours
		if inYear {
			g.YearPreJobHours += t.Hours
		}
	case TrainingInService:
		if inYear {
			g.YearInServiceHours += t.Hours
		}
	}
}

// daysUntil is the number of days from day to until (both YYYY-MM-DD).
func daysUntil(day, until string) int {
	a, err1 := time.Parse(time.DateOnly, day)
	b, err2 := time.Parse(time.DateOnly, until)
	if err1 != nil || err2 != nil {
		return -1
	}
	return int(b.Sub(a).Hours() / 24)
}

// inWindow reports whether one of g's requirements is within its warning
// window on cur.Day: the certificate's last valid day, or the year's end
// for a guard still short of the year's training.
func inWindow(g Guard, m Mask, cur State) bool {
	if !g.Active() {
		return false
	}
	if g.HasCertificate && g.CertificateValidUntil != "" {
		if d := daysUntil(cur.Day, g.CertificateValidUntil); d >= 0 && d <= cur.Policy.CertificateWarningDays {
			return true
		}
	}
	if !m.Has(CriterionTraining) {
		if d := daysUntil(cur.Day, cur.Day[:4]+"-12-31"); d >= 0 && d <= cur.Policy.TrainingWarningDays {
			return true
		}
	}
	return false
}

// lapses announces, once each, g's requirements within their window.
func (b *Scoreboard) lapses(ctx context.Context, q Queries, g Guard, cur State) ([]Change, error) {
	var changes []Change
	m := Evaluate(g, cur.Day, cur.Policy)
	if g.HasCertificate && g.CertificateValidUntil != "" {
		if d := daysUntil(cur.Day, g.CertificateValidUntil); d >= 0 && d <= cur.Policy.CertificateWarningDays {
			ok, err := q.MarkWarned(ctx, g.ID, CriterionCertificate, g.CertificateValidUntil, cur.Day)
			if err != nil {
				return nil, err
			}
			if ok {
				changes = append(changes, Change{Type: EventRequirementLapsing, Lapse: &Lapse{GuardID: g.ID, CompanyID: g.CompanyID,
					Criterion: CriterionCertificate, LapsesOn: g.CertificateValidUntil, WindowDate: cur.Day, DaysLeft: d}})
			}
		}
	}
	end := cur.Day[:4] + "-12-31"
	if d := daysUntil(cur.Day, end); !m.Has(CriterionTraining) && d >= 0 && d <= cur.Policy.TrainingWarningDays {
		ok, err := q.MarkWarned(ctx, g.ID, CriterionTraining, cur.Day[:4], cur.Day)
		if err != nil {
			return nil, err
		}
		if ok {
			changes = append(changes, Change{Type: EventRequirementLapsing, Lapse: &Lapse{GuardID: g.ID, CompanyID: g.CompanyID,
				Criterion: CriterionTraining, LapsesOn: end, WindowDate: cur.Day, DaysLeft: d,
				Hours: g.YearHours(cur.Day[:4], cur.Policy), RequiredHours: cur.Policy.AnnualTrainingHours}})
		}
	}
	return changes, nil
}

// addDays returns day moved by n days.
func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// AnnounceCounts emits, for each company whose counts changed since the
// last announcement, one FourHundredCountsChanged with its counts now:
// coalesced, however many membership events moved them (HQ's live
// rates; Run calls it every refresh).
func (b *Scoreboard) AnnounceCounts(ctx context.Context, q Queries) ([]Change, error) {
	dirty, err := q.DirtyScores(ctx)
	if err != nil {
		return nil, err
	}
	day := Day(b.Now())
	var changes []Change
	for _, s := range dirty {
		s.Version++
		if err := q.Announced(ctx, s.CompanyID, s.Version); err != nil {
			return nil, err
		}
		snap := s
		changes = append(changes, Change{Type: EventCountsChanged, Score: &snap, Day: day})
	}
	return changes, nil
}
