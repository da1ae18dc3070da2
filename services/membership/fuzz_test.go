package membership_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/membership"
)

// FuzzRequests sends fuzzed requests to every route of a real membership
// node as an hq-admin (who reaches every decoder and validator): no panic,
// no 5xx, every refusal the API's JSON error with a stable id.
func FuzzRequests(f *testing.F) {
	node, err := membership.New(context.Background(), membership.Config{
		District: "jingkai", DBPath: filepath.Join(f.TempDir(), "membership.db"), IDHashKey: hashKey,
		Sealer: keyring(f, "k1"), Storage: storage.Config{Synchronous: "normal"},
	}, membership.Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	testutil.FuzzRequests(f, node.Handler(), membership.Routes(), "jingkai", testutil.HQAdmin(),
		`{"name":"武汉经开区安泰保安服务有限公司","credit_code":"91420100MA4KX1234B","licence_number":"鄂公保服务许字〔2019〕第123号","kind":"service_company","level":"member"}`,
		`{"name":"张伟","id_number":"420106198803141236","certificate_number":"420100201900001","certificate_issued_on":"2019-05-01","hired_on":"2020-01-01"}`,
		`{"status":"active"}`, `{"topic":"岗前培训","hours":8,"date":"2024-03-01"}`, `{"result":"passed","checked_on":"2024-01-01"}`,
		`{"left_on":"2025-01-01","reason":"resigned"}`, `{"name":"罗灯亮","role":"vice_president"}`)
}
