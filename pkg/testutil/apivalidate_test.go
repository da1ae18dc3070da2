package testutil_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/apidoc"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/testutil"
)

type meeting struct {
	ID     string `json:"id"`
	Status string `json:"status" enum:"draft,closed"`
	On     string `json:"on,omitempty" format:"date"`
}

var errMeetingGone = errs.E(errs.NotFound, "m.not_found", "no such meeting")

type meetingInput struct {
	Title string `json:"title" required:"true"`
}

// validatorDoc documents GET /meetings/{id}, GET /meetings/audit (a static
// segment beside the wildcard) and POST /meetings.
func validatorDoc(t *testing.T) []byte {
	t.Helper()
	rule := auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}}
	raw, err := apidoc.Generate(kitx.API{Service: "m", Title: "m", Version: "v1", Routes: []kitx.Route{
		{Name: "get", Method: "GET", Path: "/m/{id}", Response: meeting{}, Rule: rule, Errors: []*errs.Error{errMeetingGone}},
		{Name: "audit", Method: "GET", Path: "/m/audit", Response: kitx.ListResponse[meeting]{}, Paged: true, Rule: rule},
		{Name: "create", Method: "POST", Path: "/m", Request: meetingInput{}, Response: meeting{}, Status: 201, Rule: rule},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAPIValidatorFailsWhatTheDocumentDoesNotSay(t *testing.T) {
	t.Parallel()
	const (
		good    = `{"id":"1","status":"draft"}`
		errBody = `{"error":{"id":"m.not_found","message":"no"}}`
	)
	cases := []struct {
		name, method, target, reqBody string
		status                        int
		respBody                      string
		want                          string // "" : no problem
	}{
		{"A response that matches its schema passes.", "GET", "/m/1", "", 200, good, ""},
		{"A response field the document does not list fails.", "GET", "/m/1", "", 200, `{"id":"1","status":"draft","extra":1}`, "extra"},
		{"A response without a required field fails.", "GET", "/m/1", "", 200, `{"id":"1"}`, "status"},
		{"A response value outside its enum fails.", "GET", "/m/1", "", 200, `{"id":"1","status":"open"}`, "status"},
		{"A response value in the wrong format fails.", "GET", "/m/1", "", 200, `{"id":"1","status":"draft","on":"23/09/2025"}`, "format"},
		{"A success status the operation does not document fails.", "GET", "/m/1", "", 202, good, "202"},
		{"An error response with the error body passes.", "GET", "/m/1", "", 404, errBody, ""},
		{"An error response that is not the error body fails.", "GET", "/m/1", "", 404, `{"message":"no"}`, "error"},
		{"An error id the operation does not document for its status fails.", "GET", "/m/1", "", 404, `{"error":{"id":"m.gone","message":"no"}}`, "m.gone"},
		{"A documented id under another status fails.", "GET", "/m/1", "", 409, errBody, "m.not_found"},
		{"An error any operation may answer passes under any status.", "GET", "/m/1", "", 503, `{"error":{"id":"storage.unavailable","message":"full"}}`, ""},
		{"The authentication ids of a protected operation pass.", "GET", "/m/1", "", 401, `{"error":{"id":"auth.token_expired","message":"again"}}`, ""},
		{"A static segment is matched before a wildcard, as ServeMux does.", "GET", "/m/audit", "", 200, `{"items":[],"next_page_token":""}`, ""},
		{"An accepted request with an undocumented query parameter fails.", "GET", "/m/audit?color=red", "", 200, `{"items":[],"next_page_token":""}`, "color"},
		{"An accepted request with a documented query parameter passes.", "GET", "/m/audit?page_size=5", "", 200, `{"items":[],"next_page_token":""}`, ""},
		{"An accepted request body without a required field fails.", "POST", "/m", `{}`, 201, good, "title"},
		{"An accepted request body with an undocumented field fails.", "POST", "/m", `{"title":"t","room":"a"}`, 201, good, "room"},
		{"A refused request is not held to the document.", "POST", "/m", `{"room":"a"}`, 400, `{"error":{"id":"request.unknown_field","message":"no"}}`, ""},
		{"A success on an undocumented route fails.", "GET", "/elsewhere", "", 200, `{}`, "describes no such operation"},
		{"A 404 with the error body on an undocumented route passes.", "GET", "/elsewhere", "", 404, errBody, ""},
		{"A 404 that is not JSON fails.", "GET", "/elsewhere", "", 404, "404 page not found", "Content-Type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := testutil.NewAPIValidator(validatorDoc(t))
			if err != nil {
				t.Fatal(err)
			}
			h := v.Handler(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				if c.status == 404 && strings.HasPrefix(c.respBody, "404") {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				} else {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.respBody)
			}))
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.reqBody))
			if c.reqBody != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || w.Body.String() != c.respBody {
				t.Fatalf("the wrapper changed the exchange: %d %q", w.Code, w.Body)
			}
			problems := strings.Join(v.Problems(), "\n")
			switch {
			case c.want == "" && problems != "":
				t.Errorf("want no problem, got:\n%s", problems)
			case c.want != "" && !strings.Contains(problems, c.want):
				t.Errorf("want a problem naming %q, got:\n%s", c.want, problems)
			}
		})
	}
}

func TestAPIValidatorTransportChecksEveryExchange(t *testing.T) {
	t.Parallel()
	v, err := testutil.NewAPIValidator(validatorDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"1","status":"draft","undocumented":true}`)
	}))
	defer srv.Close()
	c := &http.Client{Transport: v.Transport(nil, nil)}
	resp, err := c.Post(srv.URL+"/m", "application/json", strings.NewReader(`{"title":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "undocumented") {
		t.Fatalf("the transport ate the body: %q", body)
	}
	if p := v.Problems(); len(p) != 1 || !strings.Contains(p[0], "undocumented") {
		t.Fatalf("problems %q, want the undocumented field", p)
	}
	if v.Seen()["POST /m"] != 1 {
		t.Errorf("Seen %v, want POST /m once", v.Seen())
	}
}
