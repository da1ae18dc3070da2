package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
)

// Sentinel errors of TLSConfig.Validate and Build.
var (
	// ErrTLSKeyPair means only one of the certificate and key files is set.
	ErrTLSKeyPair = errors.New("config: tls cert-file and key-file must be set together")
	// ErrTLSDisabled means TLS files or options are set while TLS is off.
	ErrTLSDisabled = errors.New("config: tls options are set but tls is not enabled")
	// ErrTLSCA means the CA file holds no PEM certificate.
	ErrTLSCA = errors.New("config: tls ca-file holds no PEM certificate")
)

// TLSConfig configures a TLS client: server verification against a CA file
// (the system pool when empty) and, for mutual TLS, a client certificate.
type TLSConfig struct {
	// Enabled turns TLS on.
	Enabled bool
	// CAFile is a PEM bundle of the CAs trusted to sign the server's
	// certificate; empty means the system roots.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and key for mTLS.
	CertFile, KeyFile string
	// InsecureSkipVerify skips server verification; for development only.
	InsecureSkipVerify bool
	// ServerName overrides the name checked in the server's certificate.
	ServerName string
}

// RegisterFlags registers prefix+"tls.enabled", "tls.ca-file",
// "tls.cert-file", "tls.key-file", "tls.insecure-skip-verify" and
// "tls.server-name".
func (c *TLSConfig) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.BoolVar(&c.Enabled, prefix+"tls.enabled", false, "Connect with TLS.")
	fs.StringVar(&c.CAFile, prefix+"tls.ca-file", "", "PEM file of the CAs that sign the server certificate (default: system roots).")
	fs.StringVar(&c.CertFile, prefix+"tls.cert-file", "", "PEM client certificate for mutual TLS.")
	fs.StringVar(&c.KeyFile, prefix+"tls.key-file", "", "PEM client key for mutual TLS.")
	fs.BoolVar(&c.InsecureSkipVerify, prefix+"tls.insecure-skip-verify", false, "Do not verify the server certificate (development only).")
	fs.StringVar(&c.ServerName, prefix+"tls.server-name", "", "Server name to verify instead of the dialled host.")
}

// Validate reports options that cannot work together. It does not read the
// files; Build does.
func (c *TLSConfig) Validate() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return ErrTLSKeyPair
	}
	if !c.Enabled && (c.CAFile != "" || c.CertFile != "" || c.InsecureSkipVerify || c.ServerName != "") {
		return ErrTLSDisabled
	}
	return nil
}

// Build returns the *tls.Config (TLS 1.2 or later), or nil when TLS is not
// enabled.
func (c *TLSConfig) Build() (*tls.Config, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !c.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // an explicit, documented development option
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("config: tls ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: %s", ErrTLSCA, c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: tls key pair: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
