package meetings_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/testutil"
)

func TestAttendanceAndActionItemExports(t *testing.T) {
	e := newEnv(t)
	m := e.createMeeting("district_working")
	invs := e.invite(m.ID, "c1", "c2")
	e.status(m.ID, "scheduled")
	e.clock.set(meetingStart.Add(-5 * time.Minute))
	e.Must(200, "POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": invs[0].CheckInCode}, nil)

	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run("The attendance exports as "+string(f)+" in China time with the zone stated.", func(t *testing.T) {
			r := e.Must(http.StatusOK, "GET", "/meetings/"+m.ID+"/attendance/export?format="+string(f), nil, nil)
			if !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=utf-8''") {
				t.Fatalf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
			}
			tbl, err := sheet.Parse(r.Body, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tbl.Format != f || len(tbl.Rows) != 3 || !strings.Contains(tbl.Header[7], "UTC+08:00") {
				t.Fatalf("table %+v", tbl)
			}
			first := tbl.Rows[0].Cells
			want := meetingStart.Add(-5 * time.Minute).In(time.FixedZone("", 8*3600)).Format("2006-01-02 15:04:05 -07:00")
			if first[2] != "c1" || first[6] != "出席" || first[7] != want {
				t.Fatalf("row %v, want checked in at %s", first, want)
			}
		})
	}
	if r := e.Do("GET", "/meetings/nope/attendance/export", nil); r.Status != 404 || r.ErrorID() != "meeting.not_found" || r.Header.Get("Content-Disposition") != "" {
		t.Fatalf("unknown meeting: %d %s", r.Status, r.Body)
	}

	e.status(m.ID, "in_progress")
	e.resolution(m.ID)
	ca := []string{testutil.SubjectHeader, "ca-c1", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "c1"}
	r := e.Must(http.StatusOK, "GET", "/action-items/export?format=csv&owner_company_id=c1", nil, nil, ca...)
	tbl, err := sheet.Parse(r.Body, sheet.Limits{})
	if err != nil || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "组建党组织" || tbl.Rows[0].Cells[4] != "2025-09-25" {
		t.Fatalf("company's items %+v %v", tbl, err)
	}
	r = e.Must(http.StatusOK, "GET", "/action-items/export", nil, nil)
	if tbl, err = sheet.Parse(r.Body, sheet.Limits{}); err != nil || tbl.Format != sheet.XLSX || len(tbl.Rows) != 3 {
		t.Fatalf("all items %+v %v", tbl, err)
	}
	// A company-admin exports only its own items, and a bad filter is an
	// error body.
	if r := e.Do("GET", "/action-items/export?owner_company_id=c2", nil, ca...); r.Status != 403 {
		t.Fatalf("other company's items: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/action-items/export?status=maybe", nil); r.Status != 400 || r.ErrorID() != "action_item.status_invalid" {
		t.Fatalf("bad status: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/action-items/export?format=pdf", nil); r.Status != 400 || r.ErrorID() != "request.format_invalid" {
		t.Fatalf("bad format: %d %s", r.Status, r.Body)
	}
}
