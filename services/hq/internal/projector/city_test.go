package projector_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// TestEveryEmittedTypeIsProjectedOrAcknowledged is the classification the
// coordinator keeps at every merge: each type a consumed service emits
// (eventsv1.TypesOf) is either projected or acknowledged (a deliberate
// no-op), never both, and neither list names a type the service does not
// emit. A new producer type fails here until someone decides which.
func TestEveryEmittedTypeIsProjectedOrAcknowledged(t *testing.T) {
	t.Parallel()
	for _, svc := range projector.Services {
		emitted := eventsv1.TypesOf(svc)
		if len(emitted) == 0 {
			t.Errorf("%s: eventsv1.TypesOf names no type", svc)
		}
		proj, ack := projector.Projected(svc), projector.Acknowledged(svc)
		for _, typ := range emitted {
			p, a := slices.Contains(proj, typ), slices.Contains(ack, typ)
			switch {
			case p && a:
				t.Errorf("%s %s is both projected and acknowledged", svc, typ)
			case !p && !a:
				t.Errorf("%s %s is neither projected nor acknowledged: add it to one list in projector/city.go", svc, typ)
			}
		}
		for _, typ := range append(proj, ack...) {
			if !slices.Contains(emitted, typ) {
				t.Errorf("%s %s is classified but the service does not emit it (eventsv1.TypesOf)", svc, typ)
			}
		}
	}
}

// cenv is an envelope of district's svc with aggregate agg at sequence seq.
func cenv(district, svc, typ, agg string, seq int64, m proto.Message) *eventsv1.Envelope {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return &eventsv1.Envelope{EventId: fmt.Sprintf("%s-%s-%s-%d", svc, typ, agg, seq), District: district, Service: svc,
		Type: typ, AggregateId: agg, Sequence: seq, OccurredAt: timestamppb.New(t0.Add(time.Duration(seq) * time.Minute)),
		SchemaVersion: 1, Payload: b}
}

func applyOne(t *testing.T, db *storage.DB, p *projector.Projector, e *eventsv1.Envelope) (bool, error) {
	t.Helper()
	var applied bool
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		applied, err = p.Apply(context.Background(), tx, e)
		return err
	})
	return applied, err
}

const (
	cityToday = "2025-09-23"
	cityMonth = "2025-09"
)

func cityOf(t *testing.T, st *store.Store, district string) service.CityData {
	t.Helper()
	data, err := st.City(context.Background(), "", cityToday, cityMonth, t0, service.TimelinessPeriods(cityToday, policy.DefaultCompliance.TimelinessDays))
	if err != nil {
		t.Fatal(err)
	}
	return data[district]
}

// odd maps a version to one of two values, so a figure tells which
// version of a snapshot the read model holds.
func odd[T any](v int64, ifOdd, ifEven T) T {
	if v%2 == 1 {
		return ifOdd
	}
	return ifEven
}

func ts(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(t0.Add(d)) }

// cityCase is one projected type: build makes its event at version v with
// the snapshot in district d; holds says the read model shows version v.
type cityCase struct {
	svc, typ string
	build    func(d string, v int64) *eventsv1.Envelope
	holds    func(cd service.CityData, v int64) bool
	// fact marks an event that is no snapshot (an inspection, a scan, a
	// schedule set): applied once, no older version to ignore.
	fact bool
}

func counts4(d string, v int64) *eventsv1.FourHundredCounts {
	return &eventsv1.FourHundredCounts{District: d, CompanyId: "c1", Day: cityToday, Active: 10, BackgroundChecked: 9,
		Trained: 8, Certified: v, BadgeService: 7, Version: v}
}

func findingOf(d string, v int64) *eventsv1.HazardFinding {
	// Even versions are open and overdue (due in 2000), odd ones closed.
	return &eventsv1.HazardFinding{Id: "f1", District: d, InspectionId: "i1", CompanyId: "c1", Severity: "high",
		RemediationDue: "2000-01-01", Status: odd(v, "closed", "open"), Version: v}
}

