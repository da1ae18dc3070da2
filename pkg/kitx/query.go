package kitx

import (
	"net/http"
	"strings"
	"time"
)

// QueryTime parses the RFC 3339 query parameter name of r: the zero time
// when it is absent, bad when it does not parse (so each parameter keeps
// its own stable error id).
func QueryTime(r *http.Request, name string, bad error) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	// RFC 3339 has no spaces: a space is a "+08:00" offset whose '+' the
	// client did not percent-encode.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(v, " ", "+"))
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}
