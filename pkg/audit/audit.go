// Package audit is the audit log every service keeps of its writes: who
// (Actor, from the auth principal and the request), what (action, resource,
// the names of the fields written) and when, stored in the audit_log table
// (Table) of the service's own database in the transaction of the write.
// Each service names its own actions and resources; this package holds
// everything else: the table and its migration (Migrate), the entry and
// filter types, the actor and its scope, the client address, the filter's
// query parameters, the SQL, Store, the table as a service's store's
// queries hold it, and Log, the part of a service's business logic that
// records and lists through them.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// Table is the audit log's table, created by Migrate.
const Table = "audit_log"

// Migrations holds the audit log's table, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the audit migrations,
// apart from the service's own and the eventbus's in the same database.
const MigrationsTable = "goose_audit"

// Migrate creates the audit log in db, or brings an existing one up to
// date. A database whose service created audit_log in its own migrations
// (before this package owned it) keeps its rows: the first migration finds
// the table and adds only the indexes it lacks.
func Migrate(ctx context.Context, db *storage.DB) error {
	return db.Migrate(ctx, Migrations, "migrations", MigrationsTable)
}

// AnonymousSubject is the audit subject of a write whose context carries no
// authenticated principal. Every HTTP endpoint refuses such requests (401)
// before the service runs, so it only appears for calls made in-process
// without one; the log says so rather than inventing an identity.
const AnonymousSubject = "anonymous"

// SystemSubject is the audit subject of work a node does on its own, with
// no request behind it (re-sealing after a key rotation, reminders).
const SystemSubject = "system"

// Entry is one row of the audit log: who wrote what, when, from where.
// FieldsChanged names the fields written, never their values: an audit log
// that copied ID numbers would be one more place to leak them.
type Entry struct {
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

// SchemaName names the type in the services' OpenAPI documents.
func (Entry) SchemaName() string { return "AuditEntry" }

// Filter narrows an audit list; empty fields do not filter. Since is
// inclusive, Until exclusive.
type Filter struct {
	Subject    string
	Action     string
	Resource   string
	ResourceID string
	Since      time.Time
	Until      time.Time
}

// Errors of the audit filters. Their ids are part of the API: clients
// script against them.
var (
	ErrSinceInvalid = errs.InvalidField("audit.since_invalid", "since", "since must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
	ErrUntilInvalid = errs.InvalidField("audit.until_invalid", "until", "until must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
	ErrRange        = errs.InvalidField("audit.range_invalid", "until", "until must be after since")
)

// Validate reports ErrRange when both ends are set and until is not after
// since: such a window is empty, most likely by mistake.
func (f Filter) Validate() error {
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return ErrRange
	}
	return nil
}

// FilterFromQuery reads a Filter from the query parameters subject, action,
// resource, resource_id, since and until of r. A since or until that is not
// an RFC 3339 time is ErrSinceInvalid or ErrUntilInvalid; the range is left
// to Validate, so that it is checked for in-process callers too.
func FilterFromQuery(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Subject: q.Get("subject"), Action: q.Get("action"), Resource: q.Get("resource"), ResourceID: q.Get("resource_id")}
	var err error
	if f.Since, err = kitx.QueryTime(r, "since", ErrSinceInvalid); err != nil {
		return f, err
	}
	if f.Until, err = kitx.QueryTime(r, "until", ErrUntilInvalid); err != nil {
		return f, err
	}
	return f, nil
}

// QueryParams documents the query parameters FilterFromQuery reads, for a
// list route's row in its service's route table.
func QueryParams() []kitx.Param {
	return []kitx.Param{
		kitx.Query("subject", "only writes by this subject"),
		kitx.Query("action", "only this action, e.g. guard.hire"),
		kitx.Query("resource", "only writes to this kind of resource"),
		kitx.Query("resource_id", "only writes to this resource"),
		// No date-time format: the server also takes the space a '+'
		// offset the client did not percent-encode becomes (kitx.QueryTime).
		kitx.Query("since", "from this time on (RFC 3339, inclusive; a space stands for an unencoded '+'); 400 audit.since_invalid otherwise"),
		kitx.Query("until", "before this time (RFC 3339, exclusive, after since); 400 audit.until_invalid or audit.range_invalid otherwise"),
	}
}

// DecodeListRequest is the decoder of a service's audit list route: the
// page and the filter (FilterFromQuery) as a kitx.ListRequest[Filter].
func DecodeListRequest(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f, err := FilterFromQuery(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[Filter]{Page: p, Filter: f}, nil
}

// Errors lists the errors a list filtered by FilterFromQuery can answer.
func Errors() []*errs.Error { return []*errs.Error{ErrSinceInvalid, ErrUntilInvalid, ErrRange} }

// Actor is who makes a write, as the audit log records it.
type Actor struct {
	Subject   string
	Role      string
	Scope     string
	RequestID string
	RemoteIP  string
}

// Entry returns the entry of a write a made at at; nil fields are stored
// as an empty list.
func (a Actor) Entry(at time.Time, action, resource, resourceID string, fields []string) Entry {
	if fields == nil {
		fields = []string{}
	}
	return Entry{
		At: at.UTC(), Subject: a.Subject, Role: a.Role, Scope: a.Scope,
		Action: action, Resource: resource, ResourceID: resourceID, FieldsChanged: fields,
		RequestID: a.RequestID, RemoteIP: a.RemoteIP,
	}
}

type remoteIPKey struct{}

// WithRemoteIP returns ctx carrying the client address of the request, for
// the audit log.
func WithRemoteIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, remoteIPKey{}, ip)
}

