package errs

import (
	"net/http"
	"strings"
	"testing"
)

// registrySentinel is declared the way every service declares its ids.
var registrySentinel = EField(Conflict, "test.registry_sentinel", "credit_code", "a sentinel the registry test declares")

func TestADeclarationIsRegisteredWithItsKindFieldMeaningAndSite(t *testing.T) {
	t.Parallel()
	d, ok := Lookup(registrySentinel.ID)
	if !ok {
		t.Fatal("the package-level declaration is not in the registry")
	}
	want := Declaration{ID: "test.registry_sentinel", Kind: Conflict, Field: "credit_code", Message: "a sentinel the registry test declares", Package: errsPackage}
	if d.ID != want.ID || d.Kind != want.Kind || d.Field != want.Field || d.Message != want.Message || d.Package != want.Package {
		t.Fatalf("registered %+v, want %+v", d, want)
	}
	// The site is the declaration's, not a constructor's inside this package.
	if !strings.HasSuffix(d.Site, "registry_test.go:10") {
		t.Fatalf("site %q, want this file's line 10", d.Site)
	}
	if d.Status() != http.StatusConflict {
		t.Fatalf("status %d", d.Status())
	}
	alias := Alias("test.registry_sentinel_old", registrySentinel)
	a, ok := Lookup(alias.ID)
	if !ok || a.AliasOf != registrySentinel.ID || a.Kind != Conflict || !strings.Contains(a.Site, "registry_test.go:") {
		t.Fatalf("alias registered as %+v, %v", a, ok)
	}
}

func TestAConstructorCalledOverAndOverRecordsOneDeclaration(t *testing.T) {
	t.Parallel()
	for range 3 {
		_ = InvalidField("test.registry_loop", "name", "declared in a loop")
	}
	n := 0
	for _, d := range Registry() {
		if d.ID == "test.registry_loop" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d declarations of one site, want 1", n)
	}
}

func TestTheHTTPFallbacksAreDeclaredIDs(t *testing.T) {
	t.Parallel()
	for _, e := range []*Error{ErrInternal, ErrTimeout, ErrCanceled} {
		d, ok := Lookup(e.ID)
		if !ok || d.Kind != e.Kind {
			t.Errorf("%s: registered %+v, %v", e.ID, d, ok)
		}
		if status, body := HTTP(e); status != d.Status() || body.Error.ID != e.ID {
			t.Errorf("%s: HTTP answers %d %+v, the registry says %d", e.ID, status, body, d.Status())
		}
	}
}

func TestProblemsFindsEveryWayTheRegistryCanBeWrong(t *testing.T) {
	t.Parallel()
	decl := func(id string, k Kind, msg, site string) Declaration {
		return Declaration{ID: id, Kind: k, Message: msg, Site: site}
	}
	cases := []struct {
		name  string
		decls []Declaration
		want  []string // one substring per expected problem
	}{
		{"Distinct ids with distinct meanings are fine.", []Declaration{
			decl("guard.not_found", NotFound, "no such guard", "a.go:1"),
			decl("company.not_found", NotFound, "no such company", "b.go:1"),
		}, nil},
		{"One id declared with two kinds is reported as such.", []Declaration{
			decl("district.not_found", NotFound, "no such district", "a.go:1"),
			decl("district.not_found", Invalid, "no such district", "b.go:1"),
		}, []string{`"district.not_found" is declared with 2 different kinds: not_found at a.go:1, invalid at b.go:1`}},
		{"One id declared twice with one kind is still declared twice.", []Declaration{
			decl("district.not_found", NotFound, "no such district", "a.go:1"),
			decl("district.not_found", NotFound, "this node does not serve that district", "b.go:1"),
		}, []string{`"district.not_found" is declared 2 times`}},
		{"Two ids meaning the same under one kind are one condition under two ids.", []Declaration{
			decl("action_item.overdue_invalid", Invalid, "overdue is true or false", "a.go:1"),
			decl("request.overdue_invalid", Invalid, "overdue is true or false", "b.go:1"),
		}, []string{`"action_item.overdue_invalid" and "request.overdue_invalid" are both invalid errors meaning`}},
		{"The same message under another kind is another meaning.", []Declaration{
			decl("a.x", Invalid, "the value is wrong", "a.go:1"),
			decl("b.x", Conflict, "the value is wrong", "b.go:1"),
		}, nil},
		{"An alias may say what its canonical id says.", []Declaration{
			decl("convention.not_published", NotFound, "no convention has been published yet", "a.go:1"),
			{ID: "convention.none_published", Kind: NotFound, Message: "no convention has been published yet", AliasOf: "convention.not_published", Site: "a.go:2"},
		}, nil},
		{"An alias of an undeclared id is reported.", []Declaration{
			{ID: "convention.none_published", Kind: NotFound, Message: "m", AliasOf: "convention.not_published", Site: "a.go:2"},
		}, []string{`alias "convention.none_published" (a.go:2) names "convention.not_published", which is not a declared canonical id`}},
		{"An alias of an alias is reported: it would be answered as an id that is itself never answered.", []Declaration{
			decl("convention.not_published", NotFound, "no convention has been published yet", "a.go:1"),
			{ID: "convention.none_published", Kind: NotFound, Message: "m", AliasOf: "convention.not_published", Site: "a.go:2"},
			{ID: "convention.missing", Kind: NotFound, Message: "m", AliasOf: "convention.none_published", Site: "a.go:3"},
		}, []string{`alias "convention.missing" (a.go:3) names "convention.none_published"`}},
		{"An id that is not a slug is reported.", []Declaration{
			decl("Guard.NotFound", NotFound, "no such guard", "a.go:1"),
		}, []string{"is not dotted lower-case snake_case"}},
		{"An id without a meaning is reported.", []Declaration{
			decl("hq.read_model", Internal, " ", "a.go:1"),
		}, []string{`"hq.read_model" (a.go:1) has no message`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problems(c.decls)
			if len(got) != len(c.want) {
				t.Fatalf("problems %v, want %d", got, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].Error(), w) {
					t.Errorf("problem %d: %q does not say %q", i, got[i], w)
				}
			}
		})
	}
}
