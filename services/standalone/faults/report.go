package faults

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes the rows as an aligned text table followed by the
// violations and skip reasons, one per line.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fault\ttopology\tacked\tduring\tslowest\tdistrict\tHQ\tlost\tdup\tbacklog\tconverge\tdrain\tresult\t")
	for _, r := range rows {
		result := "ok"
		switch {
		case r.Skipped != "":
			result = "skipped"
		case r.Failed():
			result = "FAIL"
		}
		if r.Note != "" {
			result += " (" + r.Note + ")"
		}
		if r.Skipped != "" || r.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t\n", r.Fault, r.Topology, result)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", r.Fault, r.Topology, r.Acked, r.AckedDuring, secs(r.Slowest),
			r.DistrictHolds, r.HQHolds, r.Lost, r.Duplicated, r.Backlog, secs(r.Converge), secs(r.Drain), result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		label := r.Topology + " / " + r.Fault
		if r.Skipped != "" {
			fmt.Fprintf(w, "skipped %s: %s\n", label, r.Skipped)
		}
		if r.Err != "" {
			fmt.Fprintf(w, "FAIL %s: harness error: %s\n", label, r.Err)
		}
		for _, v := range r.Violations {
			fmt.Fprintf(w, "FAIL %s: %s\n", label, v)
		}
		for _, v := range r.Warnings {
			fmt.Fprintf(w, "warn %s: %s\n", label, v)
		}
		if r.Known != "" {
			fmt.Fprintf(w, "known bug of %s: %s\n", label, r.Known)
		}
		if r.Dir != "" && (r.Failed() || len(r.Warnings) > 0) {
			fmt.Fprintf(w, "     data and logs kept in %s\n", r.Dir)
		}
	}
	return nil
}

func secs(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	if d == 0 {
		return "0s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
}

// Summary is the line printed under the table.
func Summary(rows []Row, took time.Duration) string {
	var ok, failed, skipped int
	for _, r := range rows {
		switch {
		case r.Skipped != "":
			skipped++
		case r.Failed():
			failed++
		default:
			ok++
		}
	}
	parts := []string{fmt.Sprintf("%d faults passed", ok)}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d FAILED", failed))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", skipped))
	}
	return strings.Join(parts, ", ") + " in " + took.Round(time.Second).String()
}