func disputeOf(d string, v int64) *eventsv1.DisputeCase {
	return &eventsv1.DisputeCase{Id: "d1", District: d, CompanyId: "c1", Kind: "wages", Status: odd(v, "reported", "mediating"), Version: v}
}

func teamOf(d string, v int64) *eventsv1.VolunteerTeam {
	return &eventsv1.VolunteerTeam{Id: "t1", District: d, Name: "义警一队", LeaderGuardId: "g1", ActiveMembers: int32(v), Version: v}
}

func shiftOf(d string, v int64) *eventsv1.PatrolShift {
	return &eventsv1.PatrolShift{Id: "s1", District: d, PlanId: "p1", StartsAt: ts(0), EndsAt: ts(2 * time.Hour), Required: 5,
		Assigned: int32(v), Version: v}
}

func dispatchOf(d string, v int64) *eventsv1.Dispatch {
	return &eventsv1.Dispatch{Id: "x1", District: d, Urgency: "urgent", Status: "accepted", RaisedAt: ts(0),
		AcceptedAt: ts(time.Duration(v) * 10 * time.Second), Escalated: v%2 == 0, Version: v}
}

func incidentOf(d string, v int64) *eventsv1.Incident {
	return &eventsv1.Incident{Id: "n1", District: d, Kind: "fire", Severity: "high", Status: odd(v, "open", "resolved"), Version: v}
}

func noticeOf(d string, v int64) *eventsv1.Notice {
	return &eventsv1.Notice{Id: "no1", District: d, Origin: "district", Title: "节前安全检查", AckRequired: true,
		AckDeadline: ts(48 * time.Hour), Revision: 1, Recipients: 5, Read: int32(v), Acknowledged: int32(v), PublishedAt: ts(0)}
}

