package standalone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/services/compliance"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/membership"
	"github.com/guildhall/guildhall/services/messaging"
	"github.com/guildhall/guildhall/services/patrols"
)

// DistrictService is one service of a district node as the city runs it:
// every service's Node (node.Base plus its Run) has these methods.
type DistrictService interface {
	// Outbox is the service's outbox; the city runs a relay for it.
	Outbox() *eventbus.Outbox
	// Run runs the service's background work (consumers, timers) until
	// ctx ends.
	Run(ctx context.Context) error
	// Ready reports whether the service can serve (its database answers).
	Ready(ctx context.Context) error
	// Handler serves the service's routes.
	Handler() http.Handler
	// Close closes the service's database.
	Close() error
}

// districtService is one entry of districtServices.
type districtService struct {
	// name is the service's name (its ServiceName).
	name string
	// routes is the service's route table: the district paths the city
	// sends to it. Nil for the fallback service, which gets every other
	// path of the district (and answers unknown ones).
	routes func() []kitx.RouteInfo
	// openAPI is the service's OpenAPI document and the prefix its schema
	// names get in the city's merged document ("" for none).
	openAPI func() []byte
	prefix  string
	// start opens the service of district id in the city.
	start func(ctx context.Context, c *City, id string) (DistrictService, error)
}

// districtServices are the services every district node runs, in start
// order. A new district service is one entry here: the city starts it per
// district, runs its relay and Run, routes its paths, checks its
// readiness, merges its OpenAPI document and closes it. Exactly one entry,
// the first, has no routes: it is the fallback.
var districtServices = []districtService{
	{name: membership.ServiceName, openAPI: membership.OpenAPIDocument, start: startMembership},
	{name: meetings.ServiceName, routes: meetings.Routes, openAPI: meetings.OpenAPIDocument, prefix: "Meetings", start: startMeetings},
	{name: patrols.ServiceName, routes: patrols.Routes, openAPI: patrols.OpenAPIDocument, prefix: "Patrols", start: startPatrols},
	{name: messaging.ServiceName, routes: messaging.Routes, openAPI: messaging.OpenAPIDocument, prefix: "Messaging", start: startMessaging},
	{name: compliance.ServiceName, routes: compliance.Routes, openAPI: compliance.OpenAPIDocument, prefix: "Compliance", start: startCompliance},
}

// dbPath is where district id keeps the database of service.
func (c *City) dbPath(id, service string) string {
	return filepath.Join(c.cfg.DataDir, id, service+".db")
}

func startMembership(ctx context.Context, c *City, id string) (DistrictService, error) {
	nk, err := c.kafkaFor(id)
	if err != nil {
		return nil, err
	}
	return membership.New(ctx, membership.Config{
		District:   id,
		DBPath:     c.dbPath(id, membership.ServiceName),
		Storage:    c.cfg.Storage,
		IDHashKey:  c.idKey,
		Sealer:     c.sealer,
		TrustProxy: c.cfg.TrustProxy,
		// Follows its district's meetings events (convention signatures).
		Brokers: c.brokers,
	}, membership.Deps{
		Dialer:    nk.dialer,
		Transport: nk.roundTripper(),
		Logger:    c.logger.With("node", id, "service", membership.ServiceName),
		Endpoint:  c.endpointMiddleware(id),
		Bus:       c.bus,
		Storage:   c.storage,
		// The city-wide certificate-expiry window.
		Etcd:       c.cli,
		Registerer: c.reg,
	})
}

func startMeetings(ctx context.Context, c *City, id string) (DistrictService, error) {
	nk, err := c.kafkaFor(id)
	if err != nil {
		return nil, err
	}
	return meetings.New(ctx, meetings.Config{
		District:   id,
		DBPath:     c.dbPath(id, meetings.ServiceName),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
		// Follows its district's membership events (the companies it
		// knows for invitations, signatures and the convention rate).
		Brokers: c.brokers,
	}, meetings.Deps{
		Dialer:     nk.dialer,
		Transport:  nk.roundTripper(),
		Bus:        c.bus,
		Etcd:       c.cli,
		Logger:     c.logger.With("node", id, "service", meetings.ServiceName),
		Endpoint:   c.endpointMiddleware(id),
		Storage:    c.storage,
		Registerer: c.reg,
	})
}

func startPatrols(ctx context.Context, c *City, id string) (DistrictService, error) {
	nk, err := c.kafkaFor(id)
	if err != nil {
		return nil, err
	}
	return patrols.New(ctx, patrols.Config{
		District:   id,
		DBPath:     c.dbPath(id, patrols.ServiceName),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
		// Follows its district's membership events (the guards the
		// volunteer roster gates).
		Brokers: c.brokers,
	}, patrols.Deps{
		Dialer:    nk.dialer,
		Transport: nk.roundTripper(),
		Bus:       c.bus,
		// The city-wide patrol rules and dispatch targets.
		Etcd:       c.cli,
		Logger:     c.logger.With("node", id, "service", patrols.ServiceName),
		Endpoint:   c.endpointMiddleware(id),
		Storage:    c.storage,
		Registerer: c.reg,
		// The registry whose other districts' patrols topics it follows
		// (their assignments: no double-booking of one person across
		// districts).
		Districts: c.registry,
	})
}

