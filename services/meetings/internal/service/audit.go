package service

import (
	"context"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// AnonymousSubject is the audit subject of a write whose context carries no
// authenticated principal. Every HTTP endpoint refuses such requests (401)
// before the service runs, so it only appears for calls made in-process
// without one; the log says so rather than inventing an identity.
const AnonymousSubject = "anonymous"

// Audit actions: "<resource>.<verb>", one per kind of write.
const (
	ActionMeetingCreate    = "meeting.create"
	ActionMeetingUpdate    = "meeting.update"
	ActionMeetingStatus    = "meeting.status_change"
	ActionAgendaAdd        = "agenda.add"
	ActionAgendaReorder    = "agenda.reorder"
	ActionInvite           = "invitation.create"
	ActionCheckIn          = "invitation.check_in"
	ActionAttendance       = "invitation.attendance"
	ActionMinuteAdd        = "minute.add"
	ActionMinuteUpdate     = "minute.update"
	ActionMinuteDelete     = "minute.delete"
	ActionMinutesPublish   = "minutes.publish"
	ActionResolutionAdopt  = "resolution.adopt"
	ActionActionItemStatus = "action_item.status_change"
	ActionActionItemRemind = "action_item.remind"
	ActionConventionSign   = "convention.sign"
)

// SystemSubject is the audit subject of work the node does on its own
// (reminders), with no request behind it.
const SystemSubject = "system"

// Audit resources.
const (
	ResourceMeeting    = "meeting"
	ResourceInvitation = "invitation"
	ResourceMinute     = "minute"
	ResourceResolution = "resolution"
	ResourceActionItem = "action_item"
	ResourceSignature  = "convention_signature"
)

// AuditEntry is one row of the audit log: who wrote what, when, from where.
// FieldsChanged names the fields written, never their values: an audit log
// that copied ID numbers would be one more place to leak them.
type AuditEntry struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Subject       string    `json:"subject"`
	Role          string    `json:"role"`
	Scope         string    `json:"scope"`
	Action        string    `json:"action"`
	Resource      string    `json:"resource"`
	ResourceID    string    `json:"resource_id"`
	FieldsChanged []string  `json:"fields_changed"`
	RequestID     string    `json:"request_id"`
	RemoteIP      string    `json:"remote_ip"`
}

// AuditFilter narrows an audit list; empty fields do not filter. Since is
// inclusive, Until exclusive.
type AuditFilter struct {
	Subject    string
	Action     string
	Resource   string
	ResourceID string
	Since      time.Time
	Until      time.Time
}

// Errors of the audit filters.
var (
	ErrAuditSinceInvalid = errs.InvalidField("audit.since_invalid", "since", "since must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
	ErrAuditUntilInvalid = errs.InvalidField("audit.until_invalid", "until", "until must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
	ErrAuditRange        = errs.InvalidField("audit.range_invalid", "until", "until must be after since")
)

// Actor is who makes a write, as the audit log records it.
type Actor struct {
	Subject   string
	Role      string
	Scope     string
	RequestID string
	RemoteIP  string
}

type remoteIPKey struct{}

// WithRemoteIP returns ctx carrying the client address of the request, for
// the audit log.
func WithRemoteIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, remoteIPKey{}, ip)
}

// RemoteIPFromContext returns the address WithRemoteIP stored, or "".
func RemoteIPFromContext(ctx context.Context) string {
	ip, _ := ctx.Value(remoteIPKey{}).(string)
	return ip
}

// ActorFromContext reads the writer of a request from ctx: the principal
// auth put there (or AnonymousSubject with no role when there is none), the
// request id of telemetry.HTTPMiddleware and the remote address of the
// transport.
func ActorFromContext(ctx context.Context) Actor {
	a := Actor{
		Subject:   AnonymousSubject,
		RequestID: telemetry.RequestIDFromContext(ctx),
		RemoteIP:  RemoteIPFromContext(ctx),
	}
	if p, ok := auth.FromContext(ctx); ok {
		a.Subject, a.Role, a.Scope = p.Subject, string(p.Role), scopeOf(p)
		if a.Subject == "" {
			a.Subject = AnonymousSubject
		}
	}
	return a
}

// scopeOf renders a principal's scope: "city" for the city-wide roles,
// else space-separated "districts:a,b", "company:<id>", "guard:<id>".
func scopeOf(p auth.Principal) string {
	var parts []string
	if len(p.Districts) > 0 {
		parts = append(parts, "districts:"+strings.Join(p.Districts, ","))
	}
	if p.Company != "" {
		parts = append(parts, "company:"+p.Company)
	}
	if p.Guard != "" {
		parts = append(parts, "guard:"+p.Guard)
	}
	if len(parts) == 0 {
		switch p.Role {
		case auth.RoleHQAdmin, auth.RoleOps, auth.RolePolice:
			return "city"
		}
	}
	return strings.Join(parts, " ")
}

// audit records a write made by the request in ctx, in q's transaction.
func (s *Meetings) audit(ctx context.Context, q Queries, action, resource, resourceID string, fields []string) error {
	return s.auditAs(ctx, q, ActorFromContext(ctx), action, resource, resourceID, fields)
}

// auditAs records a write made on behalf of a, in q's transaction.
func (s *Meetings) auditAs(ctx context.Context, q Queries, a Actor, action, resource, resourceID string, fields []string) error {
	if fields == nil {
		fields = []string{}
	}
	return q.InsertAudit(ctx, AuditEntry{
		At: s.now().UTC(), Subject: a.Subject, Role: a.Role, Scope: a.Scope,
		Action: action, Resource: resource, ResourceID: resourceID, FieldsChanged: fields,
		RequestID: a.RequestID, RemoteIP: a.RemoteIP,
	})
}

// ListAudit implements Service.
func (s *Meetings) ListAudit(ctx context.Context, f AuditFilter, page kitx.Page) ([]AuditEntry, string, error) {
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return nil, "", ErrAuditRange
	}
	return s.repo.ListAudit(ctx, f, page)
}
