package compliance_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/compliance"
)

// FuzzRequests sends fuzzed requests to every route of a real compliance
// node as an hq-admin: no panic, no 5xx, every refusal the API's JSON
// error with a stable id.
func FuzzRequests(f *testing.F) {
	c := &clock{t: start}
	node, err := compliance.New(context.Background(), compliance.Config{
		District: "jingkai", DBPath: filepath.Join(f.TempDir(), "compliance.db"),
		Storage: storage.Config{Synchronous: "normal"}, Sealer: testSealer(f),
	}, compliance.Deps{Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	testutil.FuzzRequests(f, node.Handler(), compliance.Routes(), "jingkai", testutil.HQAdmin(),
		`{"name":"保安站点风险隐患排查表","sections":[{"title":"消防","critical":true,"items":[{"id":"exit","text":"疏散通道畅通","kind":"yes_no","weight":10}]}]}`,
		`{"company_id":"c1","site":"南门岗","template_id":"t","inspector":"薛龙","inspected_on":"2026-06-10","answers":[{"item_id":"exit","value":"na"}]}`,
		`{"status":"remediating"}`, `{"company_id":"c1","period":"month","count":1,"starts_on":"2026-06-01"}`,
		`{"company_id":"c1","kind":"wages","parties":[{"role":"guard","name":"张某"}],"description":"欠薪"}`,
		`{"kind":"contact","note":"电话联系"}`, `{"status":"escalated","outcome":"移交","escalated_to":"court"}`,
		`{"guard_id":"g1","company_id":"c1","checked_on":"2026-06-09","points":{"whereabouts":{"rating":5},"job_duties":{"rating":4},"state_of_mind":{"rating":3},"career_plan":{"rating":2}}}`,
		`{"company_id":"c1","period":"2026-Q2"}`, `{"points":-5,"reason":"辖区通报"}`, `{"reason":"迟报的证据"}`)
}
