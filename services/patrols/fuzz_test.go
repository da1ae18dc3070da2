package patrols_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/patrols"
)

// FuzzRequests sends fuzzed requests to every route of a real patrols node
// as an hq-admin: no panic, no 5xx, every refusal the API's JSON error with
// a stable id.
func FuzzRequests(f *testing.F) {
	c := &clock{t: nationalDay}
	node, err := patrols.New(context.Background(), patrols.Config{
		District: "jingkai", DBPath: filepath.Join(f.TempDir(), "patrols.db"), Storage: storage.Config{Synchronous: "normal"},
	}, patrols.Deps{Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	testutil.FuzzRequests(f, node.Handler(), patrols.Routes(), "jingkai", testutil.HQAdmin(),
		`{"name":"经开义警一队","leader_guard_id":"g1"}`, `{"guard_id":"g1"}`,
		`{"name":"万达广场","shape":"circle","center":{"lat":30.5,"lng":114.2},"radius_m":500,"crs":"gcj02"}`,
		`{"name":"北门","tag_kind":"qr","tag_value":"QR-jingkai-0001","location":{"lat":30.5,"lng":114.2}}`,
		`{"name":"国庆巡防","area_id":"a","starts_at":"2026-10-01T00:00:00+08:00","ends_at":"2026-10-08T00:00:00+08:00"}`,
		`{"starts_at":"2026-10-01T09:00:00+08:00","ends_at":"2026-10-01T11:00:00+08:00","required":2,"route":["c"],"expected_scans":4}`,
		`{"guard_id":"g1","device_id":"d","tag":"QR-jingkai-0001","scanned_at":"2026-10-01T09:30:00+08:00","location":{"lat":30.5,"lng":114.2},"device_seq":1}`,
		`{"guard_id":"g1","device_id":"d","device_time":"2026-10-01T12:00:00+08:00","scans":[{"tag":"x","scanned_at":"2026-10-01T09:30:00+08:00","location":{"lat":30.5,"lng":114.2},"device_seq":1}]}`,
		`{"kind":"纠纷","urgency":"urgent","location":{"lat":30.5,"lng":114.2}}`, `{"team_id":"t"}`, `{"step":"feedback","note":"已处理"}`,
		`{"guard_id":"g1","kind":"可疑人员","severity":"low","location":{"lat":30.5,"lng":114.2},"attachments":["oss://a"]}`)
}
