package hq

import (
	"net/http"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// companyWithCode is a company snapshot event with a credit code.
func companyWithCode(district, id, name, code, status string) *eventsv1.Envelope {
	return apitest.Envelope(district, "membership", eventsv1.TypeCompanyRegistered, "company", id, &eventsv1.CompanyRegistered{
		Company: &eventsv1.Company{Id: id, District: district, Name: name, CreditCode: code, Status: status, Version: 1}})
}

// guardWithCertificate is a hire event of a certified guard.
func guardWithCertificate(district, id, companyID, hash, number string) *eventsv1.Envelope {
	return apitest.Envelope(district, "membership", eventsv1.TypeGuardHired, "guard", id, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
		Id: id, District: district, CompanyId: companyID, IdHash: hash, EmploymentStatus: "active", HiredOn: "2025-05-01",
		HasCertificate: number != "", CertificateNumber: number, CertificateValidUntil: "2030-12-31",
		CertificateAuthority: "武汉市公安局", Version: 1}})
}

// TestConflictsAcrossThreeDistricts publishes three districts' membership
// events through the broker, as their relays do, and reads HQ's conflicts:
// one credit code registered in jingkai and caidian, one certificate
// number held by two people in caidian and hannan, and one person active
// in jingkai and hannan. Each has its kind, districts, company names and
// links, a district sees the others' positions reduced, and the metrics
// count each kind with when the newest was first seen.
func TestConflictsAcrossThreeDistricts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	env := apitest.NewEnv(t)
	jk, cd, hn := eventbus.Topic("jingkai", "membership"), eventbus.Topic("caidian", "membership"), eventbus.Topic("hannan", "membership")
	env.CreateTopics(jk, cd, hn)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"},
		config.District{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"}, config.District{ID: "hannan", Name: "Hannan", NameZH: "汉南"})
	reg := prometheus.NewPedanticRegistry()
	node := startNode(t, env, Deps{Districts: env.Registry(), Registerer: reg})

	const code, number = "91420100MA4KX1234B", "420100201900077"
	env.Publish(jk,
		companyWithCode("jingkai", "c-jk", "武汉经开区安泰保安服务有限公司", code, "active"),
		guardWithCertificate("jingkai", "g-jk", "c-jk", "person-1", "420100201900001"))
	env.Publish(cd,
		// Registered in caidian too, still applying.
		companyWithCode("caidian", "c-cd", "蔡甸安泰保安服务有限公司", code, "applied"),
		guardWithCertificate("caidian", "g-cd", "c-cd", "person-2", number))
	env.Publish(hn,
		companyWithCode("hannan", "c-hn", "汉南卫士保安服务有限公司", "91420100MA4KX5678C", "active"),
		// person-1 is also active in hannan …
		guardWithCertificate("hannan", "g-hn-1", "c-hn", "person-1", ""),
		// … and person-3 there carries person-2's certificate number.
		guardWithCertificate("hannan", "g-hn-2", "c-hn", "person-3", number))

	api := serveAsAdmin(t, node)
	var list struct {
		Items []service.Conflict `json:"items"`
	}
	apitest.Eventually(t, "the three conflicts at HQ with their companies' names", func() bool {
		api.Must(http.StatusOK, "GET", "/api/v1/hq/conflicts", nil, &list)
		if len(list.Items) != 3 {
			return false
		}
		for _, c := range list.Items {
			for _, g := range c.Guards {
				if g.CompanyName == "" {
					return false
				}
			}
		}
		return true
	})
	byKind := map[string]service.Conflict{}
	for _, c := range list.Items {
		byKind[c.Kind] = c
	}
	if kinds := []string{list.Items[0].Kind, list.Items[1].Kind, list.Items[2].Kind}; !slices.Equal(kinds, service.ConflictKinds) {
		t.Errorf("kinds in list order = %v, want %v", kinds, service.ConflictKinds)
	}

	p := byKind[service.ConflictPerson]
	if p.IDHash != "person-1" || !slices.Equal(p.Districts, []string{"hannan", "jingkai"}) || len(p.Guards) != 2 ||
		p.Guards[0].Link != "/api/v1/districts/hannan/guards/g-hn-1" || p.Guards[0].CompanyName != "汉南卫士保安服务有限公司" ||
		p.Guards[1].Link != "/api/v1/districts/jingkai/guards/g-jk" || p.Guards[1].CompanyLink != "/api/v1/districts/jingkai/companies/c-jk" ||
		p.Since == nil || p.FirstSeenAt == nil {
		t.Errorf("person conflict = %+v", p)
	}
	cc := byKind[service.ConflictCreditCode]
	if cc.CreditCode != code || !slices.Equal(cc.Districts, []string{"caidian", "jingkai"}) || len(cc.Companies) != 2 ||
		cc.Companies[0].Name != "蔡甸安泰保安服务有限公司" || cc.Companies[0].Status != "applied" ||
		cc.Companies[0].Link != "/api/v1/districts/caidian/companies/c-cd" ||
		cc.Companies[1].Name != "武汉经开区安泰保安服务有限公司" || cc.Companies[1].Link != "/api/v1/districts/jingkai/companies/c-jk" ||
		len(cc.Guards) != 0 || cc.Since != nil || cc.FirstSeenAt == nil {
		t.Errorf("credit code conflict = %+v", cc)
	}
	cert := byKind[service.ConflictCertificateNumber]
	if cert.CertificateNumber != number || !slices.Equal(cert.Districts, []string{"caidian", "hannan"}) || cert.Persons != 2 ||
		len(cert.Guards) != 2 || cert.Guards[0].Link != "/api/v1/districts/caidian/guards/g-cd" ||
		cert.Guards[1].Link != "/api/v1/districts/hannan/guards/g-hn-2" || cert.Guards[1].CertificateValidUntil != "2030-12-31" ||
		cert.Guards[1].CertificateAuthority != "武汉市公安局" || cert.FirstSeenAt == nil {
		t.Errorf("certificate conflict = %+v", cert)
	}
	// caidian sees its own company and guard in full, the others' reduced
	// to their district, and not the person conflict it has no part in.
	var view struct {
		Items []service.Conflict `json:"items"`
	}
	api.Must(http.StatusOK, "GET", "/api/v1/hq/conflicts?district=caidian", nil, &view)
	if len(view.Items) != 2 || view.Items[0].Kind != service.ConflictCreditCode || view.Items[1].Kind != service.ConflictCertificateNumber {
		t.Fatalf("caidian's conflicts = %+v", view.Items)
	}
	if own, other := view.Items[0].Companies[0], view.Items[0].Companies[1]; own.CompanyID != "c-cd" || own.Link == "" ||
		other != (service.CompanyPosition{District: "jingkai"}) {
		t.Errorf("caidian's credit code conflict: own %+v, other %+v", own, other)
	}
	if own, other := view.Items[1].Guards[0], view.Items[1].Guards[1]; own.GuardID != "g-cd" || own.Link == "" ||
		other.District != "hannan" || other.GuardID != "" || other.Link != "" || other.CompanyName != "" || other.CertificateAuthority != "" {
		t.Errorf("caidian's certificate conflict: own %+v, other %+v", own, other)
	}

	sum := api.Object("/api/v1/hq/summary")
	if bk, _ := sum["conflicts_by_kind"].(map[string]any); sum["conflicts"] != 3.0 || bk["person"] != 1.0 || bk["credit_code"] != 1.0 ||
		bk["certificate_number"] != 1.0 {
		t.Errorf("summary conflicts = %v %v", sum["conflicts"], sum["conflicts_by_kind"])
	}

	counts, seen := gauges(t, reg, "guildhall_hq_conflicts"), gauges(t, reg, "guildhall_hq_conflict_newest_first_seen_timestamp_seconds")
	for _, k := range service.ConflictKinds {
		if counts[k] != 1 {
			t.Errorf("guildhall_hq_conflicts{kind=%q} = %v, want 1", k, counts[k])
		}
		if byKind[k].FirstSeenAt == nil {
			continue // reported above
		}
		if want := float64(byKind[k].FirstSeenAt.UnixNano()) / 1e9; seen[k] != want {
			t.Errorf("first seen gauge of %s = %v, want %v", k, seen[k], want)
		}
	}

	// The credit code conflict ends when caidian's company lapses, and its
	// gauges follow.
	lapsed := companyWithCode("caidian", "c-cd", "蔡甸安泰保安服务有限公司", code, "lapsed")
	lapsed.EventId, lapsed.Sequence = "ev-caidian-lapse", 2
	env.Publish(cd, lapsed)
	apitest.Eventually(t, "the credit code conflict gone", func() bool {
		return gauges(t, reg, "guildhall_hq_conflicts")[service.ConflictCreditCode] == 0
	})
	if _, ok := gauges(t, reg, "guildhall_hq_conflict_newest_first_seen_timestamp_seconds")[service.ConflictCreditCode]; ok {
		t.Error("a first-seen gauge for credit codes without any conflict")
	}
}

// gauges returns the samples of the gauge name by their kind label.
func gauges(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}
