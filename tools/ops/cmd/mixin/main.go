// Command mixin regenerates Guildhall's Prometheus rules: it runs sloth on
// the SLO spec, wraps the alerts in their traffic floors and runbook links
// (package mixin) and writes the result to every -out file.
//
//	go run ./cmd/mixin -sloth ../../bin/sloth -spec ../../deploy/mixin/slos.yaml -out ../../deploy/mixin/rules.yaml
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/guildhall/guildhall/tools/ops/mixin"
)

func main() {
	sloth := flag.String("sloth", "bin/sloth", "the sloth binary (make tools builds it)")
	spec := flag.String("spec", "deploy/mixin/slos.yaml", "the SLO spec")
	out := flag.String("out", "deploy/mixin/rules.yaml", "comma-separated files to write the rules to")
	base := flag.String("runbook-base", "https://github.com/guildhall/guildhall/blob/main/docs/runbooks/", "prefix of each alert's runbook_url")
	flag.Parse()
	if err := run(*sloth, *spec, strings.Split(*out, ","), *base); err != nil {
		fmt.Fprintln(os.Stderr, "mixin:", err)
		os.Exit(1)
	}
}

func run(sloth, spec string, outs []string, base string) error {
	specYAML, err := os.ReadFile(spec)
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(sloth, "generate", "-i", spec)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s generate: %w: %s", sloth, err, stderr.String())
	}
	b, err := mixin.Wrap(specYAML, stdout.Bytes(), mixin.Options{RunbookBase: base})
	if err != nil {
		return err
	}
	for _, o := range outs {
		if err := os.WriteFile(o, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
