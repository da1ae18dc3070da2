package meetings_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/meetings"
)

// FuzzRequests sends fuzzed requests to every route of a real meetings node
// as an hq-admin: no panic, no 5xx, every refusal the API's JSON error with
// a stable id.
func FuzzRequests(f *testing.F) {
	c := &clock{t: meetingStart}
	node, err := meetings.New(context.Background(), meetings.Config{
		District: "jingkai", DBPath: filepath.Join(f.TempDir(), "meetings.db"),
		Storage: storage.Config{Synchronous: "normal"}, DefaultConvention: testConvention,
	}, meetings.Deps{Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	testutil.FuzzRequests(f, node.Handler(), meetings.Routes(), "jingkai", testutil.HQAdmin(),
		`{"kind":"district_working","title":"片区工作会议","starts_at":"2025-09-23T09:00:00+08:00","ends_at":"2025-09-23T12:00:00+08:00","location":"经开区"}`,
		`{"kind":"speech","title":"解读会长办公会精神","presenter":"陈年初","minutes":20}`,
		`{"company_id":"c1"}`, `{"person":"薛龙","role":"police"}`, `{"code":"x"}`,
		`{"title":"四项重点部署","text":"建立片区常态化联络机制"}`, `{"title":"联络机制","owner_company_id":"c1","due_on":"2025-12-31"}`,
		`{"status":"done"}`, `{"company_id":"c1","version":"2025-1"}`, `{"period":"month","count":1}`)
}
