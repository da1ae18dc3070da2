// Package projector turns the districts' membership, meetings, compliance,
// patrols and messaging events into HQ's read model. Events carry whole
// snapshots, so applying one is an upsert by aggregate id that only moves
// forward in version: events of different aggregates may arrive in any
// order, and a redelivered old event never rolls state back.
package projector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// The services whose events the projector applies; the envelope's service
// picks the events it may carry.
const (
	// Service is the membership service (gh.<district>.membership.v1).
	Service = "membership"
	// ServiceMeetings is the meetings service (gh.<district>.meetings.v1).
	ServiceMeetings = "meetings"
)

// Services lists every service whose events the projector applies.
var Services = []string{Service, ServiceMeetings, ServiceCompliance, ServicePatrols, ServiceMessaging}

// reject reports an event that can never be applied: the consumer
// dead-letters it with reason (eventbus.Reject, the one reject wrapper).
func reject(reason eventbus.Reason, format string, args ...any) error {
	return eventbus.Reject(reason, fmt.Errorf("projector: "+format, args...))
}

// Metrics are the projector's metrics.
type Metrics struct {
	// Rejected counts events the projector rejected, by district and reason.
	Rejected *prometheus.CounterVec
	// Applied counts events that changed the read model, by district.
	Applied *prometheus.CounterVec
}

// NewMetrics registers the projector's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Rejected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_hq_events_rejected_total",
			Help: "Events HQ rejected (and dead-lettered) instead of applying, by district and reason.",
		}, []string{"district", "reason"}),
		Applied: f.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_hq_events_applied_total",
			Help: "Events that changed HQ's read model, by district.",
		}, []string{"district"}),
	}
}

// Projector applies membership and meetings events to the read model.
type Projector struct {
	store   *store.Store
	logger  *slog.Logger
	metrics *Metrics
	now     func() time.Time
}

// New returns a Projector writing to st. metrics may be nil.
func New(st *store.Store, logger *slog.Logger, metrics *Metrics) *Projector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Projector{store: st, logger: logger, metrics: metrics, now: time.Now}
}

// SetClock replaces the clock used for last_applied_at (tests).
func (p *Projector) SetClock(now func() time.Time) { p.now = now }

// Apply applies env inside tx. It reports whether the read model changed
// (false for an event older than the stored snapshot). Errors that are
// rejections (eventbus.IsRejected) mean the event can never be applied;
// others are transient.
//
// In a transaction's scope (Batch) a guard event that passes its checks is
// kept and applied with the scope's other guard events in bulk (before the
// next event of another kind, or at the flush): Apply reports true for it,
// and the Applied metric counts it once the bulk has applied it.
func (p *Projector) Apply(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	applied, err := p.apply(ctx, tx, env)
	deferred := errors.Is(err, errDeferred)
	if deferred {
		applied, err = true, nil
	}
	if reason, ok := eventbus.IsRejected(err); ok {
		if p.metrics != nil {
			p.metrics.Rejected.WithLabelValues(env.GetDistrict(), string(reason)).Inc()
		}
		p.logger.WarnContext(ctx, "hq: event rejected", "district", env.GetDistrict(), "type", env.GetType(),
			"event_id", env.GetEventId(), "reason", reason, "err", err)
		return false, err
	}
	if err != nil {
		return false, err
	}
	if applied && !deferred && p.metrics != nil {
		p.metrics.Applied.WithLabelValues(env.GetDistrict()).Inc()
	}
	return applied, nil
}

