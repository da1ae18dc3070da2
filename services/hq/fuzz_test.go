package hq

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// FuzzRequests sends fuzzed requests to every HQ route as an hq-admin, on a
// real embedded etcd (the convention is published there): no panic, no
// 5xx, every refusal the API's JSON error with a stable id.
func FuzzRequests(f *testing.F) {
	env := testutil.NewEnv(f)
	n, err := New(env.Context(), Config{DBPath: env.Path("hq.db"), Brokers: []string{"127.0.0.1:1"}}, Deps{Etcd: env.Etcd().Client})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	testutil.FuzzRequests(f, n.Handler(), Routes(), "jingkai", testutil.HQAdmin(),
		`{"version":"2025-2","title":"武汉市保安行业自律公约","text":"依法经营，公平竞争。"}`,
		`{"version":"","title":"","text":""}`)
}
