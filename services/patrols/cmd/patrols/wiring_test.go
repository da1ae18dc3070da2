package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols"
)

func TestFlagsAreValidatedBeforeAnythingStarts(t *testing.T) {
	err := runMain(context.Background(), []string{"-district=Bad District", "-log.level=loud"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-district") || !strings.Contains(err.Error(), "-log.level") {
		t.Fatalf("bad flags: %v", err)
	}
	if err := runMain(context.Background(), nil, func(string) (string, bool) { return "", false }, io.Discard, nil); !errors.Is(err, node.ErrNoDistrict) {
		t.Errorf("missing -district: %v", err)
	}
}

// TestRealWiring runs the command as main does, against an embedded etcd
// and an in-process Kafka-protocol broker: a volunteer hired in membership
// (its GuardHired on the district's membership topic) joins a team over
// the API behind a real OIDC token, the TeamCreated/TeamMemberJoined
// events reach gh.jingkai.patrols.v1 through the elected relay, the rules'
// etcd watch refuses and counts a bad value, and the shutdown is graceful.
func TestRealWiring(t *testing.T) {
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	etcd, broker := env.Etcd(), env.Broker()
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(members)
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "lead", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+env.Path("patrols.db"), "-sqlite.synchronous=normal",
		"-relay.election-ttl=2", "-relay.candidate=patrols-0",
		"-kafka.brokers="+broker.Addr, "-etcd.endpoints="+strings.Join(etcd.Endpoints, ","),
	)...)
	api := cmd.API.As(token)
	api.Prefix = "/api/v1/districts/jingkai"

	guard := &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "c1", EmploymentStatus: "active", HasCertificate: true,
		CertificateValidUntil: "2099-12-31", BackgroundCheckStatus: "passed", VolunteerPolice: true, Version: 1}
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardHired, "guard", "g1", &eventsv1.GuardHired{Guard: guard}))
	var tm struct{ ID string }
	testutil.Eventually(t, "the guard projected from the membership topic", func() bool {
		r := api.Do("POST", "/teams", map[string]any{"name": "经开义警", "leader_guard_id": "g1"})
		if r.Status == http.StatusCreated {
			r.Decode(t, &tm)
		}
		return r.Status == http.StatusCreated
	})
	topic := eventbus.Topic("jingkai", patrols.ServiceName)
	testutil.Eventually(t, "TeamCreated on "+topic, func() bool { return len(env.Messages(topic)) == 1 })
	var ev eventsv1.Envelope
	if err := proto.Unmarshal(env.Messages(topic)[0].Value, &ev); err != nil {
		t.Fatal(err)
	}
	var created eventsv1.TeamCreated
	if err := proto.Unmarshal(ev.GetPayload(), &created); err != nil || ev.GetType() != eventsv1.TypeTeamCreated ||
		created.GetTeam().GetId() != tm.ID || created.GetTeam().GetLeaderGuardId() != "g1" {
		t.Fatalf("published %+v %+v %v", &ev, &created, err)
	}
	// The guard leaves (version 2): the consumer suspends them, and the
	// suspension, with its notice to the leader, is published too.
	left := proto.Clone(guard).(*eventsv1.Guard)
	left.EmploymentStatus, left.Version = "left", 2
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardLeft, "guard", "g1", &eventsv1.GuardLeft{Guard: left}))
	testutil.Eventually(t, "TeamMemberSuspended on "+topic, func() bool {
		msgs := env.Messages(topic)
		if len(msgs) != 2 {
			return false
		}
		var e eventsv1.Envelope
		return proto.Unmarshal(msgs[1].Value, &e) == nil && e.GetType() == eventsv1.TypeTeamMemberSuspended
	})
	// A rules value no reader accepts is refused and counted.
	env.Put(policy.PatrolsKey, `{"checkpoint_tolerance_m": 1}`)
	rejected := `guildhall_config_invalid_total{source="` + policy.PatrolsKey + `"} 1`
	testutil.Eventually(t, "a rejected patrol rule counted on /metrics", func() bool {
		return strings.Contains(string(cmd.Admin.Do("GET", "/metrics", nil).Body), rejected)
	})
	cmd.CheckAdminListener(t, token, "/api/v1/districts/jingkai/teams")
	cmd.Stop()
	testutil.CheckLog(t, cmd.Log.Bytes())
}
