package service

// Police dispatch (警保联动): a police user raises a request; it is offered
// to the district's on-duty teams nearest first; a team leader accepts (签收);
// en route, arrival (到场), feedback (反馈) and closure are recorded. The
// timers (SweepDispatches, on the node's sweep) run against the city's
// targets per urgency (policy.Dispatch): an offer not accepted by its
// accept target is re-offered to the next team, and the request escalated
// to the district lead; each target missed is one DispatchTargetBreached
// event, once per request and stage.
//
// Every stage of every request is decided once: met when the stage is
// recorded before its target, breached when the target passes first
// (found by the sweep, or by the step itself when it comes late before a
// sweep saw the target pass). A target is reached at its instant: a step
// recorded exactly at it is late, as a sweep at that instant finds, so
// the verdict does not depend on which of the two runs first. The
// observer counts each verdict (DispatchObserver.Due) — the SLOs'
// denominator, which must see the requests nobody accepts, as the
// response-time histograms (samples of stages reached) cannot.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// DispatchRules are the live response targets (policy.Dispatch).
type DispatchRules = policy.Dispatch

// Dispatch urgencies, settings, statuses, steps and stages.
const (
	UrgencyUrgent  = "urgent"
	UrgencyRoutine = "routine"

	SettingUrban    = "urban"
	SettingSuburban = "suburban"

	DispatchOffered    = "offered"
	DispatchUnassigned = "unassigned"
	DispatchAccepted   = "accepted"
	DispatchEnRoute    = "en_route"
	DispatchArrived    = "arrived"
	DispatchClosed     = "closed"

	StepAccepted = "accepted"
	StepEnRoute  = "en_route"
	StepArrived  = "arrived"
	StepFeedback = "feedback"
	StepClosed   = "closed"

	StageAccept   = "accept"
	StageArrive   = "arrive"
	StageFeedback = "feedback"
)

// Errors of dispatch.
var (
	ErrDispatchNotFound     = errs.E(errs.NotFound, "dispatch.not_found", "no such dispatch request")
	ErrDispatchKind         = errs.InvalidField("dispatch.kind_required", "kind", "kind is what happened (at most 50 characters)")
	ErrDispatchUrgency      = errs.InvalidField("dispatch.urgency_invalid", "urgency", "urgency is urgent or routine")
	ErrDispatchSetting      = errs.InvalidField("dispatch.setting_invalid", "setting", "setting is urban or suburban")
	ErrDispatchLocation     = ErrLocationInvalid
	ErrDispatchDescription  = errs.InvalidField("dispatch.description_too_long", "description", "description is at most 2000 characters")
	ErrDispatchTeamRequired = errs.InvalidField("dispatch.team_id_required", "team_id", "team_id is the accepting team")
	ErrDispatchNotOffered   = errs.EField(errs.Conflict, "dispatch.not_offered", "team_id", "the request is not (or no longer) offered to this team")
	ErrDispatchStepInvalid  = errs.InvalidField("dispatch.step_invalid", "step", "step is en_route, arrived, feedback or closed")
	ErrDispatchStepIllegal  = errs.E(errs.Conflict, "dispatch.step_illegal", "the request cannot take that step from its status")
	ErrDispatchNoteRequired = errs.InvalidField("dispatch.note_required", "note", "feedback needs a note (at most 2000 characters)")
	ErrDispatchStepDenied   = errs.E(errs.Forbidden, "dispatch.step_forbidden", "the police close a request; the accepting team's leader records its steps")
	ErrDispatchStatusFilter = errs.InvalidField("dispatch.status_invalid", "status", "status is offered, unassigned, accepted, en_route, arrived or closed")
)

// Offer is one team a request is (or was) offered to, nearest first.
type Offer struct {
	TeamID        string     `json:"team_id"`
	LeaderGuardID string     `json:"leader_guard_id"`
	DistanceM     float64    `json:"distance_m" doc:"from the request to the team's on-duty key area (centre)"`
	OfferedAt     *time.Time `json:"offered_at,omitempty"`
}

