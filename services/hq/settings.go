package hq

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// ConventionKey is the etcd key of the association's current
// self-discipline convention (《行业自律公约》), city-wide policy: JSON
// {"version", "title", "text", "published_at"}.
const ConventionKey = "/guildhall/policy/convention"

// CadenceKey returns the etcd key of district's expected roundtable cadence:
// JSON {"per": "week"|"month"|"quarter", "count": n}.
func CadenceKey(district string) string {
	return "/guildhall/config/" + district + "/meetings/roundtable-cadence"
}

// Convention is a convention version as published at ConventionKey. HQ
// uses only its version for its figures: a company's signature counts for
// the signature rate when it names this version and was made while it was
// current. PUT /api/v1/hq/convention publishes one (Node.Handler).
type Convention = service.Convention

// Cadence is a district's expected roundtables per period.
type Cadence = service.Cadence

// Errors of ParseConvention and ParseCadence; the value is rejected and the
// last good one kept (pkg/config.Value).
var (
	ErrConventionNoVersion = errors.New("hq: the convention policy needs a version")
	ErrCadencePeriod       = errors.New(`hq: a roundtable cadence's "per" is week, month or quarter`)
	ErrCadenceCount        = errors.New(`hq: a roundtable cadence's "count" must be between 1 and 100`)
)

// ParseConvention decodes and checks the value at ConventionKey.
func ParseConvention(b []byte) (*Convention, error) {
	var c Convention
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("hq: convention policy: %w", err)
	}
	c.Version = strings.TrimSpace(c.Version)
	if c.Version == "" {
		return nil, ErrConventionNoVersion
	}
	return &c, nil
}

// ParseCadence decodes and checks the value at CadenceKey.
func ParseCadence(b []byte) (*Cadence, error) {
	var c Cadence
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("hq: roundtable cadence: %w", err)
	}
	switch c.Per {
	case service.PerWeek, service.PerMonth, service.PerQuarter:
	default:
		return nil, ErrCadencePeriod
	}
	if c.Count < 1 || c.Count > 100 {
		return nil, ErrCadenceCount
	}
	return &c, nil
}

// policies reads the node's live etcd values for the service.
type policies struct{ n *Node }

// ConventionVersion implements service.Policies.
func (p policies) ConventionVersion() (string, bool) {
	if p.n.convention == nil {
		return "", false
	}
	c := p.n.convention.Load()
	if c == nil {
		return "", false
	}
	return c.Version, true
}

// Cadence implements service.Policies.
func (p policies) Cadence(district string) (service.Cadence, bool) {
	p.n.mu.Lock()
	v := p.n.cadences[district]
	p.n.mu.Unlock()
	if v == nil {
		return service.Cadence{}, false
	}
	c := v.Load()
	if c == nil {
		return service.Cadence{}, false
	}
	return *c, true
}