func (p *Projector) apply(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) (bool, error) {
	if env == nil {
		return false, reject(eventbus.ReasonBadPayload, "no envelope")
	}
	if !slices.Contains(Services, env.GetService()) {
		return false, reject(eventbus.ReasonWrongService, "events of service %q are not HQ's to apply", env.GetService())
	}
	// A newer producer's schema is parked until HQ is upgraded (the
	// consumer parks unknown_version), never misread.
	if v := env.GetSchemaVersion(); v > eventsv1.SchemaVersion {
		return false, reject(eventbus.ReasonUnknownVersion, "%s at schema version %d; this HQ reads up to %d",
			env.GetType(), v, eventsv1.SchemaVersion)
	}
	// Whatever else an event reads or writes, it sees the guards applied
	// before it: a scope's kept guard events are applied first.
	if pd := scope(ctx); pd != nil && len(pd.guards) > 0 && !isGuardEvent(env) {
		if err := p.flushGuards(ctx, tx, pd); err != nil {
			return false, err
		}
	}
	now := p.now().UTC()
	occurred := now
	if env.GetOccurredAt() != nil {
		occurred = env.GetOccurredAt().AsTime()
	}
	var (
		applied bool
		err     error
	)
	// The service was checked above; a type is looked up among its own
	// service's types only, so a membership event named like a meetings
	// one is still unknown.
	city := env.GetService() != Service && env.GetService() != ServiceMeetings
	switch meetings := env.GetService() == ServiceMeetings; {
	case city:
		applied, err = p.city(ctx, tx, env)
	case slices.Contains(acknowledged[env.GetService()], env.GetType()):
		// Received on purpose and not projected (see acknowledged).
	case meetings && projected[ServiceMeetings][env.GetType()] != nil:
		// Field visits and the services plan (seed.go).
		applied, err = projected[ServiceMeetings][env.GetType()](p, ctx, tx, env)
	case meetings && isOneOf(env.GetType(), eventsv1.TypeMeetingScheduled, eventsv1.TypeMeetingUpdated,
		eventsv1.TypeMeetingStatusChanged, eventsv1.TypeAttendanceRecorded, eventsv1.TypeMinutesPublished):
		var m *eventsv1.Meeting
		if m, err = decodeMeeting(env); err == nil {
			applied, err = p.meeting(ctx, tx, env, m)
		}
	case meetings && isOneOf(env.GetType(), eventsv1.TypeActionItemCreated, eventsv1.TypeActionItemStatusChanged,
		eventsv1.TypeActionItemReminder):
		var a *eventsv1.ActionItem
		if a, err = decodeActionItem(env); err == nil {
			applied, err = p.actionItem(ctx, tx, env, a)
		}
	case meetings && env.GetType() == eventsv1.TypeResolutionAdopted:
		applied, err = p.resolution(ctx, tx, env)
	case meetings && env.GetType() == eventsv1.TypeConventionSigned:
		applied, err = p.signature(ctx, tx, env)
	case !meetings && isOneOf(env.GetType(), eventsv1.TypeCompanyRegistered, eventsv1.TypeCompanyStatusChanged,
		eventsv1.TypeCompanyUpdated):
		var c *eventsv1.Company
		if c, err = decodeCompany(env); err == nil {
			applied, err = p.company(ctx, tx, env, c, now)
		}
	case isGuardEvent(env):
		var g *eventsv1.Guard
		if g, err = decodeGuard(env); err == nil {
			applied, err = p.guard(ctx, tx, env, g, occurred, now)
		}
	case !meetings && isOneOf(env.GetType(), eventsv1.TypeCouncilMemberAppointed, eventsv1.TypeCouncilMemberUpdated):
		var m *eventsv1.CouncilMember
		if m, err = decodeMember(env); err == nil {
			applied, err = p.member(ctx, tx, env, m)
		}
	default:
		return false, reject(eventbus.ReasonUnknownType, "unknown %s event type %q", env.GetService(), env.GetType())
	}
	if err != nil && !errors.Is(err, errDeferred) {
		return false, err
	}
	// Last, so that only an event applied without error counts in the
	// transaction's scope (Batch).
	if err := p.touch(ctx, tx, env.GetDistrict(), env.GetService(), occurred, now); err != nil {
		return false, err
	}
	return applied, err
}

// isGuardEvent reports whether env is one of the membership events that
// carry a guard snapshot.
func isGuardEvent(env *eventsv1.Envelope) bool {
	return env.GetService() == Service && isOneOf(env.GetType(), eventsv1.TypeGuardHired, eventsv1.TypeGuardUpdated,
		eventsv1.TypeGuardLeft, eventsv1.TypeTrainingRecorded, eventsv1.TypeBackgroundCheckRecorded,
		eventsv1.TypeCertificateIssued, eventsv1.TypeCertificateExpiring)
}

// errDeferred is guard's answer for a snapshot kept in the transaction's
// scope, to be applied in bulk (Apply reports it applied).
var errDeferred = errors.New("projector: guard kept for the batch")

// Knows reports whether the projector applies events of typ from service
// at schema version: HQ consumes service, and this build classified the
// type (projected or acknowledged, see city.go) and can read the version.
// Heartbeats compare what a district emits with it, so a type a newer
// district emits that this HQ would park is listed as unknown.
func Knows(service, typ string, version uint32) (consumed, known bool) {
	if !slices.Contains(Services, service) {
		return false, false
	}
	return true, classified(service, typ) && version <= eventsv1.SchemaVersion
}

