package audit

import (
	"context"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// Queries is the audit log's part of a service's queries: a service's
// Queries interface embeds it, and its store's queries embed a Log.
type Queries interface {
	// InsertAudit appends a row to the audit log.
	InsertAudit(ctx context.Context, e Entry) error
	// ListAudit lists audit rows, newest first; the cursor is the last id.
	ListAudit(ctx context.Context, f Filter, page kitx.Page) ([]Entry, string, error)
}

// Log is a service's audit log table, read and written through Q (the
// database, or a transaction of the write the row records). It implements
// Queries.
type Log struct {
	Q storage.Querier
	// Table is the table's name, a constant of the service, never input.
	Table string
}

var _ Queries = Log{}

// logTable is the name every district service's migrations give their
// audit log.
const logTable = "audit_log"

// NewLog returns the audit log of a district service's database (its
// audit_log table) through q.
func NewLog(q storage.Querier) Log { return Log{Q: q, Table: logTable} }

// InsertAudit implements Queries (Insert).
func (l Log) InsertAudit(ctx context.Context, e Entry) error { return Insert(ctx, l.Q, l.Table, e) }

// ListAudit implements Queries (List): rows come newest first (id DESC);
// the page cursor is the id of the last row returned.
func (l Log) ListAudit(ctx context.Context, f Filter, p kitx.Page) ([]Entry, string, error) {
	return List(ctx, l.Q, l.Table, f, p)
}