func cityCases() []cityCase {
	fourHundred := func(cd service.CityData, v int64) bool {
		f := cd.Compliance.FourHundred
		return f.Reported && f.CompaniesReported == 1 && f.Certified == v && f.Active == 10
	}
	findingHolds := func(cd service.CityData, v int64) bool {
		return cd.Compliance.Hazards.FindingsOverdue == odd[int64](v, 0, 1)
	}
	disputeHolds := func(cd service.CityData, v int64) bool {
		return cd.Compliance.Disputes.Total == 1 && cd.Compliance.Disputes.ByStatus[odd(v, "reported", "mediating")] == 1
	}
	teamHolds := func(active bool) func(cd service.CityData, v int64) bool {
		return func(cd service.CityData, _ int64) bool {
			p := cd.Patrols
			if active {
				return p.Teams == 1 && p.VolunteersActive == 1 && p.VolunteersSuspended == 0
			}
			return p.Teams == 1 && p.VolunteersActive == 0 && p.VolunteersSuspended == 1
		}
	}
	shiftHolds := func(cd service.CityData, v int64) bool {
		return cd.Patrols.Shifts == 1 && cd.Patrols.SeatsRequired == 5 && cd.Patrols.SeatsFilled == v
	}
	dispatchHolds := func(cd service.CityData, v int64) bool {
		return cd.Patrols.Dispatches == 1 && cd.Patrols.DispatchesEscalated == odd[int64](v, 0, 1)
	}
	incidentHolds := func(cd service.CityData, v int64) bool {
		return cd.Patrols.Incidents == 1 && cd.Patrols.IncidentsByStatus[odd(v, "open", "resolved")] == 1
	}
	noticeHolds := func(cd service.CityData, v int64) bool {
		m := cd.Messaging
		return m.Reported && m.Notices == 1 && m.Recipients == 5 && m.Acknowledged == v
	}
	const (
		c = projector.ServiceCompliance
		p = projector.ServicePatrols
		m = projector.ServiceMessaging
	)
	return []cityCase{
		{c, eventsv1.TypeFourHundredCountsChanged, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeFourHundredCountsChanged, "c1", v, &eventsv1.FourHundredCountsChanged{Counts: counts4(d, v)})
		}, fourHundred, false},
		{c, eventsv1.TypeFourHundredReached, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeFourHundredReached, "c1", v, &eventsv1.FourHundredReached{Counts: counts4(d, v), Criterion: "training"})
		}, fourHundred, false},
		{c, eventsv1.TypeFourHundredLost, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeFourHundredLost, "c1", v, &eventsv1.FourHundredLost{Counts: counts4(d, v), Criterion: "training"})
		}, fourHundred, false},
		{c, eventsv1.TypeScoreboardSnapshot, func(d string, v int64) *eventsv1.Envelope {
			cs := counts4(d, v)
			cs.CompanyId = ""
			return cenv(d, c, eventsv1.TypeScoreboardSnapshot, "/"+cityToday, 1, &eventsv1.ScoreboardSnapshot{Counts: cs})
		}, func(service.CityData, int64) bool { return true }, true},
		{c, eventsv1.TypeInspectionRecorded, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeInspectionRecorded, "i1", 1, &eventsv1.InspectionRecorded{District: d, InspectionId: "i1",
				CompanyId: "c1", InspectedOn: cityToday, ScoreReported: true, Score: 0.8, Result: "passed", Findings: 2, RecordedAt: ts(0)})
		}, func(cd service.CityData, _ int64) bool {
			h := cd.Compliance.Hazards
			return h.Inspections == 1 && h.InspectionsScored == 1 && h.ScoreSum == 0.8 && h.Passed == 1 && h.FindingsOpen == 2
		}, true},
		{c, eventsv1.TypeFindingStatusChanged, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeFindingStatusChanged, "f1", v, &eventsv1.FindingStatusChanged{Finding: findingOf(d, v)})
		}, findingHolds, false},
		{c, eventsv1.TypeRemediationEscalated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeRemediationEscalated, "f1", v, &eventsv1.RemediationEscalated{Finding: findingOf(d, v), Level: "company"})
		}, findingHolds, false},
		// cityToday's newest closed month is 2025-08 (its deadline, its
		// end plus 15 days, was 2025-09-16).
		{c, eventsv1.TypeObligationMissed, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeObligationMissed, "c1/four_one/2025-08", v, &eventsv1.ObligationMissed{Timeliness: &eventsv1.ObligationTimeliness{
				District: d, CompanyId: "c1", Obligation: "four_one", Period: "2025-08", Expected: 3, Done: v, OnTime: 1}})
		}, func(cd service.CityData, v int64) bool {
			f := cd.Compliance.Timeliness.FourOne
			return f.Reported && f.Expected == 3 && f.Done == v && f.OnTime == 1 && slices.Equal(f.Periods, []string{"2025-08"})
		}, false},
		{c, eventsv1.TypeObligationCompleted, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeObligationCompleted, "c1/inspection/2025-08", v, &eventsv1.ObligationCompleted{Timeliness: &eventsv1.ObligationTimeliness{
				District: d, CompanyId: "c1", Obligation: "inspection", Period: "2025-08", Expected: 3, Done: 3, OnTime: v}})
		}, func(cd service.CityData, v int64) bool {
			i := cd.Compliance.Timeliness.Inspection
			return i.Reported && i.Expected == 3 && i.Done == 3 && i.OnTime == v && i.CompanyPeriods == 1
		}, false},
		{c, eventsv1.TypeDisputeReported, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeDisputeReported, "d1", v, &eventsv1.DisputeReported{Dispute: disputeOf(d, v)})
		}, disputeHolds, false},
		{c, eventsv1.TypeDisputeStepRecorded, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeDisputeStepRecorded, "d1", v, &eventsv1.DisputeStepRecorded{Dispute: disputeOf(d, v)})
		}, disputeHolds, false},
		{c, eventsv1.TypeDisputeStatusChanged, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeDisputeStatusChanged, "d1", v, &eventsv1.DisputeStatusChanged{Dispute: disputeOf(d, v)})
		}, disputeHolds, false},
		{c, eventsv1.TypeDisputeResponseOverdue, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeDisputeResponseOverdue, "d1", v, &eventsv1.DisputeResponseOverdue{Dispute: disputeOf(d, v)})
		}, disputeHolds, false},
		{c, eventsv1.TypeDisputeEscalationDue, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeDisputeEscalationDue, "d1", v, &eventsv1.DisputeEscalationDue{Dispute: disputeOf(d, v)})
		}, disputeHolds, false},
		{c, eventsv1.TypeFourOneCoverage, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeFourOneCoverage, "c1/"+cityMonth, v, &eventsv1.FourOneCoverage{District: d, CompanyId: "c1",
				Period: cityMonth, Checked: v, Active: 10})
		}, func(cd service.CityData, v int64) bool {
			f := cd.Compliance.FourOne
			return f.CompaniesReported == 1 && f.Checked == v && f.Active == 10
		}, false},
		{c, eventsv1.TypeEvaluationPublished, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, c, eventsv1.TypeEvaluationPublished, "c1/2025-Q3", v, &eventsv1.EvaluationPublished{Evaluation: &eventsv1.Evaluation{
				Id: "c1/2025-Q3", District: d, CompanyId: "c1", Period: "2025-Q3", Version: v, Score: float64(10 * v),
				ScoreReported: true, Grade: odd(v, "B", "A"), PolicyVersion: 3}})
		}, func(cd service.CityData, v int64) bool {
			r := cd.Compliance.Ratings
			return r.Period == "2025-Q3" && r.CompaniesRated == 1 && r.ScoreSum == float64(10*v) && r.ByGrade[odd(v, "B", "A")] == 1
		}, false},

		{p, eventsv1.TypeTeamCreated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeTeamCreated, "t1", v, &eventsv1.TeamCreated{Team: teamOf(d, v)})
		}, teamHolds(true), false},
		{p, eventsv1.TypeTeamMemberJoined, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeTeamMemberJoined, "t1", v, &eventsv1.TeamMemberJoined{Team: teamOf(d, v), GuardId: "g1", CompanyId: "c1"})
		}, teamHolds(true), false},
		{p, eventsv1.TypeTeamMemberSuspended, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeTeamMemberSuspended, "t1", v, &eventsv1.TeamMemberSuspended{Team: teamOf(d, v), GuardId: "g1"})
		}, teamHolds(false), false},
		{p, eventsv1.TypeTeamMemberReinstated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeTeamMemberReinstated, "t1", v, &eventsv1.TeamMemberReinstated{Team: teamOf(d, v), GuardId: "g1"})
		}, teamHolds(true), false},
		{p, eventsv1.TypePatrolShiftCreated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypePatrolShiftCreated, "s1", v, &eventsv1.PatrolShiftCreated{Shift: shiftOf(d, v)})
		}, shiftHolds, false},
		{p, eventsv1.TypeShiftAssigned, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeShiftAssigned, "s1", v, &eventsv1.ShiftAssigned{Shift: shiftOf(d, v), GuardId: "g1"})
		}, shiftHolds, false},
		{p, eventsv1.TypeShiftAssignmentCancelled, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeShiftAssignmentCancelled, "s1", v, &eventsv1.ShiftAssignmentCancelled{Shift: shiftOf(d, v), GuardId: "g1"})
		}, shiftHolds, false},
		{p, eventsv1.TypeCheckpointScanned, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeCheckpointScanned, "sc1", 1, &eventsv1.CheckpointScanned{Id: "sc1", District: d, ShiftId: "s1",
				GuardId: "g1", CheckpointId: "cp1", ScannedAt: ts(time.Minute), MockLocation: true})
		}, func(cd service.CityData, _ int64) bool {
			return cd.Patrols.Scans == 1 && cd.Patrols.ScansMockLocation == 1
		}, true},
		{p, eventsv1.TypeMissedTour, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeMissedTour, "mt1", 1, &eventsv1.MissedTour{Id: "mt1", District: d, ShiftId: "s1", GuardId: "g1",
				Kind: "not_started"})
		}, func(cd service.CityData, _ int64) bool {
			return cd.Patrols.MissedTours == 1 && cd.Patrols.MissedToursByKind["not_started"] == 1
		}, true},
		{p, eventsv1.TypeMissedTourWithdrawn, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeMissedTourWithdrawn, "mt1", 2, &eventsv1.MissedTourWithdrawn{Id: "mt1", District: d, ShiftId: "s1",
				GuardId: "g1", Kind: "not_started"})
		}, func(cd service.CityData, _ int64) bool { return cd.Patrols.MissedTours == 0 }, true},
		{p, eventsv1.TypeDispatchRaised, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeDispatchRaised, "x1", v, &eventsv1.DispatchRaised{Dispatch: dispatchOf(d, v)})
		}, dispatchHolds, false},
		{p, eventsv1.TypeDispatchOffered, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeDispatchOffered, "x1", v, &eventsv1.DispatchOffered{Dispatch: dispatchOf(d, v), TeamId: "t1"})
		}, dispatchHolds, false},
		{p, eventsv1.TypeDispatchStep, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeDispatchStep, "x1", v, &eventsv1.DispatchStep{Dispatch: dispatchOf(d, v), Step: "accepted"})
		}, dispatchHolds, false},
		{p, eventsv1.TypeDispatchEscalated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeDispatchEscalated, "x1", v, &eventsv1.DispatchEscalated{Dispatch: dispatchOf(d, v)})
		}, dispatchHolds, false},
		{p, eventsv1.TypeDispatchTargetBreached, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeDispatchTargetBreached, "x1", v, &eventsv1.DispatchTargetBreached{Dispatch: dispatchOf(d, v), Stage: "accept"})
		}, dispatchHolds, false},
		{p, eventsv1.TypeIncidentReported, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeIncidentReported, "n1", v, &eventsv1.IncidentReported{Incident: incidentOf(d, v)})
		}, incidentHolds, false},
		{p, eventsv1.TypeIncidentUpdated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, p, eventsv1.TypeIncidentUpdated, "n1", v, &eventsv1.IncidentUpdated{Incident: incidentOf(d, v)})
		}, incidentHolds, false},

		{m, eventsv1.TypeNoticePublished, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, m, eventsv1.TypeNoticePublished, "no1", v, &eventsv1.NoticePublished{Notice: noticeOf(d, v)})
		}, noticeHolds, false},
		{m, eventsv1.TypeNoticeRevised, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, m, eventsv1.TypeNoticeRevised, "no1", v, &eventsv1.NoticeRevised{Notice: noticeOf(d, v)})
		}, noticeHolds, false},
		{m, eventsv1.TypeReceiptRead, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, m, eventsv1.TypeReceiptRead, "no1", v, &eventsv1.ReceiptRead{Notice: noticeOf(d, v),
				Receipt: &eventsv1.Receipt{NoticeId: "no1", CompanyId: "c1", Status: "read", ReadAt: ts(time.Hour)}})
		}, noticeHolds, false},
		{m, eventsv1.TypeReceiptAcknowledged, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, m, eventsv1.TypeReceiptAcknowledged, "no1", v, &eventsv1.ReceiptAcknowledged{Notice: noticeOf(d, v),
				Receipt: &eventsv1.Receipt{NoticeId: "no1", CompanyId: "c1", Status: "acknowledged", AcknowledgedAt: ts(time.Hour)}})
		}, noticeHolds, false},
		{m, eventsv1.TypeNoticeReminderSent, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, m, eventsv1.TypeNoticeReminderSent, "no1", v, &eventsv1.NoticeReminderSent{Notice: noticeOf(d, v),
				Receipt: &eventsv1.Receipt{NoticeId: "no1", CompanyId: "c2", Status: "delivered"}})
		}, noticeHolds, false},
	}
}