// isDate reports whether s is a date YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// isOneOf reports whether typ is one of types.
func isOneOf(typ string, types ...string) bool { return slices.Contains(types, typ) }

func unmarshal(env *eventsv1.Envelope, m proto.Message) error {
	if err := proto.Unmarshal(env.GetPayload(), m); err != nil {
		return reject(eventbus.ReasonBadPayload, "decode %s: %v", env.GetType(), err)
	}
	return nil
}

type companyEvent interface{ GetCompany() *eventsv1.Company }
type guardEvent interface{ GetGuard() *eventsv1.Guard }
type memberEvent interface {
	GetMember() *eventsv1.CouncilMember
}

func decodeCompany(env *eventsv1.Envelope) (*eventsv1.Company, error) {
	var m interface {
		proto.Message
		companyEvent
	}
	switch env.GetType() {
	case eventsv1.TypeCompanyRegistered:
		m = &eventsv1.CompanyRegistered{}
	case eventsv1.TypeCompanyStatusChanged:
		m = &eventsv1.CompanyStatusChanged{}
	default:
		m = &eventsv1.CompanyUpdated{}
	}
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	c := m.GetCompany()
	if c == nil || c.GetId() == "" {
		return nil, reject(eventbus.ReasonBadPayload, "%s without a company snapshot", env.GetType())
	}
	return c, nil
}

func decodeGuard(env *eventsv1.Envelope) (*eventsv1.Guard, error) {
	var m interface {
		proto.Message
		guardEvent
	}
	switch env.GetType() {
	case eventsv1.TypeGuardHired:
		m = &eventsv1.GuardHired{}
	case eventsv1.TypeGuardUpdated:
		m = &eventsv1.GuardUpdated{}
	case eventsv1.TypeGuardLeft:
		m = &eventsv1.GuardLeft{}
	case eventsv1.TypeTrainingRecorded:
		m = &eventsv1.TrainingRecorded{}
	case eventsv1.TypeBackgroundCheckRecorded:
		m = &eventsv1.BackgroundCheckRecorded{}
	case eventsv1.TypeCertificateExpiring:
		m = &eventsv1.CertificateExpiring{}
	default:
		m = &eventsv1.CertificateIssued{}
	}
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	g := m.GetGuard()
	if g == nil || g.GetId() == "" {
		return nil, reject(eventbus.ReasonBadPayload, "%s without a guard snapshot", env.GetType())
	}
	// HQ compares the last valid day with today's date as text, so it must
	// be a date; a district never sends another form.
	if v := g.GetCertificateValidUntil(); v != "" {
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return nil, reject(eventbus.ReasonBadPayload, "%s with certificate_valid_until %q, not a date YYYY-MM-DD", env.GetType(), v)
		}
	}
	return g, nil
}

func decodeMember(env *eventsv1.Envelope) (*eventsv1.CouncilMember, error) {
	var m interface {
		proto.Message
		memberEvent
	}
	if env.GetType() == eventsv1.TypeCouncilMemberAppointed {
		m = &eventsv1.CouncilMemberAppointed{}
	} else {
		m = &eventsv1.CouncilMemberUpdated{}
	}
	if err := unmarshal(env, m); err != nil {
		return nil, err
	}
	c := m.GetMember()
	if c == nil || c.GetId() == "" {
		return nil, reject(eventbus.ReasonBadPayload, "%s without a council member snapshot", env.GetType())
	}
	return c, nil
}

// check verifies the snapshot belongs to the envelope's aggregate and
// district, and returns the version to compare: the envelope's sequence (the
// aggregate's version after the change), or the snapshot's own if the
// envelope has none.
func check(env *eventsv1.Envelope, id, district string, version int64) (int64, error) {
	if env.GetAggregateId() != "" && env.GetAggregateId() != id {
		return 0, reject(eventbus.ReasonBadPayload, "snapshot %q under aggregate %q", id, env.GetAggregateId())
	}
	// A district may only speak for its own records: the envelope's district
	// is checked against the topic by the consumer, the snapshot's here.
	if district != "" && district != env.GetDistrict() {
		return 0, reject(eventbus.ReasonDistrictMismatch, "snapshot of district %q in an event of district %q", district, env.GetDistrict())
	}
	if env.GetSequence() > 0 {
		return env.GetSequence(), nil
	}
	return version, nil
}

