// Package idempotency makes a service's creates safe to retry: a create
// sent with an Idempotency-Key runs once per (scope, key), its result is
// stored with the key in the create's own transaction, and the same request
// under the same key within TTL replays that result instead of creating
// again. The same key with a different request is refused. The records
// live in the idempotency_keys table (Table) of the service's own database,
// created by Migrate; this package holds everything the services share:
// the table and its migration, the request hash, the run-once flow, the
// errors and the SQL.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/storage"
)

// Table is the table of the records, created by Migrate.
const Table = "idempotency_keys"

// Migrations holds the records' table, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the idempotency
// migrations, apart from the service's own in the same database.
const MigrationsTable = "goose_idempotency"

// Migrate creates the records' table in db, or brings an existing one up
// to date. A database whose service created idempotency_keys in its own
// migrations (before this package owned it) keeps its records.
func Migrate(ctx context.Context, db *storage.DB) error {
	return db.Migrate(ctx, Migrations, "migrations", MigrationsTable)
}

// TTL is how long an Idempotency-Key replays its first result. A day covers
// any sane client retry loop while keeping the table small.
const TTL = 24 * time.Hour

// MaxKeyLen is the longest Idempotency-Key accepted, in bytes.
const MaxKeyLen = 200

// Errors of an idempotent create. Their ids are part of the API: clients
// script against them.
var (
	// ErrKeyReused is a key sent again with a different request.
	ErrKeyReused = errs.EField(errs.Unprocessable, "request.idempotency_key_reused", "Idempotency-Key", "this Idempotency-Key was used with a different request")
	// ErrKeyInvalid is a key longer than MaxKeyLen.
	ErrKeyInvalid = errs.InvalidField("request.idempotency_key_invalid", "Idempotency-Key", "an Idempotency-Key is 1 to 200 characters")
	// ErrKeyInUse is a key whose first request is still running: the
	// create raced with another one twice and neither result is readable.
	ErrKeyInUse = errs.E(errs.Conflict, "request.idempotency_key_in_use", "a request with this Idempotency-Key is in progress; retry")
)

// errKeyTaken is what Put reports for a live record under the key, stored
// by another request.
var errKeyTaken = ErrKeyInUse

// errKeyRace reports that a concurrent request with the same key committed
// first; Do then replays that request's result.
var errKeyRace = errors.New("idempotency: key raced")

// Record is the stored first result of a create sent with an
// Idempotency-Key.
type Record struct {
	Scope       string // the endpoint and path the key was used on
	Key         string
	RequestHash string
	Body        []byte // the JSON of the created resource
	CreatedAt   time.Time
}

// Hash is the request hash of in sent to scope: SHA-256 of the scope, a
// newline and the JSON of in, hex-encoded. The scope is part of it so the
// same body on another endpoint is another request. It is a plain hash:
// callers whose input holds secrets (ID numbers, uploaded files) replace
// them with a keyed hash in the in they pass, since the hash is stored.
func Hash(scope string, in any) (string, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("idempotency: hash request: %w", err)
	}
	sum := sha256.Sum256(append([]byte(scope+"\n"), raw...))
	return hex.EncodeToString(sum[:]), nil
}

// Getter reads the record of (scope, key) outside any transaction; false
// if there is none.
type Getter interface {
	GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error)
}

// Putter stores a record in the transaction of the create it belongs to:
// PutIdempotency reserves the key before the create runs (a live record
// under the same key makes it fail with an errs.Conflict), and
// CompleteIdempotency stores the create's result under the reserved key.
type Putter interface {
	PutIdempotency(ctx context.Context, r Record) error
	CompleteIdempotency(ctx context.Context, scope, key string, body []byte) error
}

// Request is one idempotent create: where it was sent, under which key
// ("" for none), the input its hash is made of, and the clock.
type Request struct {
	Scope string
	Key   string
	In    any
	Now   func() time.Time
}

