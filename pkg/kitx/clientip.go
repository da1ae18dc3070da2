package kitx

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP is the client address of r, for the audit log and the login
// limiter: the host of r.RemoteAddr or, with trustProxy, the address the
// trusted reverse proxy in front of the service appended to
// X-Forwarded-For — the LAST entry. Entries before it are whatever the
// client sent, so taking the first would let a client choose its own
// address (and dodge a per-address limit). Only a parsed address is
// returned, so a forged header cannot put arbitrary text in a log.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if vals := r.Header.Values("X-Forwarded-For"); len(vals) > 0 {
			hops := strings.Split(vals[len(vals)-1], ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(hops[len(hops)-1])); err == nil {
				return ip.Unmap().String()
			}
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if ip, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return ip.Unmap().String()
	}
	return ""
}
