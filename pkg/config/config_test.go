package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/sasl/plain"
)

func TestEnvName(t *testing.T) {
	for _, tc := range []struct{ prefix, flag, want string }{
		{"GUILDHALL", "kafka.brokers", "GUILDHALL_KAFKA_BROKERS"},
		{"GUILDHALL_", "kafka.sasl.mechanism", "GUILDHALL_KAFKA_SASL_MECHANISM"},
		{"guildhall", "etcd.dial-timeout", "GUILDHALL_ETCD_DIAL_TIMEOUT"},
		{"", "http.addr", "HTTP_ADDR"},
	} {
		if got := EnvName(tc.prefix, tc.flag); got != tc.want {
			t.Errorf("EnvName(%q, %q) = %q, want %q", tc.prefix, tc.flag, got, tc.want)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var k Kafka
	k.RegisterFlags("", fs)
	var e Etcd
	e.RegisterFlags("", fs)
	if err := fs.Parse([]string{"-kafka.client-id=from-flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GUILDHALL_KAFKA_BROKERS":     "k1:9092, k2:9092",
		"GUILDHALL_KAFKA_CLIENT_ID":   "from-env",
		"GUILDHALL_ETCD_DIAL_TIMEOUT": "2s",
		"GUILDHALL_ETCD_TLS_ENABLED":  "true",
		"OTHER_ETCD_ENDPOINTS":        "ignored:2379",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := ApplyEnv(fs, "GUILDHALL", lookup); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(k.Brokers, []string{"k1:9092", "k2:9092"}) {
		t.Errorf("env did not fill brokers: %v", k.Brokers)
	}
	if k.ClientID != "from-flag" {
		t.Errorf("env overrode a flag given on the command line: %q", k.ClientID)
	}
	if e.DialTimeout != 2*time.Second || !e.TLS.Enabled {
		t.Errorf("etcd from env: %+v", e)
	}
	if len(e.Endpoints) != 0 {
		t.Errorf("a variable of another prefix was applied: %v", e.Endpoints)
	}

	// Every bad value is reported, by variable name.
	fs2 := flag.NewFlagSet("test", flag.ContinueOnError)
	(&Kafka{}).RegisterFlags("", fs2)
	(&Etcd{}).RegisterFlags("", fs2)
	env["GUILDHALL_ETCD_DIAL_TIMEOUT"] = "soon"
	env["GUILDHALL_KAFKA_TLS_ENABLED"] = "maybe"
	err := ApplyEnv(fs2, "GUILDHALL", lookup)
	if err == nil || !strings.Contains(err.Error(), "GUILDHALL_ETCD_DIAL_TIMEOUT") || !strings.Contains(err.Error(), "GUILDHALL_KAFKA_TLS_ENABLED") {
		t.Fatalf("bad env values: %v", err)
	}
}

func TestKafkaValidate(t *testing.T) {
	good := Kafka{Brokers: StringList{"127.0.0.1:9092"}, ClientID: "x"}
	for _, tc := range []struct {
		name   string
		mutate func(*Kafka)
		want   error
	}{
		{"a broker list is enough", func(*Kafka) {}, nil},
		{"no brokers is rejected", func(k *Kafka) { k.Brokers = nil }, ErrKafkaNoBrokers},
		{"a broker without a port is rejected", func(k *Kafka) { k.Brokers = StringList{"kafka"} }, ErrKafkaBroker},
		{"an unknown mechanism is rejected", func(k *Kafka) { k.SASL = SASLConfig{Mechanism: "gssapi", Username: "u"} }, ErrSASLMechanism},
		{"a mechanism without a user is rejected", func(k *Kafka) { k.SASL = SASLConfig{Mechanism: SASLPlain} }, ErrSASLCredentials},
		{"a user without a mechanism is rejected", func(k *Kafka) { k.SASL = SASLConfig{Username: "u"} }, ErrSASLCredentials},
		{"scram-sha-512 with a user is valid", func(k *Kafka) { k.SASL = SASLConfig{Mechanism: SASLScramSHA512, Username: "u", Password: "p"} }, nil},
		{"a cert without a key is rejected", func(k *Kafka) { k.TLS = TLSConfig{Enabled: true, CertFile: "c.pem"} }, ErrTLSKeyPair},
		{"a CA file with TLS off is rejected", func(k *Kafka) { k.TLS = TLSConfig{CAFile: "ca.pem"} }, ErrTLSDisabled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			tc.mutate(&k)
			if err := k.Validate(); !errors.Is(err, tc.want) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKafkaTransportAndDialer(t *testing.T) {
	k := Kafka{Brokers: StringList{"127.0.0.1:9092"}, ClientID: "membership-jiangan",
		SASL: SASLConfig{Mechanism: SASLPlain, Username: "u", Password: "p"}}
	tr, err := k.Transport()
	if err != nil {
		t.Fatal(err)
	}
	if tr.ClientID != "membership-jiangan" || tr.TLS != nil {
		t.Fatalf("transport %+v", tr)
	}
	if m, ok := tr.SASL.(plain.Mechanism); !ok || m.Username != "u" || m.Password != "p" {
		t.Fatalf("transport SASL %#v", tr.SASL)
	}
	for _, mech := range []string{SASLScramSHA256, SASLScramSHA512} {
		k.SASL.Mechanism = mech
		d, err := k.Dialer()
		if err != nil {
			t.Fatal(err)
		}
		if d.SASLMechanism == nil || !strings.EqualFold(d.SASLMechanism.Name(), mech) {
			t.Fatalf("dialer mechanism for %s: %v", mech, d.SASLMechanism)
		}
	}
	k.SASL = SASLConfig{}
	k.TLS = TLSConfig{Enabled: true, ServerName: "kafka.internal"}
	d, err := k.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	if d.TLS == nil || d.TLS.ServerName != "kafka.internal" || d.SASLMechanism != nil {
		t.Fatalf("dialer %+v", d)
	}
	if _, err := (&Kafka{}).Transport(); !errors.Is(err, ErrKafkaNoBrokers) {
		t.Fatalf("Transport of an invalid config: %v", err)
	}
}

func TestEtcdValidate(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var e Etcd
	e.RegisterFlags("hq.", fs)
	if err := fs.Parse([]string{"-hq.etcd.endpoints=http://a:2379,http://b:2379"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil || len(e.Endpoints) != 2 || e.DialTimeout != 5*time.Second {
		t.Fatalf("parsed %+v: %v", e, err)
	}
	for _, tc := range []struct {
		e    Etcd
		want error
	}{
		{Etcd{DialTimeout: time.Second}, ErrEtcdNoEndpoints},
		{Etcd{Endpoints: StringList{"a:2379"}}, ErrEtcdDialTimeout},
		{Etcd{Endpoints: StringList{"a:2379"}, DialTimeout: time.Second, Username: "root"}, ErrEtcdCredentials},
		{Etcd{Endpoints: StringList{"a:2379"}, DialTimeout: time.Second, TLS: TLSConfig{KeyFile: "k"}}, ErrTLSKeyPair},
	} {
		if err := tc.e.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("Validate(%+v) = %v, want %v", tc.e, err, tc.want)
		}
	}
	if _, err := (&Etcd{}).Client(nil); !errors.Is(err, ErrEtcdNoEndpoints) {
		t.Fatalf("Client of an invalid config: %v", err)
	}
}

// writeCert writes a self-signed ECDSA certificate and key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "guildhall-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSBuild(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)

	if cfg, err := (&TLSConfig{}).Build(); cfg != nil || err != nil {
		t.Fatalf("disabled TLS built %v, %v", cfg, err)
	}
	cfg, err := (&TLSConfig{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "etcd"}).Build()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "etcd" || cfg.MinVersion == 0 {
		t.Fatalf("built %+v", cfg)
	}
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (&TLSConfig{Enabled: true, CAFile: notPEM}).Build(); !errors.Is(err, ErrTLSCA) {
		t.Fatalf("non-PEM CA: %v", err)
	}
	if _, err := (&TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "missing.pem")}).Build(); err == nil {
		t.Fatal("missing CA file accepted")
	}
	if _, err := (&TLSConfig{Enabled: true, CertFile: cert, KeyFile: notPEM}).Build(); err == nil {
		t.Fatal("bad key accepted")
	}
}

func TestStringList(t *testing.T) {
	var l StringList
	if err := l.Set(" a:1, ,b:2 ,"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l, StringList{"a:1", "b:2"}) || l.String() != "a:1,b:2" {
		t.Fatalf("StringList = %#v (%q)", l, l.String())
	}
}
