package standalone

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDistrictServicesTable holds the table's one invariant: the first
// entry, and only it, is the fallback that answers every path no other
// service's route table claims.
func TestDistrictServicesTable(t *testing.T) {
	for i, ds := range districtServices {
		if (ds.routes == nil) != (i == 0) {
			t.Errorf("entry %d (%s): routes nil = %v; only the first entry is the fallback", i, ds.name, ds.routes == nil)
		}
		if ds.name == "" || ds.start == nil || ds.openAPI == nil {
			t.Errorf("entry %d (%q) is incomplete", i, ds.name)
		}
	}
}

// namedHandler answers with its name, so a test sees who served a path.
type namedHandler string

func (h namedHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(h)) }

// fakeService is a DistrictService whose handler says its name.
type fakeService struct {
	DistrictService
	name string
}

func (f fakeService) Handler() http.Handler { return namedHandler(f.name) }

// TestDistrictRouterSendsEachRouteToItsService: a route of a service's
// table reaches that service in the node's district only; anything else
// reaches the fallback.
func TestDistrictRouterSendsEachRouteToItsService(t *testing.T) {
	services := make([]DistrictService, len(districtServices))
	for i, ds := range districtServices {
		services[i] = fakeService{name: ds.name}
	}
	h := districtRouter("jingkai", services)
	serve := func(method, path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Body.String()
	}
	for _, ds := range districtServices[1:] {
		for _, r := range ds.routes() {
			path := r.Path
			// Fill every path parameter; {district} with the node's own.
			for {
				open := strings.IndexByte(path, '{')
				if open < 0 {
					break
				}
				end := strings.IndexByte(path[open:], '}') + open
				value := "x1"
				if path[open:end+1] == "{district}" {
					value = "jingkai"
				}
				path = path[:open] + value + path[end+1:]
			}
			if got := serve(r.Method, path); got != ds.name {
				t.Errorf("%s %s served by %q, want %q", r.Method, path, got, ds.name)
			}
		}
	}
	if got := serve("GET", "/api/v1/districts/jingkai/no-such-path"); got != districtServices[0].name {
		t.Errorf("an unknown path served by %q, want the fallback %q", got, districtServices[0].name)
	}
}
