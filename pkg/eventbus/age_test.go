package eventbus

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestEventAgeIsObservedOnApply: an event applied 7 s after it occurred is
// one sample of 7 s in guildhall_eventbus_event_age_seconds under the
// consumer's series; a duplicate skipped is none (its age is the
// redelivery's), and an event from a producer whose clock runs ahead is
// fresh (0), not negative.
func TestEventAgeIsObservedOnApply(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c := newConsumer(t, ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "gh.jingkai.membership.v1", GroupID: "guildhall-hq", Name: "hq",
		DB: newDB(t, "age"), Handler: countingHandler, Metrics: NewMetrics(reg)})
	now := time.Now()
	msg := func(occurred time.Time) Message {
		return Message{Topic: "gh.jingkai.membership.v1", Envelope: &eventsv1.Envelope{EventId: "e", District: "jingkai", OccurredAt: timestamppb.New(occurred)}}
	}
	c.counted(msg(now.Add(-7*time.Second)), false, 0.001)
	c.counted(msg(now.Add(-time.Hour)), true, 0.001)
	sample := func() (uint64, float64, map[string]string) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "guildhall_eventbus_event_age_seconds" {
				m := mf.GetMetric()[0]
				ls := map[string]string{}
				for _, lp := range m.GetLabel() {
					ls[lp.GetName()] = lp.GetValue()
				}
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum(), ls
			}
		}
		return 0, 0, nil
	}
	n, sum, ls := sample()
	if n != 1 || sum < 7 || sum > 8 {
		t.Fatalf("event age: %d samples, sum %v; want one of about 7 s (the duplicate not observed)", n, sum)
	}
	if ls["district"] != "jingkai" || ls["service"] != "membership" || ls["consumer"] != "hq" || len(ls) != 4 {
		t.Fatalf("labels %v, want district, service, topic, consumer alone", ls)
	}
	c.counted(msg(time.Now().Add(time.Minute)), false, 0.001)
	if n, sum2, _ := sample(); n != 2 || sum2 != sum {
		t.Fatalf("a producer a minute ahead: %d samples, sum %v → %v; want a sample of 0", n, sum, sum2)
	}
}
