// Package policy holds the city's shared contracts in etcd: every policy
// key, the Go type of its value, and the one Parse and Validate that every
// reader and every writer of that key uses. A value a writer would store
// is exactly a value every reader accepts, because both call the same
// function; no service declares a key or a rule of its own.
//
// Two kinds of key exist:
//
//   - city-wide policy under /guildhall/policy/<name>, set by the
//     association (HQ) for every district: the self-discipline convention
//     (ConventionKey);
//   - per-district settings under /guildhall/config/<district>/<service>/<name>,
//     which a district lead may change for their district: the roundtable
//     cadence (CadenceKey).
//
// # Adding a policy
//
// A new service adds its keys here the same way the two above are made
// (compliance's certificate-expiry warning, patrols' shift rules, …):
//
//  1. a value type with a Validate method whose errors are *errs.Error with
//     stable ids (`<policy>.<rule>`) and the JSON field at fault;
//  2. its key: a constant built from CityKey, or a function calling
//     DistrictKey(district, "<service>", "<name>");
//  3. a Parse<Name> that is Parse[<Type>] (plus defaults, if the value
//     has some), and, when a missing key has a meaning, a Default<Name>;
//  4. table tests in this package, and a line in the README's etcd table.
//
// For example, a compliance warning of certificates about to expire:
//
//	type CertificateExpiry struct{ WarnDays int `json:"warn_days"` }
//	func (c CertificateExpiry) Validate() error { … 1..365 … }
//	func CertificateExpiryKey(district string) string {
//		return DistrictKey(district, "compliance", "certificate-expiry")
//	}
//	func ParseCertificateExpiry(raw []byte) (CertificateExpiry, error) {
//		return Parse[CertificateExpiry](raw)
//	}
//
// Readers watch a key with pkg/config.Value and its Parse function: a value
// that does not parse is rejected, logged and counted, and the last good
// one stays.
package policy

import (
	"encoding/json"
	"fmt"
)

// Roots of the two kinds of policy key.
const (
	// CityPrefix is the prefix of city-wide policy keys.
	CityPrefix = "/guildhall/policy/"
	// DistrictPrefix is the prefix of per-district settings.
	DistrictPrefix = "/guildhall/config/"
)

// CityKey returns the etcd key of the city-wide policy name.
func CityKey(name string) string { return CityPrefix + name }

// DistrictKey returns the etcd key of district's setting name of service:
// /guildhall/config/<district>/<service>/<name>.
func DistrictKey(district, service, name string) string {
	return DistrictPrefix + district + "/" + service + "/" + name
}

// Value is a policy value: it can tell whether it is valid.
type Value interface {
	// Validate returns nil for a valid value, else the first rule it breaks.
	Validate() error
}

// Parse decodes raw, the JSON stored at a policy key, into a T and
// validates it. Fields that T does not have are ignored, so that a newer
// writer may add a field without every older reader rejecting the value.
func Parse[T Value](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("policy: %T: %w", v, err)
	}
	if err := v.Validate(); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