// Dispatch is a police dispatch request.
type Dispatch struct {
	ID          string     `json:"id"`
	District    string     `json:"district"`
	Kind        string     `json:"kind"`
	Urgency     string     `json:"urgency" enum:"urgent,routine"`
	Setting     string     `json:"setting" enum:"urban,suburban"`
	Location    LatLng     `json:"location"`
	Description string     `json:"description"`
	IncidentID  string     `json:"incident_id,omitempty" doc:"the incident handed over to the police this request came from"`
	Status      string     `json:"status" enum:"offered,unassigned,accepted,en_route,arrived,closed"`
	Offers      []Offer    `json:"offers"`
	OfferIndex  int        `json:"offer_index" doc:"the offer standing now (offers[offer_index]); len(offers) once every team was offered"`
	TeamID      string     `json:"team_id,omitempty" doc:"the team that accepted"`
	RaisedBy    string     `json:"raised_by"`
	RaisedAt    time.Time  `json:"raised_at"`
	AcceptedAt  *time.Time `json:"accepted_at,omitempty"`
	EnRouteAt   *time.Time `json:"en_route_at,omitempty"`
	ArrivedAt   *time.Time `json:"arrived_at,omitempty"`
	FeedbackAt  *time.Time `json:"feedback_at,omitempty"`
	Feedback    string     `json:"feedback,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	Escalated   bool       `json:"escalated"`
	Breaches    []string   `json:"breaches" doc:"the stages whose target was missed (accept, arrive, feedback)"`
	Version     int64      `json:"version"`
	// Targets are filled on every answer, never stored: the policy can
	// change in etcd at any time.
	Targets *StageTargets `json:"targets,omitempty" doc:"the response targets in force now for this request's urgency (and setting, for arrival), in seconds: what a leader's clock runs against"`
}

// StageTargets are a request's response targets in seconds: accept from
// the standing offer, arrive and feedback from the raise.
type StageTargets struct {
	AcceptSeconds   int `json:"accept_seconds"`
	ArriveSeconds   int `json:"arrive_seconds"`
	FeedbackSeconds int `json:"feedback_seconds"`
}

// answer is d as the API answers it: with the targets in force now.
func (s *Patrols) answer(d Dispatch) Dispatch {
	t := s.dispatchTargets(d.Urgency)
	arrive := t.ArriveUrbanSeconds
	if d.Setting == SettingSuburban {
		arrive = t.ArriveSuburbanSeconds
	}
	d.Targets = &StageTargets{AcceptSeconds: t.AcceptSeconds, ArriveSeconds: arrive, FeedbackSeconds: t.FeedbackSeconds}
	return d
}

// offered returns the offer standing now, if any.
func (d *Dispatch) offered() (Offer, bool) {
	if d.Status != DispatchOffered || d.OfferIndex >= len(d.Offers) {
		return Offer{}, false
	}
	return d.Offers[d.OfferIndex], true
}

// DispatchInput raises a request.
type DispatchInput struct {
	Kind        string `json:"kind" required:"true"`
	Urgency     string `json:"urgency" enum:"urgent,routine" required:"true"`
	Setting     string `json:"setting" enum:"urban,suburban" doc:"default urban: the arrival target differs"`
	CRS         string `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of location (default wgs84)"`
	Location    LatLng `json:"location" required:"true"`
	Description string `json:"description"`
	kitx.Idempotent
}

// AcceptInput accepts a request for a team.
type AcceptInput struct {
	TeamID string `json:"team_id" required:"true"`
}

// StepInput records a step after acceptance.
type StepInput struct {
	Step string `json:"step" enum:"en_route,arrived,feedback,closed" required:"true"`
	Note string `json:"note" doc:"required for feedback"`
}

// OnDuty is a team with an active member on a shift running now, and
// where (the shift's key area).
type OnDuty struct {
	TeamID, LeaderGuardID, AreaID string
}

// centre is where a key area is for the nearest-first order: a circle's
// centre, a polygon's vertex mean.
func (a Area) centre() LatLng {
	if a.Center != nil {
		return *a.Center
	}
	var c LatLng
	for _, p := range a.Polygon {
		c.Lat += p.Lat / float64(len(a.Polygon))
		c.Lng += p.Lng / float64(len(a.Polygon))
	}
	return c
}

// DispatchObserver receives the response times and the verdicts of the
// targets, for the SLA histograms and counters; called after the change
// committed.
type DispatchObserver interface {
	// Observe is a stage reached, d after the request was raised; ctx is
	// the request's (its trace is the sample's exemplar).
	Observe(ctx context.Context, stage, urgency string, d time.Duration)
	// Due is a stage's target decided, once per request and stage: met
	// (the stage recorded before it) or breached (it passed first).
	Due(stage, urgency string, breached bool)
}

