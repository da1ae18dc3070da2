package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

var importRows = flag.Int("bench.import-rows", 10000, "guards per import in the import benchmark")

// importFile is a guard import of n rows from guard first on, as a
// district office would upload it: the template's Chinese header, a
// certificate on every other row.
func importFile(b *testing.B, f sheet.Format, first, n int) []byte {
	b.Helper()
	return importRowsFile(b, f, first, n, citytest.ResidentID, "鄂保")
}

// importRowsFile is importFile with guard i's ID number from id(i) and
// certificate numbers under certPrefix: a city of many districts needs
// both unique city-wide, or HQ sees one person in many districts.
func importRowsFile(b *testing.B, f sheet.Format, first, n int, id func(int) string, certPrefix string) []byte {
	b.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, f, "保安员", []string{"姓名", "身份证号", "保安员证号", "发证日期", "入职日期", "挂牌服务", "志愿警察", "党员"})
	if err != nil {
		b.Fatal(err)
	}
	for i := first; i < first+n; i++ {
		cert, issued := "", ""
		if i%2 == 0 {
			cert, issued = certPrefix+strconv.Itoa(i), "2024-01-02"
		}
		if err := w.Write("测试保安"+strconv.Itoa(i), id(i), cert, issued, "2024/2/1", "是", "否", "否"); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkGuardImport measures a guard import of 10,000 rows from xlsx and
// from CSV through the HTTP API, upload to the job's end (parsing, every
// row's validation, ID sealing and hashing, the guard rows, their
// GuardHired outbox events, the job's progress and audit rows, committed
// 200 rows per transaction) against the raw insert rate of the same rows
// into a table of the same width in one transaction (same pragmas).
func BenchmarkGuardImport(b *testing.B) {
	for range b.N {
		ctx := context.Background()
		_, c := startCity(b)
		n := *importRows
		raw := rawImportInsert(b, n)
		for k, f := range []sheet.Format{sheet.XLSX, sheet.CSV} {
			co, err := c.RegisterActiveCompany(ctx, "jingkai", 10+k)
			if err != nil {
				b.Fatal(err)
			}
			body := importFile(b, f, k*n, n)
			rate := runImport(b, c, "jingkai", co, f, body, n)
			b.ReportMetric(rate, string(f)+"_rows/s")
			fmt.Printf("guard import from %s: %d rows (%d KiB) in the background job: %.0f rows/s | raw SQLite insert of the same rows (same pragmas, one tx): %.0f rows/s | ratio import/raw %.3f\n",
				f, n, len(body)>>10, rate, raw, rate/raw)
		}
		b.ReportMetric(raw, "raw_rows/s")
	}
}

// runImport uploads body to district's company and polls the job until it
// is done; it returns rows per second from the upload to the job's end.
func runImport(b *testing.B, c *citytest.Client, district, company string, f sheet.Format, body []byte, n int) float64 {
	b.Helper()
	rate, err := importGuards(context.Background(), c, district, company, f, body, n)
	if err != nil {
		b.Fatal(err)
	}
	return rate
}

// importGuards is runImport returning its failure (for callers on other
// goroutines than the benchmark's).
func importGuards(ctx context.Context, c *citytest.Client, district, company string, f sheet.Format, body []byte, n int) (float64, error) {
	start := time.Now()
	r, err := testutil.Send(ctx, c.HTTP, "POST", c.Base+"/api/v1/districts/"+district+"/companies/"+company+"/guards/imports", body,
		"Content-Type", f.ContentType(), "Authorization", "Bearer "+c.Token)
	if err != nil || r.Status != http.StatusAccepted {
		return 0, fmt.Errorf("upload to %s: %v %d %s", district, err, r.Status, r.Body)
	}
	var job struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		ProcessedRows int    `json:"processed_rows"`
		Succeeded     int    `json:"succeeded"`
		Errors        []any  `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &job); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(30 * time.Minute)
	for job.Status != "done" && job.Status != "failed" {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("import into %s never finished: %+v", district, job)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/"+district+"/imports/"+job.ID, nil, &job); err != nil {
			return 0, err
		}
	}
	elapsed := time.Since(start)
	if job.Status != "done" || job.Succeeded != n {
		return 0, fmt.Errorf("import into %s %s: %d of %d rows imported: %v", district, job.Status, job.Succeeded, n, job.Errors)
	}
	return float64(n) / elapsed.Seconds(), nil
}

// rawImportInsert inserts n guard-sized rows in one transaction, with the
// pragmas the services use, and returns rows per second.
func rawImportInsert(b *testing.B, n int) float64 {
	b.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), "raw-import.db"), storage.Config{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE g (id TEXT PRIMARY KEY, company_id TEXT, name TEXT, id_number TEXT, id_hash TEXT UNIQUE,
		certificate_number TEXT, certificate_issued_on TEXT, status TEXT, hired_on TEXT, version INTEGER, created_at TEXT, updated_at TEXT)`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			now := time.Now().UTC().Format(time.RFC3339Nano)
			if _, err := tx.Exec(`INSERT INTO g VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, fmt.Sprintf("g%d", i), "c1", "测试保安"+strconv.Itoa(i),
				citytest.ResidentID(i), fmt.Sprintf("h%d", i), "鄂保"+strconv.Itoa(i), "2024-01-02", "active", "2024-02-01", 1, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}
