package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DistrictsPrefix is the etcd prefix of the district registry; a district
// lives at DistrictsPrefix + id.
const DistrictsPrefix = "/guildhall/districts/"

// registrySource is the metrics source label of the district registry.
const registrySource = "districts"

// Sentinel errors of District.Validate.
var (
	// ErrDistrictID means the id is not a lower-case slug of 1-63
	// characters starting with a letter.
	ErrDistrictID = errors.New("config: district id must match ^[a-z][a-z0-9-]{0,62}$")
	// ErrDistrictName means the name is empty.
	ErrDistrictName = errors.New("config: district name is required")
	// ErrDistrictKey means a registry entry's key does not end in its id.
	ErrDistrictKey = errors.New("config: district key does not match its id")
)

// districtID is the shape of a district id; it becomes part of topic names
// (gh.<district>.<service>.v1) and etcd keys, hence the narrow alphabet.
var districtID = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// District is an entry of the district registry at /guildhall/districts/<id>.
type District struct {
	// ID is the district's slug, e.g. "jiangan".
	ID string `json:"id"`
	// Name is the English display name.
	Name string `json:"name"`
	// NameZH is the Chinese display name (片区名称).
	NameZH string `json:"name_zh"`
	// LeadVicePresident is the district lead (副会长（片区分工）).
	LeadVicePresident string `json:"lead_vice_president"`
	// PoliceLiaison is the public-security liaison of the district.
	PoliceLiaison string `json:"police_liaison"`
}

// Validate checks the id's shape and that a name is present.
func (d District) Validate() error {
	if !districtID.MatchString(d.ID) {
		return fmt.Errorf("%w: got %q", ErrDistrictID, d.ID)
	}
	if strings.TrimSpace(d.Name) == "" {
		return ErrDistrictName
	}
	return nil
}

// Key returns the district's etcd key.
func (d District) Key() string { return DistrictsPrefix + d.ID }

// decodeDistrict parses and validates the registry entry at key.
func decodeDistrict(key, value []byte) (District, error) {
	var d District
	// Unknown fields are allowed so that newer writers can add some without
	// making older readers drop the district.
	if err := json.Unmarshal(value, &d); err != nil {
		return District{}, fmt.Errorf("config: district %s: %w", key, err)
	}
	if err := d.Validate(); err != nil {
		return District{}, err
	}
	if string(key) != d.Key() {
		return District{}, fmt.Errorf("%w: key %s, id %q", ErrDistrictKey, key, d.ID)
	}
	return d, nil
}

// Registry reads, writes and watches the district registry in etcd. HQ
// watches it to subscribe to every registered district's topics.
type Registry struct {
	cli      *clientv3.Client
	logger   *slog.Logger
	m        *metrics
	snapshot atomic.Pointer[[]District]
}

// NewRegistry returns a Registry on cli; its metrics are registered on reg
// (nil: unregistered), shared with any Value on the same registry.
func NewRegistry(cli *clientv3.Client, logger *slog.Logger, reg prometheus.Registerer) *Registry {
	r := &Registry{cli: cli, logger: logger, m: newMetrics(reg)}
	r.snapshot.Store(&[]District{})
	return r
}

// Register validates d and writes it, replacing any entry with its id.
func (r *Registry) Register(ctx context.Context, d District) error {
	if err := d.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("config: encode district: %w", err)
	}
	if _, err := r.cli.Put(ctx, d.Key(), string(b)); err != nil {
		return fmt.Errorf("config: register district %s: %w", d.ID, err)
	}
	return nil
}

// RegisterIfAbsent validates d and writes it only if no entry with its id
// exists, in one etcd transaction; created reports whether it wrote. Seeding
// code uses it so that edits made by operators are never overwritten.
func (r *Registry) RegisterIfAbsent(ctx context.Context, d District) (created bool, err error) {
	if err := d.Validate(); err != nil {
		return false, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("config: encode district: %w", err)
	}
	resp, err := r.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(d.Key()), "=", 0)).
		Then(clientv3.OpPut(d.Key(), string(b))).
		Commit()
	if err != nil {
		return false, fmt.Errorf("config: register district %s: %w", d.ID, err)
	}
	return resp.Succeeded, nil
}

