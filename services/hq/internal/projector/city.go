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
		eventsv1.TypeScoreboardSnapshot:       (*Projector).snapshot,
		eventsv1.TypeInspectionRecorded:       (*Projector).inspection,
		eventsv1.TypeFindingStatusChanged:     finding(func(m *eventsv1.FindingStatusChanged) *eventsv1.HazardFinding { return m.GetFinding() }),
		eventsv1.TypeRemediationEscalated:     finding(func(m *eventsv1.RemediationEscalated) *eventsv1.HazardFinding { return m.GetFinding() }),
		eventsv1.TypeInspectionScheduleSet:    (*Projector).schedule,
		eventsv1.TypeDisputeReported:          dispute(func(m *eventsv1.DisputeReported) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeStepRecorded:      dispute(func(m *eventsv1.DisputeStepRecorded) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeStatusChanged:     dispute(func(m *eventsv1.DisputeStatusChanged) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeResponseOverdue:   dispute(func(m *eventsv1.DisputeResponseOverdue) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeDisputeEscalationDue:     dispute(func(m *eventsv1.DisputeEscalationDue) *eventsv1.DisputeCase { return m.GetDispute() }),
		eventsv1.TypeFourOneCoverage:          (*Projector).fourOne,
		eventsv1.TypeEvaluationPublished:      (*Projector).evaluation,
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
		eventsv1.TypeCheckpointScanned:        (*Projector).scan,
		eventsv1.TypeMissedTour:               (*Projector).missedTour,
		eventsv1.TypeMissedTourWithdrawn:      (*Projector).missedTourWithdrawn,
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
	ServiceMeetings: {
		// Field visits and the practical-services plan (issue 17): the
		// district's meetings service reports them (its /field-visits/plan,
		// /field-visits/unvisited and /service-plan/progress); HQ does not
		// yet carry their figures. A visit's follow-ups are action items
		// and are projected as such.
		eventsv1.TypeFieldVisitRecorded, eventsv1.TypeServicePlanItemCreated, eventsv1.TypeServicePlanMilestoneDone,
		eventsv1.TypeServiceBeneficiaryAdded, eventsv1.TypeServiceFeedbackGiven,
	},
	ServiceCompliance: {
		// A guard's personal warning: the district's business, and the
		// counts it leads to arrive as FourHundredCountsChanged.
		eventsv1.TypeRequirementLapsing,
		// A checklist template is the district's configuration; HQ shows
		// the inspections scored against it.
		eventsv1.TypeInspectionTemplatePublished,
		// A company's periodic obligation met or missed (inspections,
		// two-four-one checks, roundtables): compliance's own
		// /compliance/timeliness is exact; HQ's timeliness figure is still
		// its approximation from InspectionScheduleSet and the inspections,
		// not yet these events.
		eventsv1.TypeObligationCompleted, eventsv1.TypeObligationMissed,
		// The wage guarantee (issue 17 part 2): compliance's own
		// /compliance/wages/stats has the district's rates; HQ's
		// per-district projection of these is not built yet.
		eventsv1.TypeWageDeclared, eventsv1.TypeWageDeclarationReviewed, eventsv1.TypeWageDeclarationMissed,
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

// decode unmarshals the payload of env into a new M.
func decode[M any, PM interface {
	*M
	proto.Message
}](env *eventsv1.Envelope) (PM, error) {
	m := PM(new(M))
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	return m, nil
}

// versionOf is the snapshot's own version, else the envelope's sequence.
func versionOf(env *eventsv1.Envelope, v int64) int64 {
	if v > 0 {
		return v
	}
	return env.GetSequence()
}

// --- compliance ---

func counts[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.FourHundredCounts) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		c := get(m)
		if c == nil || c.GetCompanyId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a company's counts", env.GetType())
		}
		if err := ownDistrict(env, c.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutScore(ctx, tx, fourHundred(env, c, versionOf(env, c.GetVersion())))
	}
}

func fourHundred(env *eventsv1.Envelope, c *eventsv1.FourHundredCounts, version int64) store.FourHundred {
	return store.FourHundred{District: env.GetDistrict(), CompanyID: c.GetCompanyId(), Day: c.GetDay(), Active: c.GetActive(),
		BackgroundChecked: c.GetBackgroundChecked(), Trained: c.GetTrained(), Certified: c.GetCertified(),
		BadgeService: c.GetBadgeService(), Version: version}
}

func (p *Projector) snapshot(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.ScoreboardSnapshot](env)
	if err != nil {
		return false, err
	}
	c := m.GetCounts()
	if c == nil || !isDate(c.GetDay()) {
		return false, reject(eventbus.ReasonBadPayload, "ScoreboardSnapshot without counts of a day YYYY-MM-DD")
	}
	if err := ownDistrict(env, c.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutSnapshot(ctx, tx, fourHundred(env, c, 0))
}

func (p *Projector) inspection(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.InspectionRecorded](env)
	if err != nil {
		return false, err
	}
	if m.GetInspectionId() == "" || m.GetCompanyId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "InspectionRecorded without an inspection of a company")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutInspection(ctx, tx, store.Inspection{ID: m.GetInspectionId(), District: env.GetDistrict(),
		CompanyID: m.GetCompanyId(), InspectedOn: m.GetInspectedOn(), ForPeriod: m.GetForPeriod(),
		ScoreReported: m.GetScoreReported(), Score: m.GetScore(), Result: m.GetResult(), Findings: int64(m.GetFindings()),
		RecordedAt: timeOf(m.GetRecordedAt())})
}

func finding[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.HazardFinding) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		f := get(m)
		if f == nil || f.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a finding snapshot", env.GetType())
		}
		if err := ownDistrict(env, f.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutFinding(ctx, tx, store.Finding{ID: f.GetId(), District: env.GetDistrict(), InspectionID: f.GetInspectionId(),
			CompanyID: f.GetCompanyId(), Severity: f.GetSeverity(), RemediationDue: f.GetRemediationDue(), Status: f.GetStatus(),
			Escalated: f.GetEscalated(), Version: versionOf(env, f.GetVersion())})
	}
}