type nopObserver struct{}

func (nopObserver) Observe(context.Context, string, string, time.Duration) {}
func (nopObserver) Due(string, string, bool)                               {}

// verdict is a stage's target decided in a transaction, reported to the
// observer once it committed.
type verdict struct {
	stage    string
	breached bool
}

// deadline is when a stage's target passes for d: its accept target from
// being raised (the first offer's window; a request nobody was on duty
// for has the same), its arrival and feedback targets likewise.
func deadline(d *Dispatch, t policy.DispatchTargets, stage string) (time.Time, time.Duration) {
	var target time.Duration
	switch stage {
	case StageAccept:
		target = t.Accept()
	case StageArrive:
		target = t.Arrive(d.Setting)
	default:
		target = t.Feedback()
	}
	return d.RaisedAt.Add(target), target
}

// breach records stage's target missed on d (once: false if it was
// already), appending its event to changes.
func breach(d *Dispatch, stage string, target time.Duration, changes *[]Change) bool {
	if slices.Contains(d.Breaches, stage) {
		return false
	}
	d.Breaches = append(d.Breaches, stage)
	*changes = append(*changes, Change{Type: EventDispatchTargetBreached, Reason: stage, TargetS: int64(target / time.Second)})
	return true
}

// reach decides stage as d records it at now: met if before its target
// and not breached yet; breached now if the target passed unseen by a
// sweep; nothing if the sweep breached it already (its verdict counted).
func (s *Patrols) reach(d *Dispatch, stage string, now time.Time, changes *[]Change) (verdict, bool) {
	if slices.Contains(d.Breaches, stage) {
		return verdict{}, false
	}
	at, target := deadline(d, s.dispatchTargets(d.Urgency), stage)
	if now.Before(at) {
		return verdict{stage: stage}, true
	}
	breach(d, stage, target, changes)
	return verdict{stage: stage, breached: true}, true
}

// report hands the committed verdicts to the observer.
func (s *Patrols) report(urgency string, vs []verdict) {
	for _, v := range vs {
		s.obs().Due(v.stage, urgency, v.breached)
	}
}

// SetDispatch gives the service the live dispatch targets and the
// observer of its timers.
func (s *Patrols) SetDispatch(rules func() DispatchRules, obs DispatchObserver) {
	s.dispatchRules, s.observer = rules, obs
}

func (s *Patrols) dispatchTargets(urgency string) policy.DispatchTargets {
	if s.dispatchRules == nil {
		return policy.DefaultDispatch.For(urgency)
	}
	return s.dispatchRules().For(urgency)
}

func (s *Patrols) obs() DispatchObserver {
	if s.observer == nil {
		return nopObserver{}
	}
	return s.observer
}

// RaiseDispatch raises a police request and offers it to the nearest
// on-duty team; with none on duty it is unassigned and escalated at once.
func (s *Patrols) RaiseDispatch(ctx context.Context, in DispatchInput) (Dispatch, error) {
	kind, err := text(in.Kind, 50, ErrDispatchKind)
	if err != nil {
		return Dispatch{}, err
	}
	if in.Urgency != UrgencyUrgent && in.Urgency != UrgencyRoutine {
		return Dispatch{}, ErrDispatchUrgency
	}
	setting := in.Setting
	if setting == "" {
		setting = SettingUrban
	}
	if setting != SettingUrban && setting != SettingSuburban {
		return Dispatch{}, ErrDispatchSetting
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return Dispatch{}, err
	}
	if !in.Location.valid() {
		return Dispatch{}, ErrDispatchLocation
	}
	if len([]rune(in.Description)) > 2000 {
		return Dispatch{}, ErrDispatchDescription
	}
	loc := toWGS84(crs, in.Location)
	d, err := idempotent(ctx, s, "POST dispatches", in.IdempotencyKey, in, func(q Queries) (Dispatch, []Change, error) {
		return s.raise(ctx, q, kind, in.Urgency, setting, loc, strings.TrimSpace(in.Description), "")
	})
	return s.answer(d), err
}

