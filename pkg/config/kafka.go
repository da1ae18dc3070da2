package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms accepted by SASLConfig.Mechanism.
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// Sentinel errors of Kafka.Validate.
var (
	// ErrKafkaNoBrokers means no broker address was given.
	ErrKafkaNoBrokers = errors.New("config: kafka.brokers is required")
	// ErrKafkaBroker means a broker address is not host:port.
	ErrKafkaBroker = errors.New("config: kafka broker address must be host:port")
	// ErrSASLMechanism means the SASL mechanism is not plain,
	// scram-sha-256 or scram-sha-512.
	ErrSASLMechanism = errors.New("config: kafka.sasl.mechanism must be plain, scram-sha-256 or scram-sha-512")
	// ErrSASLCredentials means a mechanism is set without a username, or
	// credentials are set without a mechanism.
	ErrSASLCredentials = errors.New("config: kafka sasl needs both a mechanism and a username")
)

// SASLConfig configures Kafka SASL authentication.
type SASLConfig struct {
	// Mechanism is "", plain, scram-sha-256 or scram-sha-512.
	Mechanism string
	// Username and Password are the SASL credentials.
	Username, Password string
}

// Kafka configures the connection to the Kafka cluster.
type Kafka struct {
	// Brokers are the bootstrap brokers, host:port (flag kafka.brokers,
	// comma-separated).
	Brokers StringList
	// ClientID names this process to the brokers.
	ClientID string
	// TLS configures encryption and mTLS.
	TLS TLSConfig
	// SASL configures authentication.
	SASL SASLConfig
}

// RegisterFlags registers prefix+"kafka.brokers", "kafka.client-id",
// "kafka.tls.*" and "kafka.sasl.mechanism|username|password".
func (c *Kafka) RegisterFlags(prefix string, fs *flag.FlagSet) {
	p := prefix + "kafka."
	fs.Var(&c.Brokers, p+"brokers", "Comma-separated Kafka bootstrap brokers, host:port.")
	fs.StringVar(&c.ClientID, p+"client-id", "guildhall", "Client id sent to the Kafka brokers.")
	c.TLS.RegisterFlags(p, fs)
	fs.StringVar(&c.SASL.Mechanism, p+"sasl.mechanism", "", "SASL mechanism: plain, scram-sha-256 or scram-sha-512 (empty: none).")
	fs.StringVar(&c.SASL.Username, p+"sasl.username", "", "SASL username.")
	fs.StringVar(&c.SASL.Password, p+"sasl.password", "", "SASL password.")
}

// Validate checks the brokers, TLS and SASL settings.
func (c *Kafka) Validate() error {
	if len(c.Brokers) == 0 {
		return ErrKafkaNoBrokers
	}
	for _, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			return fmt.Errorf("%w: %q", ErrKafkaBroker, b)
		}
	}
	if err := c.TLS.Validate(); err != nil {
		return err
	}
	switch c.SASL.Mechanism {
	case "":
		if c.SASL.Username != "" || c.SASL.Password != "" {
			return ErrSASLCredentials
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if c.SASL.Username == "" {
			return ErrSASLCredentials
		}
	default:
		return fmt.Errorf("%w: got %q", ErrSASLMechanism, c.SASL.Mechanism)
	}
	return nil
}

// mechanism returns the kafka-go SASL mechanism, or nil when none is set.
func (c *Kafka) mechanism() (sasl.Mechanism, error) {
	switch c.SASL.Mechanism {
	case "":
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: c.SASL.Username, Password: c.SASL.Password}, nil
	case SASLScramSHA256:
		return scram.Mechanism(scram.SHA256, c.SASL.Username, c.SASL.Password)
	case SASLScramSHA512:
		return scram.Mechanism(scram.SHA512, c.SASL.Username, c.SASL.Password)
	default:
		return nil, fmt.Errorf("%w: got %q", ErrSASLMechanism, c.SASL.Mechanism)
	}
}

// Transport returns a kafka-go Transport (for Writer and Client) with TLS and
// SASL when configured.
func (c *Kafka) Transport() (*kafka.Transport, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := c.TLS.Build()
	if err != nil {
		return nil, err
	}
	mech, err := c.mechanism()
	if err != nil {
		return nil, fmt.Errorf("config: kafka sasl: %w", err)
	}
	return &kafka.Transport{ClientID: c.ClientID, TLS: tlsCfg, SASL: mech}, nil
}

// Dialer returns a kafka-go Dialer (for Reader and Conn) with TLS and SASL
// when configured.
func (c *Kafka) Dialer() (*kafka.Dialer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := c.TLS.Build()
	if err != nil {
		return nil, err
	}
	mech, err := c.mechanism()
	if err != nil {
		return nil, fmt.Errorf("config: kafka sasl: %w", err)
	}
	return &kafka.Dialer{
		ClientID:      c.ClientID,
		Timeout:       10 * time.Second,
		DualStack:     true,
		TLS:           tlsCfg,
		SASLMechanism: mech,
	}, nil
}