// RecordRemoteIP is the go-kit server option that puts every request's
// client address in its context (WithRemoteIP) for the audit log: the
// connection's peer, or with trustProxy the last X-Forwarded-For entry
// (kitx.ClientIP). Set trustProxy only behind a proxy that sets that
// header: anyone else can forge it.
func RecordRemoteIP(trustProxy bool) kithttp.ServerOption {
	return kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
		return WithRemoteIP(ctx, kitx.ClientIP(r, trustProxy))
	})
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
		a.Subject, a.Role, a.Scope = p.Subject, string(p.Role), Scope(p)
		if a.Subject == "" {
			a.Subject = AnonymousSubject
		}
	}
	return a
}

// Scope renders a principal's scope: "city" for the city-wide roles,
// else space-separated "districts:a,b", "company:<id>", "guard:<id>".
func Scope(p auth.Principal) string {
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

// Insert writes e into table (Table, created by Migrate) through q,
// normally in the transaction of the write it records. table is a
// constant of the calling service, never input.
func Insert(ctx context.Context, q storage.Querier, table string, e Entry) error {
	if e.FieldsChanged == nil {
		e.FieldsChanged = []string{}
	}
	fields, err := json.Marshal(e.FieldsChanged)
	if err != nil {
		return fmt.Errorf("store: audit fields: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO `+table+` (at, subject, role, scope, action, resource, resource_id, fields_changed,
		request_id, remote_ip) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		storage.FormatTime(e.At), e.Subject, e.Role, e.Scope, e.Action, e.Resource, e.ResourceID, string(fields), e.RequestID, e.RemoteIP)
	if err != nil {
		return fmt.Errorf("store: insert audit: %w", err)
	}
	return nil
}

// List returns a page of the entries of table that match f, newest first
// (id DESC), and the cursor of the next page: the id of the last entry
// returned. A cursor that is not such an id is kitx.ErrPageToken.
func List(ctx context.Context, q storage.Querier, table string, f Filter, p kitx.Page) ([]Entry, string, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{
		{"subject", f.Subject}, {"action", f.Action}, {"resource", f.Resource}, {"resource_id", f.ResourceID},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, storage.FormatTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, storage.FormatTime(f.Until))
	}
	if p.Cursor != "" {
		after, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || after < 1 {
			return nil, "", kitx.ErrPageToken.WithField("page_token")
		}
		where, args = append(where, "id < ?"), append(args, after)
	}
	args = append(args, p.Size+1)
	query := `SELECT id, at, subject, role, scope, action, resource, resource_id, fields_changed, request_id, remote_ip
		FROM ` + table + storage.Where(where) + ` ORDER BY id DESC LIMIT ?`
	return storage.ListRows(ctx, q, query, args, p, scan, func(e Entry) string { return strconv.FormatInt(e.ID, 10) })
}

func scan(r storage.Scanner) (Entry, error) {
	var e Entry
	var at, fields string
	if err := r.Scan(&e.ID, &at, &e.Subject, &e.Role, &e.Scope, &e.Action, &e.Resource, &e.ResourceID, &fields, &e.RequestID, &e.RemoteIP); err != nil {
		return e, fmt.Errorf("store: scan audit: %w", err)
	}
	e.At = storage.ParseTime(at)
	if err := json.Unmarshal([]byte(fields), &e.FieldsChanged); err != nil {
		return e, fmt.Errorf("store: audit fields: %w", err)
	}
	return e, nil
}

// SetFields returns the names of the fields a create set, for
// Entry.FieldsChanged, in the order given: name/value pairs whose value is
// not the zero value of a string, bool or int; a value of any other type
// counts as set. Never nil, so it stores as [].
func SetFields(pairs ...any) []string {
	out := []string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		name, _ := pairs[i].(string)
		switch v := pairs[i+1].(type) {
		case string:
			if v != "" {
				out = append(out, name)
			}
		case bool:
			if v {
				out = append(out, name)
			}
		case int:
			if v != 0 {
				out = append(out, name)
			}
		default:
			out = append(out, name)
		}
	}
	return out
}