// Get returns the district with id; ok is false if there is none. An entry
// that fails validation is an error.
func (r *Registry) Get(ctx context.Context, id string) (District, bool, error) {
	resp, err := r.cli.Get(ctx, DistrictsPrefix+id)
	if err != nil {
		return District{}, false, fmt.Errorf("config: get district %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return District{}, false, nil
	}
	d, err := decodeDistrict(resp.Kvs[0].Key, resp.Kvs[0].Value)
	if err != nil {
		return District{}, false, err
	}
	return d, true, nil
}

// List returns every valid district sorted by id; invalid entries are
// skipped, logged and counted.
func (r *Registry) List(ctx context.Context) ([]District, error) {
	resp, err := r.cli.Get(ctx, DistrictsPrefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("config: list districts: %w", err)
	}
	set := r.decodeAll(ctx, resp)
	return sortedDistricts(set), nil
}

// decodeAll decodes every entry of resp by key, skipping invalid ones.
func (r *Registry) decodeAll(ctx context.Context, resp *clientv3.GetResponse) map[string]District {
	set := make(map[string]District, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if d, ok := r.decode(ctx, kv.Key, kv.Value); ok {
			set[string(kv.Key)] = d
		}
	}
	return set
}

// decode decodes one entry, logging and counting it if invalid.
func (r *Registry) decode(ctx context.Context, key, value []byte) (District, bool) {
	d, err := decodeDistrict(key, value)
	if err != nil {
		r.m.invalid.WithLabelValues(registrySource).Inc()
		r.logger.WarnContext(ctx, "skipping invalid district registry entry", "key", string(key), "err", err)
		return District{}, false
	}
	return d, true
}

// sortedDistricts returns the districts of set ordered by id.
func sortedDistricts(set map[string]District) []District {
	out := slices.Collect(maps.Values(set))
	slices.SortFunc(out, func(a, b District) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Watch calls fn with the full, validated set of districts now and after
// every change, until ctx ends (it then returns nil). Invalid entries are
// skipped, logged and counted (an entry overwritten with an invalid value
// leaves the set). If etcd goes away it keeps the last good set (fn is not
// called with an empty set because of an outage) and reconnects: it watches
// from the last revision it saw and re-reads the whole prefix when that
// revision was compacted. fn runs on Watch's goroutine; Snapshot returns the
// latest set to other goroutines.
func (r *Registry) Watch(ctx context.Context, fn func([]District)) error {
	var set map[string]District
	var last []District
	published := false
	publish := func() {
		next := sortedDistricts(set)
		if published && slices.Equal(next, last) {
			return // nothing a subscriber could act on changed
		}
		published, last = true, next
		r.snapshot.Store(&next)
		r.m.reloads.WithLabelValues(registrySource).Inc()
		fn(slices.Clone(next))
	}
	w := &watcher{
		cli: r.cli, key: DistrictsPrefix, prefix: true, source: registrySource,
		logger: r.logger, m: r.m,
		load: func(resp *clientv3.GetResponse) {
			set = r.decodeAll(ctx, resp)
			publish()
		},
		apply: func(events []*clientv3.Event) {
			for _, ev := range events {
				key := string(ev.Kv.Key)
				switch ev.Type {
				case clientv3.EventTypeDelete:
					delete(set, key)
				case clientv3.EventTypePut:
					if d, ok := r.decode(ctx, ev.Kv.Key, ev.Kv.Value); ok {
						set[key] = d
					} else {
						delete(set, key)
					}
				}
			}
			publish()
		},
	}
	return w.run(ctx)
}

// Snapshot returns the last good set of districts seen by Watch, sorted by
// id; empty before Watch's first read.
func (r *Registry) Snapshot() []District {
	return slices.Clone(*r.snapshot.Load())
}
