package projector

// The city view (issues 10 part 7, 11 part 7, 12 part 6): the districts'
// compliance, patrols and messaging events folded into HQ's read model.
// Like membership's and meetings', these events carry snapshots, so each
// is an upsert by aggregate that only moves forward in version (a fact such
// as a scan or an inspection is inserted once). Every type a consumed
// service emits (eventsv1.TypesOf) is either projected here or listed in
// acknowledged: applied as a no-op that still touches the district's
// freshness, because HQ has nothing to show of it (a guard's personal
// warning, a checklist template, a liaison post). A type in neither list
// is unknown and parked, as before.

import (
	"context"
	"database/sql"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// The district services of the city view.
const (
	// ServiceCompliance is gh.<district>.compliance.v1.
	ServiceCompliance = "compliance"
	// ServicePatrols is gh.<district>.patrols.v1.
	ServicePatrols = "patrols"
	// ServiceMessaging is gh.<district>.messaging.v1.
	ServiceMessaging = "messaging"
)

// applyFunc applies one decoded event type.
type applyFunc func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error)

// projected maps each service's types the projector applies: membership
// and meetings through apply's switch (nil here), the city view's through
// their function.
var projected = map[string]map[string]applyFunc{
	Service: {
		eventsv1.TypeCompanyRegistered: nil, eventsv1.TypeCompanyStatusChanged: nil, eventsv1.TypeCompanyUpdated: nil,
		eventsv1.TypeGuardHired: nil, eventsv1.TypeGuardUpdated: nil, eventsv1.TypeGuardLeft: nil,
		eventsv1.TypeTrainingRecorded: nil, eventsv1.TypeBackgroundCheckRecorded: nil, eventsv1.TypeCertificateIssued: nil,
		eventsv1.TypeCertificateExpiring: nil, eventsv1.TypeCouncilMemberAppointed: nil, eventsv1.TypeCouncilMemberUpdated: nil,
	},
	ServiceMeetings: {
		eventsv1.TypeMeetingScheduled: nil, eventsv1.TypeMeetingUpdated: nil, eventsv1.TypeMeetingStatusChanged: nil,
		eventsv1.TypeAttendanceRecorded: nil, eventsv1.TypeMinutesPublished: nil, eventsv1.TypeResolutionAdopted: nil,
		eventsv1.TypeActionItemCreated: nil, eventsv1.TypeActionItemStatusChanged: nil, eventsv1.TypeActionItemReminder: nil,
		eventsv1.TypeConventionSigned: nil,
	},
	ServiceCompliance: {
		eventsv1.TypeFourHundredReached:       counts(func(m *eventsv1.FourHundredReached) *eventsv1.FourHundredCounts { return m.GetCounts() }),
		eventsv1.TypeFourHundredLost:          counts(func(m *eventsv1.FourHundredLost) *eventsv1.FourHundredCounts { return m.GetCounts() }),
		eventsv1.TypeFourHundredCountsChanged: counts(func(m *eventsv1.FourHundredCountsChanged) *eventsv1.FourHundredCounts { return m.GetCounts() }),
		eventsv1.TypeScoreboardSnapshot:       snapshot,
		eventsv1.TypeInspectionRecorded:       inspection,
		eventsv1.TypeFindingStatusChanged:     finding(func(m *eventsv1.FindingStatusChanged) *eventsv1.HazardFinding { return m.GetFinding() }),
		eventsv1.TypeRemediationEscalated:     finding(func(m *eventsv1.RemediationEscalated) *eventsv1.HazardFinding { return m.GetFinding() }),
		eventsv1.TypeObligationCompleted:      obligation(func(m *eventsv1.ObligationCompleted) *eventsv1.ObligationTimeliness { return m.GetTimeliness() }, false),
		eventsv1.TypeObligationMissed:         obligation(func(m *eventsv1.ObligationMissed) *eventsv1.ObligationTimeliness { return m.GetTimeliness() }, true),
		eventsv1.TypeDisputeReported:          dispute(func(m *eventsv1.DisputeReported) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeStepRecorded:      dispute(func(m *eventsv1.DisputeStepRecorded) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeStatusChanged:     dispute(func(m *eventsv1.DisputeStatusChanged) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeResponseOverdue:   dispute(func(m *eventsv1.DisputeResponseOverdue) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeEscalationDue:     dispute(func(m *eventsv1.DisputeEscalationDue) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeFourOneCoverage:          fourOne,
		eventsv1.TypeEvaluationPublished:      evaluation,
	},
	ServicePatrols: {
		// A team is created with its leader as its first member (the
		// patrols service emits no TeamMemberJoined for them).
		eventsv1.TypeTeamCreated: team(func(m *eventsv1.TeamCreated) (*eventsv1.VolunteerTeam, string, string, memberChange) {
			return m.GetTeam(), m.GetTeam().GetLeaderGuardId(), "", memberLeader
		}),
		eventsv1.TypeTeamMemberJoined: team(func(m *eventsv1.TeamMemberJoined) (*eventsv1.VolunteerTeam, string, string, memberChange) {
			return m.GetTeam(), m.GetGuardId(), m.GetCompanyId(), memberActive
		}),
		eventsv1.TypeTeamMemberSuspended: team(func(m *eventsv1.TeamMemberSuspended) (*eventsv1.VolunteerTeam, string, string, memberChange) {
			return m.GetTeam(), m.GetGuardId(), "", memberSuspended
		}),
		eventsv1.TypeTeamMemberReinstated: team(func(m *eventsv1.TeamMemberReinstated) (*eventsv1.VolunteerTeam, string, string, memberChange) {
			return m.GetTeam(), m.GetGuardId(), "", memberActive
		}),
		eventsv1.TypePatrolShiftCreated:       shift(func(m *eventsv1.PatrolShiftCreated) *eventsv1.PatrolShift { return m.GetShift() }),
		eventsv1.TypeShiftAssigned:            shift(func(m *eventsv1.ShiftAssigned) *eventsv1.PatrolShift { return m.GetShift() }),
		eventsv1.TypeShiftAssignmentCancelled: shift(func(m *eventsv1.ShiftAssignmentCancelled) *eventsv1.PatrolShift { return m.GetShift() }),
		eventsv1.TypeCheckpointScanned:        scan,
		eventsv1.TypeMissedTour:               missedTour,
		eventsv1.TypeMissedTourWithdrawn:      missedTourWithdrawn,
		eventsv1.TypeDispatchRaised:           dispatch(func(m *eventsv1.DispatchRaised) *eventsv1.Dispatch { return m.GetDispatch() }),
		eventsv1.TypeDispatchOffered:          dispatch(func(m *eventsv1.DispatchOffered) *eventsv1.Dispatch { return m.GetDispatch() }),
		eventsv1.TypeDispatchStep:             dispatch(func(m *eventsv1.DispatchStep) *eventsv1.Dispatch { return m.GetDispatch() }),
		eventsv1.TypeDispatchEscalated:        dispatch(func(m *eventsv1.DispatchEscalated) *eventsv1.Dispatch { return m.GetDispatch() }),
		eventsv1.TypeDispatchTargetBreached:   dispatch(func(m *eventsv1.DispatchTargetBreached) *eventsv1.Dispatch { return m.GetDispatch() }),
		eventsv1.TypeIncidentReported:         incident(func(m *eventsv1.IncidentReported) *eventsv1.Incident { return m.GetIncident() }),
		eventsv1.TypeIncidentUpdated:          incident(func(m *eventsv1.IncidentUpdated) *eventsv1.Incident { return m.GetIncident() }),
	},
	ServiceMessaging: {
		eventsv1.TypeNoticePublished: notice(func(m *eventsv1.NoticePublished) (*eventsv1.Notice, *eventsv1.Receipt) { return m.GetNotice(), nil }),
		eventsv1.TypeNoticeRevised:   notice(func(m *eventsv1.NoticeRevised) (*eventsv1.Notice, *eventsv1.Receipt) { return m.GetNotice(), nil }),
		eventsv1.TypeReceiptRead: notice(func(m *eventsv1.ReceiptRead) (*eventsv1.Notice, *eventsv1.Receipt) {
			return m.GetNotice(), m.GetReceipt()
		}),
		eventsv1.TypeReceiptAcknowledged: notice(func(m *eventsv1.ReceiptAcknowledged) (*eventsv1.Notice, *eventsv1.Receipt) {
			return m.GetNotice(), m.GetReceipt()
		}),
		// A reminder carries the notice's counts like any notice event; the
		// receipt it names was not read or acknowledged by it.
		eventsv1.TypeNoticeReminderSent: notice(func(m *eventsv1.NoticeReminderSent) (*eventsv1.Notice, *eventsv1.Receipt) { return m.GetNotice(), nil }),
	},
}

// acknowledged lists, per consumed service, the types HQ receives and
// deliberately does not project: applied as a no-op that still touches the
// district's freshness (and the service's), never parked. Why each:
var acknowledged = map[string][]string{
	Service: {},
	// Field visits, the practical-services plan (issue 17) are projected
	// in seed.go; a visit's follow-ups are action items, projected as such.
	ServiceMeetings: {},
	ServiceCompliance: {
		// A guard's personal warning: the district's business, and the
		// counts it leads to arrive as FourHundredCountsChanged.
		eventsv1.TypeRequirementLapsing,
		// A checklist template is the district's configuration; HQ shows
		// the inspections scored against it.
		eventsv1.TypeInspectionTemplatePublished,
		// A schedule is compliance's input to the inspection obligation;
		// what came of it arrives as ObligationCompleted / ObligationMissed
		// (compliance alone knows when each company became active).
		eventsv1.TypeInspectionScheduleSet,
		// Wage declarations and fair-competition complaints (issue 17)
		// are projected in seed.go.
	},
	ServicePatrols: {
		// Places and plans are the district's configuration; HQ shows the
		// shifts, scans and dispatches in them.
		eventsv1.TypeKeyAreaCreated, eventsv1.TypeCheckpointCreated, eventsv1.TypePatrolPlanCreated,
		// A double booking across districts is settled between the two
		// district nodes (the withdrawn assignment arrives as
		// ShiftAssignmentCancelled, which HQ projects); the resolution
		// itself is the team leaders' notice.
		eventsv1.TypeDoubleBookingResolved,
	},
	ServiceMessaging: {
		// Directives travel on gh.hq.directives.v1, not a district topic:
		// their delivery health is the HQ-role messaging instance's view
		// (/api/v1/hq/directives), which HQ's district view links.
		eventsv1.TypeDirectiveIssued, eventsv1.TypeDirectiveRevised,
		// Liaison threads are conversations of one district: no figure of
		// the city view.
		eventsv1.TypeLiaisonThreadOpened, eventsv1.TypeLiaisonPostAdded, eventsv1.TypeLiaisonThreadRead,
		// Mutual aid and positive publicity cross the city through the
		// HQ-role messaging instance, which serves their city-wide figures
		// (/api/v1/hq/aid/stats, /api/v1/hq/publicity/…); HQ's read model
		// does not duplicate them.
		eventsv1.TypeAidRequestPosted, eventsv1.TypeAidRequestClosed, eventsv1.TypeAidOfferMade, eventsv1.TypeAidOfferAccepted,
		eventsv1.TypePublicityPostSubmitted, eventsv1.TypePublicityPostReviewed,
		eventsv1.TypePublicityPostPublished, eventsv1.TypePublicityPostRejected,
	},
}

// Projected returns the types of service the projector applies, sorted.
func Projected(service string) []string {
	var out []string
	for t := range projected[service] {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Acknowledged returns the types of service HQ receives and deliberately
// does not project (a no-op apply that touches freshness).
func Acknowledged(service string) []string { return slices.Clone(acknowledged[service]) }

// classified reports whether typ of service is projected or acknowledged.
func classified(service, typ string) bool {
	if _, ok := projected[service][typ]; ok {
		return true
	}
	return slices.Contains(acknowledged[service], typ)
}

// city applies an event of the city view's services, or acknowledges it.
func (p *Projector) city(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	if slices.Contains(acknowledged[env.GetService()], env.GetType()) {
		return false, nil
	}
	fn, ok := projected[env.GetService()][env.GetType()]
	if !ok || fn == nil {
		return false, reject(eventbus.ReasonUnknownType, "unknown %s event type %q", env.GetService(), env.GetType())
	}
	return fn(p, ctx, tx, env)
}

// message is the pointer type PM of a generated event message M.
type message[M any] interface {
	*M
	proto.Message
}

// put writes a snapshot S of the event env; it reports whether the read
// model changed.
type put[S any] func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, s S) (bool, error)

// applier is the one shape of every city-view applier, so that each event
// type is checked the same way before anything is written: decode the
// payload as M, get the snapshot S it carries, reject it as bad_payload
// when missing names what it lacks (the id HQ keys on, most often), reject
// it as district_mismatch when its district is not the envelope's, then put
// it. Each type only says where its snapshot is; what a snapshot needs and
// how it is stored is said once per snapshot kind below.
func applier[M any, PM message[M], S any](get func(PM) S, missing func(*eventsv1.Envelope, S) string,
	district func(S) string, write put[S]) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m := PM(new(M))
		if err := unmarshal(env, m); err != nil {
			return false, err
		}
		s := get(m)
		if what := missing(env, s); what != "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without %s", env.GetType(), what)
		}
		if err := ownDistrict(env, district(s)); err != nil {
			return false, err
		}
		return write(p, ctx, tx, env, s)
	}
}

// whole is the applier of an event that is itself the fact it reports (a
// scan, an inspection), not the carrier of a snapshot.
func whole[M any, PM message[M]](missing func(*eventsv1.Envelope, PM) string, district func(PM) string, write put[PM]) applyFunc {
	return applier(func(m PM) PM { return m }, missing, district, write)
}

// lacks returns what when bad holds, else "": a missing func's one test.
func lacks(bad bool, what string) string {
	if bad {
		return what
	}
	return ""
}

// versionOf is the snapshot's own version, else the envelope's sequence.
func versionOf(env *eventsv1.Envelope, v int64) int64 {
	if v > 0 {
		return v
	}
	return env.GetSequence()
}

// --- compliance ---

func counts[M any, PM message[M]](get func(PM) *eventsv1.FourHundredCounts) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, c *eventsv1.FourHundredCounts) string {
		return lacks(c.GetCompanyId() == "", "a company's counts")
	}, (*eventsv1.FourHundredCounts).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, c *eventsv1.FourHundredCounts) (bool, error) {
			return p.store.PutScore(ctx, tx, fourHundred(env, c, versionOf(env, c.GetVersion())))
		})
}

