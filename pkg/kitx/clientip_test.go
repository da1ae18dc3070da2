package kitx

import (
	"net/http/httptest"
	"testing"
)

func TestClientIPTakesTheHopTheTrustedProxyAppended(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xff    []string
		trust  bool
		remote string
		want   string
	}{
		{"without trust the peer counts, whatever the header says", []string{"198.51.100.7"}, false, "10.1.2.3:5555", "10.1.2.3"},
		{"with trust the proxy's entry counts", []string{"198.51.100.7"}, true, "10.1.2.3:5555", "198.51.100.7"},
		{"a client-sent entry before the proxy's does not", []string{"203.0.113.66, 198.51.100.7"}, true, "10.1.2.3:5555", "198.51.100.7"},
		{"of several headers the last one's last entry counts", []string{"203.0.113.66", "198.51.100.7"}, true, "10.1.2.3:5555", "198.51.100.7"},
		{"an entry that is no address falls back to the peer", []string{"203.0.113.66, <script>"}, true, "10.1.2.3:5555", "10.1.2.3"},
		{"an IPv4-mapped IPv6 address is written as IPv4", nil, false, "[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"a peer that is no address gives nothing", nil, true, "pipe", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientIP(r, tc.trust); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
