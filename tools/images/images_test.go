package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

var (
	imagesDir = flag.String("images", "../../dist/images", "the OCI layouts make images wrote")
	want      = flag.String("want", "", "comma-separated binaries that must each have an image (empty: any found)")
)

// TestImages checks every image make images built: one per binary asked
// for, each running as the non-root user its /etc/passwd names, its
// entrypoint a static executable (no dynamic loader, so no base image is
// needed) that starts and prints its flags, no shell anywhere, the CA
// certificates present, and the version and source labels set.
func TestImages(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(*imagesDir, "*", "index.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no OCI layouts under %s (run make images)", *imagesDir)
	}
	found := map[string]bool{}
	for _, idx := range dirs {
		dir := filepath.Dir(idx)
		name := filepath.Base(dir)
		found[name] = true
		t.Run(name, func(t *testing.T) { checkImage(t, dir, name) })
	}
	for _, w := range strings.Split(*want, ",") {
		if w != "" && !found[w] {
			t.Errorf("no image for %s", w)
		}
	}
}

func checkImage(t *testing.T, dir, name string) {
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("want one image in the layout, have %v (%v)", im, err)
	}
	img, err := ii.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (non-root)", c.User)
	}
	entry := "/usr/local/bin/" + name
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != entry || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [%s] and no cmd (no shell form)", c.Entrypoint, c.Cmd, entry)
	}
	for _, l := range []string{"org.opencontainers.image.version", "org.opencontainers.image.source", "org.opencontainers.image.revision"} {
		if c.Labels[l] == "" {
			t.Errorf("label %s is missing", l)
		}
	}
	if src := c.Labels["org.opencontainers.image.source"]; !strings.HasPrefix(src, "https://") {
		t.Errorf("source label %q is no URL", src)
	}

	files := flatten(t, img)
	for _, sh := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh", "bin"} {
		if _, ok := files[sh]; ok {
			t.Errorf("the image holds %s: it must need no shell", sh)
		}
	}
	if !strings.Contains(string(files["etc/passwd"].data), ":65532:65532:") {
		t.Errorf("/etc/passwd names no user 65532: %q", files["etc/passwd"].data)
	}
	if ca := files["etc/ssl/certs/ca-certificates.crt"]; !bytes.Contains(ca.data, []byte("BEGIN CERTIFICATE")) {
		t.Error("no CA certificates")
	}
	if tmp, ok := files["tmp"]; !ok || tmp.mode&0o1777 != 0o1777 {
		t.Errorf("/tmp is missing or not world-writable with the sticky bit: %v", tmp.mode)
	}
	exe, ok := files[strings.TrimPrefix(entry, "/")]
	if !ok || exe.mode&0o111 == 0 {
		t.Fatalf("the entrypoint %s is missing or not executable", entry)
	}
	f, err := elf.NewFile(bytes.NewReader(exe.data))
	if err != nil {
		t.Fatalf("the entrypoint is no ELF executable: %v", err)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("the entrypoint is dynamically linked: it needs a loader the image does not have")
		}
	}
	// It starts (a static binary needs nothing else) and lists its flags.
	bin := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(bin, exe.data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-help").CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\n  -") {
		t.Errorf("%s -help lists no flags:\n%s", name, out)
	}
}

type entry struct {
	mode int64
	data []byte
}

// flatten flattens the image's layers into path → entry.
func flatten(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]entry{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = entry{mode: h.Mode, data: data}
		}
		rc.Close()
	}
	return files
}