func fourHundred(env *eventsv1.Envelope, c *eventsv1.FourHundredCounts, version int64) store.FourHundred {
	return store.FourHundred{District: env.GetDistrict(), CompanyID: c.GetCompanyId(), Day: c.GetDay(), Active: c.GetActive(),
		BackgroundChecked: c.GetBackgroundChecked(), Trained: c.GetTrained(), Certified: c.GetCertified(),
		BadgeService: c.GetBadgeService(), Version: version}
}

// snapshot applies a day's scoreboard: the counts of a day, not versioned.
var snapshot = applier(func(m *eventsv1.ScoreboardSnapshot) *eventsv1.FourHundredCounts { return m.GetCounts() },
	func(_ *eventsv1.Envelope, c *eventsv1.FourHundredCounts) string {
		return lacks(c == nil || !isDate(c.GetDay()), "counts of a day YYYY-MM-DD")
	}, (*eventsv1.FourHundredCounts).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, c *eventsv1.FourHundredCounts) (bool, error) {
		return p.store.PutSnapshot(ctx, tx, fourHundred(env, c, 0))
	})

var inspection = whole(func(_ *eventsv1.Envelope, m *eventsv1.InspectionRecorded) string {
	return lacks(m.GetInspectionId() == "" || m.GetCompanyId() == "", "an inspection of a company")
}, (*eventsv1.InspectionRecorded).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.InspectionRecorded) (bool, error) {
		return p.store.PutInspection(ctx, tx, store.Inspection{ID: m.GetInspectionId(), District: env.GetDistrict(),
			CompanyID: m.GetCompanyId(), InspectedOn: m.GetInspectedOn(), ForPeriod: m.GetForPeriod(),
			ScoreReported: m.GetScoreReported(), Score: m.GetScore(), Result: m.GetResult(), Findings: int64(m.GetFindings()),
			RecordedAt: timeOf(m.GetRecordedAt())})
	})