// TestCityEvents applies every projected type of compliance, patrols and
// messaging: the figure shows it, an older version is ignored, the same
// event again changes nothing, and a snapshot of another district than
// the envelope's is rejected and changes nothing.
func TestCityEvents(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range cityCases() {
		covered[tc.svc+"/"+tc.typ] = true
		t.Run(tc.svc+"/"+tc.typ, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 2)); err != nil || !applied {
				t.Fatalf("apply version 2 = %v, %v; want applied", applied, err)
			}
			cd := cityOf(t, st, "jingkai")
			if !tc.holds(cd, 2) {
				t.Fatalf("after version 2 the read model holds %+v", cd)
			}
			if !tc.fact {
				older := tc.build("jingkai", 1)
				if applied, err := applyOne(t, db, p, older); err != nil || applied {
					t.Errorf("an older version = %v, %v; want ignored", applied, err)
				}
				if cd := cityOf(t, st, "jingkai"); !tc.holds(cd, 2) {
					t.Errorf("an older version rolled the read model back: %+v", cd)
				}
			}
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 2)); err != nil || applied {
				t.Errorf("the same event again = %v, %v; want no change", applied, err)
			}
			if cd := cityOf(t, st, "jingkai"); !tc.holds(cd, 2) {
				t.Errorf("after a redelivery the read model holds %+v", cd)
			}
			foreign := tc.build("caidian", 3)
			foreign.District = "jingkai"
			foreign.EventId += "-foreign"
			_, err := applyOne(t, db, p, foreign)
			if reason, ok := eventbus.IsRejected(err); !ok || reason != eventbus.ReasonDistrictMismatch {
				t.Errorf("a caidian snapshot in a jingkai event: err = %v, want district_mismatch", err)
			}
			if cd := cityOf(t, st, "jingkai"); !tc.holds(cd, 2) {
				t.Errorf("a rejected event changed the read model: %+v", cd)
			}
		})
	}
	for _, tc := range seedCases() {
		covered[tc.svc+"/"+tc.typ] = true // TestSeedEvents (seed_test.go)
	}
	for _, svc := range []string{projector.ServiceCompliance, projector.ServicePatrols, projector.ServiceMessaging} {
		for _, typ := range projector.Projected(svc) {
			if !covered[svc+"/"+typ] {
				t.Errorf("projected type %s/%s has no case in TestCityEvents", svc, typ)
			}
		}
	}
}

