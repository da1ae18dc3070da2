package messaging_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// replay publishes again, under a new event id, the last event of type typ
// about aggregate on topic (a redelivery the inbox cannot recognise).
func (f *federation) replay(topic, typ, aggregate, eventID string) {
	f.t.Helper()
	var again *eventsv1.Envelope
	for _, m := range f.env.Messages(topic) {
		var env eventsv1.Envelope
		if err := proto.Unmarshal(m.Value, &env); err != nil {
			f.t.Fatal(err)
		}
		if env.GetAggregateId() == aggregate && env.GetType() == typ {
			again = proto.Clone(&env).(*eventsv1.Envelope)
		}
	}
	if again == nil {
		f.t.Fatalf("no %s of %s on %s", typ, aggregate, topic)
	}
	again.EventId = eventID
	f.env.Publish(topic, again)
}

type post struct {
	ID               string `json:"id"`
	District         string `json:"district"`
	Version          int64  `json:"version"`
	Status           string `json:"status"`
	Reason           string `json:"reason"`
	BodyHTML         string `json:"body_html"`
	PublishedVersion int64  `json:"published_version"`
	AuthorName       string `json:"author_name"`
	AuthorRole       string `json:"author_role"`
}

type published struct {
	Items []struct {
		ID       string `json:"id"`
		District string `json:"district"`
		Version  int64  `json:"version"`
		Title    string `json:"title"`
		BodyHTML string `json:"body_html"`
		// AuthorName is who the city reads as the author.
		AuthorName string `json:"author_name"`
	} `json:"items"`
}

const goodDeed = "## 红盾先锋岗\n\n保安员**李明**在沌口地铁站拾金不昧。<script>alert(1)</script>[详情](javascript:alert(2))<img src=x onerror=alert(3)>"

