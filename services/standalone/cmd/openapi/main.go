// Command openapi writes the OpenAPI 3 document of every service, generated
// from its route table by pkg/apidoc, next to the service (`make openapi`).
// The documents are committed: each service embeds and serves its own, the
// guildhall binary merges them at /api/v1/openapi.json, a test in each
// service fails when its committed document is stale, and `make verify`
// fails when running this command changes a file.
//
// Usage, from the repository root:
//
//	go run ./services/standalone/cmd/openapi [-root .]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/guildhall/guildhall/pkg/apidoc"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/accounts"
	"github.com/guildhall/guildhall/services/compliance"
	"github.com/guildhall/guildhall/services/hq"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/membership"
	"github.com/guildhall/guildhall/services/messaging"
	"github.com/guildhall/guildhall/services/patrols"
)

// documents are the generated files, relative to the repository root.
var documents = []struct {
	path string
	api  func() kitx.API
}{
	{"services/membership/openapi.json", membership.API},
	{"services/meetings/openapi.json", meetings.API},
	{"services/patrols/openapi.json", patrols.API},
	{"services/compliance/openapi.json", compliance.API},
	{"services/hq/openapi.json", hq.API},
	{"services/accounts/openapi.json", accounts.API},
	{"services/messaging/openapi.json", messaging.API},
}

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	for _, d := range documents {
		raw, err := apidoc.Generate(d.api())
		if err != nil {
			return err
		}
		path := filepath.Join(root, d.path)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, raw) {
			continue
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return err
		}
		fmt.Println("openapi: wrote", d.path)
	}
	return nil
}
