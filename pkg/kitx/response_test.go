package kitx

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// view is a resource with what a body can hold: nested values, a
// marshaler of its own, text JSON escapes for HTML, and a nil slice.
type view struct {
	ID     string          `json:"id"`
	Note   string          `json:"note"`
	Rate   *float64        `json:"rate"`
	Parts  []part          `json:"parts"`
	None   []string        `json:"none"`
	Raw    json.RawMessage `json:"raw"`
	Custom custom          `json:"custom"`
}

type part struct {
	N int `json:"n"`
}

// custom marshals itself with spaces the encoder compacts.
type custom struct{}

func (custom) MarshalJSON() ([]byte, error) { return []byte(`{ "a" : [ 1, 2 ] }`), nil }

// TestAResourceIsWrittenAsItselfWithItsHeaders: a Response's body is its
// Value encoded as json.Marshal encodes it (the bytes MarshalJSON gives),
// not the envelope, with the response's status, ETag and Location.
func TestAResourceIsWrittenAsItselfWithItsHeaders(t *testing.T) {
	rate := 0.5
	v := view{ID: "d01", Note: `<b>&"保安"</b>`, Rate: &rate, Parts: []part{{1}, {2}}, Raw: json.RawMessage(`{"x": 1}`)}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Response[view]{One(v, `"3"`, nil), Created(v, "/d/d01", `"1"`, http.StatusCreated, nil)} {
		rec := httptest.NewRecorder()
		if err := EncodeJSONResponse(context.Background(), rec, r); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.Bytes(); !bytes.Equal(got, append(want, '\n')) {
			t.Errorf("body\n%s\nwant\n%s", got, want)
		}
		if rec.Code != r.StatusCode() || rec.Header().Get("ETag") != r.ETag || rec.Header().Get("Location") != r.Location {
			t.Errorf("status %d, ETag %q, Location %q; want %d, %q, %q", rec.Code, rec.Header().Get("ETag"),
				rec.Header().Get("Location"), r.StatusCode(), r.ETag, r.Location)
		}
		if m, err := r.MarshalJSON(); err != nil || !bytes.Equal(m, want) {
			t.Errorf("MarshalJSON %s (%v), want the same bytes", m, err)
		}
	}
}
