package policy_test

import (
	"errors"
	"testing"

	"github.com/guildhall/guildhall/pkg/policy"
)

func TestParseCertificateExpiry(t *testing.T) {
	t.Parallel()
	if policy.CertificateExpiryKey != "/guildhall/policy/certificate-expiry" {
		t.Fatalf("key %q", policy.CertificateExpiryKey)
	}
	for _, tc := range []struct {
		name, raw string
		want      policy.CertificateExpiry
		err       error
	}{
		{"A 30-day window is valid.", `{"window_days":30}`, policy.CertificateExpiry{WindowDays: 30}, nil},
		{"A 1-day window is the shortest.", `{"window_days":1}`, policy.CertificateExpiry{WindowDays: 1}, nil},
		{"A 365-day window is the longest.", `{"window_days":365}`, policy.CertificateExpiry{WindowDays: 365}, nil},
		{"A field the reader does not know is ignored.", `{"window_days":60,"note":"HQ"}`, policy.CertificateExpiry{WindowDays: 60}, nil},
		{"A 0-day window is refused.", `{"window_days":0}`, policy.CertificateExpiry{}, policy.ErrCertificateExpiryWindow},
		{"A 366-day window is refused.", `{"window_days":366}`, policy.CertificateExpiry{}, policy.ErrCertificateExpiryWindow},
		{"A negative window is refused.", `{"window_days":-5}`, policy.CertificateExpiry{}, policy.ErrCertificateExpiryWindow},
		{"A missing window is refused.", `{}`, policy.CertificateExpiry{}, policy.ErrCertificateExpiryWindow},
		{"JSON null is refused.", `null`, policy.CertificateExpiry{}, policy.ErrCertificateExpiryWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseCertificateExpiry([]byte(tc.raw))
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("ParseCertificateExpiry(%s) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || got != (policy.CertificateExpiry{}) {
				t.Fatalf("ParseCertificateExpiry(%s) = %+v, %v; want %v", tc.raw, got, err, tc.err)
			}
		})
	}
	for _, raw := range []string{``, `{`, `{"window_days":"30"}`, `{"window_days":1.5}`, `[]`} {
		t.Run("Text that is not a window object is refused: "+raw, func(t *testing.T) {
			if c, err := policy.ParseCertificateExpiry([]byte(raw)); err == nil {
				t.Fatalf("ParseCertificateExpiry(%q) = %+v, want an error", raw, c)
			}
		})
	}
	if err := policy.DefaultCertificateExpiry.Validate(); err != nil || policy.DefaultCertificateExpiry.WindowDays != 30 {
		t.Fatalf("default %+v: %v", policy.DefaultCertificateExpiry, err)
	}
	if _, err := policy.EncodeCertificateExpiry(policy.CertificateExpiry{WindowDays: 400}); !errors.Is(err, policy.ErrCertificateExpiryWindow) {
		t.Fatalf("Encode of 400 days: %v", err)
	}
}
