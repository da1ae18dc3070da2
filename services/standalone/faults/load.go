package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guildhall/guildhall/pkg/idcheck"
)

// API is one HTTP API of a topology, reached from the harness's namespace
// or, for a process in a network namespace, from inside that namespace.
type API struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// newAPI returns a client of base whose connections start in ns.
func newAPI(base, token, ns string, timeout time.Duration) *API {
	tr := &http.Transport{DialContext: dialer(ns), MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &API{Base: base, Token: token, HTTP: &http.Client{Transport: tr, Timeout: timeout}}
}

// call sends one request. status is 0 when no answer came (transport error).
func (a *API) call(ctx context.Context, method, path, idemKey string, body any) (status int, raw []byte, err error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, raw, nil
}

// Kinds of records the load writes.
const (
	KindGuard   = "guard"
	KindCompany = "company"
	KindMeeting = "meeting"
)

// Write is one logical write of the load and what became of it.
type Write struct {
	N    int
	Kind string
	// Key is its Idempotency-Key and Name the name (or title) it gives the
	// record, unique per write, by which the district's tables are searched.
	Key, Name string
	// ID is the record id of the 2xx answer; empty unless Acked.
	ID    string
	Acked bool
	// Refused holds the 4xx answer, when the write got one.
	Refused string
	// Attempts counts requests sent; more than one means retries.
	Attempts int
	// Unresolved is set when the load gave up without a definite answer.
	Unresolved bool
	// Sent is when the first attempt went out, Answered when the definite
	// answer came.
	Sent, Answered time.Time
}

// Load writes to a district through its HTTP APIs at a steady rate: guards
// hired into the companies of the setup, now and then a new company and,
// when the district runs a meetings service, a meeting. Every write carries
// an Idempotency-Key and is retried with the same key (transport errors,
// 5xx, 429) until it gets a definite answer, so an acknowledged write is one
// record and a write the client never heard back about is retried, not
// duplicated.
type Load struct {
	Membership *API
	Meetings   *API // nil: no meeting writes
	District   string
	Rate       int // writes per second, all workers together
	Workers    int
	// Tag makes keys and names unique to the run.
	Tag string
	// NoSetupMeeting leaves the meetings topic empty until the load's
	// first meeting.
	NoSetupMeeting bool

	companies []string
	next      atomic.Int64
	mu        sync.Mutex
	writes    []*Write
	stop      chan struct{}
	wg        sync.WaitGroup
	// giveUp is when workers stop retrying a write that has no answer.
	giveUp atomic.Int64
}

// residentID is the national ID number of load write n: birth dates from
// 1975 on, a thousand sequence numbers per day, so every n is another person.
func residentID(n int) string {
	birth := time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000)
	return idcheck.MakeResidentID("420106", birth, n%1000)
}

func creditCode(n int) (string, error) {
	return idcheck.MakeCreditCode(fmt.Sprintf("91420100MA%07d", 5000000+n%5000000))
}

// Setup registers and activates companies for the guards to be hired into
// and, with a meetings service, creates one meeting, so that both of the
// district's topics carry events before any fault. They are recorded as
// acknowledged writes.
func (l *Load) Setup(ctx context.Context, companies int) error {
	if l.Meetings != nil && !l.NoSetupMeeting {
		w := l.newWrite(KindMeeting)
		if err := l.perform(ctx, w, time.Now().Add(30*time.Second)); err != nil {
			return err
		}
		if !w.Acked {
			return fmt.Errorf("setup: meeting not created: %s", w.Refused)
		}
	}
	for i := 0; i < companies; i++ {
		w := l.newWrite(KindCompany)
		if err := l.perform(ctx, w, time.Now().Add(30*time.Second)); err != nil {
			return err
		}
		if !w.Acked {
			return fmt.Errorf("setup: company %d not registered: %s", i, w.Refused)
		}
		st, raw, err := l.Membership.call(ctx, "POST", "/api/v1/districts/"+l.District+"/companies/"+w.ID+"/status", "", map[string]string{"status": "active"})
		if err != nil || st != http.StatusOK {
			return fmt.Errorf("setup: activate company %s: %d %v %s", w.ID, st, err, raw)
		}
		l.companies = append(l.companies, w.ID)
	}
	return nil
}

// newWrite allocates the next write, of kind or, when kind is "", of the
// kind its number calls for (kindOf).
func (l *Load) newWrite(kind string) *Write {
	n := int(l.next.Add(1)) - 1
	if kind == "" {
		kind = l.kindOf(n)
	}
	w := &Write{N: n, Kind: kind, Key: l.Tag + "-" + strconv.Itoa(n)}
	switch kind {
	case KindGuard:
		w.Name = "故障演练保安" + strconv.Itoa(n)
	case KindCompany:
		w.Name = "武汉故障演练保安服务有限公司" + strconv.Itoa(n)
	case KindMeeting:
		w.Name = "故障演练片区工作会议" + strconv.Itoa(n)
	}
	l.mu.Lock()
	l.writes = append(l.writes, w)
	l.mu.Unlock()
	return w
}

