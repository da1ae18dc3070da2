package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/idcheck"
)

// flaky answers the first fails requests of each Idempotency-Key with
// status (0: drops the connection without an answer), then 201 with an id
// derived from the key; it records the keys it saw per path.
type flaky struct {
	mu     sync.Mutex
	fails  int
	status int
	seen   map[string]int
	paths  []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	f.seen[key]++
	n := f.seen[key]
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, `{"error":{"id":"auth.token_missing"}}`, http.StatusUnauthorized)
		return
	}
	if n <= f.fails {
		if f.status == 0 {
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			_ = c.Close()
			return
		}
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(`{"error":{"id":"storage.unavailable"}}`))
		return
	}
	if strings.HasSuffix(r.URL.Path, "/status") {
		_, _ = w.Write([]byte(`{"id":"x"}`))
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": "id-" + key})
}

func TestAWriteIsRetriedWithItsKeyUntilItIsAcknowledged(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
	}{
		{"A dropped connection is retried", 0},
		{"A 503 is retried", http.StatusServiceUnavailable},
		{"A 500 is retried", http.StatusInternalServerError},
		{"A 429 is retried", http.StatusTooManyRequests},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &flaky{fails: 2, status: tt.status, seen: map[string]int{}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			l := &Load{Membership: newAPI(srv.URL, "tok", "", 5*time.Second), District: "jingkai", Tag: "t", companies: []string{"co"}}
			w := l.newWrite(KindGuard)
			if err := l.perform(context.Background(), w, time.Now().Add(10*time.Second)); err != nil {
				t.Fatal(err)
			}
			if !w.Acked || w.ID != "id-"+w.Key || w.Attempts != 3 {
				t.Fatalf("write %+v, want acknowledged as id-%s on the third attempt", w, w.Key)
			}
			if len(f.seen) != 1 || f.seen[w.Key] != 3 {
				t.Errorf("keys seen %v, want the one key three times", f.seen)
			}
		})
	}
}

func TestAWriteRefusedWithA4xxIsNotRetried(t *testing.T) {
	f := &flaky{fails: 5, status: http.StatusConflict, seen: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	l := &Load{Membership: newAPI(srv.URL, "tok", "", 5*time.Second), District: "jingkai", Tag: "t", companies: []string{"co"}}
	w := l.newWrite(KindCompany)
	if err := l.perform(context.Background(), w, time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if w.Acked || w.Attempts != 1 || !strings.HasPrefix(w.Refused, "409 ") {
		t.Fatalf("write %+v, want refused with the 409 after one attempt", w)
	}
}

func TestAWriteWithoutAnAnswerByTheDeadlineIsUnresolved(t *testing.T) {
	f := &flaky{fails: 1 << 30, status: http.StatusServiceUnavailable, seen: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	l := &Load{Membership: newAPI(srv.URL, "tok", "", 5*time.Second), District: "jingkai", Tag: "t", companies: []string{"co"}}
	w := l.newWrite(KindGuard)
	if err := l.perform(context.Background(), w, time.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if w.Acked || !w.Unresolved || w.Attempts < 2 {
		t.Fatalf("write %+v, want unresolved after retries", w)
	}
}

func TestTheLoadWritesEveryKindAtItsShareAndStops(t *testing.T) {
	f := &flaky{seen: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	api := newAPI(srv.URL, "tok", "", 5*time.Second)
	l := &Load{Membership: api, Meetings: api, District: "jingkai", Rate: 400, Workers: 4, Tag: "t"}
	if err := l.Setup(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	l.Start()
	deadline := time.Now().Add(20 * time.Second)
	for len(l.Writes()) < 60 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	l.Stop(5 * time.Second)
	kinds := map[string]int{}
	names := map[string]bool{}
	for _, w := range l.Writes() {
		if !w.Acked {
			t.Fatalf("write %+v not acknowledged", w)
		}
		if names[w.Name] {
			t.Fatalf("two writes named %s", w.Name)
		}
		names[w.Name] = true
		kinds[w.Kind]++
	}
	if kinds[KindGuard] == 0 || kinds[KindCompany] < 3 || kinds[KindMeeting] < 2 {
		t.Errorf("kinds %v, want guards, the setup's and later companies, and meetings", kinds)
	}
	n := len(l.Writes())
	time.Sleep(100 * time.Millisecond)
	if len(l.Writes()) != n {
		t.Error("writes continued after Stop")
	}
}

func TestTheLoadsIDNumbersAndCreditCodesAreValidAndIDNumbersDistinct(t *testing.T) {
	seen := map[string]int{}
	for _, n := range []int{0, 1, 999, 1000, 1001, 123456} {
		id := residentID(n)
		if m, dup := seen[id]; dup {
			t.Fatalf("writes %d and %d share ID number %s", m, n, id)
		}
		seen[id] = n
		if err := idcheck.ValidateResidentID(id); err != nil {
			t.Fatalf("ID number %q of write %d: %v", id, n, err)
		}
		code, err := creditCode(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := idcheck.ValidateCreditCode(code); err != nil {
			t.Fatalf("credit code %q of write %d: %v", code, n, err)
		}
	}
}
