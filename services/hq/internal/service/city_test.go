package service_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// cityModel is an empty read model and a function applying events to it.
func cityModel(t *testing.T) (*store.Store, func(...*eventsv1.Envelope)) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hq.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	p := projector.New(st, nil, nil)
	return st, func(es ...*eventsv1.Envelope) {
		t.Helper()
		for _, e := range es {
			if err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := p.Apply(ctx, tx, e); return err }); err != nil {
				t.Fatalf("%s %s: %v", e.GetType(), e.GetAggregateId(), err)
			}
		}
	}
}

// seqEnv is envelope with a sequence (notice events need one).
func seqEnv(district, svc, typ, id string, seq int64, m proto.Message) *eventsv1.Envelope {
	e := envelope(district, svc, typ, id, m)
	e.Sequence = seq
	e.EventId += "-" + string(rune('a'+seq))
	return e
}

func guardActive(district, id, company string) *eventsv1.Envelope {
	return envelope(district, "membership", "GuardHired", id, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
		Id: id, District: district, CompanyId: company, IdHash: "h" + id, EmploymentStatus: "active", HiredOn: "2025-01-01", Version: 1}})
}

func at(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(now.Add(d)) }

func cityService(st *store.Store, ids ...string) service.Service {
	return service.New(st, monitor{ids: ids}, service.Config{Now: func() time.Time { return now }})
}

