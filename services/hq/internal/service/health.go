package service

import (
	"slices"
	"sort"
	"time"

	"github.com/guildhall/guildhall/pkg/eventbus"
)

// The statuses of a district at HQ (DistrictView.Status).
const (
	// StatusOK: every service of the district beats and HQ is not behind.
	StatusOK = "ok"
	// StatusBehind: the district beats but HQ is behind it (the stale rule
	// of its consumers) or a service's outbox holds an event older than
	// the stale period.
	StatusBehind = "behind"
	// StatusSilent: a service that beat before has not for three of its
	// intervals: the node is down or cannot reach Kafka. Its figures are
	// as of its last heartbeat.
	StatusSilent = "silent"
	// StatusNotReported: registered, but no heartbeat has arrived yet.
	StatusNotReported = "not_reported"
	// StatusDeregistered: no longer in the registry; its last figures are
	// kept and no alert follows it.
	StatusDeregistered = "deregistered"
)

// DistrictStatuses are the statuses a registered district can have, in
// the order the status gauge lists them.
var DistrictStatuses = []string{StatusOK, StatusBehind, StatusSilent, StatusNotReported}

// SilentAfter is how many heartbeat intervals may pass without one before
// a service is silent.
const SilentAfter = 3

// EmittedType is an event type a service writes, at its schema version.
type EmittedType struct {
	Type          string `json:"type"`
	SchemaVersion uint32 `json:"schema_version"`
}

// Heartbeat is the newest heartbeat HQ received from one instance of a
// district's service.
type Heartbeat struct {
	Service  string
	Instance string
	Version  string
	Emits    []EmittedType
	// OutboxBacklog is -1 when the node could not read its outbox.
	OutboxBacklog int64
	// OldestUnsentAt is zero when the outbox was empty.
	OldestUnsentAt time.Time
	RelayLeader    bool
	// SentAt is the node's clock, ReceivedAt HQ's.
	SentAt     time.Time
	ReceivedAt time.Time
	Interval   time.Duration
}

// ServiceHealth is one service of a district as its heartbeats show it.
// Every figure is as of AsOf, the last heartbeat: a silent service keeps
// its last figures, never zeros.
type ServiceHealth struct {
	Service string `json:"service" doc:"the district service (membership, meetings, …)"`
	Alive   bool   `json:"alive" doc:"a heartbeat arrived within 3 of its intervals"`
	// SilentSince is the last heartbeat's arrival while not alive.
	SilentSince *time.Time `json:"silent_since" doc:"when the last heartbeat arrived, while the service is silent; null while alive"`
	AsOf        *time.Time `json:"as_of" doc:"when HQ received the heartbeat the figures below come from (HQ's clock)"`
	Version     string     `json:"version" doc:"build version the service announced"`
	// Instances counts the instances alive (or 1, the newest, when none is).
	Instances     int    `json:"instances" doc:"instances of the service alive (the newest one when none is)"`
	RelayLeader   bool   `json:"relay_leader" doc:"an instance's relay leads (publishes the outbox)"`
	OutboxBacklog *int64 `json:"outbox_backlog" doc:"outbox rows not sent yet, as the node reported; null when it could not read its outbox"`
	// OldestUnsentAgeSeconds is the age of the oldest unsent row at AsOf,
	// measured on the node's clock.
	OldestUnsentAgeSeconds *float64 `json:"oldest_unsent_age_seconds" doc:"age of the oldest unsent outbox row when the heartbeat was sent (the node's clock); null when none"`
	ClockOffsetSeconds     float64  `json:"clock_offset_seconds" doc:"the node's clock minus HQ's at receipt (includes the transit time, milliseconds on a healthy link)"`
	ClockSkewed            bool     `json:"clock_skewed" doc:"the clock offset exceeds the limit (HQ's -heartbeat.clock-skew-limit)"`
	IntervalSeconds        float64  `json:"interval_seconds" doc:"how often the service beats"`
	// Emits are the event types the service writes.
	Emits []EmittedType `json:"emits" doc:"event types and schema versions the service writes"`
	// UnknownTypes are those of Emits HQ consumes but cannot apply yet.
	UnknownTypes []EmittedType `json:"unknown_types" doc:"of the types the service writes, those this HQ consumes but cannot apply yet (the district runs a newer release: upgrade HQ; meanwhile HQ parks them)"`
}