// raise stores a new request in q's transaction and offers it to the
// nearest on-duty team (or escalates it with none): RaiseDispatch's, and
// an incident's when the police take it over.
func (s *Patrols) raise(ctx context.Context, q Queries, kind, urgency, setting string, loc LatLng, description, incidentID string) (Dispatch, []Change, error) {
	now := s.now().UTC()
	offers, err := s.nearestOnDuty(ctx, q, loc, now)
	if err != nil {
		return Dispatch{}, nil, err
	}
	id, err := newID()
	if err != nil {
		return Dispatch{}, nil, err
	}
	d := Dispatch{ID: id, District: s.district, Kind: kind, Urgency: urgency, Setting: setting, Location: loc, Description: description,
		IncidentID: incidentID, Offers: offers, RaisedBy: subject(ctx), RaisedAt: now, Breaches: []string{}, Version: 1}
	if len(offers) == 0 {
		d.Status, d.Escalated = DispatchUnassigned, true
	} else {
		d.Status = DispatchOffered
		d.Offers[0].OfferedAt = &now
	}
	if err := q.InsertDispatch(ctx, d); err != nil {
		return Dispatch{}, nil, err
	}
	if err := s.Audit(ctx, q, "dispatch.raise", "dispatch", id, audit.SetFields("kind", kind, "urgency", urgency, "setting", setting, "location", "x")); err != nil {
		return Dispatch{}, nil, err
	}
	snap := d
	changes := []Change{{Type: EventDispatchRaised, Dispatch: &snap}}
	if len(offers) == 0 {
		changes = append(changes, Change{Type: EventDispatchEscalated, Dispatch: &snap, Reason: "no_team_on_duty"})
	} else {
		changes = append(changes, Change{Type: EventDispatchOffered, Dispatch: &snap, Offer: &snap.Offers[0], OfferNo: 1})
	}
	return d, changes, nil
}

// nearestOnDuty orders the teams on duty at now by distance from loc.
func (s *Patrols) nearestOnDuty(ctx context.Context, q Queries, loc LatLng, now time.Time) ([]Offer, error) {
	duty, err := q.OnDutyTeams(ctx, now)
	if err != nil {
		return nil, err
	}
	best := map[string]Offer{}
	areas := map[string]Area{}
	for _, o := range duty {
		a, ok := areas[o.AreaID]
		if !ok {
			if a, err = q.GetArea(ctx, o.AreaID); err != nil {
				return nil, err
			}
			areas[o.AreaID] = a
		}
		d := Haversine(loc, a.centre())
		if b, ok := best[o.TeamID]; !ok || d < b.DistanceM {
			best[o.TeamID] = Offer{TeamID: o.TeamID, LeaderGuardID: o.LeaderGuardID, DistanceM: d}
		}
	}
	out := make([]Offer, 0, len(best))
	for _, o := range best {
		o.DistanceM = float64(int64(o.DistanceM*10)) / 10
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Offer) int {
		switch {
		case a.DistanceM < b.DistanceM:
			return -1
		case a.DistanceM > b.DistanceM:
			return 1
		}
		return strings.Compare(a.TeamID, b.TeamID)
	})
	return out, nil
}

// GetDispatch returns a request.
func (s *Patrols) GetDispatch(ctx context.Context, id string) (Dispatch, error) {
	d, err := s.repo.GetDispatch(ctx, id)
	return s.answer(d), err
}

// ListDispatches lists requests, newest first.
func (s *Patrols) ListDispatches(ctx context.Context, status string, page kitx.Page) ([]Dispatch, string, error) {
	switch status {
	case "", DispatchOffered, DispatchUnassigned, DispatchAccepted, DispatchEnRoute, DispatchArrived, DispatchClosed:
	default:
		return nil, "", ErrDispatchStatusFilter
	}
	ds, next, err := s.repo.ListDispatches(ctx, status, page)
	for i := range ds {
		ds[i] = s.answer(ds[i])
	}
	return ds, next, err
}

// DispatchLeader returns the leader of the team a request's step is for:
// for an accept, the team named (authorization checks the caller leads
// it); for a later step, the accepting team's.
func (s *Patrols) DispatchLeader(ctx context.Context, dispatchID, teamID string) (string, error) {
	if teamID == "" {
		d, err := s.repo.GetDispatch(ctx, dispatchID)
		if err != nil {
			return "", err
		}
		teamID = d.TeamID
	}
	if teamID == "" {
		return "", nil
	}
	_, leader, err := s.TeamTarget(ctx, teamID)
	return leader, err
}

