package kitx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// serveDecoder routes one request to dec on pattern and returns what it
// decoded.
func serveDecoder(t *testing.T, pattern string, dec func(context.Context, *http.Request) (any, error), r *http.Request) (any, error) {
	t.Helper()
	var got any
	var err error
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(_ http.ResponseWriter, r *http.Request) { got, err = dec(r.Context(), r) })
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return got, err
}

func TestSharedDecodersReadThePathTheIfMatchAndTheBody(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("PATCH", "/m/7/entries/9", strings.NewReader(`{"name":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("If-Match", `"3"`)
	got, err := serveDecoder(t, "PATCH /m/{id}/entries/{sub}", kitx.DecodeUpdateRequest[thingInput], r)
	want := kitx.UpdateRequest[thingInput]{ID: "7", SubID: "9", IfMatch: kitx.IfMatchVersion(3), Input: thingInput{Name: "x"}}
	if err != nil || got != want {
		t.Fatalf("DecodeUpdateRequest = %+v, %v; want %+v", got, err, want)
	}
	if got.(kitx.UpdateRequest[thingInput]).ResourceID() != "7" {
		t.Error("ResourceID is not the path's id")
	}

	r = httptest.NewRequest("POST", "/m/7/status", strings.NewReader(`{"nope":1}`))
	r.Header.Set("Content-Type", "application/json")
	if _, err := serveDecoder(t, "POST /m/{id}/status", kitx.DecodeActionRequest[thingInput], r); err == nil || !strings.Contains(err.Error(), "request.unknown_field") {
		t.Errorf("DecodeActionRequest of an unknown field = %v, want request.unknown_field", err)
	}

	r = httptest.NewRequest("GET", "/m/7", nil)
	if got, err := serveDecoder(t, "GET /m/{id}", kitx.DecodeIDRequest, r); err != nil || got != (kitx.IDRequest{ID: "7"}) {
		t.Errorf("DecodeIDRequest = %+v, %v", got, err)
	}
}

// keyedInput is a create's input: a body field and the Idempotency-Key.
type keyedInput struct {
	Name string `json:"name"`
	kitx.Idempotent
}

func TestCreateDecodersTakeTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	newReq := func(target, body, key string) *http.Request {
		r := httptest.NewRequest("POST", target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if key != "" {
			r.Header.Set(kitx.IdempotencyKeyHeader, key)
		}
		return r
	}
	got, err := serveDecoder(t, "POST /things", kitx.DecodeCreate[keyedInput], newReq("/things", `{"name":"x"}`, "k-1"))
	if want := (keyedInput{Name: "x", Idempotent: kitx.Idempotent{IdempotencyKey: "k-1"}}); err != nil || got != want {
		t.Fatalf("DecodeCreate = %+v, %v; want %+v", got, err, want)
	}
	got, err = serveDecoder(t, "POST /m/{id}/items", kitx.DecodeCreateUnder[keyedInput], newReq("/m/7/items", `{"name":"y"}`, "k-2"))
	want := kitx.ActionRequest[keyedInput]{ID: "7", Input: keyedInput{Name: "y", Idempotent: kitx.Idempotent{IdempotencyKey: "k-2"}}}
	if err != nil || got != want {
		t.Fatalf("DecodeCreateUnder = %+v, %v; want %+v", got, err, want)
	}
	// The key is no part of the body: a body that names it sets nothing.
	got, err = serveDecoder(t, "POST /things", kitx.DecodeCreate[keyedInput], newReq("/things", `{"name":"z","IdempotencyKey":"forged"}`, ""))
	if err == nil {
		if in := got.(keyedInput); in.IdempotencyKey != "" {
			t.Fatalf("the body set the key %q", in.IdempotencyKey)
		}
	}
	if _, err := serveDecoder(t, "POST /things", kitx.DecodeCreate[keyedInput], newReq("/things", `{"name":`, "k")); err == nil {
		t.Fatal("a malformed body decoded")
	}
}
