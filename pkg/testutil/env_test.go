package testutil_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func TestEnvPublishedEventsComeBackInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	env.CreateTopics("gh.jingkai.membership.v1")
	var sent []*eventsv1.Envelope
	for i := range 3 {
		id := fmt.Sprintf("g%d", i)
		sent = append(sent, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardHired, "guard", id,
			&eventsv1.GuardHired{Guard: &eventsv1.Guard{Id: id, District: "jingkai"}}))
	}
	env.Publish("gh.jingkai.membership.v1", sent...)
	got := env.Messages("gh.jingkai.membership.v1")
	if len(got) != len(sent) {
		t.Fatalf("%d messages back, %d sent", len(got), len(sent))
	}
	for i, m := range got {
		var e eventsv1.Envelope
		if err := proto.Unmarshal(m.Value, &e); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !proto.Equal(&e, sent[i]) || string(m.Key) != sent[i].GetAggregateId() {
			t.Errorf("message %d is %v (key %q), sent %v", i, &e, m.Key, sent[i])
		}
	}
	if m := env.Messages("gh.nowhere.membership.v1.dlq"); len(m) != 0 {
		t.Errorf("a topic nobody wrote holds %d messages", len(m))
	}
}

func TestEnvRegistryAndPut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded etcd; skipped in -short")
	}
	env := testutil.NewEnv(t)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai"}, config.District{ID: "caidian", Name: "Caidian"})
	ds, err := env.Registry().List(env.Context())
	if err != nil || len(ds) != 2 {
		t.Fatalf("registry lists %v, %v; want both districts", ds, err)
	}
	env.Put("/guildhall/test", "v1")
	resp, err := env.Etcd().Client.Get(env.Context(), "/guildhall/test")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v1" {
		t.Fatalf("etcd holds %v, %v", resp, err)
	}
}

// failRecorder is a testing.TB whose failures the test reads instead of
// failing itself.
type failRecorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *failRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *failRecorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *failRecorder) Helper() {}

func (r *failRecorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failed...)
}

func TestBackground(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(context.Context) error
		fail bool
	}{
		{"A function that returns nil when stopped passes.", func(ctx context.Context) error { <-ctx.Done(); return nil }, false},
		{"A function that returns its context's error when stopped passes.", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, false},
		{"A function that fails fails the test.", func(context.Context) error { return errors.New("boom") }, true},
		{"A function that fails as it stops fails the test.", func(ctx context.Context) error {
			<-ctx.Done()
			return fmt.Errorf("closing: %w", errors.New("disk gone"))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &failRecorder{TB: t}
			stop := testutil.Background(r, "task", tc.fn)
			stop()
			stop() // a second stop is harmless
			if got := r.failures(); (len(got) > 0) != tc.fail {
				t.Errorf("failures %q, want failing: %v", got, tc.fail)
			}
		})
	}
}

func TestEventuallyFailsWhenTheConditionNeverHolds(t *testing.T) {
	r := &failRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testutil.EventuallyWithin(r, 50*time.Millisecond, "never", func() bool { return false })
	}()
	<-done
	if got := r.failures(); len(got) != 1 {
		t.Fatalf("failures %q, want one", got)
	}
	n := 0
	testutil.EventuallyWithin(t, time.Minute, "the third poll", func() bool { n++; return n == 3 })
	if n != 3 {
		t.Fatalf("polled %d times", n)
	}
}
