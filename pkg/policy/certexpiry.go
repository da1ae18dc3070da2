package policy

import (
	"encoding/json"

	"github.com/guildhall/guildhall/pkg/errs"
)

// CertificateExpiryKey is the etcd key of the city-wide certificate-expiry
// window: JSON {"window_days": 30}. Every district's membership node lists
// the guard certificates whose last valid day is within that many days
// (GET …/guards/expiring-certificates without within_days) and announces
// each one entering the window once with a CertificateExpiring event.
const CertificateExpiryKey = CityPrefix + "certificate-expiry"

// Limits of the expiry window, in days.
const (
	MinCertificateExpiryDays = 1
	MaxCertificateExpiryDays = 365
)

// CertificateExpiry is the value at CertificateExpiryKey.
type CertificateExpiry struct {
	// WindowDays is how many days before its last valid day a certificate
	// counts as expiring: 1 to 365. A certificate whose valid_until is
	// today is 0 days from lapsing and inside every window.
	WindowDays int `json:"window_days"`
}

// DefaultCertificateExpiry is the window while the key is absent: 30 days,
// time for an office to arrange the renewal.
var DefaultCertificateExpiry = CertificateExpiry{WindowDays: 30}

// ErrCertificateExpiryWindow is the stable id of a window out of range.
var ErrCertificateExpiryWindow = errs.InvalidField("certificate_expiry.window_days_invalid", "window_days",
	"window_days is 1 to 365 days")

// Validate implements Value.
func (c CertificateExpiry) Validate() error {
	if c.WindowDays < MinCertificateExpiryDays || c.WindowDays > MaxCertificateExpiryDays {
		return ErrCertificateExpiryWindow
	}
	return nil
}

// ParseCertificateExpiry decodes and validates the value at
// CertificateExpiryKey.
func ParseCertificateExpiry(raw []byte) (CertificateExpiry, error) {
	return Parse[CertificateExpiry](raw)
}

// EncodeCertificateExpiry returns the value to store at
// CertificateExpiryKey for c, after checking that every reader would
// accept it.
func EncodeCertificateExpiry(c CertificateExpiry) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}