func finding[M any, PM message[M]](get func(PM) *eventsv1.HazardFinding) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, f *eventsv1.HazardFinding) string {
		return lacks(f.GetId() == "", "a finding snapshot")
	}, (*eventsv1.HazardFinding).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, f *eventsv1.HazardFinding) (bool, error) {
			return p.store.PutFinding(ctx, tx, store.Finding{ID: f.GetId(), District: env.GetDistrict(), InspectionID: f.GetInspectionId(),
				CompanyID: f.GetCompanyId(), Severity: f.GetSeverity(), RemediationDue: f.GetRemediationDue(), Status: f.GetStatus(),
				Escalated: f.GetEscalated(), Version: versionOf(env, f.GetVersion())})
		})
}

func dispute[M any, PM message[M]](get func(PM) *eventsv1.DisputeCase) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, d *eventsv1.DisputeCase) string {
		return lacks(d.GetId() == "", "a dispute snapshot")
	}, (*eventsv1.DisputeCase).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, d *eventsv1.DisputeCase) (bool, error) {
			return p.store.PutDispute(ctx, tx, store.Dispute{ID: d.GetId(), District: env.GetDistrict(), CompanyID: d.GetCompanyId(),
				Kind: d.GetKind(), Status: d.GetStatus(), ResponseOverdue: d.GetResponseOverdue(), EscalationDue: d.GetEscalationDue(),
				Version: versionOf(env, d.GetVersion())})
		})
}