func (p *Projector) schedule(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.InspectionScheduleSet](env)
	if err != nil {
		return false, err
	}
	if m.GetCompanyId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "InspectionScheduleSet without a company")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutSchedule(ctx, tx, store.Schedule{District: env.GetDistrict(), CompanyID: m.GetCompanyId(),
		Period: m.GetPeriod(), Count: int64(m.GetCount()), StartsOn: m.GetStartsOn()})
}

func dispute[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.DisputeCase) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		d := get(m)
		if d == nil || d.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a dispute snapshot", env.GetType())
		}
		if err := ownDistrict(env, d.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutDispute(ctx, tx, store.Dispute{ID: d.GetId(), District: env.GetDistrict(), CompanyID: d.GetCompanyId(),
			Kind: d.GetKind(), Status: d.GetStatus(), ResponseOverdue: d.GetResponseOverdue(), EscalationDue: d.GetEscalationDue(),
			Version: versionOf(env, d.GetVersion())})
	}
}

func (p *Projector) fourOne(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.FourOneCoverage](env)
	if err != nil {
		return false, err
	}
	if m.GetCompanyId() == "" || m.GetPeriod() == "" {
		return false, reject(eventbus.ReasonBadPayload, "FourOneCoverage without a company and a month")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutFourOne(ctx, tx, store.FourOne{District: env.GetDistrict(), CompanyID: m.GetCompanyId(), Period: m.GetPeriod(),
		Checked: m.GetChecked(), Active: m.GetActive()})
}

func (p *Projector) evaluation(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.EvaluationPublished](env)
	if err != nil {
		return false, err
	}
	e := m.GetEvaluation()
	if e == nil || e.GetCompanyId() == "" || e.GetPeriod() == "" {
		return false, reject(eventbus.ReasonBadPayload, "EvaluationPublished without an evaluation of a company and period")
	}
	if err := ownDistrict(env, e.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutEvaluation(ctx, tx, store.Evaluation{District: env.GetDistrict(), CompanyID: e.GetCompanyId(),
		Period: e.GetPeriod(), ID: e.GetId(), Version: versionOf(env, e.GetVersion()), ScoreReported: e.GetScoreReported(),
		Score: e.GetScore(), Grade: e.GetGrade(), PolicyVersion: e.GetPolicyVersion(), PublishedAt: timeOf(e.GetPublishedAt())})
}

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

func team[M any, PM interface {
	*M
	proto.Message
}](get func(PM) (*eventsv1.VolunteerTeam, string, string, memberChange)) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		t, guard, company, change := get(m)
		if t == nil || t.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a team snapshot", env.GetType())
		}
		if change == memberLeader {
			change = memberActive
			if guard == "" {
				change = memberNone
			}
		}
		if change != memberNone && guard == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without the guard", env.GetType())
		}
		if err := ownDistrict(env, t.GetDistrict()); err != nil {
			return false, err
		}
		version := versionOf(env, t.GetVersion())
		applied, err := p.store.PutTeam(ctx, tx, store.Team{ID: t.GetId(), District: env.GetDistrict(), CompanyID: t.GetCompanyId(),
			ActiveMembers: int64(t.GetActiveMembers()), SuspendedMembers: int64(t.GetSuspendedMembers()), Version: version})
		if err != nil || change == memberNone {
			return applied, err
		}
		if company == "" {
			company = t.GetCompanyId()
		}
		m2, err := p.store.PutTeamMember(ctx, tx, store.TeamMember{TeamID: t.GetId(), GuardID: guard, District: env.GetDistrict(),
			CompanyID: company, Active: change == memberActive, Version: version})
		return applied || m2, err
	}
}