// health builds the view of each service of hbs (one district's
// heartbeats) at now, ordered by service.
func health(hbs []Heartbeat, now time.Time, skewLimit time.Duration, knows func(string, string, uint32) (bool, bool)) []ServiceHealth {
	by := map[string][]Heartbeat{}
	for _, hb := range hbs {
		by[hb.Service] = append(by[hb.Service], hb)
	}
	out := make([]ServiceHealth, 0, len(by))
	for svc, insts := range by {
		h := serviceHealth(svc, insts, now, skewLimit)
		h.UnknownTypes = []EmittedType{}
		for _, e := range h.Emits {
			if knows == nil {
				break // HQ says nothing about what it can apply
			}
			if consumed, known := knows(svc, e.Type, e.SchemaVersion); consumed && !known {
				h.UnknownTypes = append(h.UnknownTypes, e)
			}
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// alive reports whether hb arrived within SilentAfter intervals of now.
func (hb Heartbeat) alive(now time.Time) bool {
	iv := hb.Interval
	if iv <= 0 {
		// A heartbeat that does not say its interval beats at the default.
		iv = eventbus.DefaultHeartbeatInterval
	}
	return now.Sub(hb.ReceivedAt) <= SilentAfter*iv
}

// serviceHealth builds one service's view from its instances' heartbeats:
// alive when any instance is; the figures are the leading alive
// instance's (it is the one publishing), else the newest alive one's,
// else, silent, the newest one's.
func serviceHealth(svc string, insts []Heartbeat, now time.Time, skewLimit time.Duration) ServiceHealth {
	var alive []Heartbeat
	for _, hb := range insts {
		if hb.alive(now) {
			alive = append(alive, hb)
		}
	}
	pool := alive
	if len(pool) == 0 {
		pool = insts
	}
	best := slices.MaxFunc(pool, func(a, b Heartbeat) int {
		if a.RelayLeader != b.RelayLeader {
			if a.RelayLeader {
				return 1
			}
			return -1
		}
		return a.ReceivedAt.Compare(b.ReceivedAt)
	})
	h := ServiceHealth{
		Service:         svc,
		Alive:           len(alive) > 0,
		AsOf:            timePtr(best.ReceivedAt),
		Version:         best.Version,
		Instances:       max(len(alive), 1),
		IntervalSeconds: best.Interval.Seconds(),
		Emits:           best.Emits,
	}
	if h.Emits == nil {
		h.Emits = []EmittedType{}
	}
	for _, hb := range alive {
		h.RelayLeader = h.RelayLeader || hb.RelayLeader
	}
	if !h.Alive {
		h.SilentSince = timePtr(best.ReceivedAt)
		h.RelayLeader = best.RelayLeader
	}
	if best.OutboxBacklog >= 0 {
		n := best.OutboxBacklog
		h.OutboxBacklog = &n
	}
	if !best.OldestUnsentAt.IsZero() {
		age := max(best.SentAt.Sub(best.OldestUnsentAt).Seconds(), 0)
		h.OldestUnsentAgeSeconds = &age
	}
	off := best.SentAt.Sub(best.ReceivedAt)
	h.ClockOffsetSeconds = off.Seconds()
	h.ClockSkewed = off > skewLimit || -off > skewLimit
	return h
}

// status is a registered district's status from its services' health and
// whether HQ's consumers find it stale.
func status(services []ServiceHealth, stale bool, staleAfter time.Duration) string {
	if len(services) == 0 {
		return StatusNotReported
	}
	behind := stale
	for _, s := range services {
		if !s.Alive {
			return StatusSilent
		}
		if s.OldestUnsentAgeSeconds != nil && *s.OldestUnsentAgeSeconds > staleAfter.Seconds() {
			behind = true
		}
	}
	if behind {
		return StatusBehind
	}
	return StatusOK
}
