package hq

import (
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// ConventionKey is the etcd key of the association's current
// self-discipline convention (《行业自律公约》), city-wide policy
// (pkg/policy, where every service finds it).
const ConventionKey = policy.ConventionKey

// CadenceKey returns the etcd key of district's expected roundtable cadence
// (policy.CadenceKey).
func CadenceKey(district string) string { return policy.CadenceKey(district) }

// Convention is a convention version as published at ConventionKey. HQ
// uses only its version for its figures: a company's signature counts for
// the signature rate when it names this version and was made while it was
// current. PUT /api/v1/hq/convention publishes one (Node.Handler).
type Convention = service.Convention

// Cadence is a district's expected roundtables per period.
type Cadence = service.Cadence

// ParseConvention decodes and checks the value at ConventionKey with
// policy.ParseConvention, the rule every district's meetings node applies
// too; nil means none (the watched value's default).
func ParseConvention(b []byte) (*Convention, error) { return pointer(policy.ParseConvention(b)) }

// ParseCadence decodes and checks the value at CadenceKey with
// policy.ParseCadence, the rule the district's meetings node applies too.
func ParseCadence(b []byte) (*Cadence, error) { return pointer(policy.ParseCadence(b)) }

// pointer adapts a policy parser to the node's watched values, whose nil
// default means "no value in etcd".
func pointer[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
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
		// No cadence in etcd (or none valid yet): the district's meetings
		// node counts against the default, and so does HQ.
		return policy.DefaultCadence, true
	}
	return *c, true
}
