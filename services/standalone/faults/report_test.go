package faults

import (
	"strings"
	"testing"
	"time"
)

func TestTheTableShowsEveryRowAndEveryViolation(t *testing.T) {
	rows := []Row{
		{Fault: "kill -9 hq", Topology: TopoServices, Verdict: Verdict{Acked: 815, DistrictHolds: 815, HQHolds: 815}, Backlog: 214, Converge: 4100 * time.Millisecond, Drain: time.Second},
		{Fault: "broker frozen", Topology: TopoServices, Verdict: Verdict{Acked: 10, DistrictHolds: 10, HQHolds: 9, Lost: 1, Violations: []string{"1 acknowledged writes lost"}}, Converge: -1, Drain: -1, Dir: "/tmp/x"},
		{Fault: "disk full", Topology: TopoServices, Skipped: "mounting a tmpfs needs root"},
		{Fault: "etcd stopped", Topology: TopoServices, Verdict: Verdict{Acked: 5, DistrictHolds: 5, HQHolds: 5}, Warnings: []string{"hq did not stop"}, Dir: "/tmp/y"},
	}
	var b strings.Builder
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"kill -9 hq", "815", "4.1s", " ok",
		"broker frozen", "never", "FAIL services / broker frozen: 1 acknowledged writes lost", "kept in /tmp/x",
		"skipped services / disk full: mounting a tmpfs needs root",
		"warn services / etcd stopped: hq did not stop", "kept in /tmp/y",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if s := Summary(rows, time.Minute); s != "2 faults passed, 1 FAILED, 1 skipped in 1m0s" {
		t.Errorf("summary %q", s)
	}
}