func startMessaging(ctx context.Context, c *City, id string) (DistrictService, error) {
	nk, err := c.kafkaFor(id)
	if err != nil {
		return nil, err
	}
	return messaging.New(ctx, messaging.Config{
		District:   id,
		DBPath:     c.dbPath(id, messaging.ServiceName),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
		// Follows its district's membership events (the companies a
		// notice reaches) and HQ's directives (gh.hq.directives.v1).
		Brokers: c.brokers,
	}, messaging.Deps{
		Dialer:    nk.dialer,
		Transport: nk.roundTripper(),
		Bus:       c.bus,
		// The city's reminder policy (/guildhall/policy/messaging).
		Etcd:       c.cli,
		Logger:     c.logger.With("node", id, "service", messaging.ServiceName),
		Endpoint:   c.endpointMiddleware(id),
		Storage:    c.storage,
		Registerer: c.reg,
	})
}

func startCompliance(ctx context.Context, c *City, id string) (DistrictService, error) {
	nk, err := c.kafkaFor(id)
	if err != nil {
		return nil, err
	}
	return compliance.New(ctx, compliance.Config{
		District:   id,
		DBPath:     c.dbPath(id, compliance.ServiceName),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
		// The four-100% scoreboard follows its district's membership events.
		Brokers: c.brokers,
		// Two-four-one contents are sealed with the city's keyring, the one
		// membership seals ID numbers with.
		Sealer: c.sealer,
	}, compliance.Deps{
		Dialer:     nk.dialer,
		Transport:  nk.roundTripper(),
		Bus:        c.bus,
		Etcd:       c.cli, // the city-wide compliance policy
		Logger:     c.logger.With("node", id, "service", compliance.ServiceName),
		Endpoint:   c.endpointMiddleware(id),
		Storage:    c.storage,
		Registerer: c.reg,
		Now:        c.cfg.Now,
	})
}

// districtNode is one district's running services (in districtServices'
// order) and the handler that routes the district's paths to them.
type districtNode struct {
	id       string
	services []DistrictService
	handler  http.Handler
}

// close closes every service of the node.
func (dn *districtNode) close() error {
	var failed []error
	for _, s := range dn.services {
		failed = append(failed, s.Close())
	}
	return errors.Join(failed...)
}

// ready checks every service of the node.
func (dn *districtNode) ready(ctx context.Context) error {
	var failed []error
	for i, s := range dn.services {
		if err := s.Ready(ctx); err != nil {
			failed = append(failed, fmt.Errorf("%s %s: %w", dn.id, districtServices[i].name, err))
		}
	}
	return errors.Join(failed...)
}

// startDistrict starts every service of district id, a relay and a
// heartbeat per outbox, and routes the district's paths to them.
func (c *City) startDistrict(ctx context.Context, id string) error {
	dn := &districtNode{id: id}
	for _, ds := range districtServices {
		s, err := ds.start(ctx, c, id)
		if err != nil {
			_ = dn.close()
			return fmt.Errorf("%s: %w", ds.name, err)
		}
		dn.services = append(dn.services, s)
	}
	type task struct {
		name string
		run  func(context.Context) error
	}
	var tasks []task
	nk, err := c.kafkaFor(id)
	if err != nil {
		_ = dn.close()
		return err
	}
	for _, s := range dn.services {
		ob := s.Outbox()
		relay, err := eventbus.NewRelay(eventbus.RelayConfig{
			Brokers:   c.brokers,
			Outbox:    ob,
			Elector:   eventbus.NewEtcdElector(c.cli, eventbus.ElectionKey(id, ob.Service()), c.candidate, c.cfg.ElectionTTL),
			Logger:    c.logger.With("node", id, "service", ob.Service()), // NewRelay adds its component
			Metrics:   c.bus,
			Retention: c.cfg.RelayRetention,
			Transport: nk.roundTripper(),
		})
		if err != nil {
			_ = dn.close()
			return err
		}
		hb, err := eventbus.NewHeartbeat(eventbus.HeartbeatConfig{
			Brokers:   c.brokers,
			Transport: nk.transport,
			Outbox:    ob,
			Instance:  c.candidate,
			Version:   node.Version(),
			Leading:   relay.Leading,
			Interval:  c.cfg.HeartbeatInterval,
			Logger:    c.logger.With("node", id, "service", ob.Service()),
			Metrics:   c.bus,
		})
		if err != nil {
			_ = dn.close()
			return err
		}
		tasks = append(tasks, task{ob.Service() + " relay", relay.Run}, task{ob.Service() + " heartbeat", hb.Run})
	}
	dn.handler = districtRouter(id, dn.services)
	c.mu.Lock()
	c.districts[id] = dn
	c.mu.Unlock()
	for i, s := range dn.services {
		c.goRun(id+" "+districtServices[i].name, s.Run)
	}
	for _, t := range tasks {
		c.goRun(id+" "+t.name, t.run)
	}
	return nil
}

// districtRouter sends a district's paths to the service that owns them:
// each service's routes (from its own route table) to it, everything else
// to the fallback service, which answers unknown paths.
func districtRouter(id string, services []DistrictService) http.Handler {
	mux := http.NewServeMux()
	for i, ds := range districtServices {
		if ds.routes == nil {
			mux.Handle("/", services[i].Handler())
			continue
		}
		for _, r := range ds.routes() {
			mux.Handle(r.Method+" "+strings.Replace(r.Path, "{district}", id, 1), services[i].Handler())
		}
	}
	return mux
}

// districtDocs are the district services' OpenAPI documents for the city's
// merged document.
func districtDocs() []serviceDoc {
	docs := make([]serviceDoc, 0, len(districtServices))
	for _, ds := range districtServices {
		docs = append(docs, serviceDoc{prefix: ds.prefix, raw: ds.openAPI()})
	}
	return docs
}