// Start runs the workers until Stop.
func (l *Load) Start() {
	l.stop = make(chan struct{})
	l.giveUp.Store(time.Now().Add(time.Hour).UnixNano())
	tokens := make(chan struct{})
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(tokens)
		every := time.Second / time.Duration(max(l.Rate, 1))
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				// A tick nobody takes is dropped: while every worker is
				// retrying, the load slows down instead of queueing.
				select {
				case tokens <- struct{}{}:
				default:
				}
			}
		}
	}()
	for i := 0; i < max(l.Workers, 1); i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range tokens {
				w := l.newWrite("")
				_ = l.perform(context.Background(), w, time.Time{})
			}
		}()
	}
}

// kindOf spreads the kinds: one company and (with meetings) one meeting in
// every twenty writes, guards otherwise.
func (l *Load) kindOf(n int) string {
	switch {
	case n%20 == 0:
		return KindCompany
	case n%20 == 10 && l.Meetings != nil:
		return KindMeeting
	}
	return KindGuard
}

// Stop stops issuing writes and waits for the ones under way: they keep
// retrying until they get an answer or until grace has passed.
func (l *Load) Stop(grace time.Duration) {
	l.giveUp.Store(time.Now().Add(grace).UnixNano())
	close(l.stop)
	l.wg.Wait()
}

// Writes returns every write so far.
func (l *Load) Writes() []*Write {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Write(nil), l.writes...)
}

// perform sends w until it gets a definite answer. deadline zero means the
// load's give-up time.
func (l *Load) perform(ctx context.Context, w *Write, deadline time.Time) error {
	method, api, path, body, err := l.request(w)
	if err != nil {
		return err
	}
	backoff := 50 * time.Millisecond
	w.Sent = time.Now()
	defer func() { w.Answered = time.Now() }()
	for {
		w.Attempts++
		status, raw, err := api.call(ctx, method, path, w.Key, body)
		switch {
		case err == nil && status >= 200 && status < 300:
			var out struct {
				ID string `json:"id"`
			}
			if jerr := json.Unmarshal(raw, &out); jerr != nil || out.ID == "" {
				// A 2xx without the record id would be a bug of its own.
				w.Refused = fmt.Sprintf("%d without an id: %.200s", status, raw)
				return nil
			}
			w.ID, w.Acked = out.ID, true
			return nil
		case err == nil && status >= 400 && status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout:
			w.Refused = fmt.Sprintf("%d %.300s", status, raw)
			return nil
		}
		// No answer, 5xx, 408 or 429: the write may or may not have
		// happened; the same key makes the retry safe.
		end := deadline
		if end.IsZero() {
			end = time.Unix(0, l.giveUp.Load())
		}
		if time.Now().After(end) || ctx.Err() != nil {
			w.Unresolved = true
			return nil
		}
		time.Sleep(backoff)
		backoff = min(backoff*2, time.Second)
	}
}

func (l *Load) request(w *Write) (method string, api *API, path string, body any, err error) {
	d := "/api/v1/districts/" + l.District
	switch w.Kind {
	case KindGuard:
		if len(l.companies) == 0 {
			return "", nil, "", nil, errors.New("load: no companies to hire guards into (Setup first)")
		}
		co := l.companies[w.N%len(l.companies)]
		return "POST", l.Membership, d + "/companies/" + co + "/guards", map[string]any{
			"name": w.Name, "id_number": residentID(w.N),
		}, nil
	case KindCompany:
		code, err := creditCode(w.N)
		if err != nil {
			return "", nil, "", nil, err
		}
		return "POST", l.Membership, d + "/companies", map[string]any{
			"name": w.Name, "credit_code": code, "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 1+w.N%999999),
			"kind": "service_company", "level": "member",
		}, nil
	case KindMeeting:
		// A week ahead, on the hour, so the dates are plausible for any
		// date check the service makes.
		start := time.Now().UTC().Truncate(time.Hour).Add(7*24*time.Hour + time.Duration(w.N%500)*time.Hour)
		return "POST", l.Meetings, d + "/meetings", map[string]any{
			"type": "district_working", "title": w.Name, "venue": "经开区保安协会会议室",
			"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(2 * time.Hour).Format(time.RFC3339),
		}, nil
	}
	return "", nil, "", nil, fmt.Errorf("load: unknown kind %q", w.Kind)
}