// AcceptDispatch records a team leader's acceptance (签收) of the offer
// standing to their team, or, once every team was offered and none
// accepted in time, of any team it was offered to.
func (s *Patrols) AcceptDispatch(ctx context.Context, id string, in AcceptInput) (Dispatch, error) {
	if !idLike(in.TeamID) {
		return Dispatch{}, ErrDispatchTeamRequired
	}
	var out Dispatch
	var verdicts []verdict
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		verdicts = nil
		d, err := q.GetDispatch(ctx, id)
		if err != nil {
			return nil, err
		}
		cur, ok := d.offered()
		switch {
		case ok && cur.TeamID == in.TeamID:
		case d.Status == DispatchUnassigned && slices.ContainsFunc(d.Offers, func(o Offer) bool { return o.TeamID == in.TeamID }):
		default:
			return nil, ErrDispatchNotOffered
		}
		now := s.now().UTC()
		var changes []Change
		if v, ok := s.reach(&d, StageAccept, now, &changes); ok {
			verdicts = append(verdicts, v)
		}
		d.Status, d.TeamID, d.AcceptedAt = DispatchAccepted, in.TeamID, &now
		d.Version++
		if err := q.WriteDispatch(ctx, d); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, "dispatch.accept", "dispatch", id, audit.SetFields("team_id", in.TeamID)); err != nil {
			return nil, err
		}
		out = d
		snap := d
		changes = append(changes, Change{Type: EventDispatchStep, Reason: StepAccepted, By: subject(ctx)})
		for i := range changes {
			changes[i].Dispatch = &snap
		}
		return changes, nil
	})
	if err == nil {
		s.report(out.Urgency, verdicts)
		s.obs().Observe(ctx, StageAccept, out.Urgency, out.AcceptedAt.Sub(out.RaisedAt))
	}
	return s.answer(out), err
}

func subject(ctx context.Context) string {
	pr, _ := auth.FromContext(ctx)
	return pr.Subject
}

// RecordDispatchStep records en route, arrival, feedback or closure. The
// accepting team's leader records the steps; the police (or HQ) close.
func (s *Patrols) RecordDispatchStep(ctx context.Context, id string, in StepInput) (Dispatch, error) {
	switch in.Step {
	case StepEnRoute, StepArrived, StepFeedback, StepClosed:
	default:
		return Dispatch{}, ErrDispatchStepInvalid
	}
	note := strings.TrimSpace(in.Note)
	if len([]rune(note)) > 2000 || (in.Step == StepFeedback && note == "") {
		return Dispatch{}, ErrDispatchNoteRequired
	}
	pr, _ := auth.FromContext(ctx)
	closer := pr.Role == auth.RolePolice || pr.Role == auth.RoleHQAdmin
	if (in.Step == StepClosed) != closer {
		return Dispatch{}, ErrDispatchStepDenied
	}
	var out Dispatch
	var observed time.Duration
	var verdicts []verdict
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		verdicts = nil
		d, err := q.GetDispatch(ctx, id)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		var changes []Change
		decide := func(stage string) {
			if v, ok := s.reach(&d, stage, now, &changes); ok {
				verdicts = append(verdicts, v)
			}
		}
		switch {
		case in.Step == StepEnRoute && d.Status == DispatchAccepted:
			d.Status, d.EnRouteAt = DispatchEnRoute, &now
		case in.Step == StepArrived && (d.Status == DispatchAccepted || d.Status == DispatchEnRoute):
			decide(StageArrive)
			d.Status, d.ArrivedAt = DispatchArrived, &now
			observed = now.Sub(d.RaisedAt)
		case in.Step == StepFeedback && d.Status == DispatchArrived && d.FeedbackAt == nil:
			decide(StageFeedback)
			d.FeedbackAt, d.Feedback = &now, note
			observed = now.Sub(d.RaisedAt)
		case in.Step == StepClosed && d.Status == DispatchArrived && d.FeedbackAt != nil:
			d.Status, d.ClosedAt = DispatchClosed, &now
		default:
			return nil, ErrDispatchStepIllegal
		}
		d.Version++
		if err := q.WriteDispatch(ctx, d); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, "dispatch."+in.Step, "dispatch", id, audit.SetFields("step", in.Step, "note", note)); err != nil {
			return nil, err
		}
		out = d
		snap := d
		changes = append(changes, Change{Type: EventDispatchStep, Reason: in.Step, By: pr.Subject, Note: note})
		for i := range changes {
			changes[i].Dispatch = &snap
		}
		return changes, nil
	})
	if err == nil {
		s.report(out.Urgency, verdicts)
		switch in.Step {
		case StepArrived:
			s.obs().Observe(ctx, StageArrive, out.Urgency, observed)
		case StepFeedback:
			s.obs().Observe(ctx, StageFeedback, out.Urgency, observed)
		}
	}
	return s.answer(out), err
}

