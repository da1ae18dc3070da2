package messaging_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func TestAPublishedNoticeReachesItsAudienceWithADeliveredReceiptEach(t *testing.T) {
	e := newEnv(t)
	n := e.publish(e.noticeBody())
	if n.Recipients != 4 || n.Origin != "district" || n.Version != 1 {
		t.Fatalf("notice %+v: want 4 recipients (the active companies), origin district, version 1", n)
	}
	var rs struct{ Items []receipt }
	e.Must(200, "GET", "/notices/"+n.ID+"/receipts", nil, &rs)
	got := []string{}
	for _, r := range rs.Items {
		if r.Status != "delivered" || r.Revision != 1 {
			t.Errorf("receipt %+v, want delivered for revision 1", r)
		}
		got = append(got, r.CompanyID)
	}
	if !slices.Equal(got, []string{"c1", "c2", "c3", "c4"}) {
		t.Fatalf("recipients %v, want the active companies c1–c4 (not suspended c5)", got)
	}

	// By role: the council members only.
	b := e.noticeBody()
	b["audience"] = map[string]any{"kind": "role", "role": "council"}
	if n := e.publish(b); n.Recipients != 2 {
		t.Fatalf("a notice to the council reached %d companies, want 2", n.Recipients)
	}
	// A list: exactly those named, whatever their status.
	b["audience"] = map[string]any{"kind": "companies", "company_ids": []string{"c5", "c3"}}
	if n := e.publish(b); n.Recipients != 2 {
		t.Fatalf("a notice to two companies reached %d", n.Recipients)
	}
	// The police office sends too, as its own origin.
	var pn notice
	e.Must(201, "POST", "/notices", e.noticeBody(), &pn, police...)
	if pn.Origin != "police" {
		t.Fatalf("a police notice has origin %q", pn.Origin)
	}

	// Its event is in the outbox with the counts.
	evs := testutil.OutboxEvents(t, e.node.DB().DB, 0)
	first := testutil.Payload(t, evs[0], &eventsv1.NoticePublished{})
	if evs[0].Type != eventsv1.TypeNoticePublished || first.GetNotice().GetRecipients() != 4 || first.GetNotice().GetDistrict() != "jingkai" ||
		evs[0].Envelope.GetAggregateId() != n.ID || evs[0].Envelope.GetSequence() != 1 {
		t.Fatalf("first event %s %+v", evs[0].Type, first.GetNotice())
	}
}

// TestReceiptStateMachine walks every transition of a receipt, right and
// wrong: delivered → read → acknowledged; wrong steps answer their stable
// ids and change nothing.
func TestReceiptStateMachine(t *testing.T) {
	e := newEnv(t)
	n := e.publish(e.noticeBody())
	p := "/notices/" + n.ID + "/receipts/c1"
	ackBody := map[string]any{"revision": 1, "by": "张经理"}
	// Acknowledging before reading is refused.
	before := e.counts()
	r := e.Do("POST", p+"/acknowledge", ackBody, companyAdmin("c1")...)
	if r.Status != 409 || r.ErrorID() != "receipt.not_read" {
		t.Fatalf("acknowledge a delivered receipt: %d %s", r.Status, r.Body)
	}
	if after := e.counts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused transition wrote: %v → %v", before, after)
	}
	if got := e.read(n.ID, "c1"); got.Status != "read" {
		t.Fatalf("read: %+v", got)
	}
	// Reading again changes nothing and emits nothing.
	before = e.counts()
	if got := e.read(n.ID, "c1"); got.Status != "read" {
		t.Fatalf("read again: %+v", got)
	}
	if after := e.counts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("reading twice wrote: %v → %v", before, after)
	}
	// A stale revision is refused.
	r = e.Do("POST", p+"/acknowledge", map[string]any{"revision": 2, "by": "张经理"}, companyAdmin("c1")...)
	if r.Status != 409 || r.ErrorID() != "receipt.revision_stale" || r.ErrorField() != "revision" {
		t.Fatalf("acknowledge another revision: %d %s", r.Status, r.Body)
	}
	if got := e.ack(n.ID, "c1", 1); got.Status != "acknowledged" || got.AcknowledgedBy != "张经理" || got.Comment != "已落实" {
		t.Fatalf("acknowledge: %+v", got)
	}
	for _, step := range []struct {
		path string
		body map[string]any
	}{{"/acknowledge", ackBody}, {"/read", map[string]any{"by": "张经理"}}} {
		r := e.Do("POST", p+step.path, step.body, companyAdmin("c1")...)
		if r.Status != 409 || r.ErrorID() != "receipt.already_acknowledged" {
			t.Errorf("%s after acknowledging: %d %s, want 409 receipt.already_acknowledged", step.path, r.Status, r.Body)
		}
	}
	// A notice that asks for no acknowledgement cannot be acknowledged.
	b := e.noticeBody()
	b["ack_required"] = false
	delete(b, "ack_deadline")
	info := e.publish(b)
	e.read(info.ID, "c2")
	r = e.Do("POST", "/notices/"+info.ID+"/receipts/c2/acknowledge", ackBody, companyAdmin("c2")...)
	if r.Status != 422 || r.ErrorID() != "receipt.ack_not_required" {
		t.Fatalf("acknowledge an informational notice: %d %s", r.Status, r.Body)
	}
	// A company that is no recipient has no receipt.
	r = e.Do("POST", "/notices/"+n.ID+"/receipts/c5/read", map[string]any{"by": "x"}, companyAdmin("c5")...)
	if r.Status != 404 || r.ErrorID() != "receipt.not_found" {
		t.Fatalf("read as a non-recipient: %d %s", r.Status, r.Body)
	}
	// The events: read, then acknowledged, each with the counts.
	var types []string
	for _, ev := range testutil.OutboxEvents(t, e.node.DB().DB, 0) {
		if ev.Envelope.GetAggregateId() == n.ID {
			types = append(types, ev.Type)
		}
	}
	if want := []string{"NoticePublished", "ReceiptRead", "ReceiptAcknowledged"}; !slices.Equal(types, want) {
		t.Fatalf("events of the notice %v, want %v", types, want)
	}
}