// TestAPublicityPostsDistrictReview: pending_district → approve →
// pending_hq, or → reject (with a reason) → rejected; an edit is the next
// version, back to pending_district; a review names the current version;
// only the lead reviews and only the post's company edits; the body is
// sanitised.
func TestAPublicityPostsDistrictReview(t *testing.T) {
	e := newEnv(t)
	var p post
	e.Must(201, "POST", "/publicity/posts", map[string]any{"title": "拾金不昧", "body_markdown": goodDeed, "red_shield_post": "沌口红盾先锋岗"}, &p, companyAdmin("c1")...)
	if p.Status != "pending_district" || p.Version != 1 {
		t.Fatalf("post %+v", p)
	}
	// The reader sees the company's name, not the account id.
	if p.AuthorName != "武汉江城保安服务有限公司" {
		t.Fatalf("a company's post is by %q, want its company's name", p.AuthorName)
	}
	var byLead post
	e.Must(201, "POST", "/publicity/posts", map[string]any{"title": "片区表彰", "body_markdown": "表彰"}, &byLead, lead...)
	if byLead.AuthorName != "" || byLead.AuthorRole != "district-admin" {
		t.Fatalf("the lead's post is by %q (%s), want no company name and the lead's role", byLead.AuthorName, byLead.AuthorRole)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(p.BodyHTML, bad) {
			t.Fatalf("body_html keeps %s: %s", bad, p.BodyHTML)
		}
	}
	if !strings.Contains(p.BodyHTML, "拾金不昧") {
		t.Fatalf("body_html lost the Chinese text: %s", p.BodyHTML)
	}
	if r := e.Do("PATCH", "/publicity/posts/"+p.ID, map[string]any{"title": "改"}, companyAdmin("c2")...); r.ErrorID() != "publicity.edit_forbidden" {
		t.Fatalf("another company editing: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "reject"}, lead...); r.ErrorID() != "publicity.reason_required" || r.ErrorField() != "reason" {
		t.Fatalf("a rejection without reason: %d %s", r.Status, r.Body)
	}
	var p2 post
	e.Must(200, "PATCH", "/publicity/posts/"+p.ID, map[string]any{"title": "拾金不昧的保安员"}, &p2, append([]string{"If-Match", `"1"`}, companyAdmin("c1")...)...)
	if p2.Version != 2 || p2.Status != "pending_district" {
		t.Fatalf("edited post %+v, want version 2 pending_district", p2)
	}
	if r := e.Do("PATCH", "/publicity/posts/"+p.ID, map[string]any{"title": "x"}, append([]string{"If-Match", `"1"`}, companyAdmin("c1")...)...); r.Status != 412 {
		t.Fatalf("a stale edit: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, lead...); r.ErrorID() != "publicity.version_stale" {
		t.Fatalf("a review of the old version: %d %s", r.Status, r.Body)
	}
	e.Must(200, "POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 2, "decision": "reject", "reason": "请补充时间地点"}, &p2, lead...)
	if p2.Status != "rejected" || p2.Reason != "请补充时间地点" {
		t.Fatalf("rejected post %+v", p2)
	}
	if r := e.Do("POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 2, "decision": "approve"}, lead...); r.ErrorID() != "publicity.not_pending" {
		t.Fatalf("approving a rejected version: %d %s", r.Status, r.Body)
	}
	// Rejected, edited, approved: on to HQ.
	e.Must(200, "PATCH", "/publicity/posts/"+p.ID, map[string]any{"body_markdown": goodDeed + "\n\n9月20日上午。"}, &p2, companyAdmin("c1")...)
	var p3 post
	e.Must(200, "POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 3, "decision": "approve"}, &p3, lead...)
	if p3.Status != "pending_hq" || p3.Reason != "" {
		t.Fatalf("approved post %+v, want pending_hq without the old reason", p3)
	}
	for _, tc := range []struct {
		body      map[string]any
		id, field string
	}{
		{map[string]any{"title": "", "body_markdown": "b"}, "publicity.title_required", "title"},
		{map[string]any{"title": "t", "body_markdown": " "}, "publicity.body_required", "body_markdown"},
		{map[string]any{"title": "t", "body_markdown": strings.Repeat("a", 50_001)}, "publicity.body_required", "body_markdown"},
		{map[string]any{"title": "t", "body_markdown": "b", "red_shield_post": strings.Repeat("岗", 201)}, "publicity.red_shield_post_too_long", "red_shield_post"},
	} {
		before := e.count("publicity_posts")
		if r := e.Do("POST", "/publicity/posts", tc.body, lead...); r.Status != 400 || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
			t.Fatalf("%v: %d %s, want %s", tc.body["title"], r.Status, r.Body, tc.id)
		}
		if e.count("publicity_posts") != before {
			t.Fatal("a refused post was written")
		}
	}
	if r := e.Do("POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 3, "decision": "maybe"}, lead...); r.ErrorID() != "publicity.decision_invalid" {
		t.Fatalf("an unknown decision: %d %s", r.Status, r.Body)
	}
}

// TestAPublicityPostIsPublishedCityWideAfterHQsReview: the lead's approval
// reaches HQ through jingkai's topic; HQ's approval reaches every
// district's feed through the directives topic and marks jingkai's post
// published; an edit after publication is reviewed again while the
// published version stays; HQ's rejection of the new version comes back
// with its reason.
func TestAPublicityPostIsPublishedCityWideAfterHQsReview(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian")
	jk := f.start("jingkai", 1)
	cd := f.start("caidian", 1)
	var p post
	jk.cl.Must(201, "POST", "/publicity/posts", map[string]any{"title": "拾金不昧", "body_markdown": goodDeed}, &p, companyOf("jingkai", "jingkai-c0")...)
	// Before the lead's review HQ does not hold it.
	var first aidRequest
	jk.cl.Must(201, "POST", "/aid/requests", aidBody(time.Now()), &first, leadOf("jingkai")...)
	testutil.Eventually(t, "HQ to read past the submission", func() bool {
		var n int
		_ = f.hqN.DB().DB.QueryRow(`SELECT count(*) FROM aid_requests WHERE id = ?`, first.ID).Scan(&n)
		return n == 1
	})
	if r := f.hq.Do("GET", "/api/v1/hq/publicity/posts/"+p.ID, nil); r.Status != 404 {
		t.Fatalf("HQ reading a post the lead has not reviewed: %d %s", r.Status, r.Body)
	}
	if r := jk.cl.Do("GET", "/publicity/posts/"+p.ID, nil, companyOf("jingkai", "jingkai-c1")...); r.ErrorID() != "publicity.post_not_found" {
		t.Fatalf("another company reading the unpublished post: %d %s", r.Status, r.Body)
	}
	var mine struct{ Items []post }
	jk.cl.Must(200, "GET", "/publicity/posts", nil, &mine, companyOf("jingkai", "jingkai-c1")...)
	if len(mine.Items) != 0 {
		t.Fatalf("another company lists %d posts", len(mine.Items))
	}
	jk.cl.Must(200, "POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, nil, leadOf("jingkai")...)
	var at post
	testutil.Eventually(t, "HQ to have the approved post", func() bool {
		r := f.hq.Do("GET", "/api/v1/hq/publicity/posts/"+p.ID, nil)
		if r.Status != 200 {
			return false
		}
		r.Decode(t, &at)
		return at.Status == "pending_hq"
	})
	if strings.Contains(at.BodyHTML, "<script") || !strings.Contains(at.BodyHTML, "拾金不昧") {
		t.Fatalf("HQ's body_html %s", at.BodyHTML)
	}
	// HQ reads the company's name, not the account id, as the author.
	if at.AuthorName != "jingkai公司0" || at.AuthorRole != "company-admin" {
		t.Fatalf("HQ's post is by %q (%s), want jingkai公司0", at.AuthorName, at.AuthorRole)
	}
	// The older snapshot (pending_district) delivered again does not take
	// the post back from HQ's review.
	f.replay(eventbus.Topic("jingkai", "messaging"), eventsv1.TypePublicityPostSubmitted, p.ID, "0190cccc-0000-7000-8000-0000000000c1")
	var marker aidRequest
	jk.cl.Must(201, "POST", "/aid/requests", aidBody(time.Now()), &marker, leadOf("jingkai")...)
	testutil.Eventually(t, "HQ to read past the replay", func() bool {
		var n int
		_ = f.hqN.DB().DB.QueryRow(`SELECT count(*) FROM aid_requests WHERE id = ?`, marker.ID).Scan(&n)
		return n == 1
	})
	f.hq.Must(200, "GET", "/api/v1/hq/publicity/posts/"+p.ID, nil, &at)
	if at.Status != "pending_hq" {
		t.Fatalf("HQ's post after a replayed older snapshot: %s, want pending_hq", at.Status)
	}
	if r := f.hq.Do("POST", "/api/v1/hq/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, leadOf("jingkai")...); r.Status != 403 {
		t.Fatalf("a district lead reviewing at HQ: %d %s", r.Status, r.Body)
	}
	f.hq.Must(200, "POST", "/api/v1/hq/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, nil)
	var feed published
	testutil.Eventually(t, "caidian's feed to show the post", func() bool {
		cd.cl.Must(200, "GET", "/publicity/published", nil, &feed, leadOf("caidian")...)
		return len(feed.Items) == 1 && feed.Items[0].Version == 1
	})
	if feed.Items[0].District != "jingkai" || strings.Contains(feed.Items[0].BodyHTML, "<script") || feed.Items[0].AuthorName != "jingkai公司0" {
		t.Fatalf("caidian's feed %+v", feed.Items)
	}
	testutil.Eventually(t, "jingkai's post to be published", func() bool {
		var got post
		jk.cl.Must(200, "GET", "/publicity/posts/"+p.ID, nil, &got, leadOf("jingkai")...)
		return got.Status == "published" && got.PublishedVersion == 1
	})

	// An edit after publication: version 2 under review; version 1 stays.
	jk.cl.Must(200, "PATCH", "/publicity/posts/"+p.ID, map[string]any{"title": "拾金不昧（更新）"}, nil, companyOf("jingkai", "jingkai-c0")...)
	testutil.Eventually(t, "HQ to see version 2 back at the district", func() bool {
		f.hq.Must(200, "GET", "/api/v1/hq/publicity/posts/"+p.ID, nil, &at)
		return at.Version == 2 && at.Status == "pending_district"
	})
	if r := f.hq.Do("POST", "/api/v1/hq/publicity/posts/"+p.ID+"/review", map[string]any{"version": 2, "decision": "approve"}); r.ErrorID() != "publicity.not_pending" {
		t.Fatalf("HQ approving before the lead: %d %s", r.Status, r.Body)
	}
	// HQ's publication of version 1 delivered again does not publish the
	// unreviewed version 2 at jingkai.
	f.replay(messaging.DirectivesTopic, eventsv1.TypePublicityPostPublished, p.ID, "0190cccc-0000-7000-8000-0000000000c2")
	dm := f.issue(directiveBody())
	testutil.Eventually(t, "jingkai to read past the replay", func() bool { return materialised(t, jk, dm) == 1 })
	var v2 post
	jk.cl.Must(200, "GET", "/publicity/posts/"+p.ID, nil, &v2, leadOf("jingkai")...)
	if v2.Version != 2 || v2.Status != "pending_district" || v2.PublishedVersion != 1 {
		t.Fatalf("jingkai's post after a replayed publication %+v, want version 2 pending_district, version 1 published", v2)
	}
	jk.cl.Must(200, "POST", "/publicity/posts/"+p.ID+"/review", map[string]any{"version": 2, "decision": "approve"}, nil, leadOf("jingkai")...)
	testutil.Eventually(t, "HQ to have version 2 to review", func() bool {
		f.hq.Must(200, "GET", "/api/v1/hq/publicity/posts/"+p.ID, nil, &at)
		return at.Version == 2 && at.Status == "pending_hq"
	})
	f.hq.Must(200, "POST", "/api/v1/hq/publicity/posts/"+p.ID+"/review", map[string]any{"version": 2, "decision": "reject", "reason": "标题不规范"}, nil)
	testutil.Eventually(t, "jingkai's post to be rejected with HQ's reason", func() bool {
		var got post
		jk.cl.Must(200, "GET", "/publicity/posts/"+p.ID, nil, &got, leadOf("jingkai")...)
		return got.Status == "rejected" && got.Reason == "标题不规范" && got.PublishedVersion == 1
	})
	cd.cl.Must(200, "GET", "/publicity/published", nil, &feed, leadOf("caidian")...)
	if len(feed.Items) != 1 || feed.Items[0].Version != 1 || feed.Items[0].Title != "拾金不昧" {
		t.Fatalf("caidian's feed after the rejected edit %+v, want version 1", feed.Items)
	}
}
