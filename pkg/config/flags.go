// Package config holds the static configuration of Guildhall processes
// (flag-registered Config structs in the Mimir style, filled from the
// environment by ApplyEnv) and the live configuration read from etcd: the
// district registry under /guildhall/districts/ and single-key settings
// (Value) that are validated and swapped in atomically, keeping the last good
// value when etcd sends a bad one or goes away.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// StringList is a flag.Value holding a comma-separated list; empty items are
// dropped and surrounding spaces trimmed.
type StringList []string

// String returns the list joined by commas.
func (l *StringList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// Set replaces the list with the comma-separated items of s.
func (l *StringList) Set(s string) error {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	*l = out
	return nil
}

// EnvName returns the environment variable that ApplyEnv reads for flag
// name: prefix, '_', then the name upper-cased with '.' and '-' turned into
// '_' ("kafka.brokers" with prefix "GUILDHALL" → GUILDHALL_KAFKA_BROKERS).
func EnvName(prefix, name string) string {
	n := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(name))
	if prefix = strings.TrimSuffix(prefix, "_"); prefix == "" {
		return n
	}
	return strings.ToUpper(prefix) + "_" + n
}

// ApplyEnv sets every flag of fs not given on the command line from the
// environment: flag "kafka.brokers" ← GUILDHALL_KAFKA_BROKERS for prefix
// "GUILDHALL" (see EnvName). Flags win. Call after fs.Parse. lookup is
// os.LookupEnv when nil; tests pass a map's lookup. Every bad value is
// reported, joined, naming its variable. Flags it sets count as set for
// fs.Visit afterwards, like flags given on the command line.
func ApplyEnv(fs *flag.FlagSet, prefix string, lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		env := EnvName(prefix, f.Name)
		v, ok := lookup(env)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("config: environment variable %s for flag -%s: %w", env, f.Name, err))
		}
	})
	return errors.Join(errs...)
}
