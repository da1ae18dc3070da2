package config

import (
	"errors"
	"flag"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Sentinel errors of Etcd.Validate.
var (
	// ErrEtcdNoEndpoints means no etcd endpoint was given.
	ErrEtcdNoEndpoints = errors.New("config: etcd.endpoints is required")
	// ErrEtcdDialTimeout means the dial timeout is not positive.
	ErrEtcdDialTimeout = errors.New("config: etcd.dial-timeout must be positive")
	// ErrEtcdCredentials means a username is set without a password or the
	// other way round.
	ErrEtcdCredentials = errors.New("config: etcd.username and etcd.password must be set together")
)

// Etcd configures the etcd client.
type Etcd struct {
	// Endpoints are the etcd client URLs or host:port pairs.
	Endpoints StringList
	// DialTimeout bounds establishing the first connection.
	DialTimeout time.Duration
	// TLS configures encryption and mTLS (cert, key and CA files).
	TLS TLSConfig
	// Username and Password enable etcd authentication.
	Username, Password string
}

// RegisterFlags registers prefix+"etcd.endpoints", "etcd.dial-timeout",
// "etcd.tls.*", "etcd.username" and "etcd.password".
func (c *Etcd) RegisterFlags(prefix string, fs *flag.FlagSet) {
	p := prefix + "etcd."
	fs.Var(&c.Endpoints, p+"endpoints", "Comma-separated etcd endpoints (URLs or host:port).")
	fs.DurationVar(&c.DialTimeout, p+"dial-timeout", 5*time.Second, "Timeout for connecting to etcd.")
	c.TLS.RegisterFlags(p, fs)
	fs.StringVar(&c.Username, p+"username", "", "etcd username.")
	fs.StringVar(&c.Password, p+"password", "", "etcd password.")
}

// Validate checks endpoints, timeout, TLS and credentials.
func (c *Etcd) Validate() error {
	if len(c.Endpoints) == 0 {
		return ErrEtcdNoEndpoints
	}
	if c.DialTimeout <= 0 {
		return ErrEtcdDialTimeout
	}
	if (c.Username == "") != (c.Password == "") {
		return ErrEtcdCredentials
	}
	return c.TLS.Validate()
}

// Client returns an etcd client for the configuration, with mTLS when
// configured; logger is zap.NewNop() when nil (etcd logs through zap).
func (c *Etcd) Client(logger *zap.Logger) (*clientv3.Client, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := c.TLS.Build()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints,
		DialTimeout: c.DialTimeout,
		TLS:         tlsCfg,
		Username:    c.Username,
		Password:    c.Password,
		Logger:      logger,
	})
	if err != nil {
		return nil, fmt.Errorf("config: etcd client: %w", err)
	}
	return cli, nil
}
