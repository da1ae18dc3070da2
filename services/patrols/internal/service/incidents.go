package service

// Incidents met on patrol: reported by a guard, handed over to the police
// (which makes them a dispatch when the police accept), resolved.

import (
	"context"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Incident severities and statuses.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"

	IncidentOpen       = "open"
	IncidentHandedOver = "handed_over"
	IncidentDispatched = "dispatched"
	IncidentResolved   = "resolved"
)

// Errors of incidents.
var (
	ErrIncidentNotFound    = errs.E(errs.NotFound, "incident.not_found", "no such incident")
	ErrIncidentKind        = errs.InvalidField("incident.kind_required", "kind", "kind is what the guard met (at most 50 characters)")
	ErrIncidentSeverity    = errs.InvalidField("incident.severity_invalid", "severity", "severity is low, medium, high or critical")
	ErrIncidentLocation    = ErrLocationInvalid
	ErrIncidentDescription = errs.InvalidField("incident.description_too_long", "description", "description is at most 5000 characters")
	ErrIncidentAttachments = errs.InvalidField("incident.attachments_invalid", "attachments", "at most 20 attachment references, each 1 to 500 characters on one line")
	ErrIncidentStatus      = errs.E(errs.Conflict, "incident.status_illegal", "the incident cannot take that step from its status")
	ErrIncidentNotMember   = errs.EField(errs.Unprocessable, "incident.reporter_not_member", "guard_id", "the reporter is not an active member of a volunteer team of this district")
)

// Incident is an incident met on patrol.
type Incident struct {
	ID           string     `json:"id"`
	District     string     `json:"district"`
	Kind         string     `json:"kind"`
	Severity     string     `json:"severity" enum:"low,medium,high,critical"`
	Location     LatLng     `json:"location"`
	Description  string     `json:"description"`
	Attachments  []string   `json:"attachments" doc:"references to files kept elsewhere (object-store keys or URLs)"`
	Status       string     `json:"status" enum:"open,handed_over,dispatched,resolved"`
	GuardID      string     `json:"guard_id" doc:"the reporting guard"`
	TeamID       string     `json:"team_id"`
	ReportedAt   time.Time  `json:"reported_at"`
	HandedOverAt *time.Time `json:"handed_over_at,omitempty"`
	DispatchID   string     `json:"dispatch_id,omitempty" doc:"the dispatch the police made of it"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	Version      int64      `json:"version"`
}

// IncidentInput reports an incident.
type IncidentInput struct {
	GuardID     string   `json:"guard_id" required:"true"`
	Kind        string   `json:"kind" required:"true"`
	Severity    string   `json:"severity" enum:"low,medium,high,critical" required:"true"`
	CRS         string   `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of location (default wgs84)"`
	Location    LatLng   `json:"location" required:"true"`
	Description string   `json:"description"`
	Attachments []string `json:"attachments"`
	kitx.Idempotent
}

// PoliceAcceptInput is the police taking over a handed-over incident.
type PoliceAcceptInput struct {
	Urgency string `json:"urgency" enum:"urgent,routine" required:"true"`
	Setting string `json:"setting" enum:"urban,suburban" doc:"default urban"`
}

// ReportIncident records an incident a guard met on patrol; the reporter
// must be an active member of one of the district's teams.
func (s *Patrols) ReportIncident(ctx context.Context, in IncidentInput) (Incident, error) {
	if !idLike(in.GuardID) {
		return Incident{}, ErrScanGuardRequired
	}
	kind, err := text(in.Kind, 50, ErrIncidentKind)
	if err != nil {
		return Incident{}, err
	}
	switch in.Severity {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
	default:
		return Incident{}, ErrIncidentSeverity
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return Incident{}, err
	}
	if !in.Location.valid() {
		return Incident{}, ErrIncidentLocation
	}
	if len([]rune(in.Description)) > 5000 {
		return Incident{}, ErrIncidentDescription
	}
	if len(in.Attachments) > 20 {
		return Incident{}, ErrIncidentAttachments
	}
	for _, a := range in.Attachments {
		if a == "" || len(a) > 500 || kitx.SingleLine("attachments", a) != nil {
			return Incident{}, ErrIncidentAttachments
		}
	}
	return idempotent(ctx, s, "POST incidents", in.IdempotencyKey, in, func(q Queries) (Incident, []Change, error) {
		members, err := q.MembershipsOf(ctx, in.GuardID)
		if err != nil {
			return Incident{}, nil, err
		}
		team := ""
		for _, m := range members {
			if m.Status == MemberActive {
				team = m.TeamID
				break
			}
		}
		if team == "" {
			return Incident{}, nil, ErrIncidentNotMember
		}
		id, err := newID()
		if err != nil {
			return Incident{}, nil, err
		}
		inc := Incident{ID: id, District: s.district, Kind: kind, Severity: in.Severity, Location: toWGS84(crs, in.Location),
			Description: strings.TrimSpace(in.Description), Attachments: append([]string{}, in.Attachments...), Status: IncidentOpen,
			GuardID: in.GuardID, TeamID: team, ReportedAt: s.now().UTC(), Version: 1}
		if err := q.InsertIncident(ctx, inc); err != nil {
			return Incident{}, nil, err
		}
		if err := s.Audit(ctx, q, "incident.report", "incident", id, audit.SetFields("kind", kind, "severity", in.Severity, "location", "x")); err != nil {
			return Incident{}, nil, err
		}
		snap := inc
		return inc, []Change{{Type: EventIncidentReported, Incident: &snap}}, nil
	})
}