// TestAcknowledgedTypesTouchFreshnessOnly: an acknowledged type is applied
// (never parked), changes no figure, and counts for the district's and the
// service's freshness, so a district whose compliance sends only templates
// is reported, not silent.
func TestAcknowledgedTypesTouchFreshnessOnly(t *testing.T) {
	t.Parallel()
	for _, svc := range []string{projector.ServiceCompliance, projector.ServicePatrols, projector.ServiceMessaging} {
		for _, typ := range projector.Acknowledged(svc) {
			t.Run(svc+"/"+typ, func(t *testing.T) {
				t.Parallel()
				db, st := open(t)
				p := projector.New(st, nil, nil)
				applied, err := applyOne(t, db, p, cenv("jingkai", svc, typ, "a1", 1, &eventsv1.GuardLeft{}))
				if err != nil || applied {
					t.Fatalf("apply = %v, %v; want a no-op", applied, err)
				}
				d, err := st.Districts(context.Background(), cityToday)
				if err != nil || d["jingkai"].Freshness.EventsApplied != 1 {
					t.Errorf("freshness after an acknowledged event = %+v, %v; want 1 event applied", d["jingkai"].Freshness, err)
				}
				cd := cityOf(t, st, "jingkai")
				reported := map[string]bool{projector.ServiceCompliance: cd.Compliance.Reported,
					projector.ServicePatrols: cd.Patrols.Reported, projector.ServiceMessaging: cd.Messaging.Reported}
				if !reported[svc] {
					t.Errorf("%s not reported after an acknowledged event", svc)
				}
				if cd.Compliance.FourHundred.Reported || cd.Patrols.Teams != 0 || cd.Messaging.Notices != 0 {
					t.Errorf("an acknowledged event changed a figure: %+v", cd)
				}
			})
		}
	}
}

