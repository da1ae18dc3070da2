package compliance_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func companyAt(id, status string, version int64, at time.Time) *eventsv1.Envelope {
	e := testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyStatusChanged, "company", id,
		&eventsv1.CompanyStatusChanged{Company: &eventsv1.Company{Id: id, District: "jingkai", Name: "公司" + id, Status: status, Version: version}, ToStatus: status})
	e.EventId, e.OccurredAt = fmt.Sprintf("ev-%s-%d", id, version), timestamppb.New(at)
	return e
}

// TestTimelinessCountsOnlyTheCompanysActiveWindow: a monthly schedule from
// January for a company active from 15 March and lapsed on 10 June is
// expected in March to June only (never before it joined, not after it
// lapsed); an inspection uploaded within 15 days of its month's end is on
// time, one uploaded later is done but late; a company never active is
// expected nothing (null rates, not 0%).
func TestTimelinessCountsOnlyTheCompanysActiveWindow(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, cst) }
	e.apply(companyAt("c1", "applied", 1, at(1, 5)), companyAt("c1", "active", 2, at(3, 15)), companyAt("c2", "applied", 1, at(1, 5)))
	e.clock.set(at(1, 2))
	for _, co := range []string{"c1", "c2"} {
		e.Must(201, "POST", "/compliance/schedules", map[string]any{"company_id": co, "period": "month", "count": 1, "starts_on": "2026-01-01"}, nil)
	}
	e.clock.set(at(3, 20))
	e.inspect(inspectionBody(tpl, "2026-03-20", "yes")) // March, on time
	e.clock.set(at(5, 20))
	e.inspect(inspectionBody(tpl, "2026-04-28", "yes")) // April, uploaded 20 May: after 30 April + 15 days
	e.apply(companyAt("c1", "lapsed", 3, at(6, 10)))
	e.clock.set(at(8, 20)) // the ended months are February to July; July is after the lapse
	var rep struct {
		Companies []struct {
			CompanyID    string   `json:"company_id"`
			Expected     int      `json:"expected"`
			Done         int      `json:"done"`
			OnTime       int      `json:"on_time"`
			Completeness *float64 `json:"completeness"`
			Timeliness   *float64 `json:"timeliness"`
		} `json:"companies"`
		District struct {
			Expected, Done int
		} `json:"district"`
	}
	e.Must(200, "GET", "/compliance/timeliness?periods=6", nil, &rep)
	if len(rep.Companies) != 2 {
		t.Fatalf("report %+v", rep)
	}
	c1, c2 := rep.Companies[0], rep.Companies[1]
	if c1.Expected != 4 || c1.Done != 2 || c1.OnTime != 1 || *c1.Completeness != 0.5 || *c1.Timeliness != 0.25 {
		t.Fatalf("c1 %+v", c1)
	}
	if c2.Expected != 0 || c2.Completeness != nil || c2.Timeliness != nil {
		t.Fatalf("c2 (never active) %+v", c2)
	}
	if rep.District.Expected != 4 || rep.District.Done != 2 {
		t.Fatalf("district %+v", rep.District)
	}
}