// TestANoticeEditAsksAgain: a revision is the next version; every receipt
// is back to delivered for it, the counts are zero again, and acknowledging
// the old version is refused.
func TestANoticeEditAsksAgain(t *testing.T) {
	e := newEnv(t)
	n := e.publish(e.noticeBody())
	e.read(n.ID, "c1")
	e.ack(n.ID, "c1", 1)
	e.read(n.ID, "c2")
	var revised notice
	e.Must(200, "PATCH", "/notices/"+n.ID, map[string]any{"body_markdown": "各会员单位：请于**国庆**前完成自查，并上报台账。"}, &revised,
		append([]string{"If-Match", `"1"`}, lead...)...)
	if revised.Version != 2 || revised.Acknowledged != 0 || revised.Read != 0 || !strings.Contains(revised.BodyHTML, "上报台账") {
		t.Fatalf("revised notice %+v", revised)
	}
	var v struct{ Receipt receipt }
	e.Must(200, "GET", "/notices/"+n.ID+"/receipts/c1", nil, &v, companyAdmin("c1")...)
	if v.Receipt.Status != "delivered" || v.Receipt.Revision != 2 {
		t.Fatalf("c1's receipt after the edit %+v, want delivered for revision 2", v.Receipt)
	}
	e.read(n.ID, "c1")
	r := e.Do("POST", "/notices/"+n.ID+"/receipts/c1/acknowledge", map[string]any{"revision": 1, "by": "张经理"}, companyAdmin("c1")...)
	if r.Status != 409 || r.ErrorID() != "receipt.revision_stale" {
		t.Fatalf("acknowledge the old version: %d %s", r.Status, r.Body)
	}
	if got := e.ack(n.ID, "c1", 2); got.Revision != 2 {
		t.Fatalf("acknowledged %+v", got)
	}
	// A stale If-Match changes nothing.
	r = e.Do("PATCH", "/notices/"+n.ID, map[string]any{"title": "新标题"}, append([]string{"If-Match", `"1"`}, lead...)...)
	if r.Status != 412 {
		t.Fatalf("a stale If-Match: %d %s", r.Status, r.Body)
	}
	// The police office does not revise the district's notice.
	r = e.Do("PATCH", "/notices/"+n.ID, map[string]any{"title": "新标题"}, police...)
	if r.Status != 403 || r.ErrorID() != "notice.revise_forbidden" {
		t.Fatalf("police revising the district's notice: %d %s", r.Status, r.Body)
	}
	evs := testutil.OutboxEvents(t, e.node.DB().DB, 0)
	var rev *eventsv1.NoticeRevised
	for _, ev := range evs {
		if ev.Type == eventsv1.TypeNoticeRevised {
			rev = testutil.Payload(t, ev, &eventsv1.NoticeRevised{})
		}
	}
	if rev == nil || rev.GetNotice().GetRevision() != 2 || !slices.Equal(rev.GetFields(), []string{"body_markdown"}) {
		t.Fatalf("NoticeRevised %+v", rev)
	}
}

type rollup struct {
	Recipients          int      `json:"recipients"`
	Read                int      `json:"read"`
	Acknowledged        int      `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
	NotAcknowledged     []struct {
		CompanyID string `json:"company_id"`
	} `json:"not_acknowledged"`
	Overdue []struct {
		CompanyID string `json:"company_id"`
	} `json:"overdue"`
}

type companyRollup struct {
	Notices             int      `json:"notices"`
	Acknowledged        int      `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
	NotAcknowledged     []struct {
		NoticeID string `json:"notice_id"`
	} `json:"not_acknowledged"`
	Overdue []struct {
		NoticeID string `json:"notice_id"`
	} `json:"overdue"`
}

