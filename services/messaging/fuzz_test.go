package messaging_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/messaging"
)

// FuzzRequests sends fuzzed requests to every route of a real district
// messaging node as its district lead: no panic, no 5xx, every refusal
// the API's JSON error with a stable id.
func FuzzRequests(f *testing.F) {
	c := &clock{t: start}
	node, err := messaging.New(context.Background(), messaging.Config{
		District: "jingkai", DBPath: filepath.Join(f.TempDir(), "messaging.db"), Storage: storage.Config{Synchronous: "normal"},
	}, messaging.Deps{Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	for _, co := range register {
		if err := node.PutCompany(context.Background(), co); err != nil {
			f.Fatal(err)
		}
	}
	lead := &auth.Principal{Subject: "lead", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}
	testutil.FuzzRequests(f, node.Handler(), messaging.Routes(), "jingkai", lead,
		`{"title":"通知","body_markdown":"**请**<script>x</script>","audience":{"kind":"district"}}`,
		`{"title":"t","body_markdown":"b","ack_required":true,"ack_deadline":"2025-09-30T00:00:00+08:00","audience":{"kind":"companies","company_ids":["c1"]}}`,
		`{"title":"t","body_markdown":"b","audience":{"kind":"role","role":"council"},"attachments":[{"name":"a","url":"https://x.cn"}]}`,
		`{"by":"王","revision":1,"comment":"好"}`, `{"seq":1}`, `{"body_markdown":"回复","mentions":["@ca-c1"]}`)
}
