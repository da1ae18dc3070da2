package transport

import (
	"net/http/httptest"
	"testing"
)

func TestRemoteIP(t *testing.T) {
	for _, tc := range []struct {
		name, remote, xff string
		trust             bool
		want              string
	}{
		{"the peer", "192.0.2.10:5555", "", false, "192.0.2.10"},
		{"the header is ignored without trust", "192.0.2.10:5555", "203.0.113.7", false, "192.0.2.10"},
		{"the first hop with trust", "10.0.0.2:80", "203.0.113.7, 10.0.0.1", true, "203.0.113.7"},
		{"an IPv6 first hop", "10.0.0.2:80", " 2001:db8::1 ,10.0.0.1", true, "2001:db8::1"},
		{"a forged non-address falls back to the peer", "10.0.0.2:80", "evil\nline, 1.2.3.4", true, "10.0.0.2"},
		{"no header with trust", "[2001:db8::2]:443", "", true, "2001:db8::2"},
		{"a v4-mapped peer", "[::ffff:192.0.2.3]:1", "", false, "192.0.2.3"},
		{"an unparsable peer", "pipe", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := RemoteIP(r, tc.trust); got != tc.want {
				t.Fatalf("RemoteIP = %q, want %q", got, tc.want)
			}
		})
	}
}
