package compliance_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// oracle scores the deduplicated history from scratch, with its own code:
// each guard's newest snapshot, each training once (by guard version), on
// day under the default policy (24 h a year, pre-job hours count).
func oracle(latest map[string]*guard, trainings map[string]*eventsv1.TrainingRecorded, day string) map[string]counts {
	type hours struct{ preJob, year float64 }
	h := map[string]*hours{}
	for _, t := range trainings {
		id := t.GetGuard().GetId()
		if h[id] == nil {
			h[id] = &hours{}
		}
		if t.GetTrainingType() == "pre_job" {
			h[id].preJob += t.GetHours()
		}
		if t.GetTrainedOn()[:4] == day[:4] {
			h[id].year += t.GetHours()
		}
	}
	out := map[string]counts{}
	for id, g := range latest {
		if g.GetEmploymentStatus() != "active" {
			continue
		}
		c := out[g.GetCompanyId()]
		c.Active++
		if g.GetBackgroundCheckStatus() == "passed" {
			c.BackgroundChecked++
		}
		hh := h[id]
		if hh == nil {
			hh = &hours{}
		}
		if (g.GetPreJobTrained() || hh.preJob > 0) && hh.year >= 24 {
			c.Trained++
		}
		if g.GetHasCertificate() && (g.GetCertificateValidUntil() == "" || day <= g.GetCertificateValidUntil()) {
			c.Certified++
		}
		if g.GetBadgeService() {
			c.BadgeService++
		}
		out[g.GetCompanyId()] = c
	}
	return out
}

func nonZero(m map[string]counts) map[string]counts {
	out := map[string]counts{}
	for k, v := range m {
		if v != (counts{}) {
			out[k] = v
		}
	}
	return out
}

// TestScoreboardEqualsARecomputationAfterAnyEventSequence is the property
// test: random membership event sequences (hires, updates of every scored
// field, company transfers, departures, trainings of both types in two
// years), with duplicates and redelivery of a key's recent events in that
// key's order (Kafka's at-least-once within a partition), while the clock
// crosses days, certificate expiries and a new year. Afterwards the
// scoreboard equals the oracle's from-scratch count of the deduplicated
// history, and a full recompute changes nothing.
//
// The batched run applies the same sequences through the scoreboard's
// batch path (ApplyMembershipBatch: counts kept in memory and written once
// per batch) in batches of 1 to 30 events; the consumer run through the
// consumer's (ApplyMembershipEach: each event in a savepoint, the counts
// written once before the commit), with the clock also moving mid-batch.
func TestScoreboardEqualsARecomputationAfterAnyEventSequence(t *testing.T) {
	for _, mode := range []string{"single", "batched", "consumer"} {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%s seed %d", mode, seed), func(t *testing.T) {
				scoreboardProperty(t, seed, mode)
			})
		}
	}
}

