package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// memLog is an Inserter and a Lister over a slice.
type memLog struct {
	entries []Entry
	listed  int
}

func (m *memLog) InsertAudit(_ context.Context, e Entry) error {
	m.entries = append(m.entries, e)
	return nil
}

func (m *memLog) ListAudit(context.Context, Filter, kitx.Page) ([]Entry, string, error) {
	m.listed++
	return m.entries, "", nil
}

func TestLogStampsEachWriteWithTheActorAndTheServiceClock(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	m := &memLog{}
	l := NewLog(func() time.Time { return at }, m)
	ctx := telemetry.ContextWithRequestID(WithRemoteIP(context.Background(), "192.0.2.7"), "rid-9")
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: "da-1", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})

	if err := l.Audit(ctx, m, "guard.hire", "guard", "g-1", []string{"name"}); err != nil {
		t.Fatal(err)
	}
	if err := l.AuditAs(ctx, m, Actor{Subject: SystemSubject}, "guard.reseal", "guard", "", nil); err != nil {
		t.Fatal(err)
	}
	if len(m.entries) != 2 {
		t.Fatalf("%d entries, want 2", len(m.entries))
	}
	req, sys := m.entries[0], m.entries[1]
	if req.Subject != "da-1" || req.Role != "district-admin" || req.Scope != "districts:jingkai" || req.RequestID != "rid-9" ||
		req.RemoteIP != "192.0.2.7" || !req.At.Equal(at) || req.Action != "guard.hire" || req.ResourceID != "g-1" {
		t.Errorf("the request's entry: %+v", req)
	}
	// AuditAs records the actor given, not the request's.
	if sys.Subject != SystemSubject || sys.Role != "" || sys.RequestID != "" || !sys.At.Equal(at) || sys.FieldsChanged == nil {
		t.Errorf("the system's entry: %+v", sys)
	}
}

// A write that stores its entry itself (pkg/versioned's) gets from Entry
// and EntryAs the entries Audit and AuditAs record: the actor of the
// request (or the one given) at the service's clock; nothing is stored.
func TestLogEntryIsWhatAuditWouldRecord(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	m := &memLog{}
	l := NewLog(func() time.Time { return at }, m)
	ctx := telemetry.ContextWithRequestID(WithRemoteIP(context.Background(), "192.0.2.7"), "rid-9")
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: "ca-1", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c-1"})
	req := l.Entry(ctx, "company.update", "company", "c-1", []string{"name"})
	want := Entry{At: at, Subject: "ca-1", Role: "company-admin", Scope: "districts:jingkai company:c-1", Action: "company.update",
		Resource: "company", ResourceID: "c-1", FieldsChanged: []string{"name"}, RequestID: "rid-9", RemoteIP: "192.0.2.7"}
	if fmt.Sprintf("%+v", req) != fmt.Sprintf("%+v", want) {
		t.Errorf("Entry: %+v\nwant   %+v", req, want)
	}
	sys := l.EntryAs(Actor{Subject: SystemSubject}, "guard.reseal", "guard", "", nil)
	if sys.Subject != SystemSubject || sys.RequestID != "" || !sys.At.Equal(at) || sys.FieldsChanged == nil {
		t.Errorf("EntryAs: %+v", sys)
	}
	if len(m.entries) != 0 {
		t.Fatalf("Entry and EntryAs stored %d entries", len(m.entries))
	}
}

func TestLogListRefusesAnEmptyWindowBeforeItReads(t *testing.T) {
	m := &memLog{entries: []Entry{{ID: 1}}}
	l := NewLog(time.Now, m)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := l.ListAudit(context.Background(), Filter{Since: t0, Until: t0}, kitx.Page{Size: 10}); !errors.Is(err, ErrRange) {
		t.Fatalf("an empty window: %v, want %v", err, ErrRange)
	}
	if m.listed != 0 {
		t.Fatal("an invalid filter reached the repository")
	}
	got, _, err := l.ListAudit(context.Background(), Filter{Since: t0}, kitx.Page{Size: 10})
	if err != nil || len(got) != 1 || m.listed != 1 {
		t.Fatalf("a valid filter: %v %v (listed %d)", got, err, m.listed)
	}
}
