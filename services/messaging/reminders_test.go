package messaging_test

import (
	"context"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// reminded returns the companies reminded by the outbox's events after seq.
func reminded(t *testing.T, e *env, after int64) []string {
	t.Helper()
	var out []string
	for _, ev := range testutil.OutboxEvents(t, e.node.DB().DB, after) {
		if ev.Type == eventsv1.TypeNoticeReminderSent {
			out = append(out, testutil.Payload(t, ev, &eventsv1.NoticeReminderSent{}).GetReceipt().GetCompanyId())
		}
	}
	return out
}

func pass(t *testing.T, e *env) int {
	t.Helper()
	n, err := e.node.SendReminders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRemindersNeverGoToThoseWhoAcknowledged: within the policy's window
// before the deadline, each recipient that has not acknowledged is
// reminded at most once per interval; one that acknowledged never is;
// after the deadline nobody is (they are overdue). The policy is the
// default (72 h before, every 24 h).
func TestRemindersNeverGoToThoseWhoAcknowledged(t *testing.T) {
	e := newEnv(t)
	b := e.noticeBody()
	b["ack_deadline"] = start.Add(100 * time.Hour)
	n := e.publish(b)
	e.read(n.ID, "c1")
	e.ack(n.ID, "c1", 1)
	e.read(n.ID, "c2")

	if got := pass(t, e); got != 0 {
		t.Fatalf("%d reminders 100 h before the deadline (the window is 72 h)", got)
	}
	seq := testutil.LastSeq(t, e.node.DB().DB)
	e.clock.set(start.Add(30 * time.Hour)) // 70 h before: inside the window
	if got := pass(t, e); got != 3 {
		t.Fatalf("%d reminders, want 3 (c2, c3, c4: not c1, which acknowledged)", got)
	}
	if got := reminded(t, e, seq); len(got) != 3 || got[0] != "c2" || got[1] != "c3" || got[2] != "c4" {
		t.Fatalf("reminded %v", got)
	}
	// Within the interval, nobody again.
	e.clock.add(23 * time.Hour)
	if got := pass(t, e); got != 0 {
		t.Fatalf("%d reminders 23 h after the last (interval 24 h)", got)
	}
	// c3 acknowledges meanwhile: the next pass skips it.
	e.read(n.ID, "c3")
	e.ack(n.ID, "c3", 1)
	seq = testutil.LastSeq(t, e.node.DB().DB)
	e.clock.add(time.Hour)
	if got := reminded(t, e, seq); len(got) != 0 {
		t.Fatalf("reminded before the pass: %v", got)
	}
	pass(t, e)
	if got := reminded(t, e, seq); len(got) != 2 || got[0] != "c2" || got[1] != "c4" {
		t.Fatalf("second round reminded %v, want c2 and c4", got)
	}
	var r struct{ Receipt receipt }
	e.Must(200, "GET", "/notices/"+n.ID+"/receipts/c2", nil, &r)
	if r.Receipt.Reminders != 2 {
		t.Fatalf("c2 reminded %d times, want 2", r.Receipt.Reminders)
	}
	// Past the deadline: overdue, no more reminders.
	e.clock.set(start.Add(101 * time.Hour))
	if got := pass(t, e); got != 0 {
		t.Fatalf("%d reminders after the deadline", got)
	}
}

// TestTheReminderPolicyIsWatchedInEtcd: the node follows
// /guildhall/policy/messaging without a restart, keeps the last good value
// when a bad one is written, and a shorter interval reminds sooner.
func TestTheReminderPolicyIsWatchedInEtcd(t *testing.T) {
	tenv := testutil.NewEnv(t)
	cli := tenv.Etcd().Client
	raw, err := policy.EncodeMessaging(policy.Messaging{RemindBeforeHours: 200, ReminderIntervalHours: 1})
	if err != nil {
		t.Fatal(err)
	}
	tenv.Put(policy.MessagingKey, string(raw))
	e := newEnv(t, func(d *messaging.Deps) { d.Etcd = cli })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.node.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-e.node.PolicyLoaded()
	if got := e.node.Policy(); got.RemindBeforeHours != 200 || got.ReminderIntervalHours != 1 {
		t.Fatalf("policy %+v, want etcd's", got)
	}
	b := e.noticeBody()
	b["ack_deadline"] = start.Add(150 * time.Hour)
	n := e.publish(b)
	// 150 h before the deadline is inside a 200 h window (the default's
	// 72 h would remind nobody).
	if got := pass(t, e); got != 4 {
		t.Fatalf("%d reminders, want 4 with etcd's window", got)
	}
	e.clock.add(time.Hour)
	if got := pass(t, e); got != 4 {
		t.Fatalf("%d reminders an hour later, want 4 (interval 1 h)", got)
	}
	// A bad value is refused; the last good one stays.
	tenv.Put(policy.MessagingKey, `{"reminder_interval_hours": 0}`)
	testutil.Eventually(t, "the good value to stay after a bad write", func() bool {
		return e.node.Policy().ReminderIntervalHours == 1
	})
	tenv.Put(policy.MessagingKey, `{"remind_before_hours": 200, "reminder_interval_hours": 48}`)
	testutil.Eventually(t, "the new interval", func() bool { return e.node.Policy().ReminderIntervalHours == 48 })
	e.clock.add(time.Hour)
	if got := pass(t, e); got != 0 {
		t.Fatalf("%d reminders an hour later with a 48 h interval", got)
	}
	_ = n
}