// GetIncident returns an incident.
func (s *Patrols) GetIncident(ctx context.Context, id string) (Incident, error) {
	return s.repo.GetIncident(ctx, id)
}

// ListIncidents lists incidents, newest first.
func (s *Patrols) ListIncidents(ctx context.Context, page kitx.Page) ([]Incident, string, error) {
	return s.repo.ListIncidents(ctx, page)
}

// IncidentReporter returns an incident's reporting guard, for
// authorization.
func (s *Patrols) IncidentReporter(ctx context.Context, id string) (string, error) {
	inc, err := s.repo.GetIncident(ctx, id)
	return inc.GuardID, err
}

// stepIncident moves an incident, with its event, in one transaction.
func (s *Patrols) stepIncident(ctx context.Context, id, action string, fn func(q Queries, inc *Incident, now time.Time) ([]Change, error)) (Incident, error) {
	var out Incident
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		inc, err := q.GetIncident(ctx, id)
		if err != nil {
			return nil, err
		}
		more, err := fn(q, &inc, s.now().UTC())
		if err != nil {
			return nil, err
		}
		inc.Version++
		if err := q.WriteIncident(ctx, inc); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, action, "incident", id, audit.SetFields("status", inc.Status)); err != nil {
			return nil, err
		}
		out = inc
		snap := inc
		return append([]Change{{Type: EventIncidentUpdated, Incident: &snap}}, more...), nil
	})
	return out, err
}

// HandOverIncident hands an open incident over to the police.
func (s *Patrols) HandOverIncident(ctx context.Context, id string) (Incident, error) {
	return s.stepIncident(ctx, id, "incident.hand_over", func(_ Queries, inc *Incident, now time.Time) ([]Change, error) {
		if inc.Status != IncidentOpen {
			return nil, ErrIncidentStatus
		}
		inc.Status, inc.HandedOverAt = IncidentHandedOver, &now
		return nil, nil
	})
}

// PoliceAcceptIncident is the police taking a handed-over incident over:
// it becomes a dispatch request at the incident's location, offered like
// any other, in the same transaction.
func (s *Patrols) PoliceAcceptIncident(ctx context.Context, id string, in PoliceAcceptInput) (Incident, error) {
	if in.Urgency != UrgencyUrgent && in.Urgency != UrgencyRoutine {
		return Incident{}, ErrDispatchUrgency
	}
	setting := in.Setting
	if setting == "" {
		setting = SettingUrban
	}
	if setting != SettingUrban && setting != SettingSuburban {
		return Incident{}, ErrDispatchSetting
	}
	return s.stepIncident(ctx, id, "incident.police_accept", func(q Queries, inc *Incident, _ time.Time) ([]Change, error) {
		if inc.Status != IncidentHandedOver {
			return nil, ErrIncidentStatus
		}
		d, changes, err := s.raise(ctx, q, inc.Kind, in.Urgency, setting, inc.Location, inc.Description, inc.ID)
		if err != nil {
			return nil, err
		}
		inc.Status, inc.DispatchID = IncidentDispatched, d.ID
		return changes, nil
	})
}

// ResolveIncident closes an incident that is not resolved yet.
func (s *Patrols) ResolveIncident(ctx context.Context, id string) (Incident, error) {
	return s.stepIncident(ctx, id, "incident.resolve", func(_ Queries, inc *Incident, now time.Time) ([]Change, error) {
		if inc.Status == IncidentResolved {
			return nil, ErrIncidentStatus
		}
		inc.Status, inc.ResolvedAt = IncidentResolved, &now
		return nil, nil
	})
}
