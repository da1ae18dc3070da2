package audit

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// Inserter stores audit entries: a service's queries, normally those of
// the transaction of the write an entry records (Insert does the SQL).
type Inserter interface {
	InsertAudit(ctx context.Context, e Entry) error
}

// Lister lists a page of the entries a filter selects, newest first, and
// the cursor of the next page: a service's repository (List does the SQL).
type Lister interface {
	ListAudit(ctx context.Context, f Filter, p kitx.Page) ([]Entry, string, error)
}

// Log is the audit log as a service's business logic uses it, the same in
// every service: Audit and AuditAs record a write, stamped by the service's
// clock, in the write's own transaction (Entry and EntryAs make the entry
// for a write that stores it itself); ListAudit lists the log for the
// service's audit route. A service embeds one, so that its ListAudit is the
// service's.
type Log struct {
	now  func() time.Time
	repo Lister
}

// NewLog returns the audit log of a service whose clock is now, listed
// from repo.
func NewLog(now func() time.Time, repo Lister) Log { return Log{now: now, repo: repo} }

// Audit records, through q, a write made by the request in ctx (the actor
// is ActorFromContext's).
func (l Log) Audit(ctx context.Context, q Inserter, action, resource, resourceID string, fields []string) error {
	return q.InsertAudit(ctx, l.Entry(ctx, action, resource, resourceID, fields))
}

// AuditAs records, through q, a write made on behalf of a: a background
// job acting for the request that started it, an event applied for its
// producer, or the node itself (SystemSubject).
func (l Log) AuditAs(ctx context.Context, q Inserter, a Actor, action, resource, resourceID string, fields []string) error {
	return q.InsertAudit(ctx, l.EntryAs(a, action, resource, resourceID, fields))
}

// Entry is the entry Audit would record now for a write made by the
// request in ctx, for a write that stores its entry itself (an update of
// pkg/versioned, whose entry's time is also the row's update time).
func (l Log) Entry(ctx context.Context, action, resource, resourceID string, fields []string) Entry {
	return l.EntryAs(ActorFromContext(ctx), action, resource, resourceID, fields)
}

// EntryAs is the entry AuditAs would record now for a write made on
// behalf of a.
func (l Log) EntryAs(a Actor, action, resource, resourceID string, fields []string) Entry {
	return a.Entry(l.now(), action, resource, resourceID, fields)
}

// ListAudit lists a page of the entries f selects, newest first. A filter
// whose window is empty is ErrRange (Filter.Validate), checked here so that
// in-process callers get it too, not only HTTP ones.
func (l Log) ListAudit(ctx context.Context, f Filter, page kitx.Page) ([]Entry, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	return l.repo.ListAudit(ctx, f, page)
}
