package accounts

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// FuzzRequests sends fuzzed requests to every accounts route as the
// bootstrap hq-admin: no panic, no 5xx, every refusal the API's JSON error
// with a stable id.
func FuzzRequests(f *testing.F) {
	dir := f.TempDir()
	issuer, err := auth.NewLocalIssuer(filepath.Join(dir, "keys"), "guildhall-test", "guildhall", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	node, err := New(context.Background(), Config{DBPath: filepath.Join(dir, "accounts.db")}, Deps{Issuer: issuer})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = node.Close() })
	if _, _, err := node.EnsureBootstrapAdmin(context.Background()); err != nil {
		f.Fatal(err)
	}
	rows, _, err := node.svc.List(context.Background(), kitx.Page{Size: 10})
	if err != nil || len(rows) != 1 {
		f.Fatalf("bootstrap admin: %v %v", rows, err)
	}
	admin := rows[0].Principal()
	testutil.FuzzRequests(f, node.Handler(), Routes(), "jingkai", &admin,
		`{"username":"admin","password":"wrong password 1"}`,
		`{"username":"da1","password":"a long password","role":"district-admin","districts":["jingkai"]}`,
		`{"disabled":true}`, `{"role":"ops","districts":[]}`, `{"password":"another long pw"}`)
}
