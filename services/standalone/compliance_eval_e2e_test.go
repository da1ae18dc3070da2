package standalone_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/policy"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
)

// TestAnEvaluationIsComputedFromMembershipAndMeetingsAndPublished drives
// membership's and meetings' public APIs of a running city (a company, a
// guard with a passed background check, a district roundtable the company
// attended, its signature of the convention), computes the company's
// rating from compliance's API and publishes it. The evidence went
// membership and meetings → their outboxes → Kafka
// (gh.jingkai.membership.v1, gh.jingkai.meetings.v1) → compliance's two
// consumers, with no call between the services; the published version is
// on gh.jingkai.compliance.v1 as EvaluationPublished.
func TestAnEvaluationIsComputedFromMembershipAndMeetingsAndPublished(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	conv := meetings.Convention{Version: "2026e", Title: "武汉市保安行业自律公约", Text: "依法经营，公平竞争。",
		PublishedAt: time.Now().Add(-time.Hour).UTC()}
	if _, err := policy.PublishConventionIfAbsent(ctx, city.Etcd(), conv); err != nil {
		t.Fatal(err)
	}
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 88)
	if err != nil {
		t.Fatal(err)
	}
	g1, err := c.HireGuard(ctx, "jingkai", co, 880)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(policy.Zone).Format(time.DateOnly)
	if err := c.Must(ctx, http.StatusOK, "POST", "/api/v1/districts/jingkai/guards/"+g1+"/background-checks",
		map[string]any{"status": "passed", "checked_on": today}, nil); err != nil {
		t.Fatal(err)
	}

	// A district roundtable that began a minute ago (this quarter), the
	// company invited and marked present (a recorded attendance is
	// evidence whether or not the meeting is closed).
	mp := "/api/v1/districts/jingkai/meetings"
	var m struct {
		ID string `json:"id"`
	}
	starts := time.Now().Add(-time.Minute).UTC()
	if err := c.Must(ctx, http.StatusCreated, "POST", mp, map[string]any{"type": "district_roundtable", "title": "片区行业圆桌会",
		"starts_at": starts, "ends_at": starts.Add(2 * time.Hour)}, &m); err != nil {
		t.Fatal(err)
	}
	var invited struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	pollEval(t, ctx, "the company invitable (meetings has its activation)", func() bool {
		status, _, err := c.Do(ctx, "POST", mp+"/"+m.ID+"/invitations", map[string]any{"companies": []map[string]string{{"company_id": co}}}, &invited)
		return err == nil && status == http.StatusCreated
	})
	for _, to := range []string{"scheduled", "in_progress"} {
		if err := c.Must(ctx, http.StatusOK, "POST", mp+"/"+m.ID+"/status", map[string]string{"status": to}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Must(ctx, http.StatusOK, "POST", mp+"/"+m.ID+"/invitations/"+invited.Items[0].ID+"/attendance",
		map[string]string{"status": "present"}, nil); err != nil {
		t.Fatal(err)
	}
	pollEval(t, ctx, "the convention signed", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/districts/jingkai/convention/signatures",
			map[string]any{"company_id": co, "signed_by": "法定代表人"}, nil)
		return err == nil && status == http.StatusCreated
	})

	// Compliance computes the draft from what reached it over Kafka.
	type line struct {
		Criterion string   `json:"criterion"`
		Reported  bool     `json:"reported"`
		Rate      *float64 `json:"rate"`
		Evidence  []struct {
			SourceEventIDs []string `json:"source_event_ids"`
		} `json:"evidence"`
	}
	var ev struct {
		ID       string   `json:"id"`
		Version  int64    `json:"version"`
		Status   string   `json:"status"`
		Score    *float64 `json:"score"`
		Criteria []line   `json:"criteria"`
	}
	rate := func(c string) (line, bool) {
		for _, l := range ev.Criteria {
			if l.Criterion == c {
				return l, l.Reported && l.Rate != nil
			}
		}
		return line{}, false
	}
	pollEval(t, ctx, "the evidence of membership and meetings in the draft", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/districts/jingkai/compliance/evaluations", map[string]any{"company_id": co}, &ev)
		if err != nil || status != http.StatusOK {
			return false
		}
		bg, ok1 := rate("background_check")
		att, ok2 := rate("meeting_attendance")
		cv, ok3 := rate("convention")
		return ok1 && ok2 && ok3 && *bg.Rate == 1 && *att.Rate == 1 && *cv.Rate == 1
	})
	if att, _ := rate("meeting_attendance"); len(att.Evidence) != 1 || len(att.Evidence[0].SourceEventIDs) == 0 {
		t.Fatalf("the attendance evidence names no meetings event: %+v", att)
	}
	if err := c.Must(ctx, http.StatusOK, "POST", "/api/v1/districts/jingkai/compliance/evaluations/"+ev.ID+"/publish", map[string]any{}, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status != "published" || ev.Version != 1 || ev.Score == nil {
		t.Fatalf("published %+v", ev)
	}

	// The relay puts the published version on the compliance topic.
	topic := eventbus.Topic("jingkai", "compliance")
	cli := &kafka.Client{Addr: kafka.TCP(city.BrokerAddrs()...)}
	var got *eventsv1.Evaluation
	pollEval(t, ctx, "EvaluationPublished on "+topic, func() bool {
		md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil {
			return false
		}
		for _, tp := range md.Topics {
			for _, p := range tp.Partitions {
				resp, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: p.ID, Offset: 0, MaxBytes: 10 << 20})
				if err != nil {
					return false
				}
				for {
					r, err := resp.Records.ReadRecord()
					if err != nil {
						break
					}
					v, _ := kafka.ReadAll(r.Value)
					var env eventsv1.Envelope
					if proto.Unmarshal(v, &env) != nil || env.GetType() != eventsv1.TypeEvaluationPublished {
						continue
					}
					var pub eventsv1.EvaluationPublished
					if proto.Unmarshal(env.GetPayload(), &pub) == nil && env.GetAggregateId() == ev.ID && env.GetSequence() == 1 {
						got = pub.GetEvaluation()
					}
				}
			}
		}
		return got != nil
	})
	if got.GetCompanyId() != co || got.GetVersion() != 1 || !got.GetScoreReported() || got.GetScore() != *ev.Score || got.GetPublishedByRole() == "" {
		t.Fatalf("EvaluationPublished %v, want %+v", got, ev)
	}
}

// pollEval calls ok until it holds or ctx ends.
func pollEval(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: never happened", what)
		case <-time.After(50 * time.Millisecond): // polling interval, not a wait for an outcome
		}
	}
}