// company applies a company snapshot; now is when HQ applies it (when it
// first sees a conflict the company makes).
func (p *Projector) company(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, c *eventsv1.Company, now time.Time) (bool, error) {
	version, err := check(env, c.GetId(), c.GetDistrict(), c.GetVersion())
	if err != nil {
		return false, err
	}
	stored, found, err := p.store.CompanyVersion(ctx, tx, c.GetId())
	if err != nil {
		return false, err
	}
	if found && stored >= version {
		return false, nil
	}
	var updated time.Time
	if c.GetUpdatedAt() != nil {
		updated = c.GetUpdatedAt().AsTime()
	}
	return true, p.store.PutCompany(ctx, tx, store.Company{
		ID: c.GetId(), District: env.GetDistrict(), Name: c.GetName(), CreditCode: c.GetCreditCode(),
		Kind: c.GetKind(), Level: c.GetLevel(), Status: c.GetStatus(), PartyOrg: c.GetPartyOrg(),
		TradeUnion: c.GetTradeUnion(), WorkersHome: c.GetWorkersHome(),
		ConventionVersion: c.GetConventionVersion(), Version: version, UpdatedAt: updated,
	}, now)
}

// guard applies a guard snapshot that occurred at occurred; now is when HQ
// applies it (when it first sees a conflict the guard makes).
func (p *Projector) guard(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, g *eventsv1.Guard, occurred, now time.Time) (bool, error) {
	version, err := check(env, g.GetId(), g.GetDistrict(), g.GetVersion())
	if err != nil {
		return false, err
	}
	// The start the record takes if this write makes it active: the hire
	// date is the domain's "since"; the event time stands in when a
	// snapshot has none.
	var start time.Time
	if g.GetEmploymentStatus() == "active" {
		start = occurred
		if d, err := time.Parse(time.DateOnly, g.GetHiredOn()); err == nil {
			start = d
		}
	}
	var updated time.Time
	if g.GetUpdatedAt() != nil {
		updated = g.GetUpdatedAt().AsTime()
	}
	rec := store.Guard{
		ID: g.GetId(), District: env.GetDistrict(), CompanyID: g.GetCompanyId(), IDHash: g.GetIdHash(),
		EmploymentStatus: g.GetEmploymentStatus(), HiredOn: g.GetHiredOn(), HasCertificate: g.GetHasCertificate(),
		BackgroundCheckStatus: g.GetBackgroundCheckStatus(), PreJobTrained: g.GetPreJobTrained(),
		BadgeService: g.GetBadgeService(), VolunteerPolice: g.GetVolunteerPolice(), PartyMember: g.GetPartyMember(),
		CertificateNumber: g.GetCertificateNumber(), CertificateValidUntil: g.GetCertificateValidUntil(),
		CertificateAuthority: g.GetCertificateAuthority(),
		Version:              version, ActiveSince: start, UpdatedAt: updated,
	}
	if pd := scope(ctx); pd != nil {
		pd.guards = append(pd.guards, store.GuardWrite{G: rec, At: now})
		return false, errDeferred
	}
	st, found, err := p.store.GuardState(ctx, tx, g.GetId())
	if err != nil {
		return false, err
	}
	if found && st.Version >= version {
		return false, nil
	}
	// A record already active keeps its start.
	if rec.EmploymentStatus == "active" && found && st.EmploymentStatus == "active" && !st.ActiveSince.IsZero() {
		rec.ActiveSince = st.ActiveSince
	}
	return true, p.store.PutGuardOver(ctx, tx, rec, now, st, nil)
}

func (p *Projector) member(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, m *eventsv1.CouncilMember) (bool, error) {
	version, err := check(env, m.GetId(), m.GetDistrict(), m.GetVersion())
	if err != nil {
		return false, err
	}
	return p.store.PutCouncilMember(ctx, tx, store.CouncilMember{
		ID: m.GetId(), District: env.GetDistrict(), Term: m.GetTerm(), Position: m.GetPosition(),
		PersonName: m.GetPersonName(), CompanyID: m.GetCompanyId(), DistrictInCharge: m.GetDistrictInCharge(),
		Active: m.GetActive(), Version: version,
	})
}

// Metrics returns the projector's metrics (nil if it has none).
func (p *Projector) Metrics() *Metrics { return p.metrics }
