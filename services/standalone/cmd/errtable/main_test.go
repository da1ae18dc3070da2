package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
)

// repoRoot is the directory holding go.work above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test directory")
		}
		dir = parent
	}
}

func TestTheRegistryOfEveryLinkedIDHasNoProblem(t *testing.T) {
	t.Parallel()
	for _, p := range errs.Problems() {
		t.Error(p)
	}
	if n := len(errs.Registry()); n < 150 {
		t.Fatalf("only %d ids registered: the services are not linked", n)
	}
}

func TestEveryErrorIDOfTheOpenAPIDocumentsIsRegisteredWithTheStatusItIsListedUnder(t *testing.T) {
	t.Parallel()
	docs, err := filepath.Glob(filepath.Join(repoRoot(t), "services", "*", "openapi.json"))
	if err != nil || len(docs) < 4 {
		t.Fatalf("documents %v, %v", docs, err)
	}
	for _, path := range docs {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]map[string]struct {
				Responses map[string]map[string]json.RawMessage `json:"responses"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		seen := 0
		for p, ops := range doc.Paths {
			for method, op := range ops {
				for status, resp := range op.Responses {
					var ids []string
					if x, ok := resp["x-error-ids"]; !ok {
						continue
					} else if err := json.Unmarshal(x, &ids); err != nil {
						t.Fatalf("%s %s %s %s: %v", path, method, p, status, err)
					}
					for _, id := range ids {
						seen++
						d, ok := errs.Lookup(id)
						switch {
						case !ok:
							t.Errorf("%s: %s %s answers %s %s, which no package declares", filepath.Base(filepath.Dir(path)), method, p, status, id)
						case status != "default" && strconv.Itoa(d.Status()) != status:
							t.Errorf("%s: %s %s lists %s under %s; it is answered with %d", filepath.Base(filepath.Dir(path)), method, p, id, status, d.Status())
						}
					}
				}
			}
		}
		if seen == 0 {
			t.Errorf("%s lists no error id", path)
		}
	}
}

func TestTheREADMEErrorTableIsCurrent(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), readme))
	if err != nil {
		t.Fatal(err)
	}
	want, err := splice(raw, table(errs.Registry()))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(raw) {
		t.Fatal("the README's error table is stale: run make errors-doc")
	}
	for _, id := range []string{"`district.not_found`", "`convention.none_published`", "`request.canceled` | 499"} {
		if !strings.Contains(string(raw), id) {
			t.Errorf("the table does not list %s", id)
		}
	}
}

func TestSpliceReplacesOnlyWhatIsBetweenTheMarkers(t *testing.T) {
	t.Parallel()
	doc := "intro\n" + beginMarker + "\nold table\n" + endMarker + "\noutro\n"
	got, err := splice([]byte(doc), "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n" + beginMarker + "\nnew table\n" + endMarker + "\noutro\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := splice([]byte("no markers"), "x"); err == nil {
		t.Fatal("a document without markers was accepted")
	}
}

// constructors are pkg/errs's declaring functions and the index of their
// id argument.
var constructors = map[string]int{"E": 1, "EField": 1, "InvalidField": 0, "Alias": 0}

// TestEveryIDIsAPackageLevelDeclarationTheRegistryHolds reads every Go
// file of the repository (tests aside): an id declared in a function body
// is registered only once that code runs, so the table would miss it; an
// id in a package this binary does not link is missing too; and a
// declaration's field given with WithField is a copy the registry never
// sees. Only the source shows these.
func TestEveryIDIsAPackageLevelDeclarationTheRegistryHolds(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	sites := map[string][]string{} // id → files the registry saw it declared in
	for _, d := range errs.Registry() {
		file, _, _ := strings.Cut(d.Site, ".go:")
		sites[d.ID] = append(sites[d.ID], file+".go")
	}
	found := 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			switch e.Name() {
			case ".git", "bin", "data", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		for _, p := range scanFile(t, path) {
			found++
			switch {
			case p.problem != "":
				t.Errorf("%s:%d: %s", rel, p.line, p.problem)
			case !slices.ContainsFunc(sites[p.id], func(f string) bool { return f == path || strings.HasSuffix(f, "/"+filepath.ToSlash(rel)) }):
				t.Errorf("%s:%d: %s is declared here but not registered by this binary: link its package from services/standalone", rel, p.line, p.id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 150 {
		t.Fatalf("the scan found only %d declarations", found)
	}
}

// declaration is one constructor call the scan found: its id, or what is
// wrong with it.
type declaration struct {
	id      string
	line    int
	problem string
}

// scanFile finds the calls of pkg/errs's constructors in one file.
func scanFile(t *testing.T, path string) []declaration {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The name pkg/errs goes by in this file; "" in pkg/errs itself.
	name, ok := "", f.Name.Name == "errs" && strings.HasSuffix(filepath.Dir(path), filepath.Join("pkg", "errs"))
	for _, imp := range f.Imports {
		if imp.Path.Value == `"github.com/guildhall/guildhall/pkg/errs"` {
			name, ok = "errs", true
			if imp.Name != nil {
				name = imp.Name.Name
			}
		}
	}
	if !ok {
		return nil
	}
	constructor := func(n ast.Node) (string, *ast.CallExpr) {
		call, isCall := n.(*ast.CallExpr)
		if !isCall {
			return "", nil
		}
		switch fn := call.Fun.(type) {
		case *ast.SelectorExpr:
			if x, isIdent := fn.X.(*ast.Ident); isIdent && x.Name == name {
				if _, known := constructors[fn.Sel.Name]; known {
					return fn.Sel.Name, call
				}
			}
		case *ast.Ident:
			if _, known := constructors[fn.Name]; known && name == "" {
				return fn.Name, call
			}
		}
		return "", nil
	}
	var out []declaration
	for _, decl := range f.Decls {
		_, inFunc := decl.(*ast.FuncDecl)
		ast.Inspect(decl, func(n ast.Node) bool {
			// errs.E(…).WithField(…) at package level: the registry holds
			// E's field (none), not the copy's.
			if sel, isSel := n.(*ast.SelectorExpr); isSel && sel.Sel.Name == "WithField" && !inFunc {
				if c, _ := constructor(sel.X); c != "" {
					out = append(out, declaration{line: fset.Position(sel.Pos()).Line,
						problem: "declares an id with " + c + "(…).WithField: declare the field with EField or InvalidField so the registry lists it"})
				}
			}
			c, call := constructor(n)
			if c == "" {
				return true
			}
			d := declaration{line: fset.Position(call.Pos()).Line}
			lit, isLit := call.Args[constructors[c]].(*ast.BasicLit)
			switch {
			case inFunc:
				d.problem = "declares an id inside a function: declare a package-level sentinel and return it (Wrap, WithField)"
			case !isLit || lit.Kind != token.STRING:
				d.problem = "declares an id that is not a string literal"
			default:
				d.id, _ = strconv.Unquote(lit.Value)
			}
			out = append(out, d)
			return true
		})
	}
	return out
}
