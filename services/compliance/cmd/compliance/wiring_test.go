package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func TestFlagsAreValidatedBeforeAnythingStarts(t *testing.T) {
	err := runMain(context.Background(), []string{"-district=Bad District", "-relay.election-ttl=0", "-admin.addr="}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil {
		t.Fatal("bad flags accepted")
	}
	for _, want := range []string{"-district", "-relay.election-ttl", "-pii.seal-key-file", "-admin.addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if !errors.Is(err, ErrNoSealKeyFile) {
		t.Errorf("missing keyring not reported: %v", err)
	}
}

// TestRealWiring runs the command as main does, against an embedded etcd
// and an in-process broker: the API behind real OIDC tokens, the policy
// watched in etcd, the membership topic consumed into the scoreboard, and
// the relay publishing the compliance topic.
func TestRealWiring(t *testing.T) {
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	etcd, broker := env.Etcd(), env.Broker()
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(members)
	keyring := env.Path("seal.keys")
	if err := os.WriteFile(keyring, []byte("k1:"+strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+env.Path("compliance.db"), "-pii.seal-key-file="+keyring,
		"-sqlite.synchronous=normal", "-relay.election-ttl=2", "-relay.candidate=compliance-0",
		"-kafka.brokers="+broker.Addr, "-etcd.endpoints="+strings.Join(etcd.Endpoints, ","),
	)...)
	api := cmd.API.As(token)
	api.Prefix = "/api/v1/districts/jingkai"
	if r := api.As("").Do("GET", "/compliance/scoreboard", nil); r.Status != http.StatusUnauthorized || r.ErrorID() != "auth.token_missing" {
		t.Fatalf("no token: %d %s", r.Status, r.Body)
	}

	env.Put(policy.ComplianceKey, `{"annual_training_hours":8}`)
	testutil.Eventually(t, "the policy watch", func() bool {
		var p struct {
			Current policy.Compliance `json:"current"`
		}
		r := api.Do("GET", "/compliance/policy", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &p) == nil && p.Current.AnnualTrainingHours == 8
	})

	g := &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "k1", EmploymentStatus: "active", BackgroundCheckStatus: "passed",
		HasCertificate: true, BadgeService: true, PreJobTrained: true, Version: 1}
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardHired, "guard", "g1", &eventsv1.GuardHired{Guard: g}))
	testutil.Eventually(t, "the guard scored from the membership topic", func() bool {
		var s struct {
			Counts struct {
				Active int `json:"active"`
			} `json:"counts"`
		}
		r := api.Do("GET", "/compliance/companies/k1", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &s) == nil && s.Counts.Active == 1
	})
	// The company reached 100% on three criteria: the relay publishes it.
	topic := eventbus.Topic("jingkai", "compliance")
	testutil.Eventually(t, "FourHundredReached on "+topic, func() bool {
		n := 0
		for _, m := range env.Messages(topic) {
			var ev eventsv1.Envelope
			if proto.Unmarshal(m.Value, &ev) == nil && ev.GetType() == eventsv1.TypeFourHundredReached && ev.GetService() == "compliance" {
				n++
			}
		}
		return n == 3
	})
	cmd.CheckAdminListener(t, token, "/api/v1/districts/jingkai/compliance/scoreboard")
	cmd.Stop()
	testutil.CheckLog(t, cmd.Log.Bytes())
}
