package service

import (
	"context"
	"sync"
)

// flight shares one computation of a read among the callers that want it
// at once, without ever handing a caller a result computed from before it
// arrived: a caller joins the computation that is queued to start next, or
// queues one, never the one already running. So at most one runs and one
// waits, whatever the number of readers, and each result still reflects
// every write committed before its caller asked (read-your-writes holds).
//
// Why: 50 readers of the city summary each ran the same read-model queries
// on HQ's 2 cores beside the consumers' writes, so each waited for all the
// others (p99 10 s at 4 districts × 5,000 guards); one shared computation
// costs each reader at most two.
type flight[T any] struct {
	mu      sync.Mutex
	running *call[T] // the computation under way, if any
	next    *call[T] // the one queued to start when it ends, if any
}

// call is one shared computation and its result.
type call[T any] struct {
	done chan struct{}
	v    T
	err  error
}

// do returns fn's result, computed after the caller arrived, shared with
// the callers that arrived meanwhile. fn runs without ctx's cancellation
// (others may be waiting for it); a caller whose ctx ends stops waiting.
func (f *flight[T]) do(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	f.mu.Lock()
	if c := f.next; c != nil {
		f.mu.Unlock()
		return c.wait(ctx)
	}
	c := &call[T]{done: make(chan struct{})}
	prev := f.running
	f.next = c
	f.mu.Unlock()
	if prev != nil {
		<-prev.done
	}
	f.mu.Lock()
	f.next, f.running = nil, c
	f.mu.Unlock()
	c.v, c.err = fn(context.WithoutCancel(ctx))
	close(c.done)
	f.mu.Lock()
	if f.running == c {
		f.running = nil
	}
	f.mu.Unlock()
	return c.v, c.err
}

func (c *call[T]) wait(ctx context.Context) (T, error) {
	select {
	case <-c.done:
		return c.v, c.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// flights is a flight per key (a district's view per district).
type flights[T any] struct{ m sync.Map }

func (fs *flights[T]) of(key string) *flight[T] {
	f, _ := fs.m.LoadOrStore(key, &flight[T]{})
	return f.(*flight[T])
}

// daily is one flight for the reads of one day (a read that depends on the
// date: certificates valid today), replaced when the day changes, so it
// holds one flight whatever the number of days HQ runs.
type daily[T any] struct {
	mu  sync.Mutex
	day string
	f   *flight[T]
}

// of returns the flight of day.
func (d *daily[T]) of(day string) *flight[T] {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil || d.day != day {
		d.day, d.f = day, &flight[T]{}
	}
	return d.f
}
