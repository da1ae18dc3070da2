package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/policy"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// complianceTopicTypes returns the types of the envelopes on district's
// compliance topic about aggregate id.
func complianceTopicTypes(ctx context.Context, t *testing.T, addrs []string, district, id string) []string {
	t.Helper()
	topic := eventbus.Topic(district, compliance.ServiceName)
	cli := &kafka.Client{Addr: kafka.TCP(addrs...)}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tp := range md.Topics {
		if tp.Error != nil {
			continue // not created yet: nothing published
		}
		for _, p := range tp.Partitions {
			resp, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: p.ID, Offset: 0, MaxBytes: 10 << 20})
			if err != nil {
				t.Fatal(err)
			}
			for {
				r, err := resp.Records.ReadRecord()
				if err != nil {
					break
				}
				v, _ := kafka.ReadAll(r.Value)
				var env eventsv1.Envelope
				if err := proto.Unmarshal(v, &env); err != nil {
					t.Fatal(err)
				}
				if env.GetAggregateId() == id {
					out = append(out, env.GetType())
				}
			}
		}
	}
	return out
}

// TestTheDemoComplaintThroughTheCity starts a city with the demo data (what
// `make run` does) and takes the demo's complaint on over HTTP: it is in
// mediation with its answer; resolved upheld by HQ, it counts against the
// accused in the evaluation computed next, with the complaint as the
// evidence and the finding as the reason; every step is published on
// gh.jingkai.compliance.v1 by the relay. The demo's wage declarations are
// the same evaluation's wage evidence.
func TestTheDemoComplaintThroughTheCity(t *testing.T) {
	city, admin := startCity(t, t.TempDir(), "-demo")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const base = "/api/v1/districts/jingkai"
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			AccusedID string `json:"accused_id"`
			Status    string `json:"status"`
			Answer    *struct {
				Text string `json:"text"`
			} `json:"answer"`
		}
	}
	for len(list.Items) == 0 || list.Items[0].Status != "mediating" {
		if err := admin.Must(ctx, http.StatusOK, "GET", base+"/compliance/complaints", nil, &list); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the demo's complaint never reached mediation: %+v", list)
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	c := list.Items[0]
	if len(list.Items) != 1 || c.Answer == nil || c.Answer.Text == "" {
		t.Fatalf("complaints %+v", list.Items)
	}
	if err := admin.Must(ctx, http.StatusOK, "POST", base+"/compliance/complaints/"+c.ID+"/status",
		map[string]string{"status": "resolved", "outcome": "upheld", "finding": "合同期内挖角属实"}, nil); err != nil {
		t.Fatal(err)
	}
	type line struct {
		Criterion string   `json:"criterion"`
		Reported  bool     `json:"reported"`
		Rate      *float64 `json:"rate"`
		Evidence  []struct {
			Ref  string `json:"ref"`
			Note string `json:"note"`
		} `json:"evidence"`
	}
	evaluate := func(period, criterion string) line {
		t.Helper()
		var ev struct{ Criteria []line }
		if err := admin.Must(ctx, http.StatusOK, "POST", base+"/compliance/evaluations", map[string]string{"company_id": c.AccusedID, "period": period}, &ev); err != nil {
			t.Fatal(err)
		}
		for _, l := range ev.Criteria {
			if l.Criterion == criterion {
				return l
			}
		}
		t.Fatalf("no %s line: %+v", criterion, ev.Criteria)
		return line{}
	}
	quarter := func(d time.Time) string { return fmt.Sprintf("%d-Q%d", d.Year(), (int(d.Month())+2)/3) }
	now := time.Now().In(policy.Zone)
	if l := evaluate(quarter(now), "fair_competition"); !l.Reported || l.Rate == nil || *l.Rate != 0 || len(l.Evidence) != 1 || l.Evidence[0].Ref != c.ID {
		t.Fatalf("the accused's fair competition %+v", l)
	}
	// The demo declares the month before this one: rate its quarter.
	declared := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, policy.Zone).AddDate(0, -1, 0)
	if l := evaluate(quarter(declared), "wage_guarantee"); !l.Reported || len(l.Evidence) != 1 {
		t.Fatalf("the accused's wage guarantee %+v", l)
	}
	want := []string{eventsv1.TypeComplaintFiled, eventsv1.TypeComplaintAnswered, eventsv1.TypeComplaintStatusChanged, eventsv1.TypeComplaintStatusChanged}
	for {
		got := complianceTopicTypes(ctx, t, city.BrokerAddrs(), "jingkai", c.ID)
		if slices.Equal(got, want) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the complaint's events on the topic %v, want %v", got, want)
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
}
