// Command dashboards writes every Guildhall dashboard to -out as
// <name>.json (make dashboards).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/guildhall/guildhall/tools/ops/dashboards"
)

func main() {
	out := flag.String("out", "deploy/dashboards", "directory to write the dashboards to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards:", err)
		os.Exit(1)
	}
	for name, s := range dashboards.All() {
		b, err := dashboards.Build(s)
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, name+".json"), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "dashboards:", err)
			os.Exit(1)
		}
	}
}