var fourOne = whole(func(_ *eventsv1.Envelope, m *eventsv1.FourOneCoverage) string {
	return lacks(m.GetCompanyId() == "" || m.GetPeriod() == "", "a company and a month")
}, (*eventsv1.FourOneCoverage).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.FourOneCoverage) (bool, error) {
		return p.store.PutFourOne(ctx, tx, store.FourOne{District: env.GetDistrict(), CompanyID: m.GetCompanyId(), Period: m.GetPeriod(),
			Checked: m.GetChecked(), Active: m.GetActive()})
	})

var evaluation = applier(func(m *eventsv1.EvaluationPublished) *eventsv1.Evaluation { return m.GetEvaluation() },
	func(_ *eventsv1.Envelope, e *eventsv1.Evaluation) string {
		return lacks(e.GetCompanyId() == "" || e.GetPeriod() == "", "an evaluation of a company and period")
	}, (*eventsv1.Evaluation).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, e *eventsv1.Evaluation) (bool, error) {
		return p.store.PutEvaluation(ctx, tx, store.Evaluation{District: env.GetDistrict(), CompanyID: e.GetCompanyId(),
			Period: e.GetPeriod(), ID: e.GetId(), Version: versionOf(env, e.GetVersion()), ScoreReported: e.GetScoreReported(),
			Score: e.GetScore(), Grade: e.GetGrade(), PolicyVersion: e.GetPolicyVersion(), PublishedAt: timeOf(e.GetPublishedAt())})
	})

