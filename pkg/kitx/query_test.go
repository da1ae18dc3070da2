package kitx

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestQueryTime(t *testing.T) {
	bad := errors.New("bad")
	for name, tc := range map[string]struct {
		query   string
		want    time.Time
		wantErr error
	}{
		"absent":                 {"", time.Time{}, nil},
		"UTC":                    {"t=2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), nil},
		"an unencoded plus":      {"t=2026-01-02T15:04:05+08:00", time.Date(2026, 1, 2, 7, 4, 5, 0, time.UTC), nil},
		"an encoded plus":        {"t=2026-01-02T15:04:05%2B08:00", time.Date(2026, 1, 2, 7, 4, 5, 0, time.UTC), nil},
		"not a time":             {"t=yesterday", time.Time{}, bad},
		"a date without a clock": {"t=2026-01-02", time.Time{}, bad},
	} {
		got, err := QueryTime(httptest.NewRequest("GET", "/?"+tc.query, nil), "t", bad)
		if err != tc.wantErr || !got.Equal(tc.want) {
			t.Errorf("%s: got %v, %v; want %v, %v", name, got, err, tc.want, tc.wantErr)
		}
	}
}