func scoreboardProperty(t *testing.T, seed uint64, mode string) {
	r := rand.New(rand.NewPCG(seed, 10))
	e := newEnv(t)
	var pending []*eventsv1.Envelope
	// moves are the clock's moves within the pending batch, by the index
	// of the event they come before (the consumer run).
	moves := map[int]time.Time{}
	clockAt := time.Date(2026, 12, 22, 10, 0, 0, 0, cst)
	size := 1 + r.IntN(30)
	flush := func() {
		if len(pending) == 0 {
			return
		}
		var err error
		if mode == "consumer" {
			err = e.node.ApplyMembershipEachWith(context.Background(), pending, func(i int) {
				if at, ok := moves[i]; ok {
					e.clock.set(at)
				}
			})
		} else {
			err = e.node.ApplyMembershipBatch(context.Background(), pending)
		}
		if err != nil {
			t.Fatal(err)
		}
		pending, size = nil, 1+r.IntN(30)
		clear(moves)
		e.clock.set(clockAt) // the moves after the batch's last event
	}
	// moved: the clock moved after the last event applied (until the
	// next, the stored counts are of an earlier day).
	moved := false
	apply := func(env *eventsv1.Envelope) {
		moved = false
		if mode == "single" {
			e.apply(env)
			return
		}
		pending = append(pending, env)
		if len(pending) >= size {
			flush()
		}
	}
	e.clock.set(clockAt)
	companies := []string{"c1", "c2", "c3"}
	untils := []string{"", "2026-12-23", "2026-12-25", "2026-12-31", "2027-01-03", "2028-06-30"}
	trainDays := []string{"2026-03-01", "2026-12-21", "2027-01-02"}
	latest := map[string]*guard{}
	trainings := map[string]*eventsv1.TrainingRecorded{}
	delivered := map[string][]*eventsv1.Envelope{}
	cur := map[string]*guard{}
	send := func(id string, env *eventsv1.Envelope) {
		apply(env)
		delivered[id] = append(delivered[id], env)
	}
	for step := range 120 {
		id := fmt.Sprintf("g%d", r.IntN(8))
		switch {
		case r.IntN(10) == 0 && step > 0: // the clock moves on
			clockAt, moved = clockAt.Add(time.Duration(r.IntN(3*24))*time.Hour), true
			if mode == "consumer" && len(pending) > 0 {
				moves[len(pending)] = clockAt // before the batch's next event
				continue
			}
			flush()
			e.clock.set(clockAt)
			continue
		case r.IntN(7) == 0 && len(delivered[id]) > 0: // redelivery of the key's last events, in order
			d := delivered[id]
			for _, env := range d[r.IntN(len(d)):] {
				apply(proto.Clone(env).(*eventsv1.Envelope))
			}
			continue
		}
		g := cur[id]
		if g == nil {
			g = &guard{Id: id, District: "jingkai", CompanyId: companies[r.IntN(3)], EmploymentStatus: "active",
				BackgroundCheckStatus: []string{"none", "pending", "passed"}[r.IntN(3)], HasCertificate: r.IntN(3) > 0,
				CertificateValidUntil: untils[r.IntN(len(untils))], BadgeService: r.IntN(2) == 0, PreJobTrained: r.IntN(2) == 0, Version: 1}
			cur[id], latest[id] = g, g
			send(id, hired(g))
			continue
		}
		if r.IntN(3) == 0 {
			n := next(g, func(n *guard) {
				if n.GetPreJobTrained() == false && r.IntN(2) == 0 {
					n.PreJobTrained = true
				}
			})
			typ := []string{"pre_job", "in_service"}[r.IntN(2)]
			if typ == "pre_job" {
				n.PreJobTrained = true
			}
			env := trained(n, typ, float64(1+r.IntN(20)), trainDays[r.IntN(len(trainDays))])
			var m eventsv1.TrainingRecorded
			_ = proto.Unmarshal(env.GetPayload(), &m)
			trainings[fmt.Sprintf("%s/%d", id, n.GetVersion())] = &m
			cur[id], latest[id] = n, n
			send(id, env)
			continue
		}
		n := next(g, func(n *guard) {
			switch r.IntN(6) {
			case 0:
				n.BackgroundCheckStatus = []string{"passed", "failed", "pending"}[r.IntN(3)]
			case 1:
				n.HasCertificate, n.CertificateValidUntil = true, untils[r.IntN(len(untils))]
			case 2:
				n.BadgeService = !n.BadgeService
			case 3:
				n.CompanyId = companies[r.IntN(3)]
			case 4:
				n.EmploymentStatus = "left"
			case 5:
				n.EmploymentStatus = "active"
			}
		})
		cur[id], latest[id] = n, n
		typ, msg := eventsv1.TypeGuardUpdated, proto.Message(&eventsv1.GuardUpdated{Guard: n})
		if n.EmploymentStatus == "left" {
			typ, msg = eventsv1.TypeGuardLeft, &eventsv1.GuardLeft{Guard: n}
		}
		send(id, envelope(typ, n, msg))
	}
	flush()
	day := clockAt.In(cst).Format(time.DateOnly)
	want := oracle(latest, trainings, day)
	if !moved {
		// The last event was applied on day: its counts are day's,
		// before any refresh.
		if got := nonZero(e.companies()); !maps.Equal(got, want) {
			t.Fatalf("day %s, before a refresh: scoreboard %+v, from scratch %+v", day, got, want)
		}
	}
	e.clock.set(clockAt) // a move after the last batch's last event
	if _, err := e.node.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := nonZero(e.companies()); !maps.Equal(got, want) {
		t.Fatalf("day %s: scoreboard %+v, from scratch %+v", day, got, want)
	}
	var total counts
	for _, c := range want {
		total.Active += c.Active
		total.BackgroundChecked += c.BackgroundChecked
		total.Trained += c.Trained
		total.Certified += c.Certified
		total.BadgeService += c.BadgeService
	}
	if s := e.scoreboard(); s.Counts != total || s.Day != day {
		t.Fatalf("district %+v on %s, want %+v on %s", s.Counts, s.Day, total, day)
	}
	if err := e.node.Recompute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := nonZero(e.companies()); !maps.Equal(got, want) {
		t.Fatalf("after a full recompute %+v, want %+v", got, want)
	}
}