// --- patrols ---

// memberChange is what a team event does to the member it names.
type memberChange int

const (
	memberNone memberChange = iota
	memberActive
	memberSuspended
	// memberLeader is the leader of a new team: active, if it names one.
	memberLeader
)

// teamEvent is what a team event carries: the team after it, and the
// member it changes (guard, with the company the guard joins for, if the
// event names one) and how.
type teamEvent struct {
	team           *eventsv1.VolunteerTeam
	guard, company string
	change         memberChange
}

func team[M any, PM message[M]](get func(PM) (*eventsv1.VolunteerTeam, string, string, memberChange)) applyFunc {
	return applier(func(m PM) teamEvent {
		t, guard, company, change := get(m)
		if change == memberLeader {
			change = memberActive
			if guard == "" {
				change = memberNone
			}
		}
		return teamEvent{team: t, guard: guard, company: company, change: change}
	}, func(_ *eventsv1.Envelope, e teamEvent) string {
		if e.team.GetId() == "" {
			return "a team snapshot"
		}
		return lacks(e.change != memberNone && e.guard == "", "the guard")
	}, func(e teamEvent) string { return e.team.GetDistrict() }, putTeam)
}

func putTeam(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, e teamEvent) (bool, error) {
	t := e.team
	version := versionOf(env, t.GetVersion())
	applied, err := p.store.PutTeam(ctx, tx, store.Team{ID: t.GetId(), District: env.GetDistrict(), CompanyID: t.GetCompanyId(),
		ActiveMembers: int64(t.GetActiveMembers()), SuspendedMembers: int64(t.GetSuspendedMembers()), Version: version})
	if err != nil || e.change == memberNone {
		return applied, err
	}
	company := e.company
	if company == "" {
		company = t.GetCompanyId()
	}
	m2, err := p.store.PutTeamMember(ctx, tx, store.TeamMember{TeamID: t.GetId(), GuardID: e.guard, District: env.GetDistrict(),
		CompanyID: company, Active: e.change == memberActive, Version: version})
	return applied || m2, err
}

