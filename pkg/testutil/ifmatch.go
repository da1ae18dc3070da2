package testutil

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// StaleIfMatch lists the If-Match values a PATCH on a resource at version
// cur must refuse with 412: the previous version in every form a client
// may send it (strong, weak, bare), version 0 (never issued) in the same
// forms and zero-padded, and a version from the future. Every service's
// PATCH test sends all of them, so the services refuse the same set.
func StaleIfMatch(cur int64) []string {
	return []string{
		fmt.Sprintf(`"%d"`, cur-1), fmt.Sprintf(`W/"%d"`, cur-1), fmt.Sprint(cur - 1),
		`"0"`, `W/"0"`, `0`, `"00"`,
		fmt.Sprintf(`"%d"`, cur+1),
	}
}

// PatchCase is one PATCH route of an IfMatchSuite: a resource that exists.
type PatchCase struct {
	// Name names the resource in the subtest's name, e.g. "company".
	Name string
	// Path is the resource's path as the suite's Client sends it, e.g.
	// "/companies/" + id.
	Path string
	// Field is a string field of the PATCH body; every change the suite
	// sends writes a new value to it.
	Field string
	// Version reads the resource's stored version (from its table, not the
	// API, so a refusal that wrote anyway is seen).
	Version func() int64
	// Refused is a PATCH body the update refuses halfway through (one field
	// changed, the next one wrong), and RefusedID the id of its error: sent
	// with the current version, it must change nothing either, the
	// closure's error rolling back what it began. Every case has one.
	Refused   map[string]any
	RefusedID string
}

// IfMatchSuite is the If-Match test every service runs over every PATCH
// route of its route table (CheckIfMatch).
type IfMatchSuite struct {
	// Client sends the requests as a caller allowed to make them.
	Client *Client
	// Routes are the service's routes: every PATCH route must have a case,
	// so a route added without one fails the suite.
	Routes []Route
	// State returns what a refused PATCH must leave as it was, e.g. the
	// row counts of the service's tables (rows, events, audit entries).
	State func() string
	// Trail counts what each applied update leaves one more of: its event
	// or its audit entry.
	Trail func() int
	// Cases are the PATCH routes, one resource each.
	Cases []PatchCase
}

// CheckIfMatch runs s: for each case, after one update (so that there is a
// previous version), every If-Match of StaleIfMatch(current) is refused
// with 412 request.etag_stale and changes nothing — State and the stored
// version as they were; a negative version is no ETag at all, 400
// request.if_match_invalid on the If-Match field, nothing written; and the
// current version (strong), the next one weak, and no If-Match at all
// each apply, moving the version by one with its ETag and leaving one more
// Trail. The case's Refused change, with the current version, is refused
// with RefusedID and changes nothing.
func CheckIfMatch(t *testing.T, s IfMatchSuite) {
	t.Helper()
	var paths []string
	for _, c := range s.Cases {
		if strings.HasPrefix(c.Path, "/api/") {
			paths = append(paths, c.Path)
		} else {
			paths = append(paths, s.Client.Prefix+c.Path)
		}
	}
	CheckCovers(t, s.Routes, "PATCH", paths)
	for _, c := range s.Cases {
		t.Run("A "+c.Name+" PATCH refuses every If-Match but the current version.", func(t *testing.T) {
			n := 0
			change := func() map[string]any { n++; return map[string]any{c.Field: fmt.Sprintf("改动%d", n)} }
			s.Client.Must(http.StatusOK, "PATCH", c.Path, change(), nil)
			cur := c.Version()
			if cur < 2 {
				t.Fatalf("version %d after an update", cur)
			}
			if c.Refused == nil || c.RefusedID == "" {
				t.Fatalf("case %s has no refused change", c.Name)
			}
			refusedBody := func(ifMatch string, body map[string]any, check func(r Response)) {
				t.Helper()
				before := s.State()
				check(s.Client.Do("PATCH", c.Path, body, "If-Match", ifMatch))
				if after := s.State(); after != before {
					t.Fatalf("If-Match %s wrote: %s → %s", ifMatch, before, after)
				}
				if v := c.Version(); v != cur {
					t.Fatalf("If-Match %s moved the version %d → %d", ifMatch, cur, v)
				}
			}
			refused := func(ifMatch string, status int, id, field string) {
				t.Helper()
				refusedBody(ifMatch, change(), func(r Response) {
					t.Helper()
					if r.Status != status || r.ErrorID() != id || r.ErrorField() != field {
						t.Fatalf("If-Match %s on version %d: %d %s, want %d %s", ifMatch, cur, r.Status, r.Body, status, id)
					}
				})
			}
			for _, ifMatch := range StaleIfMatch(cur) {
				refused(ifMatch, http.StatusPreconditionFailed, "request.etag_stale", "")
			}
			refused(`"-1"`, http.StatusBadRequest, "request.if_match_invalid", "If-Match")
			// A change the update refuses halfway, with the current
			// version: the closure's error rolls back what it began.
			refusedBody(fmt.Sprintf(`"%d"`, cur), c.Refused, func(r Response) {
				t.Helper()
				if r.Status/100 != 4 || r.ErrorID() != c.RefusedID {
					t.Fatalf("refused change: %d %s, want %s", r.Status, r.Body, c.RefusedID)
				}
			})
			trail := s.Trail()
			for i, ifMatch := range []string{fmt.Sprintf(`"%d"`, cur), fmt.Sprintf(`W/"%d"`, cur+1), ""} {
				var hdr []string
				if ifMatch != "" {
					hdr = []string{"If-Match", ifMatch}
				}
				r := s.Client.Must(http.StatusOK, "PATCH", c.Path, change(), nil, hdr...)
				if want := cur + int64(i) + 1; c.Version() != want || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, want) {
					t.Fatalf("If-Match %q: version %d, ETag %s, want %d", ifMatch, c.Version(), r.Header.Get("ETag"), want)
				}
			}
			if got := s.Trail() - trail; got != 3 {
				t.Fatalf("three applied updates left %d more in the trail, want 3", got)
			}
		})
	}
}
