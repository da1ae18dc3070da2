package messaging_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type thread struct {
	ID             string `json:"id"`
	Posts          int64  `json:"posts"`
	LastRead       int64  `json:"last_read"`
	Unread         int64  `json:"unread"`
	UnreadMentions int64  `json:"unread_mentions"`
}

type unread struct {
	Threads        int64 `json:"threads_with_unread"`
	Unread         int64 `json:"unread"`
	UnreadMentions int64 `json:"unread_mentions"`
}

// TestLiaisonUnreadCountsComeFromLastReadMarkers: the district lead opens
// a thread, a company and the police liaison reply, mentioning others;
// each reader's unread count is the posts after its own marker (its own
// posts move it), mentions of it after the marker are counted apart, and
// reading moves the marker forward only.
func TestLiaisonUnreadCountsComeFromLastReadMarkers(t *testing.T) {
	e := newEnv(t)
	var th thread
	e.Must(201, "POST", "/liaison/threads", map[string]any{"title": "国庆安保联络", "body_markdown": "请各单位报**值班表**。", "mentions": []string{"@ca-c1"}}, &th, lead...)
	if th.Posts != 1 || th.LastRead != 1 || th.Unread != 0 {
		t.Fatalf("opened thread %+v: the author has read its own post", th)
	}
	p := "/liaison/threads/" + th.ID
	e.Must(201, "POST", p+"/posts", map[string]any{"body_markdown": "已报送。"}, nil, companyAdmin("c1")...)
	e.Must(201, "POST", p+"/posts", map[string]any{"body_markdown": "请@ca-c2 补报。", "mentions": []string{"ca-c2", "lead"}}, nil, police...)

	get := func(hdr []string) thread {
		var x thread
		e.Must(200, "GET", p, nil, &x, hdr...)
		return x
	}
	// The lead read post 1 (its own); posts 2 and 3 are new, 3 mentions it.
	if got := get(lead); got.Unread != 2 || got.UnreadMentions != 1 || got.LastRead != 1 {
		t.Fatalf("lead's view %+v, want 2 unread, 1 mention", got)
	}
	// c1 wrote post 2: only post 3 is unread; its mention (in post 1) is
	// before its marker.
	if got := get(companyAdmin("c1")); got.Unread != 1 || got.UnreadMentions != 0 {
		t.Fatalf("c1's view %+v", got)
	}
	// c2 read nothing: all 3, one mention.
	if got := get(companyAdmin("c2")); got.Unread != 3 || got.UnreadMentions != 1 || got.LastRead != 0 {
		t.Fatalf("c2's view %+v", got)
	}
	var u unread
	e.Must(200, "GET", "/liaison/unread", nil, &u, companyAdmin("c2")...)
	if u != (unread{Threads: 1, Unread: 3, UnreadMentions: 1}) {
		t.Fatalf("c2's summary %+v", u)
	}
	// c2 reads up to post 2, then all; a marker never moves back.
	var x thread
	e.Must(200, "POST", p+"/read", map[string]any{"seq": 2}, &x, companyAdmin("c2")...)
	if x.Unread != 1 || x.UnreadMentions != 1 {
		t.Fatalf("after reading to 2: %+v", x)
	}
	e.Must(200, "POST", p+"/read", nil, &x, companyAdmin("c2")...)
	if x.Unread != 0 || x.UnreadMentions != 0 || x.LastRead != 3 {
		t.Fatalf("after reading all: %+v", x)
	}
	before := e.counts()
	e.Must(200, "POST", p+"/read", map[string]any{"seq": 1}, &x, companyAdmin("c2")...)
	if x.LastRead != 3 {
		t.Fatalf("the marker moved back to %d", x.LastRead)
	}
	if after := e.counts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("a marker that did not move wrote: %v → %v", before, after)
	}
	// Posts come back in order, sanitised.
	var ps struct {
		Items []struct {
			Seq      int64    `json:"seq"`
			BodyHTML string   `json:"body_html"`
			Mentions []string `json:"mentions"`
		}
	}
	e.Must(200, "GET", p+"/posts", nil, &ps)
	if len(ps.Items) != 3 || ps.Items[2].Seq != 3 || !strings.Contains(ps.Items[0].BodyHTML, "<strong>值班表</strong>") || len(ps.Items[2].Mentions) != 2 {
		t.Fatalf("posts %+v", ps.Items)
	}
	// The events: opened, two replies, c2's two marker moves.
	var types []string
	for _, ev := range testutil.OutboxEvents(t, e.node.DB().DB, 0) {
		types = append(types, ev.Type)
	}
	want := []string{eventsv1.TypeLiaisonThreadOpened, eventsv1.TypeLiaisonPostAdded, eventsv1.TypeLiaisonPostAdded,
		eventsv1.TypeLiaisonThreadRead, eventsv1.TypeLiaisonThreadRead}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

func TestLiaisonBadInput(t *testing.T) {
	e := newEnv(t)
	var th thread
	e.Must(201, "POST", "/liaison/threads", map[string]any{"title": "t", "body_markdown": "b"}, &th, lead...)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		id, field          string
	}{
		{"A thread without a title.", "POST", "/liaison/threads", map[string]any{"title": " ", "body_markdown": "b"}, 400, "liaison.title_required", "title"},
		{"A thread without a body.", "POST", "/liaison/threads", map[string]any{"title": "t", "body_markdown": ""}, 400, "liaison.body_required", "body_markdown"},
		{"A mention named twice.", "POST", "/liaison/threads/" + th.ID + "/posts", map[string]any{"body_markdown": "b", "mentions": []string{"a", "@a"}}, 400, "liaison.mentions_invalid", "mentions"},
		{"An empty mention.", "POST", "/liaison/threads/" + th.ID + "/posts", map[string]any{"body_markdown": "b", "mentions": []string{""}}, 400, "liaison.mentions_invalid", "mentions"},
		{"A reply to no thread.", "POST", "/liaison/threads/nope/posts", map[string]any{"body_markdown": "b"}, 404, "liaison.thread_not_found", ""},
		{"Reading past the last post.", "POST", "/liaison/threads/" + th.ID + "/read", map[string]any{"seq": 2}, 400, "liaison.seq_invalid", "seq"},
		{"Reading a negative post.", "POST", "/liaison/threads/" + th.ID + "/read", map[string]any{"seq": -1}, 400, "liaison.seq_invalid", "seq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			r := e.Do(tc.method, tc.path, tc.body, companyAdmin("c1")...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (%q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.counts(); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused request wrote: %v → %v", before, after)
			}
		})
	}
}