// TestRollupEqualsRecomputation drives notices through a random mix of
// reads, acknowledgements and revisions, then checks each notice's roll-up
// (its counts are kept incrementally, in the transaction of each change)
// and each company's against a recomputation from the receipts.
func TestRollupEqualsRecomputation(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(12, 34))
	var ns []notice
	for range 4 {
		ns = append(ns, e.publish(e.noticeBody()))
	}
	companies := []string{"c1", "c2", "c3", "c4"}
	for range 60 {
		i := rng.IntN(len(ns))
		n := &ns[i]
		c := companies[rng.IntN(len(companies))]
		switch rng.IntN(5) {
		case 0, 1:
			e.Do("POST", "/notices/"+n.ID+"/receipts/"+c+"/read", map[string]any{"by": "x"}, companyAdmin(c)...)
		case 2, 3:
			e.Do("POST", "/notices/"+n.ID+"/receipts/"+c+"/acknowledge", map[string]any{"revision": n.Version, "by": "x"}, companyAdmin(c)...)
		case 4:
			var r notice
			e.Must(200, "PATCH", "/notices/"+n.ID, map[string]any{"title": "修订" + strings.Repeat("版", int(n.Version))}, &r, lead...)
			n.Version = r.Version
		}
	}
	e.clock.add(96 * time.Hour) // every deadline has passed: the overdue lists fill
	for _, n := range ns {
		var got rollup
		e.Must(200, "GET", "/notices/"+n.ID+"/rollup", nil, &got)
		var rs struct{ Items []receipt }
		e.Must(200, "GET", "/notices/"+n.ID+"/receipts?page_size=500", nil, &rs)
		want := rollup{Recipients: len(rs.Items)}
		var not []string
		for _, r := range rs.Items {
			switch r.Status {
			case "acknowledged":
				want.Acknowledged++
				want.Read++
			case "read":
				want.Read++
				not = append(not, r.CompanyID)
			default:
				not = append(not, r.CompanyID)
			}
		}
		if got.Recipients != want.Recipients || got.Read != want.Read || got.Acknowledged != want.Acknowledged {
			t.Errorf("notice %s roll-up %d/%d/%d, recomputed %d/%d/%d", n.ID, got.Recipients, got.Read, got.Acknowledged,
				want.Recipients, want.Read, want.Acknowledged)
		}
		if got.AcknowledgementRate == nil || *got.AcknowledgementRate != float64(want.Acknowledged)/float64(want.Recipients) {
			t.Errorf("notice %s rate %v, recomputed %d/%d", n.ID, got.AcknowledgementRate, want.Acknowledged, want.Recipients)
		}
		gotNot, gotOver := []string{}, []string{}
		for _, x := range got.NotAcknowledged {
			gotNot = append(gotNot, x.CompanyID)
		}
		for _, x := range got.Overdue {
			gotOver = append(gotOver, x.CompanyID)
		}
		if !slices.Equal(gotNot, append([]string{}, not...)) || !slices.Equal(gotOver, gotNot) {
			t.Errorf("notice %s not acknowledged %v overdue %v, recomputed %v", n.ID, gotNot, gotOver, not)
		}
	}
	for _, c := range companies {
		var got companyRollup
		e.Must(200, "GET", "/company-notices/"+c+"/rollup", nil, &got, companyAdmin(c)...)
		want := companyRollup{}
		for _, n := range ns {
			var v struct{ Receipt receipt }
			e.Must(200, "GET", "/notices/"+n.ID+"/receipts/"+c, nil, &v)
			want.Notices++
			if v.Receipt.Status == "acknowledged" {
				want.Acknowledged++
			}
		}
		if got.Notices != want.Notices || got.Acknowledged != want.Acknowledged || len(got.NotAcknowledged) != want.Notices-want.Acknowledged ||
			len(got.Overdue) != len(got.NotAcknowledged) {
			t.Errorf("company %s roll-up %+v, recomputed %d of %d acknowledged", c, got, want.Acknowledged, want.Notices)
		}
	}
}

// TestMarkdownIsSanitised: the rendered body keeps the text (Chinese as it
// is) and loses every script, event handler, javascript: and data: URL.
func TestMarkdownIsSanitised(t *testing.T) {
	e := newEnv(t)
	b := e.noticeBody()
	b["body_markdown"] = "## 节假日巡防\n\n各会员单位：请**落实**。<script>alert(1)</script>\n\n" +
		"[点击](javascript:alert(2)) [图](data:text/html;base64,PHNjcmlwdD4=) <img src=x onerror=alert(3)>\n\n" +
		"<a href=\"https://x.cn\" onclick=\"alert(4)\">链接</a> [协会](https://www.example.cn/通知)\n\n![img](data:image/png;base64,AAAA)"
	n := e.publish(b)
	h := strings.ToLower(n.BodyHTML)
	for _, bad := range []string{"<script", "alert(1)", "javascript:", "data:", "onerror", "onclick"} {
		if strings.Contains(h, bad) {
			t.Errorf("body_html keeps %q: %s", bad, n.BodyHTML)
		}
	}
	for _, good := range []string{"节假日巡防", "各会员单位：请<strong>落实</strong>。", "https://www.example.cn/%E9%80%9A%E7%9F%A5", ">链接</a>"} {
		if !strings.Contains(n.BodyHTML, good) {
			t.Errorf("body_html lost %q: %s", good, n.BodyHTML)
		}
	}
}
