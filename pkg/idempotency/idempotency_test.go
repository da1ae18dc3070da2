package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/storage"
)

// table is deliberately not the services' name: the SQL must take it.
const table = "idem_test"

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "i.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// The package's own table under another name: the SQL must take the
	// table it is given.
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE ` + Table + ` RENAME TO ` + table,
		`CREATE TABLE things (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)`,
	} {
		if _, err := db.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// repo is a minimal service repository over the test table: what a
// service's store does, with one kind of row to create.
type repo struct{ db *storage.DB }

type queries struct{ q storage.Querier }

func (q queries) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	return Get(ctx, q.q, table, scope, key)
}

func (q queries) PutIdempotency(ctx context.Context, r Record) error {
	return Put(ctx, q.q, table, r)
}

func (q queries) CompleteIdempotency(ctx context.Context, scope, key string, body []byte) error {
	return Complete(ctx, q.q, table, scope, key, body)
}

func (r repo) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	return queries{r.db.Querier()}.GetIdempotency(ctx, scope, key)
}

func (r repo) Tx(ctx context.Context, fn func(q queries) ([]string, error)) error {
	return r.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := fn(queries{r.db.TxQuerier(tx)})
		return err
	})
}

type thing struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Secret string `json:"secret,omitempty"`
}

func create(ctx context.Context, name string) func(q queries) (thing, []string, error) {
	return func(q queries) (thing, []string, error) {
		res, err := q.q.Exec(ctx, `INSERT INTO things (name) VALUES (?)`, name)
		if err != nil {
			return thing{}, nil, err
		}
		id, err := res.LastInsertId()
		return thing{ID: id, Name: name, Secret: "s3cret"}, []string{"created"}, err
	}
}

func count(t *testing.T, db *storage.DB, tbl string) int {
	t.Helper()
	var n int
	if err := db.DB.QueryRow(`SELECT COUNT(*) FROM ` + tbl).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHashIsScopedSHA256OfJSON(t *testing.T) {
	h, err := Hash("POST things", map[string]string{"name": "a"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("POST things\n" + `{"name":"a"}`))
	if h != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash %s", h)
	}
	other, _ := Hash("POST others", map[string]string{"name": "a"})
	if other == h {
		t.Fatal("the scope is not part of the hash")
	}
	if _, err := Hash("s", func() {}); err == nil {
		t.Fatal("an unmarshalable input hashed")
	}
}

func TestDoReplaysRefusesAndExpires(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	r := repo{db}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	req := Request{Scope: "POST things", Key: "k-1", In: map[string]string{"name": "a"}, Now: clock}
	// The stored form drops the secret, as meetings does for check-in codes.
	hide := func(v thing) any { v.Secret = ""; return v }

	first, err := Do(ctx, r, r.Tx, req, create(ctx, "a"), hide)
	if err != nil || first.ID != 1 || first.Secret != "s3cret" {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := Do(ctx, r, r.Tx, req, create(ctx, "a"), hide)
	if err != nil || again.ID != 1 || again.Secret != "" {
		t.Fatalf("replay: %+v %v", again, err)
	}
	if n := count(t, db, "things"); n != 1 {
		t.Fatalf("%d things after a replay", n)
	}

	diff := req
	diff.In = map[string]string{"name": "b"}
	if _, err := Do(ctx, r, r.Tx, diff, create(ctx, "b"), hide); !errors.Is(err, ErrKeyReused) {
		t.Fatalf("another request under the key: %v", err)
	}
	if errs.KindOf(ErrKeyReused) != errs.Unprocessable {
		t.Fatalf("ErrKeyReused kind %v", errs.KindOf(ErrKeyReused))
	}

	// After TTL the key is free again: the create runs, the record is replaced.
	now = now.Add(TTL + time.Minute)
	later, err := Do(ctx, r, r.Tx, diff, create(ctx, "b"), nil)
	if err != nil || later.ID != 2 || later.Secret != "s3cret" {
		t.Fatalf("after expiry: %+v %v", later, err)
	}
	if rec, ok, err := r.GetIdempotency(ctx, "POST things", "k-1"); err != nil || !ok || !rec.CreatedAt.Equal(now) {
		t.Fatalf("record %+v %v %v", rec, ok, err)
	}

	n, err := Expire(ctx, db.Querier(), table, now.Add(time.Second))
	if err != nil || n != 1 || count(t, db, table) != 0 {
		t.Fatalf("expire: %d %v", n, err)
	}
}

func TestDoWithoutKeyAndLongKey(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	r := repo{db}
	clock := func() time.Time { return time.Now() }
	for range 2 {
		if _, err := Do(ctx, r, r.Tx, Request{Scope: "s", In: 1, Now: clock}, create(ctx, "x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if count(t, db, "things") != 2 || count(t, db, table) != 0 {
		t.Fatal("a create without a key was deduplicated or recorded")
	}
	long := Request{Scope: "s", Key: string(make([]byte, MaxKeyLen+1)), In: 1, Now: clock}
	if _, err := Do(ctx, r, r.Tx, long, create(ctx, "y"), nil); !errors.Is(err, ErrKeyInvalid) {
		t.Fatalf("long key: %v", err)
	}
}

func TestDoFailedCreateStoresNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	r := repo{db}
	boom := errors.New("boom")
	req := Request{Scope: "s", Key: "k", In: 1, Now: time.Now}
	_, err := Do(ctx, r, r.Tx, req, func(q queries) (thing, []string, error) { return thing{}, nil, boom }, nil)
	if !errors.Is(err, boom) || count(t, db, table) != 0 {
		t.Fatalf("err %v, %d records", err, count(t, db, table))
	}
}

func TestPutLiveKeyConflicts(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	q := db.Querier()
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	rec := Record{Scope: "s", Key: "k", RequestHash: "h1", Body: []byte(`{}`), CreatedAt: at}
	if err := Put(ctx, q, table, rec); err != nil {
		t.Fatal(err)
	}
	rec.RequestHash, rec.CreatedAt = "h2", at.Add(time.Hour)
	if err := Put(ctx, q, table, rec); !errs.IsKind(err, errs.Conflict) {
		t.Fatalf("live key: %v", err)
	}
	if got, ok, _ := Get(ctx, q, table, "s", "k"); !ok || got.RequestHash != "h1" {
		t.Fatalf("live record replaced: %+v", got)
	}
	if _, ok, err := Get(ctx, q, table, "s", "other"); ok || err != nil {
		t.Fatalf("missing key: %v %v", ok, err)
	}
}

// blindOnce misses its first lookup: the lookup ran before the winner of
// a race committed.
type blindOnce struct {
	repo
	looked bool
}

func (b *blindOnce) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	if !b.looked {
		b.looked = true
		return Record{}, false, nil
	}
	return b.repo.GetIdempotency(ctx, scope, key)
}

// A create that races another request under the same key, which committed
// first, answers with the winner's result and its own create rolls back.
func TestDoReplaysTheWinnerOfARace(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	r := repo{db}
	req := Request{Scope: "s", Key: "k", In: 1, Now: time.Now}
	hash, err := Hash(req.Scope, req.In)
	if err != nil {
		t.Fatal(err)
	}
	winner := Record{Scope: "s", Key: "k", RequestHash: hash, Body: []byte(`{"id":7,"name":"winner"}`), CreatedAt: time.Now().UTC()}
	if err := Put(ctx, db.Querier(), table, winner); err != nil {
		t.Fatal(err)
	}
	got, err := Do(ctx, &blindOnce{repo: r}, r.Tx, req, create(ctx, "loser"), nil)
	if err != nil || got.ID != 7 || got.Name != "winner" {
		t.Fatalf("got %+v %v", got, err)
	}
	if n := count(t, db, "things"); n != 0 {
		t.Fatalf("%d things: the loser's create committed", n)
	}
}

// barrierGetter holds the first n lookups until all n have been made, so n
// concurrent requests all miss the record before any of them commits: the
// race the key reservation exists for.
type barrierGetter struct {
	inner Getter
	mu    sync.Mutex
	n     int
	all   chan struct{}
}

func (b *barrierGetter) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	rec, ok, err := b.inner.GetIdempotency(ctx, scope, key)
	b.mu.Lock()
	wait := b.n > 0
	if wait {
		b.n--
		if b.n == 0 {
			close(b.all)
		}
	}
	b.mu.Unlock()
	if wait {
		<-b.all
	}
	return rec, ok, err
}

// Concurrent retries under one key all get the first result, even when the
// create has a uniqueness rule of its own that the second create would trip
// over first (a guard already active, a credit code taken).
func TestConcurrentRetriesWithOneKeyAllGetTheFirstResult(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	r := repo{db}
	const n = 8
	get := &barrierGetter{inner: r, n: n, all: make(chan struct{})}
	errTaken := errs.E(errs.Conflict, "thing.name_taken", "a thing has this name")
	createUnique := func(q queries) (thing, []string, error) {
		var exists int
		if err := q.q.QueryRow(ctx, `SELECT COUNT(*) FROM things WHERE name = ?`, "u").Scan(&exists); err != nil {
			return thing{}, nil, err
		}
		if exists > 0 {
			return thing{}, nil, errTaken
		}
		return create(ctx, "u")(q)
	}
	req := Request{Scope: "POST things", Key: "retry-1", In: map[string]string{"name": "u"}, Now: time.Now}
	var wg sync.WaitGroup
	results := make([]thing, n)
	errsOut := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errsOut[i] = Do(ctx, get, r.Tx, req, createUnique, nil)
		}()
	}
	wg.Wait()
	for i := range n {
		if errsOut[i] != nil {
			t.Errorf("retry %d: %v", i, errsOut[i])
			continue
		}
		if results[i] != results[0] {
			t.Errorf("retry %d got %+v, the first got %+v", i, results[i], results[0])
		}
	}
	if got := count(t, db, "things"); got != 1 {
		t.Errorf("%d things created", got)
	}
	if got := count(t, db, table); got != 1 {
		t.Errorf("%d idempotency records", got)
	}
}
