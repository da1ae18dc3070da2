package projector_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
)

// BenchmarkApplyGuards applies guard snapshots of 4 districts, each with a
// certificate number, in batches of 500 per transaction, and reports the
// cost per event of the last batch next to the first: a per-event cost that
// grows with the read model (a scan where an index lookup was meant) shows
// as a ratio well above 1.
func BenchmarkApplyGuards(b *testing.B) {
	for range b.N {
		db, st := open(b)
		p := projector.New(st, nil, nil)
		const batch, batches = 500, 40
		var first, last float64
		for k := range batches {
			start := time.Now()
			err := db.InTx(context.Background(), func(tx *sql.Tx) error {
				for i := range batch {
					n := k*batch + i
					d := fmt.Sprintf("d%d", n%4)
					e := guard(d, fmt.Sprintf("g%d", n), fmt.Sprintf("c%d", n%40), fmt.Sprintf("h%d", n), "active", 1,
						func(g *eventsv1.Guard) { g.CertificateNumber = fmt.Sprintf("cert%d", n); g.HasCertificate = true })
					if _, err := p.Apply(context.Background(), tx, e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			per := float64(time.Since(start).Nanoseconds()) / batch
			if k == 0 {
				first = per
			}
			last = per
		}
		b.ReportMetric(first, "first_ns/event")
		b.ReportMetric(last, "last_ns/event")
		b.ReportMetric(last/first, "growth")
	}
}