// TestNotReportedIsNotZero: a district HQ never heard from a service of
// shows that section as not reported with null rates; once the service
// reports, a count of nothing is 0 and a rate over something is a number,
// while a rate over nothing stays null.
func TestNotReportedIsNotZero(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	apply(companyActive("jingkai", "c1"), guardActive("jingkai", "g1", "c1"), guardActive("jingkai", "g2", "c1"))
	svc := cityService(st, "jingkai")
	v, err := svc.District(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	for _, want := range []string{`"compliance":{"reported":false,"last_event_at":null,"four_hundred":{"reported":false`,
		`"background_check_rate":null`, `"patrols":{"reported":false`, `"volunteer_share":null`, `"fill_rate":null`,
		`"accept_p50_seconds":null`, `"notices":{"reported":false`, `"ack_rate":null`, `"average_score":null`,
		`"link":"/api/v1/hq/directives"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("district view before any compliance, patrols or messaging event lacks %s:\n%s", want, b)
		}
	}

	// The compliance service reports a company with no active guard: the
	// section is reported, its rates still null; the notices one with
	// nobody acknowledged yet: a rate of 0.
	apply(envelope("jingkai", "compliance", eventsv1.TypeFourHundredCountsChanged, "c1", &eventsv1.FourHundredCountsChanged{
		Counts: &eventsv1.FourHundredCounts{District: "jingkai", CompanyId: "c1", Day: "2025-10-01", Version: 1}}),
		seqEnv("jingkai", "messaging", eventsv1.TypeNoticePublished, "n1", 1, &eventsv1.NoticePublished{Notice: &eventsv1.Notice{
			Id: "n1", District: "jingkai", Origin: "district", AckRequired: true, Recipients: 4, Revision: 1}}))
	v, err = svc.District(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Compliance.Reported || !v.Compliance.FourHundred.Reported || v.Compliance.FourHundred.CertifiedRate != nil {
		t.Errorf("a company of no active guard: compliance %+v, want reported with a null rate", v.Compliance.FourHundred)
	}
	if !v.Notices.Reported || v.Notices.AckRate == nil || *v.Notices.AckRate != 0 || v.Notices.Recipients != 4 {
		t.Errorf("a notice nobody acknowledged: %+v, want ack_rate 0", v.Notices)
	}
	if v.Patrols.Reported {
		t.Error("patrols reported without a patrols event")
	}
	if v.Compliance.Disputes.ByStatus["escalated"] != 0 || len(v.Compliance.Disputes.ByStatus) != 4 {
		t.Errorf("disputes by status = %v, want every status present", v.Compliance.Disputes.ByStatus)
	}
}

// TestPatrolFigures: volunteer strength over membership's active guards,
// fill rate, patrol hours from shifts with accepted scans, and the
// dispatch percentiles, per district and summed in the summary.
func TestPatrolFigures(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	team := func(v int64) *eventsv1.VolunteerTeam {
		return &eventsv1.VolunteerTeam{Id: "t1", District: "jingkai", Version: v}
	}
	shift := func(id string, hours int, req, asg int32) *eventsv1.Envelope {
		return envelope("jingkai", "patrols", eventsv1.TypeShiftAssigned, id, &eventsv1.ShiftAssigned{Shift: &eventsv1.PatrolShift{
			Id: id, District: "jingkai", StartsAt: at(0), EndsAt: at(time.Duration(hours) * time.Hour), Required: req, Assigned: asg, Version: 2}})
	}
	scan := func(id, shiftID, guard string) *eventsv1.Envelope {
		return envelope("jingkai", "patrols", eventsv1.TypeCheckpointScanned, id, &eventsv1.CheckpointScanned{Id: id, District: "jingkai",
			ShiftId: shiftID, GuardId: guard, ScannedAt: at(time.Minute)})
	}
	dispatch := func(id string, accept, arrive time.Duration) *eventsv1.Envelope {
		d := &eventsv1.Dispatch{Id: id, District: "jingkai", RaisedAt: at(0), AcceptedAt: at(accept), Version: 3}
		if arrive > 0 {
			d.ArrivedAt = at(arrive)
		}
		return envelope("jingkai", "patrols", eventsv1.TypeDispatchStep, id, &eventsv1.DispatchStep{Dispatch: d})
	}
	apply(companyActive("jingkai", "c1"), guardActive("jingkai", "g1", "c1"), guardActive("jingkai", "g2", "c1"),
		guardActive("jingkai", "g3", "c1"), guardActive("jingkai", "g4", "c1"),
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberJoined, "t1a", &eventsv1.TeamMemberJoined{Team: team(2), GuardId: "g1", CompanyId: "c1"}),
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberJoined, "t1b", &eventsv1.TeamMemberJoined{Team: team(3), GuardId: "g2", CompanyId: "c1"}),
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberSuspended, "t1c", &eventsv1.TeamMemberSuspended{Team: team(4), GuardId: "g2"}),
		// g5, whose membership events HQ has not applied yet, joins for c1,
		// is suspended and reinstated: still c1's volunteer (those events
		// name no company).
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberJoined, "t1d", &eventsv1.TeamMemberJoined{Team: team(5), GuardId: "g5", CompanyId: "c1"}),
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberSuspended, "t1e", &eventsv1.TeamMemberSuspended{Team: team(6), GuardId: "g5"}),
		envelope("jingkai", "patrols", eventsv1.TypeTeamMemberReinstated, "t1f", &eventsv1.TeamMemberReinstated{Team: team(7), GuardId: "g5"}),
		// A district team led by g3: the leader is a volunteer, of the
		// company membership says.
		envelope("jingkai", "patrols", eventsv1.TypeTeamCreated, "t2", &eventsv1.TeamCreated{Team: &eventsv1.VolunteerTeam{
			Id: "t2", District: "jingkai", LeaderGuardId: "g3", ActiveMembers: 1, Version: 1}}),
		shift("s1", 2, 3, 2), shift("s2", 4, 2, 5), // 2 of 3 seats, and 5 assigned to 2 seats counts 2
		scan("k1", "s1", "g1"), scan("k2", "s1", "g1"), scan("k3", "s1", "g2"), scan("k4", "s2", "g1"), scan("k5", "nos", "g1"),
		dispatch("x1", 10*time.Second, 4*time.Minute), dispatch("x2", 20*time.Second, 0), dispatch("x3", 60*time.Second, 6*time.Minute),
	)
	svc := cityService(st, "jingkai")
	v, err := svc.Patrols(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	p := v.PatrolStats
	if p.Teams != 2 || p.VolunteersActive != 3 || p.VolunteersSuspended != 1 || p.VolunteerShare == nil || *p.VolunteerShare != 0.75 {
		t.Errorf("volunteers %d active %d suspended, share %v; want 3, 1, 0.75 (of 4 active guards)", p.VolunteersActive,
			p.VolunteersSuspended, p.VolunteerShare)
	}
	if p.SeatsRequired != 5 || p.SeatsFilled != 4 || p.FillRate == nil || *p.FillRate != 0.8 {
		t.Errorf("seats %d/%d rate %v, want 4/5", p.SeatsFilled, p.SeatsRequired, p.FillRate)
	}
	// s1: g1 and g2 (2 h each), s2: g1 (4 h); the scan of an unknown shift counts none.
	if p.PatrolHours != 8 {
		t.Errorf("patrol hours %v, want 8", p.PatrolHours)
	}
	r := p.Response
	if r.AcceptSamples != 3 || *r.AcceptP50 != 20 || *r.AcceptP90 != 60 || r.ArriveSamples != 2 || *r.ArriveP50 != 240 ||
		*r.ArriveP90 != 360 || r.FeedbackSamples != 0 || r.FeedbackP50 != nil {
		t.Errorf("response %+v", r)
	}
	if len(v.Companies) != 1 || v.Companies[0].VolunteersActive != 3 || v.Companies[0].GuardsActive != 4 ||
		*v.Companies[0].VolunteerShare != 0.75 {
		t.Errorf("companies %+v", v.Companies)
	}
	sum, err := svc.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Patrols.VolunteersActive != 3 || sum.Patrols.PatrolHours != 8 || sum.Patrols.Response.AcceptSamples != 3 {
		t.Errorf("summary patrols %+v", sum.Patrols)
	}
}

// TestComplianceFigures: the four rates summed over companies, the
// district's trend, hazards (a finding not yet moved is open, an
// escalated one overdue), ratings of the newest period and newest
// version, this month's two-four-one coverage, timeliness of the last
// ended period, and the per-company rows.
func TestComplianceFigures(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	c := "compliance"
	counts := func(company string, active, certified, v int64) *eventsv1.Envelope {
		return seqEnv("jingkai", c, eventsv1.TypeFourHundredCountsChanged, company, v, &eventsv1.FourHundredCountsChanged{
			Counts: &eventsv1.FourHundredCounts{District: "jingkai", CompanyId: company, Day: "2025-10-01", Active: active,
				BackgroundChecked: active, Trained: active, Certified: certified, BadgeService: active, Version: v}})
	}
	eval := func(company, period string, v int64, score float64, grade string) *eventsv1.Envelope {
		return seqEnv("jingkai", c, eventsv1.TypeEvaluationPublished, company+"/"+period, v, &eventsv1.EvaluationPublished{
			Evaluation: &eventsv1.Evaluation{District: "jingkai", CompanyId: company, Period: period, Version: v, Score: score,
				ScoreReported: true, Grade: grade}})
	}
	// now is 2025-10-01 in Shanghai: September is the last ended month.
	inspection := func(id, company, on string, recorded time.Time) *eventsv1.Envelope {
		return envelope("jingkai", c, eventsv1.TypeInspectionRecorded, id, &eventsv1.InspectionRecorded{District: "jingkai",
			InspectionId: id, CompanyId: company, InspectedOn: on, ScoreReported: true, Score: 0.5, Result: "failed", Findings: 2,
			RecordedAt: timestamppb.New(recorded)})
	}
	apply(companyActive("jingkai", "c1"), companyActive("jingkai", "c2"),
		counts("c1", 4, 3, 1), counts("c1", 4, 4, 2), counts("c2", 6, 3, 1),
		envelope("jingkai", c, eventsv1.TypeScoreboardSnapshot, "/2025-09-30", &eventsv1.ScoreboardSnapshot{Counts: &eventsv1.FourHundredCounts{
			District: "jingkai", Day: "2025-09-30", Active: 10, Certified: 5}}),
		eval("c1", "2025-Q2", 1, 90, "A"), eval("c1", "2025-Q3", 1, 60, "C"), eval("c1", "2025-Q3", 2, 80, "B"),
		inspection("i1", "c1", "2025-09-10", now.Add(-48*time.Hour)),
		envelope("jingkai", c, eventsv1.TypeRemediationEscalated, "f1", &eventsv1.RemediationEscalated{Finding: &eventsv1.HazardFinding{
			Id: "f1", District: "jingkai", InspectionId: "i1", CompanyId: "c1", Status: "open", Escalated: "hq", Version: 2}}),
		// The inspection's other finding verified closed, past its due day:
		// neither open nor overdue.
		envelope("jingkai", c, eventsv1.TypeFindingStatusChanged, "f2", &eventsv1.FindingStatusChanged{Finding: &eventsv1.HazardFinding{
			Id: "f2", District: "jingkai", InspectionId: "i1", CompanyId: "c1", Status: "closed", RemediationDue: "2025-09-01", Version: 3}}),
		// c1 missed August's two inspections by one (its deadline,
		// 2025-09-15, is the newest closed month's on 2025-10-01).
		obligationEvent("jingkai", "c1", "inspection", "2025-08", 2, 1, 1, true),
		envelope("jingkai", c, eventsv1.TypeFourOneCoverage, "c2/2025-10", &eventsv1.FourOneCoverage{District: "jingkai",
			CompanyId: "c2", Period: "2025-10", Checked: 3, Active: 6}),
		envelope("jingkai", c, eventsv1.TypeFourOneCoverage, "c1/2025-09", &eventsv1.FourOneCoverage{District: "jingkai",
			CompanyId: "c1", Period: "2025-09", Checked: 4, Active: 4}),
	)
	svc := cityService(st, "jingkai")
	v, err := svc.Compliance(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	f := v.FourHundred
	if f.Active != 10 || f.Certified != 7 || f.CertifiedRate == nil || *f.CertifiedRate != 0.7 || f.CompaniesReported != 2 {
		t.Errorf("four hundred %+v, want 7 of 10 certified over 2 companies", f)
	}
	if len(f.Trend) != 1 || f.Trend[0].Day != "2025-09-30" || *f.Trend[0].CertifiedRate != 0.5 {
		t.Errorf("trend %+v", f.Trend)
	}
	h := v.Hazards
	if h.Inspections != 1 || h.FindingsRecorded != 2 || h.FindingsOpen != 1 || h.FindingsOverdue != 1 || h.FindingsEscalatedHQ != 1 ||
		h.AverageScore == nil || *h.AverageScore != 0.5 || h.Failed != 1 {
		t.Errorf("hazards %+v", h)
	}
	rt := v.Ratings
	if rt.Period != "2025-Q3" || rt.CompaniesRated != 1 || rt.ByGrade["B"] != 1 || rt.ByGrade["C"] != 0 || *rt.AverageScore != 80 {
		t.Errorf("ratings %+v, want Q3's version 2 alone", rt)
	}
	if fo := v.FourOne; fo.Period != "2025-10" || fo.CompaniesReported != 1 || fo.Checked != 3 || *fo.Rate != 0.5 {
		t.Errorf("four-one %+v, want October's c2 only", fo)
	}
	// c1 expected 2 in August, did 1, uploaded on time.
	if tl := v.Timeliness; tl.Expected != 2 || tl.Done != 1 || tl.OnTime != 1 || *tl.Completeness != 0.5 || !tl.Inspection.Reported {
		t.Errorf("timeliness %+v", tl)
	}
	if len(v.Companies) != 2 {
		t.Fatalf("companies %+v", v.Companies)
	}
	c1, c2 := v.Companies[0], v.Companies[1]
	if c1.CompanyID != "c1" || c1.Rating == nil || c1.Rating.Version != 2 || c1.Rating.Period != "2025-Q3" || *c1.FourHundred.CertifiedRate != 1 {
		t.Errorf("c1 %+v", c1)
	}
	if c1.FourOne.Reported || c2.Rating != nil || !c2.FourOne.Reported || *c2.FourOne.Rate != 0.5 || c2.Timeliness.Completeness != nil {
		t.Errorf("not reported must stay distinct from 0: c1 four-one %+v, c2 %+v", c1.FourOne, c2)
	}
	if c1.Timeliness.Expected != 2 || c1.Hazards.FindingsOverdue != 1 || c1.Hazards.FindingsOpen != 1 {
		t.Errorf("c1 timeliness %+v hazards %+v", c1.Timeliness, c1.Hazards)
	}
}

// TestNoticesList: the drill-down's rows with their rates and the overdue
// flag (past the deadline, not every recipient acknowledged), paged.
func TestNoticesList(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	m := "messaging"
	notice := func(id string, seq int64, deadline time.Duration, rec, ack int32, directive string) *eventsv1.Envelope {
		return seqEnv("jingkai", m, eventsv1.TypeReceiptAcknowledged, id, seq, &eventsv1.ReceiptAcknowledged{
			Notice: &eventsv1.Notice{Id: id, District: "jingkai", Origin: "hq", DirectiveId: directive, AckRequired: true,
				AckDeadline: at(deadline), Recipients: rec, Acknowledged: ack, Read: ack, Revision: 1, PublishedAt: at(-time.Hour)},
			Receipt: &eventsv1.Receipt{NoticeId: id, AcknowledgedAt: at(-time.Minute)}})
	}
	apply(notice("n1", 1, -time.Hour, 4, 1, "d1"), notice("n2", 1, time.Hour, 4, 1, ""), notice("n3", 1, -time.Hour, 2, 2, ""),
		notice("n1", 2, -time.Hour, 4, 2, "d1"))
	// caidian's notice is in the summary, not in jingkai's view.
	cn := notice("n9", 1, time.Hour, 6, 0, "")
	cn.District = "caidian"
	var ra eventsv1.ReceiptAcknowledged
	if err := proto.Unmarshal(cn.Payload, &ra); err != nil {
		t.Fatal(err)
	}
	ra.Notice.District = "caidian"
	cn.Payload, _ = proto.Marshal(&ra)
	apply(cn)
	svc := cityService(st, "jingkai", "caidian")
	p, err := svc.Notices(context.Background(), "jingkai", kitx.Page{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.NextCursor != "n2" || !p.Items[0].Overdue || p.Items[1].Overdue || *p.Items[0].AckRate != 0.5 {
		t.Errorf("page 1 = %+v next %q", p.Items, p.NextCursor)
	}
	p, err = svc.Notices(context.Background(), "jingkai", kitx.Page{Size: 2, Cursor: p.NextCursor})
	if err != nil || len(p.Items) != 1 || p.Items[0].Overdue || p.NextCursor != "" {
		t.Errorf("page 2 = %+v, %v", p, err)
	}
	v, err := svc.District(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	n := v.Notices
	if n.Notices != 3 || n.Recipients != 10 || n.Acknowledged != 5 || *n.AckRate != 0.5 || n.Overdue != 1 ||
		n.Directives.Materialised != 1 || *n.Directives.AckRate != 0.5 || n.Directives.LastReceiptAt == nil {
		t.Errorf("notices %+v", n)
	}
	sum, err := svc.Summary(context.Background())
	if err != nil || sum.Notices.Notices != 4 || sum.Notices.Recipients != 16 {
		t.Errorf("summary notices %+v, %v; want jingkai's 3 and caidian's 1", sum.Notices, err)
	}
	if _, err := svc.Notices(context.Background(), "nowhere", kitx.Page{}); err != service.ErrDistrictNotFound {
		t.Errorf("an unknown district: %v", err)
	}
}
