// Command imagebuild builds one OCI image per Guildhall binary without a
// container engine (go-containerregistry): a single layer holding the static
// binary, an /etc/passwd and /etc/group with the non-root user 65532, the CA
// certificates and a writable /tmp, on no base image at all — there is no
// shell, no package manager, nothing but the binary. Each image is written as
// an OCI layout directory (push it with crane, skopeo or oras).
//
//	imagebuild -out dist/images -version v0.4.0 -revision <commit> \
//	  -source https://github.com/guildhall/guildhall -ca /etc/ssl/certs/ca-certificates.crt \
//	  bin/images/membership bin/images/hq …
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user every image runs as; the chart's securityContext names the same.
const (
	uid     = 65532
	user    = "nonroot"
	home    = "/home/nonroot"
	binDir  = "/usr/local/bin"
	caPath  = "/etc/ssl/certs/ca-certificates.crt"
	repoURL = "https://github.com/guildhall/guildhall"
)

type options struct {
	out, version, revision, source, ca, arch string
	created                                  time.Time
}

func main() {
	var o options
	var epoch int64
	flag.StringVar(&o.out, "out", "dist/images", "directory of the OCI layouts, one per binary")
	flag.StringVar(&o.version, "version", "", "the release version (label org.opencontainers.image.version)")
	flag.StringVar(&o.revision, "revision", "", "the source commit (label org.opencontainers.image.revision)")
	flag.StringVar(&o.source, "source", repoURL, "the source repository (label org.opencontainers.image.source)")
	flag.StringVar(&o.ca, "ca", caPath, "the CA certificate bundle to install")
	flag.StringVar(&o.arch, "arch", "amd64", "the binaries' architecture")
	flag.Int64Var(&epoch, "epoch", 0, "timestamp of every file and of the image, seconds since 1970 (SOURCE_DATE_EPOCH): the same inputs give the same digest")
	flag.Parse()
	o.created = time.Unix(epoch, 0).UTC()
	if err := run(o, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(o options, bins []string) error {
	if o.version == "" || len(bins) == 0 {
		return errors.New("usage: imagebuild -version V [flags] binary…")
	}
	ca, err := os.ReadFile(o.ca)
	if err != nil {
		return err
	}
	for _, b := range bins {
		img, err := build(o, b, ca)
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		name := filepath.Base(b)
		dir := filepath.Join(o.out, name)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			return err
		}
		ref := "ghcr.io/guildhall/" + name + ":" + o.version
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": ref,
		})); err != nil {
			return err
		}
		d, _ := img.Digest()
		fmt.Printf("%s: %s %s\n", dir, ref, d)
	}
	return nil
}

func build(o options, bin string, ca []byte) (v1.Image, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(bin)
	layer, err := rootfs(o.created, name, exe, ca)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Created = v1.Time{Time: o.created}
	cf.Config.User = strconv.Itoa(uid) + ":" + strconv.Itoa(uid)
	cf.Config.Entrypoint = []string{binDir + "/" + name}
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = home
	cf.Config.Env = []string{"PATH=" + binDir, "SSL_CERT_FILE=" + caPath}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "9090/tcp": {}}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    name,
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.revision": o.revision,
		"org.opencontainers.image.source":   o.source,
		"org.opencontainers.image.created":  o.created.Format(time.RFC3339),
		"org.opencontainers.image.description": "Guildhall " + name +
			" (static binary, no shell; runs as " + user + ")",
	}
	return mutate.ConfigFile(img, cf)
}

// rootfs is the image's one layer.
func rootfs(mtime time.Time, name string, exe, ca []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(p string, mode int64, owner int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(p string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", user, uid, uid, user, home)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", user, uid)
	steps := []error{
		dir("etc", 0o755, 0),
		file("etc/passwd", 0o644, []byte(passwd)),
		file("etc/group", 0o644, []byte(group)),
		dir("etc/ssl", 0o755, 0),
		dir("etc/ssl/certs", 0o755, 0),
		file("etc/ssl/certs/ca-certificates.crt", 0o644, ca),
		dir("home", 0o755, 0),
		dir("home/nonroot", 0o700, uid),
		dir("tmp", 0o1777, 0),
		dir("usr", 0o755, 0),
		dir("usr/local", 0o755, 0),
		dir("usr/local/bin", 0o755, 0),
		file("usr/local/bin/"+name, 0o755, exe),
		tw.Close(),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