// Do runs create once per (req.Scope, req.Key) in a transaction tx opens,
// whose queries Q can store a record. Without a key it just runs create.
// With one it replays the live stored result of the same request, refuses
// a different request (ErrKeyReused), and otherwise runs create and stores
// its result, as stored returns it (nil: the result itself; a result
// holding secrets returns a form without them), in create's transaction,
// so the record exists exactly when the create committed.
//
// The key is reserved in that transaction before create runs. A concurrent
// request with the same key therefore loses on the key, never on the
// create's own uniqueness rules (a guard already active, a credit code
// taken, which it would otherwise hit first since the winner's rows are
// there): its transaction rolls back and Do replays the winner's result, so
// every retry gets the first response.
func Do[T any, Q Putter, C any](ctx context.Context, get Getter, tx func(context.Context, func(Q) ([]C, error)) error,
	req Request, create func(q Q) (T, []C, error), stored func(T) any) (T, error) {
	var zero T
	if req.Key == "" {
		var out T
		err := tx(ctx, func(q Q) ([]C, error) {
			v, ch, err := create(q)
			out = v
			return ch, err
		})
		return out, err
	}
	if len(req.Key) > MaxKeyLen {
		return zero, ErrKeyInvalid
	}
	hash, err := Hash(req.Scope, req.In)
	if err != nil {
		return zero, err
	}
	// Two rounds: a lost race leaves the winner's record to replay.
	for range 2 {
		v, replayed, err := replay[T](ctx, get, req, hash)
		if err != nil || replayed {
			return v, err
		}
		var out T
		err = tx(ctx, func(q Q) ([]C, error) {
			rec := Record{Scope: req.Scope, Key: req.Key, RequestHash: hash, Body: []byte{}, CreatedAt: req.Now().UTC()}
			if err := q.PutIdempotency(ctx, rec); err != nil {
				if errs.IsKind(err, errs.Conflict) {
					return nil, errKeyRace
				}
				return nil, err
			}
			v, ch, err := create(q)
			if err != nil {
				return nil, err
			}
			var keep any = v
			if stored != nil {
				keep = stored(v)
			}
			body, err := json.Marshal(keep)
			if err != nil {
				return nil, fmt.Errorf("idempotency: store result: %w", err)
			}
			if err := q.CompleteIdempotency(ctx, req.Scope, req.Key, body); err != nil {
				return nil, err
			}
			out = v
			return ch, nil
		})
		if errors.Is(err, errKeyRace) {
			continue
		}
		return out, err
	}
	return zero, ErrKeyInUse
}

// replay returns the stored result of (scope, key) if there is a live one.
func replay[T any](ctx context.Context, get Getter, req Request, hash string) (T, bool, error) {
	var zero T
	rec, ok, err := get.GetIdempotency(ctx, req.Scope, req.Key)
	if err != nil || !ok || req.Now().Sub(rec.CreatedAt) > TTL {
		return zero, false, err
	}
	if rec.RequestHash != hash {
		return zero, false, ErrKeyReused
	}
	var v T
	if err := json.Unmarshal(rec.Body, &v); err != nil {
		return zero, false, fmt.Errorf("idempotency: stored result: %w", err)
	}
	return v, true, nil
}

// Get reads the record of (scope, key) from table (Table, created by
// Migrate) through q; false if there is none. table is a constant of the
// calling service, never input.
func Get(ctx context.Context, q storage.Querier, table, scope, key string) (Record, bool, error) {
	r := Record{Scope: scope, Key: key}
	var created string
	err := q.QueryRow(ctx, `SELECT request_hash, body, created_at FROM `+table+` WHERE scope = ? AND key = ?`, scope, key).
		Scan(&r.RequestHash, &r.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	r.CreatedAt = storage.ParseTime(created)
	return r, true, nil
}

// Put writes r into table through q, normally in the transaction of the
// create, before the create runs (a reservation; Complete adds the result). An expired record (older than TTL at r.CreatedAt) under the same
// key is replaced; a live one makes it fail with an errs.Conflict.
func Put(ctx context.Context, q storage.Querier, table string, r Record) error {
	cutoff := storage.FormatTime(r.CreatedAt.Add(-TTL))
	res, err := q.Exec(ctx, `INSERT INTO `+table+` (scope, key, request_hash, body, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, body = excluded.body, created_at = excluded.created_at
		WHERE `+table+`.created_at < ?`, r.Scope, r.Key, r.RequestHash, r.Body, storage.FormatTime(r.CreatedAt), cutoff)
	if err != nil {
		return fmt.Errorf("store: put idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errKeyTaken
	}
	return nil
}

// Complete stores body, the create's result, under the key that Put
// reserved in the same transaction.
func Complete(ctx context.Context, q storage.Querier, table, scope, key string, body []byte) error {
	res, err := q.Exec(ctx, `UPDATE `+table+` SET body = ? WHERE scope = ? AND key = ?`, body, scope, key)
	if err != nil {
		return fmt.Errorf("store: complete idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: complete idempotency key: the reservation of %q is gone", key)
	}
	return nil
}

// Expire deletes the records of table created before cutoff and returns
// how many.
func Expire(ctx context.Context, q storage.Querier, table string, cutoff time.Time) (int64, error) {
	res, err := q.Exec(ctx, `DELETE FROM `+table+` WHERE created_at < ?`, storage.FormatTime(cutoff))
	if err != nil {
		return 0, fmt.Errorf("store: expire idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