func shift[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.PatrolShift) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		s := get(m)
		if s == nil || s.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a shift snapshot", env.GetType())
		}
		if err := ownDistrict(env, s.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutShift(ctx, tx, store.Shift{ID: s.GetId(), District: env.GetDistrict(), PlanID: s.GetPlanId(),
			StartsAt: timeOf(s.GetStartsAt()), EndsAt: timeOf(s.GetEndsAt()), Required: int64(s.GetRequired()),
			Assigned: int64(s.GetAssigned()), ExpectedScans: int64(s.GetExpectedScans()), Version: versionOf(env, s.GetVersion())})
	}
}

func (p *Projector) scan(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.CheckpointScanned](env)
	if err != nil {
		return false, err
	}
	if m.GetId() == "" || m.GetShiftId() == "" || m.GetGuardId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "CheckpointScanned without its id, shift and guard")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutScan(ctx, tx, store.Scan{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
		GuardID: m.GetGuardId(), ScannedAt: timeOf(m.GetScannedAt()), MockLocation: m.GetMockLocation(), Offline: m.GetOffline()})
}

func (p *Projector) missedTour(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.MissedTour](env)
	if err != nil {
		return false, err
	}
	if m.GetId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "MissedTour without an id")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.PutMissedTour(ctx, tx, store.MissedTour{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
		GuardID: m.GetGuardId(), Kind: m.GetKind()})
}

// missedTourWithdrawn takes a missed tour out of the count: a late
// offline batch covered it.
func (p *Projector) missedTourWithdrawn(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	m, err := decode[eventsv1.MissedTourWithdrawn](env)
	if err != nil {
		return false, err
	}
	if m.GetId() == "" {
		return false, reject(eventbus.ReasonBadPayload, "MissedTourWithdrawn without an id")
	}
	if err := ownDistrict(env, m.GetDistrict()); err != nil {
		return false, err
	}
	return p.store.WithdrawMissedTour(ctx, tx, store.MissedTour{ID: m.GetId(), District: env.GetDistrict(), ShiftID: m.GetShiftId(),
		GuardID: m.GetGuardId(), Kind: m.GetKind()})
}

func dispatch[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.Dispatch) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		d := get(m)
		if d == nil || d.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a dispatch snapshot", env.GetType())
		}
		if err := ownDistrict(env, d.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutDispatch(ctx, tx, store.Dispatch{ID: d.GetId(), District: env.GetDistrict(), Urgency: d.GetUrgency(),
			Status: d.GetStatus(), RaisedAt: timeOf(d.GetRaisedAt()), AcceptedAt: timeOf(d.GetAcceptedAt()),
			ArrivedAt: timeOf(d.GetArrivedAt()), FeedbackAt: timeOf(d.GetFeedbackAt()), ClosedAt: timeOf(d.GetClosedAt()),
			Escalated: d.GetEscalated(), Version: versionOf(env, d.GetVersion())})
	}
}

func incident[M any, PM interface {
	*M
	proto.Message
}](get func(PM) *eventsv1.Incident) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		in := get(m)
		if in == nil || in.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without an incident snapshot", env.GetType())
		}
		if err := ownDistrict(env, in.GetDistrict()); err != nil {
			return false, err
		}
		return p.store.PutIncident(ctx, tx, store.Incident{ID: in.GetId(), District: env.GetDistrict(), Kind: in.GetKind(),
			Severity: in.GetSeverity(), Status: in.GetStatus(), Version: versionOf(env, in.GetVersion())})
	}
}

// --- messaging ---

// notice applies a notice event: every one carries the notice's counts
// after it, and the envelope's sequence is the notice's event sequence
// (docs/events.md), so the newest sequence wins.
func notice[M any, PM interface {
	*M
	proto.Message
}](get func(PM) (*eventsv1.Notice, *eventsv1.Receipt)) applyFunc {
	return func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
		m, err := decode[M, PM](env)
		if err != nil {
			return false, err
		}
		n, r := get(m)
		if n == nil || n.GetId() == "" {
			return false, reject(eventbus.ReasonBadPayload, "%s without a notice snapshot", env.GetType())
		}
		if env.GetSequence() <= 0 {
			return false, reject(eventbus.ReasonBadPayload, "%s without the notice's event sequence", env.GetType())
		}
		if err := ownDistrict(env, n.GetDistrict()); err != nil {
			return false, err
		}
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
}