// TestTheTrendKeepsEachDaysClosingCounts: ScoreboardSnapshot of the
// district (company_id empty) is the trend; a company's own snapshot is
// not in the district's.
func TestTheTrendKeepsEachDaysClosingCounts(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	snap := func(company, day string, certified int64) *eventsv1.Envelope {
		return cenv("jingkai", "compliance", eventsv1.TypeScoreboardSnapshot, company+"/"+day, 1, &eventsv1.ScoreboardSnapshot{
			Counts: &eventsv1.FourHundredCounts{District: "jingkai", CompanyId: company, Day: day, Active: 10, Certified: certified}})
	}
	mustApply(t, db, p, snap("", "2025-09-20", 7), snap("", "2025-09-21", 8), snap("c1", "2025-09-21", 1), snap("", "2025-09-19", 6))
	bad := snap("", "yesterday", 1)
	bad.EventId = "bad"
	if _, err := applyOne(t, db, p, bad); err == nil {
		t.Error("a snapshot of a day that is no date was applied")
	}
	pts, err := st.Trend(context.Background(), "jingkai", "2025-09-19")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Day != "2025-09-20" || pts[0].Certified != 7 || pts[1].Day != "2025-09-21" || pts[1].Certified != 8 {
		t.Errorf("trend since 2025-09-19 (exclusive) = %+v, want the district's 20th and 21st", pts)
	}
}

