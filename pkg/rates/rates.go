// Package rates is the one definition of the association's rates, so a
// district service and HQ given the same counts report the same number.
//
// A rate whose denominator is zero is not reported: nil, null in JSON. A
// district with nothing to count (no active company, nobody invited) has
// no rate, which is not the same as a rate of 0, and must not pull a
// city-wide figure down.
package rates

// Of is n / d, or nil when d is not positive ("not reported"). n is clamped
// to [0, d]: a numerator above its denominator is a stale count, never a
// share above 100%.
func Of(n, d int64) *float64 {
	if d <= 0 {
		return nil
	}
	n = max(0, min(n, d))
	r := float64(n) / float64(d)
	return &r
}

// Convention is the self-discipline convention's signature rate: the share
// of the active member companies whose signature of the current
// convention version is on record. signedCurrent counts the active
// companies with such a signature (a company that signed twice counts
// once; a company that is not active does not count); active counts the
// active member companies. Meetings' /convention/rate and HQ's
// convention_signature_rate both come from here.
func Convention(signedCurrent, active int64) *float64 { return Of(signedCurrent, active) }
