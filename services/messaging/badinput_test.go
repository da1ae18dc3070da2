package messaging_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestBadInputIsRefusedWithItsIDAndFieldAndWritesNothing sends each kind of
// bad request and checks the status, the stable error id, the field at
// fault, and that no row, outbox event or audit entry was written.
func TestBadInputIsRefusedWithItsIDAndFieldAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	n := e.publish(e.noticeBody())
	e.read(n.ID, "c1")
	with := func(k string, v any) map[string]any {
		b := e.noticeBody()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	past := start.Add(-time.Hour)
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		hdr          []string
		status       int
		id, field    string
	}{
		{"A notice without a title.", "POST", "/notices", with("title", "  "), lead, 400, "notice.title_required", "title"},
		{"A title over 200 characters.", "POST", "/notices", with("title", strings.Repeat("通", 201)), lead, 400, "notice.title_too_long", "title"},
		{"A notice without a body.", "POST", "/notices", with("body_markdown", nil), lead, 400, "notice.body_required", "body_markdown"},
		{"A body over 100 000 bytes.", "POST", "/notices", with("body_markdown", strings.Repeat("a", 100_001)), lead, 400, "notice.body_too_long", "body_markdown"},
		{"An unknown priority.", "POST", "/notices", with("priority", "high"), lead, 400, "notice.priority_invalid", "priority"},
		{"Acknowledgement without a deadline.", "POST", "/notices", with("ack_deadline", nil), lead, 400, "notice.deadline_required", "ack_deadline"},
		{"A deadline in the past.", "POST", "/notices", with("ack_deadline", past), lead, 400, "notice.deadline_past", "ack_deadline"},
		{"A deadline without acknowledgement.", "POST", "/notices", with("ack_required", false), lead, 400, "notice.deadline_unneeded", "ack_deadline"},
		{"An attachment with a javascript: URL.", "POST", "/notices", with("attachments", []map[string]string{{"name": "a", "url": "javascript:alert(1)"}}), lead, 400, "notice.attachment_url_invalid", "attachments"},
		{"An attachment over plain http.", "POST", "/notices", with("attachments", []map[string]string{{"name": "a", "url": "http://x.cn/a"}}), lead, 400, "notice.attachment_url_invalid", "attachments"},
		{"An attachment without a name.", "POST", "/notices", with("attachments", []map[string]string{{"name": " ", "url": "https://x.cn/a"}}), lead, 400, "notice.attachment_name_invalid", "attachments"},
		{"21 attachments.", "POST", "/notices", with("attachments", func() []map[string]string {
			var as []map[string]string
			for range 21 {
				as = append(as, map[string]string{"name": "a", "url": "https://x.cn/a"})
			}
			return as
		}()), lead, 400, "notice.attachments_too_many", "attachments"},
		{"An unknown audience kind.", "POST", "/notices", with("audience", map[string]any{"kind": "city"}), lead, 400, "notice.audience_invalid", "audience.kind"},
		{"A list audience without companies.", "POST", "/notices", with("audience", map[string]any{"kind": "companies"}), lead, 400, "notice.audience_companies_invalid", "audience.company_ids"},
		{"A list audience naming a company twice.", "POST", "/notices", with("audience", map[string]any{"kind": "companies", "company_ids": []string{"c1", "c1"}}), lead, 400, "notice.audience_companies_invalid", "audience.company_ids"},
		{"A list audience naming an unknown company.", "POST", "/notices", with("audience", map[string]any{"kind": "companies", "company_ids": []string{"c1", "c9"}}), lead, 404, "company.not_found", "audience.company_ids"},
		{"A role that is none of the association's.", "POST", "/notices", with("audience", map[string]any{"kind": "role", "role": "chairman"}), lead, 400, "notice.audience_role_invalid", "audience.role"},
		{"A role no active company has.", "POST", "/notices", with("audience", map[string]any{"kind": "role", "role": "president"}), lead, 422, "notice.audience_empty", ""},
		{"A district audience with companies.", "POST", "/notices", with("audience", map[string]any{"kind": "district", "company_ids": []string{"c1"}}), lead, 400, "notice.audience_companies_invalid", "audience.company_ids"},
		{"A field the API does not know.", "POST", "/notices", with("sender", "x"), lead, 400, "request.unknown_field", "sender"},
		{"A revision with a past deadline.", "PATCH", "/notices/" + n.ID, map[string]any{"ack_deadline": past}, lead, 400, "notice.deadline_past", "ack_deadline"},
		{"A revision with an empty title.", "PATCH", "/notices/" + n.ID, map[string]any{"title": ""}, lead, 400, "notice.title_required", "title"},
		{"A revision of an unknown notice.", "PATCH", "/notices/nope", map[string]any{"title": "x"}, lead, 404, "notice.not_found", ""},
		{"A read without the reader.", "POST", "/notices/" + n.ID + "/receipts/c2/read", map[string]any{"by": ""}, companyAdmin("c2"), 400, "receipt.by_required", "by"},
		{"An acknowledgement without the revision.", "POST", "/notices/" + n.ID + "/receipts/c1/acknowledge", map[string]any{"by": "x"}, companyAdmin("c1"), 400, "receipt.revision_required", "revision"},
		{"An acknowledgement with a 2001-character comment.", "POST", "/notices/" + n.ID + "/receipts/c1/acknowledge", map[string]any{"revision": 1, "by": "x", "comment": strings.Repeat("好", 2001)}, companyAdmin("c1"), 400, "receipt.comment_too_long", "comment"},
		{"A list filtered by an unknown origin.", "GET", "/notices?origin=city", nil, nil, 400, "notice.origin_invalid", "origin"},
		{"A page size over 500.", "GET", "/notices?page_size=501", nil, nil, 400, "request.page_size_invalid", "page_size"},
		{"Another district's path.", "GET", "/api/v1/districts/caidian/notices", nil, nil, 404, "district.not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			r := e.Do(tc.method, tc.path, tc.body, tc.hdr...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.counts(); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused request wrote: %v → %v", before, after)
			}
		})
	}
}