func shift[M any, PM message[M]](get func(PM) *eventsv1.PatrolShift) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, s *eventsv1.PatrolShift) string {
		return lacks(s.GetId() == "", "a shift snapshot")
	}, (*eventsv1.PatrolShift).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, s *eventsv1.PatrolShift) (bool, error) {
			return p.store.PutShift(ctx, tx, store.Shift{ID: s.GetId(), District: env.GetDistrict(), PlanID: s.GetPlanId(),
				StartsAt: timeOf(s.GetStartsAt()), EndsAt: timeOf(s.GetEndsAt()), Required: int64(s.GetRequired()),
				Assigned: int64(s.GetAssigned()), ExpectedScans: int64(s.GetExpectedScans()), Version: versionOf(env, s.GetVersion())})
		})
}

var scan = whole(func(_ *eventsv1.Envelope, m *eventsv1.CheckpointScanned) string {
	return lacks(m.GetId() == "" || m.GetShiftId() == "" || m.GetGuardId() == "", "its id, shift and guard")
}, (*eventsv1.CheckpointScanned).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.CheckpointScanned) (bool, error) {
		return p.store.PutScan(ctx, tx, store.Scan{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
			GuardID: m.GetGuardId(), ScannedAt: timeOf(m.GetScannedAt()), MockLocation: m.GetMockLocation(), Offline: m.GetOffline()})
	})

var missedTour = whole(func(_ *eventsv1.Envelope, m *eventsv1.MissedTour) string { return lacks(m.GetId() == "", "an id") },
	(*eventsv1.MissedTour).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.MissedTour) (bool, error) {
		return p.store.PutMissedTour(ctx, tx, store.MissedTour{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
			GuardID: m.GetGuardId(), Kind: m.GetKind()})
	})

