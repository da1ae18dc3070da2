package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/guildhall/guildhall/pkg/errs"
)

// fullDiskChild is set in the environment of the child process that
// TestAFullDiskIsUnavailableNotInternal runs under a file-size limit.
const fullDiskChild = "GUILDHALL_STORAGE_FULL_DISK_CHILD"

// fullDiskReport is what the child tells the parent.
type fullDiskReport struct {
	Written        int    `json:"written"`         // rows committed before the disk refused
	Status         int    `json:"status"`          // the HTTP status of the refused write
	ID             string `json:"id"`              // its error id
	RetryAfter     string `json:"retry_after"`     // its Retry-After header
	Counted        int    `json:"counted"`         // the refused-writes counter
	ReadyErr       string `json:"ready_err"`       // Ready after the refusal
	RowsAfter      int    `json:"rows_after"`      // rows readable after the refusal
	ReadyAfterFree string `json:"ready_after_ok"`  // Ready after a write committed again
	Other          string `json:"other,omitempty"` // anything unexpected
}

// The child: write rows of 4 KiB until the disk refuses one, then report
// what the caller of InTx would have answered.
func runFullDiskChild(dir string) fullDiskReport {
	var rep fullDiskReport
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(dir, "full.db"), Config{Synchronous: "full"})
	if err != nil {
		rep.Other = err.Error()
		return rep
	}
	defer db.Close()
	fsys := fstest.MapFS{"m/sqlite/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);\n-- +goose Down\nDROP TABLE t;\n")}}
	if err := db.Migrate(ctx, fsys, "m", "goose_full_test"); err != nil {
		rep.Other = err.Error()
		return rep
	}
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		rep.Other = err.Error()
		return rep
	}
	db.Instrument(m, "test")
	// The limit applies from here on: the schema is in place.
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		rep.Other = "getrlimit: " + err.Error()
		return rep
	}
	lim := syscall.Rlimit{Cur: 1 << 20, Max: orig.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		rep.Other = "setrlimit: " + err.Error()
		return rep
	}
	blob := make([]byte, 4096)
	var werr error
	for i := range 10000 {
		werr = db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (b) VALUES (?)`, blob)
			return err
		})
		if werr != nil {
			break
		}
		rep.Written = i + 1
	}
	if werr == nil {
		rep.Other = "the disk never refused a write"
		return rep
	}
	rec := httptest.NewRecorder()
	errs.WriteHTTP(rec, werr)
	var body errs.Body
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	rep.Status, rep.ID, rep.RetryAfter = rec.Code, body.Error.ID, rec.Header().Get("Retry-After")
	rep.Counted = int(promtest.ToFloat64(m.refused.WithLabelValues("test")))
	if err := db.Ready(ctx); err != nil {
		rep.ReadyErr = err.Error()
	}
	_ = db.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&rep.RowsAfter)
	// Room again (the limit lifted): the next commit makes it ready again.
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig)
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM t WHERE id % 2 = 0`)
		return err
	}); err != nil {
		rep.Other = "delete after the refusal: " + err.Error()
	}
	if err := db.Ready(ctx); err != nil {
		rep.ReadyAfterFree = err.Error()
	} else {
		rep.ReadyAfterFree = "ready"
	}
	return rep
}

// A write the disk refuses is 503 storage.unavailable with Retry-After,
// counted, and fails readiness until a write commits again; the rows
// committed before it are all there. The disk is made full by a file-size
// limit in a child process, so no root and no mount is needed.
func TestAFullDiskIsUnavailableNotInternal(t *testing.T) {
	if dir := os.Getenv(fullDiskChild); dir != "" {
		out, _ := json.Marshal(runFullDiskChild(dir))
		fmt.Println("REPORT " + string(out))
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAFullDiskIsUnavailableNotInternal$", "-test.count=1")
	cmd.Env = append(os.Environ(), fullDiskChild+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, line, ok := strings.Cut(string(out), "REPORT ")
	if !ok {
		t.Fatalf("child printed no report:\n%s", out)
	}
	line, _, _ = strings.Cut(line, "\n")
	var rep fullDiskReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("report %q: %v", line, err)
	}
	if rep.Other != "" {
		t.Fatalf("child: %s", rep.Other)
	}
	if rep.Written == 0 {
		t.Fatal("the limit refused the first write: the test proves nothing")
	}
	if rep.Status != 503 || rep.ID != "storage.unavailable" || rep.RetryAfter != "10" {
		t.Errorf("a refused write answered %d %q Retry-After %q, want 503 storage.unavailable 10", rep.Status, rep.ID, rep.RetryAfter)
	}
	if rep.Counted != 1 {
		t.Errorf("refused writes counted: %d, want 1", rep.Counted)
	}
	if !strings.Contains(rep.ReadyErr, "refused a write") {
		t.Errorf("readiness after the refusal: %q", rep.ReadyErr)
	}
	if rep.RowsAfter != rep.Written {
		t.Errorf("%d rows acknowledged, %d there after the refusal", rep.Written, rep.RowsAfter)
	}
	if rep.ReadyAfterFree != "ready" {
		t.Errorf("readiness after a write committed again: %q", rep.ReadyAfterFree)
	}
}

func TestDiskRefusalsAreTellable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"ENOSPC from the OS is a refusal", fmt.Errorf("write: %w", syscall.ENOSPC), true},
		{"a quota is a refusal", &os.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, true},
		{"a file-size limit is a refusal", syscall.EFBIG, true},
		{"a unique violation is not", errors.New("UNIQUE constraint failed: t.id"), false},
		{"nil is not", nil, false},
	} {
		if got := diskRefused(tc.err); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