// SweepDispatches runs the timers of every open request at now: a request
// raised while no team was on duty is offered once teams are; an offer
// past its accept target is re-offered to the next team (and, the first
// time, the request escalated to the district lead and the accept target
// breached); the accept target of a request no team was on duty for, and
// the arrival and feedback targets, are breached once each. It returns
// how many breaches it recorded.
func (s *Patrols) SweepDispatches(ctx context.Context) (int, error) {
	open, err := s.repo.OpenDispatches(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d0 := range open {
		var breached []string
		var urgency string
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			breached = nil
			d, err := q.GetDispatch(ctx, d0.ID)
			if err != nil {
				return nil, err
			}
			urgency = d.Urgency
			now := s.now().UTC()
			t := s.dispatchTargets(d.Urgency)
			var changes []Change
			// A request raised with no team on duty waits for one: the
			// first sweep that finds teams on duty offers it to them,
			// nearest first, so it can still be accepted (its accept
			// target runs from the raise all the same).
			if d.Status == DispatchUnassigned && len(d.Offers) == 0 {
				offers, err := s.nearestOnDuty(ctx, q, d.Location, now)
				if err != nil {
					return nil, err
				}
				if len(offers) > 0 {
					d.Offers, d.OfferIndex, d.Status = offers, 0, DispatchOffered
					d.Offers[0].OfferedAt = &now
					changes = append(changes, Change{Type: EventDispatchOffered, Offer: &d.Offers[0], OfferNo: 1})
				}
			}
			due := func(stage string, reached *time.Time) {
				at, target := deadline(&d, t, stage)
				if reached == nil && !now.Before(at) && breach(&d, stage, target, &changes) {
					breached = append(breached, stage)
				}
			}
			// Each window past its accept target moves the offer on.
			for {
				cur, ok := d.offered()
				if !ok || now.Before(cur.OfferedAt.Add(t.Accept())) {
					break
				}
				if breach(&d, StageAccept, t.Accept(), &changes) {
					breached = append(breached, StageAccept)
				}
				if !d.Escalated {
					d.Escalated = true
					changes = append(changes, Change{Type: EventDispatchEscalated, Reason: "not_accepted"})
				}
				d.OfferIndex++
				if d.OfferIndex >= len(d.Offers) {
					d.Status = DispatchUnassigned
					break
				}
				at := cur.OfferedAt.Add(t.Accept())
				d.Offers[d.OfferIndex].OfferedAt = &at
				changes = append(changes, Change{Type: EventDispatchOffered, Offer: &d.Offers[d.OfferIndex], OfferNo: d.OfferIndex + 1})
			}
			// With no team on duty at the raise nobody was offered it,
			// and nobody can accept it: its accept target passes unmet
			// all the same (the loop above saw no offer).
			due(StageAccept, d.AcceptedAt)
			due(StageArrive, d.ArrivedAt)
			due(StageFeedback, d.FeedbackAt)
			if len(changes) == 0 {
				return nil, nil
			}
			d.Version++
			if err := q.WriteDispatch(ctx, d); err != nil {
				return nil, err
			}
			if err := s.AuditAs(ctx, q, system, "dispatch.timer", "dispatch", d.ID, []string{"offer_index", "status", "escalated", "breaches"}); err != nil {
				return nil, err
			}
			snap := d
			for i := range changes {
				changes[i].Dispatch = &snap
			}
			return changes, nil
		})
		if err != nil {
			return n, err
		}
		for _, st := range breached {
			s.obs().Due(st, urgency, true)
			n++
		}
	}
	return n, nil
}
