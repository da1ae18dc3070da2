package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
)

// Audit actions ("<resource>.<verb>") and resources of the service's
// writes. The scoreboard's own writes (from membership's events, the
// midnight recompute) are a projection, not anyone's write, and are not
// audited; everything a caller or a timer changes is.
const (
	ActionTemplatePublish = "template.publish"
	ActionInspectionAdd   = "inspection.record"
	ActionFindingStatus   = "finding.status_change"
	ActionFindingEscalate = "finding.escalate"
	ActionScheduleCreate  = "schedule.create"
	ActionDisputeReport   = "dispute.report"
	ActionDisputeStep     = "dispute.step"
	ActionDisputeStatus   = "dispute.status_change"
	ActionDisputeTimer    = "dispute.timer"
)

// auditWrite records the write of the request in ctx, in q's transaction.
func auditWrite(ctx context.Context, q Queries, at time.Time, action, resource, id string, fields []string) error {
	return q.InsertAudit(ctx, audit.ActorFromContext(ctx).Entry(at, action, resource, id, fields))
}

// auditSystem records a write the node made on its own (a timer).
func auditSystem(ctx context.Context, q Queries, at time.Time, action, resource, id string, fields []string) error {
	return q.InsertAudit(ctx, audit.Actor{Subject: audit.SystemSubject}.Entry(at, action, resource, id, fields))
}