// missedTourWithdrawn takes a missed tour out of the count: a late
// offline batch covered it.
var missedTourWithdrawn = whole(func(_ *eventsv1.Envelope, m *eventsv1.MissedTourWithdrawn) string {
	return lacks(m.GetId() == "", "an id")
}, (*eventsv1.MissedTourWithdrawn).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.MissedTourWithdrawn) (bool, error) {
		return p.store.WithdrawMissedTour(ctx, tx, store.MissedTour{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
			GuardID: m.GetGuardId(), Kind: m.GetKind()})
	})

func dispatch[M any, PM message[M]](get func(PM) *eventsv1.Dispatch) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, d *eventsv1.Dispatch) string {
		return lacks(d.GetId() == "", "a dispatch snapshot")
	}, (*eventsv1.Dispatch).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, d *eventsv1.Dispatch) (bool, error) {
			return p.store.PutDispatch(ctx, tx, store.Dispatch{ID: d.GetId(), District: env.GetDistrict(), Urgency: d.GetUrgency(),
				Status: d.GetStatus(), RaisedAt: timeOf(d.GetRaisedAt()), AcceptedAt: timeOf(d.GetAcceptedAt()),
				ArrivedAt: timeOf(d.GetArrivedAt()), FeedbackAt: timeOf(d.GetFeedbackAt()), ClosedAt: timeOf(d.GetClosedAt()),
				Escalated: d.GetEscalated(), Version: versionOf(env, d.GetVersion())})
		})
}

func incident[M any, PM message[M]](get func(PM) *eventsv1.Incident) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, in *eventsv1.Incident) string {
		return lacks(in.GetId() == "", "an incident snapshot")
	}, (*eventsv1.Incident).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, in *eventsv1.Incident) (bool, error) {
			return p.store.PutIncident(ctx, tx, store.Incident{ID: in.GetId(), District: env.GetDistrict(), Kind: in.GetKind(),
				Severity: in.GetSeverity(), Status: in.GetStatus(), Version: versionOf(env, in.GetVersion())})
		})
}

// --- messaging ---

// noticeEvent is what a notice event carries: the notice's counts after
// it, and the receipt it read or acknowledged, if any.
type noticeEvent struct {
	notice  *eventsv1.Notice
	receipt *eventsv1.Receipt
}

// notice applies a notice event: every one carries the notice's counts
// after it, and the envelope's sequence is the notice's event sequence
// (docs/events.md), so the newest sequence wins.
func notice[M any, PM message[M]](get func(PM) (*eventsv1.Notice, *eventsv1.Receipt)) applyFunc {
	return applier(func(m PM) noticeEvent {
		n, r := get(m)
		return noticeEvent{notice: n, receipt: r}
	}, func(env *eventsv1.Envelope, e noticeEvent) string {
		if e.notice.GetId() == "" {
			return "a notice snapshot"
		}
		return lacks(env.GetSequence() <= 0, "the notice's event sequence")
	}, func(e noticeEvent) string { return e.notice.GetDistrict() }, putNotice)
}

func putNotice(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, e noticeEvent) (bool, error) {
	n, r := e.notice, e.receipt
	last := timeOf(r.GetAcknowledgedAt())
	if t := timeOf(r.GetReadAt()); t.After(last) {
		last = t
	}
	return p.store.PutNotice(ctx, tx, store.Notice{ID: n.GetId(), District: env.GetDistrict(), Origin: n.GetOrigin(),
		DirectiveID: n.GetDirectiveId(), Title: n.GetTitle(), Priority: n.GetPriority(), AckRequired: n.GetAckRequired(),
		AckDeadline: timeOf(n.GetAckDeadline()), Revision: n.GetRevision(), Recipients: int64(n.GetRecipients()),
		Read: int64(n.GetRead()), Acknowledged: int64(n.GetAcknowledged()), PublishedAt: timeOf(n.GetPublishedAt()),
		LastReceiptAt: last, Seq: env.GetSequence()})
}
