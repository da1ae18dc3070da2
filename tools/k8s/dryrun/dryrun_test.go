// Package dryrun sends every golden render of charts/guildhall to a real
// kube-apiserver (k8s.io/kubernetes, the pinned release) backed by an
// embedded etcd, as a server-side dry run: admission, defaulting and strict
// field validation run as they would at install, and nothing is stored. The
// CRDs the chart uses (Prometheus Operator, Gateway API, Strimzi) are
// installed first, for real. scripts/k8s-tools.sh builds this test once and
// runs it with -renders and -crds.
package dryrun

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
)

var (
	rendersGlob = flag.String("renders", "../../../charts/guildhall/golden/*.yaml", "the renders to dry-run (a glob)")
	crdsGlob    = flag.String("crds", "", "the CRDs to install first (comma-separated globs)")
	namespace   = flag.String("namespace", "guildhall", "the namespace of objects that name none")
)

// api is the apiserver of one test: a dynamic client and a mapper that
// knows the installed CRDs.
type api struct {
	dyn      dynamic.Interface
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	warnings *warnings
}

// warnings collects the warnings the server sends with its answers: the
// namespaces enforce the restricted Pod Security Standard, whose admission
// judges a Deployment's pod template only by warning.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

// take returns the warnings since the last call.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.seen
	w.seen = nil
	return out
}

func startAPIServer(t *testing.T) *api {
	t.Helper()
	etcdURL := startEtcd(t)
	storage := storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = []string{etcdURL}
	srv := kubeapiservertesting.StartTestServerOrDie(t, nil, []string{"--authorization-mode=RBAC"}, storage)
	t.Cleanup(srv.TearDownFn)
	w := &warnings{}
	cfg := rest.CopyConfig(srv.ClientConfig)
	cfg.WarningHandler = w
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &api{dyn: dynamic.NewForConfigOrDie(cfg), mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), warnings: w}
}

// startEtcd runs an embedded etcd on free loopback ports for the test.
func startEtcd(t *testing.T) string {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "error"
	client, peer := freeURL(t), freeURL(t)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		t.Fatal("etcd did not become ready")
	}
	return client.String()
}

func freeURL(t *testing.T) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// objects reads every YAML document of the files matching the globs.
func objects(t *testing.T, globs string) map[string][]*unstructured.Unstructured {
	t.Helper()
	out := map[string][]*unstructured.Unstructured{}
	for _, g := range strings.Split(globs, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		files, err := filepath.Glob(g)
		if err != nil || len(files) == 0 {
			t.Fatalf("no files match %q (%v)", g, err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(raw)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[f] = objs
		}
	}
	return out
}

func decode(raw []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		var m map[string]any
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// create sends obj to the apiserver; dry-run unless real.
func (a *api) create(ctx context.Context, obj *unstructured.Unstructured, real bool) error {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s: %w", gvk, err)
	}
	opts := metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}
	if !real {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(*namespace)
		}
		ri = a.dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	_, err = ri.Create(ctx, obj, opts)
	return err
}

// installCRDs creates the CRDs for real and waits until each is established
// and its kinds are discovered.
func (a *api) installCRDs(ctx context.Context, t *testing.T) {
	t.Helper()
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var names []string
	for f, objs := range objects(t, *crdsGlob) {
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			if err := a.create(ctx, o, true); err != nil {
				t.Fatalf("installing the CRD %s of %s: %v", o.GetName(), f, err)
			}
			names = append(names, o.GetName())
		}
	}
	for _, n := range names {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			crd, err := a.dyn.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				if c, ok := c.(map[string]any); ok && c["type"] == "Established" && c["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("the CRD %s is not established: %v", n, err)
		}
	}
	a.mapper.Reset()
	t.Logf("installed %d CRDs", len(names))
}

// ensureNamespaces creates, for real, every namespace the objects name.
func (a *api) ensureNamespaces(ctx context.Context, t *testing.T, all map[string][]*unstructured.Unstructured) {
	t.Helper()
	want := map[string]bool{*namespace: true}
	for _, objs := range all {
		for _, o := range objs {
			if ns := o.GetNamespace(); ns != "" {
				want[ns] = true
			}
		}
	}
	for ns := range want {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns,
			"labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"}}}}
		if err := a.create(ctx, o, true); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
}

// TestDryRunRenders is the check: every object of every render is accepted,
// without a warning (the pods meet the restricted Pod Security Standard).
// A render that names a kind the server does not know, a field no schema
// has, an invalid value or a duplicate fails here as it would at install.
func TestDryRunRenders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	a := startAPIServer(t)
	a.installCRDs(ctx, t)
	renders := objects(t, *rendersGlob)
	a.ensureNamespaces(ctx, t, renders)
	a.warnings.take()
	files := make([]string, 0, len(renders))
	for f := range renders {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		kinds, accepted := map[string]int{}, 0
		for _, o := range renders[f] {
			if err := a.create(ctx, o, false); err != nil {
				t.Errorf("%s: %s %s: %v", filepath.Base(f), o.GetKind(), o.GetName(), err)
				continue
			}
			if w := a.warnings.take(); len(w) > 0 {
				t.Errorf("%s: %s %s: the server warns: %s", filepath.Base(f), o.GetKind(), o.GetName(), strings.Join(w, "; "))
				continue
			}
			kinds[o.GetKind()]++
			accepted++
		}
		t.Logf("%s: %d of %d objects accepted (dry-run) %v", filepath.Base(f), accepted, len(renders[f]), kinds)
	}

	// The server really judges: the same Deployment with a field no schema
	// has, and a Service with an invalid port, are refused.
	bad := map[string]string{
		"unknown field": `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i","readOnlyRootFilesystem":true}]}}}}`,
		"invalid port":  `{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":70000}]}}`,
	}
	for what, raw := range bad {
		objs, err := decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.create(ctx, objs[0], false); err == nil {
			t.Errorf("a %s was accepted: the dry-run proves nothing", what)
		}
	}
}
