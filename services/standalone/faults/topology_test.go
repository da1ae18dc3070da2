package faults

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWaitReadySaysWhichProcessDied: a service that exits at start (its
// port taken by somebody's outgoing connection, as in a CI run) fails the
// wait at once, with its log, instead of 90 s later with "context
// deadline exceeded" and nothing to go on.
func TestWaitReadySaysWhichProcessDied(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p := &Proc{Name: ProcMembership, Path: "/bin/sh", Log: filepath.Join(t.TempDir(), "membership.log"),
		Args: []string{"-c", "echo 'listen tcp " + addr + ": bind: address already in use' >&2; exit 1"}}
	tp := &Topology{District: "jingkai", Procs: map[string]*Proc{ProcMembership: p},
		Membership: newAPI("http://"+addr, "token", "", time.Second)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = tp.WaitReady(ctx)
	if err == nil {
		t.Fatal("WaitReady held a topology whose membership process exited")
	}
	for _, want := range []string{"membership exited", "address already in use", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("WaitReady said %q; want it to say %q", err, want)
		}
	}
	// At once: well before the test's own deadline, which is what the
	// wait without the check runs into.
	if ctx.Err() != nil {
		t.Errorf("WaitReady took %s: it waited for the deadline", time.Since(start))
	}
}