// TestAWithdrawnMissedTourNoLongerCounts: a late offline batch that covers
// a missed tour withdraws it at HQ too, whatever order the two arrive in
// and however often the MissedTour is delivered again.
func TestAWithdrawnMissedTourNoLongerCounts(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	const svc = projector.ServicePatrols
	missed := func(id, eventID string) *eventsv1.Envelope {
		e := cenv("jingkai", svc, eventsv1.TypeMissedTour, id, 1, &eventsv1.MissedTour{Id: id, District: "jingkai", ShiftId: "s1",
			GuardId: "g1", Kind: "not_started"})
		e.EventId = eventID
		return e
	}
	withdrawn := func(id string) *eventsv1.Envelope {
		return cenv("jingkai", svc, eventsv1.TypeMissedTourWithdrawn, id, 2, &eventsv1.MissedTourWithdrawn{Id: id, District: "jingkai",
			ShiftId: "s1", GuardId: "g1", Kind: "not_started"})
	}
	mustApply(t, db, p, missed("mt1", "e1"), missed("mt2", "e2"), withdrawn("mt1"))
	if n := cityOf(t, st, "jingkai").Patrols.MissedTours; n != 1 {
		t.Fatalf("two missed tours, one withdrawn: %d counted, want 1", n)
	}
	// The same MissedTour again under a new event id (a re-sent outbox row).
	mustApply(t, db, p, missed("mt1", "e1-again"))
	// A withdrawal seen before its MissedTour.
	mustApply(t, db, p, withdrawn("mt3"), missed("mt3", "e3"))
	if n := cityOf(t, st, "jingkai").Patrols.MissedTours; n != 1 {
		t.Errorf("after a redelivery and a withdrawal seen first: %d counted, want 1", n)
	}
}
