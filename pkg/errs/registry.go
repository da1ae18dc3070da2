package errs

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Declaration is one stable error id as its package declared it (E,
// EField, InvalidField or Alias). The registry of every declaration is
// what the README's error table is generated from (`make errors-doc`) and
// what the tests hold the ids to: one declaration per id, one kind per id,
// one id per meaning.
type Declaration struct {
	ID   string
	Kind Kind
	// Field is the request field the declaration names; empty when the
	// error names none or its use site does (WithField).
	Field string
	// Message is what the id means, as the API answers it (an Internal
	// error is answered "internal error" whatever its message says).
	Message string
	// AliasOf is, for a deprecated alias, the id it is answered as.
	AliasOf string
	// Package is the import path of the declaring package.
	Package string
	// Site is the declaration's file:line.
	Site string
}

// Status is the HTTP status the id is answered with.
func (d Declaration) Status() int { return statusOf[d.Kind] }

// Registry returns every declaration made so far in this process, ordered
// by id (then site): a binary that links every service's packages sees
// every id, since each is a package-level variable declared at
// initialisation.
func Registry() []Declaration { return declared.list() }

// Lookup returns the declaration of id; false if none was made. An id
// declared twice (a bug Problems reports) returns the first by site.
func Lookup(id string) (Declaration, bool) {
	for _, d := range declared.list() {
		if d.ID == id {
			return d, true
		}
	}
	return Declaration{}, false
}

// Problems returns what is wrong with the declarations of this process
// (see Registry), one error per problem, nil if nothing is.
func Problems() []error { return problems(declared.list()) }

// registry records declarations. A declaration is keyed by its site and
// id, so an E called in a function body (a bug Problems cannot see, but
// the repository's source scan does) records one entry, not one per call.
type registry struct {
	mu    sync.Mutex
	decls map[siteID]Declaration
	// byID is the first declaration of each id, for Localize, which runs
	// on every error answered and must not sort the whole registry.
	byID map[string]Declaration
}

type siteID struct{ site, id string }

// declared is the process's registry.
var declared registry

func (r *registry) add(d Declaration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.decls == nil {
		r.decls = map[siteID]Declaration{}
	}
	r.decls[siteID{d.Site, d.ID}] = d
	if r.byID == nil {
		r.byID = map[string]Declaration{}
	}
	if old, ok := r.byID[d.ID]; !ok || d.Site < old.Site {
		r.byID[d.ID] = d
	}
}

// message returns the registered message of id and the id it is answered
// as (its canonical id, for an alias); false if id was never declared.
func (r *registry) message(id string) (message, canonical string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.byID[id]
	if !ok {
		return "", "", false
	}
	canonical = d.ID
	if d.AliasOf != "" {
		canonical = d.AliasOf
	}
	return d.Message, canonical, true
}

func (r *registry) list() []Declaration {
	r.mu.Lock()
	out := make([]Declaration, 0, len(r.decls))
	for _, d := range r.decls {
		out = append(out, d)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Declaration) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Site, b.Site))
	})
	return out
}

// errsPackage is this package's import path: frames of its constructors
// are skipped to find the declaring package.
var errsPackage = reflect.TypeFor[Error]().PkgPath()

// constructors are the functions that declare an id; the first frame
// outside them is the declaration.
var constructors = map[string]bool{"E": true, "EField": true, "InvalidField": true, "Alias": true, "declare": true}

// declare registers e as declared by the first caller outside this
// package's constructors and returns it.
func declare(e *Error) *Error {
	d := Declaration{ID: e.ID, Kind: e.Kind, Field: e.Field, Message: e.Message, AliasOf: e.AliasOf}
	var pcs [8]uintptr
	// Frames, not runtime.FuncForPC: a constructor inlined into its
	// caller shares the caller's pc.
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		pkg, fn := splitFunc(f.Function)
		if pkg != errsPackage || !constructors[fn] {
			d.Package, d.Site = pkg, f.File+":"+strconv.Itoa(f.Line)
			break
		}
		if !more {
			break
		}
	}
	declared.add(d)
	return e
}

// splitFunc splits a frame's function name, "path/pkg.Func.func1", into
// its package path and the rest.
func splitFunc(name string) (pkg, fn string) {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return name, ""
	}
	return name[:slash+1+dot], name[slash+1+dot+1:]
}

// idPattern is the form of a stable id: dotted lower-case snake_case
// words, e.g. "guard.id_number_invalid".
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// problems checks decls (ordered as list orders them): each id declared
// once (twice with different kinds is reported as such: the API would
// answer one id with two statuses), in the slug form, with a meaning; each
// alias naming a declared canonical id; no two canonical ids of the same
// kind meaning the same (one message), which would be one condition under
// two ids.
func problems(decls []Declaration) []error {
	var out []error
	byID := map[string][]Declaration{}
	var ids []string
	for _, d := range decls {
		if _, ok := byID[d.ID]; !ok {
			ids = append(ids, d.ID)
		}
		byID[d.ID] = append(byID[d.ID], d)
	}
	type meaning struct {
		kind    Kind
		message string
	}
	sameMeaning := map[meaning]string{}
	for _, id := range ids {
		ds := byID[id]
		d := ds[0]
		if len(ds) > 1 {
			sites := make([]string, len(ds))
			kinds := map[Kind]bool{}
			for i, x := range ds {
				sites[i] = x.Kind.String() + " at " + x.Site
				kinds[x.Kind] = true
			}
			if len(kinds) > 1 {
				out = append(out, fmt.Errorf("errs: id %q is declared with %d different kinds: %s", id, len(kinds), strings.Join(sites, ", ")))
			} else {
				out = append(out, fmt.Errorf("errs: id %q is declared %d times (%s): declare it once and share the sentinel", id, len(ds), strings.Join(sites, ", ")))
			}
		}
		if !idPattern.MatchString(id) {
			out = append(out, fmt.Errorf("errs: id %q (%s) is not dotted lower-case snake_case", id, d.Site))
		}
		if strings.TrimSpace(d.Message) == "" {
			out = append(out, fmt.Errorf("errs: id %q (%s) has no message saying what it means", id, d.Site))
		}
		if d.AliasOf != "" {
			if c, ok := byID[d.AliasOf]; !ok || c[0].AliasOf != "" {
				out = append(out, fmt.Errorf("errs: alias %q (%s) names %q, which is not a declared canonical id", id, d.Site, d.AliasOf))
			}
			continue
		}
		m := meaning{d.Kind, strings.TrimSpace(d.Message)}
		if other, ok := sameMeaning[m]; ok && m.message != "" {
			out = append(out, fmt.Errorf("errs: ids %q and %q are both %s errors meaning %q: make one the other's alias", other, id, d.Kind, m.message))
			continue
		}
		sameMeaning[m] = id
	}
	return out
}
