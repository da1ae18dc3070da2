package membership_test

import (
	"slices"

	"bytes"
	"context"
	"fmt"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/testutil"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxFile builds a workbook with excelize, as an office's Excel would
// save it: rows as given, and the hire date of the first data row as a real
// date cell (an Excel serial), not text.
func xlsxFile(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importFile uploads a file and waits for its job to end.
func (e *env) importFile(companyID string, body []byte, contentType string) map[string]any {
	e.t.Helper()
	var job struct {
		ID string `json:"id"`
	}
	e.Must(http.StatusAccepted, "POST", "/companies/"+companyID+"/guards/imports", body, &job, "Content-Type", contentType)
	return e.waitImport(job.ID)
}

func TestImportsInEveryEncodingAndFormatLandGuardsAndEvents(t *testing.T) {
	e := newEnv(t)
	e.runNode()
	c := e.activeCompany(1)
	header := "姓名,身份证号,保安员证号,发证日期,入职日期,挂牌服务,志愿警察,党员\r\n"
	rows := func(base int) string {
		return fmt.Sprintf("张%d,%s,鄂保%d,2024年1月2日,2024/2/1,是,否,1\r\n李%d,%s,,,20240301,,是,\r\n", base, residentID(base), base, base, residentID(base+1))
	}
	cases := []struct {
		name, contentType string
		body              []byte
		base              int
	}{
		{"A GBK CSV with Chinese headers, as Excel on a Chinese Windows saves it, imports.", "text/csv", gbk(t, header+rows(100)), 100},
		{"A UTF-8 CSV with a byte order mark imports.", "text/csv; charset=utf-8", []byte("\ufeff" + header + rows(200)), 200},
		{"An xlsx workbook built with excelize, with a date cell, imports.", xlsxType, xlsxFile(t, [][]any{
			{"name", "id_number", "certificate_number", "certificate_issued_on", "hired_on", "badge_service", "volunteer_police", "party_member"},
			{"张300", residentID(300), "鄂保300", "2024-01-02", 45323, true, false, 1}, // 45323 is 2024-02-01
			{"李300", residentID(301), "", "", "2024-03-01", "", "是"},                // Excel drops the trailing blank
		}), 300},
		{"An xlsx sent as application/octet-stream is told apart by its bytes.", "application/octet-stream", xlsxFile(t, [][]any{
			{"姓名", "身份证号", "保安员证号", "发证日期", "入职日期", "挂牌服务", "志愿警察", "党员"},
			{"张400", residentID(400), "鄂保400", "2024/1/2", "2024-02-01", "是", "否", "是"},
			{"李400", residentID(401), "", "", "2024-03-01", "", "1"},
		}), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seq := e.lastSeq()
			job := e.importFile(c.ID, tc.body, tc.contentType)
			if job["status"] != "done" || job["succeeded"] != float64(2) || job["failed"] != float64(0) || job["total_rows"] != float64(2) {
				t.Fatalf("job %v", job)
			}
			evs := e.events(seq)
			if len(evs) != 2 {
				t.Fatalf("%d events, want 2", len(evs))
			}
			var got []*eventsv1.Guard
			for _, ev := range evs {
				var h eventsv1.GuardHired
				if ev.Type != "GuardHired" || proto.Unmarshal(ev.Envelope.GetPayload(), &h) != nil {
					t.Fatalf("event %s", ev.Type)
				}
				got = append(got, h.GetGuard())
			}
			a, b := got[0], got[1]
			if !a.GetHasCertificate() || a.GetHiredOn() != "2024-02-01" || !a.GetBadgeService() ||
				a.GetVolunteerPolice() || !a.GetPartyMember() {
				t.Errorf("first guard %v", a)
			}
			if b.GetHasCertificate() || b.GetHiredOn() != "2024-03-01" || b.GetBadgeService() || !b.GetVolunteerPolice() {
				t.Errorf("second guard %v", b)
			}
			var g guard
			e.Must(http.StatusOK, "GET", "/guards/"+a.GetId(), nil, &g)
			if g.Name != fmt.Sprintf("张%d", tc.base) || g.IDNumber != residentID(tc.base) || g.CertificateNumber != fmt.Sprintf("鄂保%d", tc.base) {
				t.Errorf("stored guard %+v", g)
			}
		})
	}
}

func TestImportFilesThatAreNotTablesAreRefusedAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	c := e.activeCompany(1)
	cases := []struct {
		name, contentType string
		body              []byte
		id                string
	}{
		{"Bytes that are neither UTF-8 nor GBK are import.encoding_invalid.", "text/csv", []byte("name,id_number\n\x81\x20\xff,1\n"), "import.encoding_invalid"},
		{"An old .xls is import.format_unsupported.", "application/octet-stream", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 64)...), "import.format_unsupported"},
		{"A broken zip is import.csv_malformed.", xlsxType, []byte("PK\x03\x04 not really a workbook"), "import.csv_malformed"},
		{"An xlsx whose header is not the template's is import.header_invalid.", xlsxType, xlsxFile(t, [][]any{{"姓名", "电话"}, {"张三", "123"}}), "import.header_invalid"},
		{"A header missing 身份证号 is import.header_invalid.", "text/csv", []byte("姓名,保安员证号\n张三,1\n"), "import.header_invalid"},
		{"A text/plain body is import.content_type_invalid.", "text/plain", []byte("name,id_number\n"), "import.content_type_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			r := e.Do("POST", "/companies/"+c.ID+"/guards/imports", tc.body, "Content-Type", tc.contentType)
			if r.Status/100 != 4 || r.ErrorID() != tc.id {
				t.Fatalf("%d %s, want %s", r.Status, r.Body, tc.id)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("counts %v → %v", before, after)
			}
		})
	}
	// The encoding error says what to do about it.
	r := e.Do("POST", "/companies/"+c.ID+"/guards/imports", []byte("name,id_number\n\x81\x20\xff,1\n"), "Content-Type", "text/csv")
	if !strings.Contains(string(r.Body), "CSV UTF-8") {
		t.Errorf("encoding error %s does not say how to save the file", r.Body)
	}
}

func TestTheImportTemplateParsesBackAndItsHeaderImports(t *testing.T) {
	e := newEnv(t)
	e.runNode()
	c := e.activeCompany(1)
	for _, f := range []sheet.Format{sheet.XLSX, sheet.CSV} {
		t.Run("The "+string(f)+" template's header is accepted by the import.", func(t *testing.T) {
			r := e.Must(http.StatusOK, "GET", "/guards/imports/template?format="+string(f), nil, nil,
				testutil.SubjectHeader, "ca", testutil.RoleHeader, "company-admin", testutil.CompanyHeader, c.ID)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), strings.SplitN(f.ContentType(), ";", 2)[0]) ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "filename*=utf-8''") {
				t.Fatalf("headers %v", r.Header)
			}
			tbl, err := sheet.Parse(r.Body, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tbl.Header) != len(service.ImportColumns()) || tbl.Header[0] != "姓名" || tbl.Header[1] != "身份证号" || len(tbl.Rows) != 0 {
				t.Fatalf("template %+v", tbl)
			}
			var body []byte
			if f == sheet.CSV {
				if !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbf")) {
					t.Fatal("the CSV template has no UTF-8 byte order mark")
				}
				// One row, a cell per template column: name, ID number and
				// hire date filled, the rest empty.
				cells := make([]string, len(service.ImportColumns()))
				for i, c := range service.ImportColumns() {
					cells[i] = map[string]string{"name": "模板甲", "id_number": residentID(900), "hired_on": "2024-01-01"}[c.Name]
				}
				body = append(bytes.Clone(r.Body), []byte(strings.Join(cells, ",")+"\r\n")...)
			} else {
				x, err := excelize.OpenReader(bytes.NewReader(r.Body))
				if err != nil {
					t.Fatal(err)
				}
				sheets := x.GetSheetList()
				if len(sheets) != 2 || sheets[1] != "填写说明" {
					t.Fatalf("sheets %v", sheets)
				}
				// Every cell of the table is text, so a typed ID number
				// stays digits.
				style, _ := x.GetCellStyle(sheets[0], "B2")
				st, _ := x.GetStyle(style)
				if st == nil || st.NumFmt != 49 {
					t.Fatalf("B2 style %+v, want text (49)", st)
				}
				_ = x.SetCellStr(sheets[0], "A2", "模板乙")
				_ = x.SetCellStr(sheets[0], "B2", residentID(901))
				var b bytes.Buffer
				if err := x.Write(&b); err != nil {
					t.Fatal(err)
				}
				body = b.Bytes()
			}
			job := e.importFile(c.ID, body, "application/octet-stream")
			if job["status"] != "done" || job["succeeded"] != float64(1) {
				t.Fatalf("job %v", job)
			}
		})
	}
	r := e.Do("GET", "/guards/imports/template?format=ods", nil)
	if r.Status != http.StatusBadRequest || r.ErrorID() != "request.format_invalid" || r.ErrorField() != "format" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// importGuards imports n guards (residentID(from)…) into a company.
func (e *env) importGuards(companyID string, from, n int) {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("name,id_number,hired_on\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "保安%d,%s,2024-01-01\n", i, residentID(i))
	}
	if job := e.importFile(companyID, []byte(b.String()), "text/csv"); job["succeeded"] != float64(n) {
		e.t.Fatalf("import %v", job)
	}
}

func TestGuardExportMasksIDNumbersUnlessTheCallerMaySeeThem(t *testing.T) {
	e := newEnv(t)
	e.runNode()
	a, b := e.activeCompany(1), e.activeCompany(2)
	e.hire(a.ID, 1)
	e.hire(b.ID, 2)
	full, masked := residentID(1), residentID(1)[:3]+strings.Repeat("*", 12)+residentID(1)[15:]
	cases := []struct {
		name, query string
		hdr         []string
		want        string
	}{
		{"An hq-admin sees full ID numbers.", "", nil, full},
		{"Police see full ID numbers.", "", []string{testutil.SubjectHeader, "p", testutil.RoleHeader, "police"}, full},
		{"A district-admin sees masked ID numbers.", "", []string{testutil.SubjectHeader, "d", testutil.RoleHeader, "district-admin"}, masked},
		{"A company-admin sees its own guards' full ID numbers.", "&company_id=" + a.ID,
			[]string{testutil.SubjectHeader, "c", testutil.RoleHeader, "company-admin", testutil.CompanyHeader, a.ID}, full},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Must(http.StatusOK, "GET", "/guards/export?format=csv"+tc.query, nil, nil, tc.hdr...)
			tbl, err := sheet.Parse(r.Body, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var row []string
			for _, rw := range tbl.Rows {
				if rw.Cells[0] == "保安1" {
					row = rw.Cells
				}
			}
			if row == nil || row[1] != tc.want {
				t.Fatalf("row %v, want id %s", row, tc.want)
			}
			at := slices.IndexFunc(tbl.Header, func(h string) bool { return strings.HasPrefix(h, "登记时间") })
			if at < 0 || !strings.Contains(tbl.Header[at], "UTC+08:00") || !strings.HasSuffix(row[at], "+08:00") || row[2] != a.Name {
				t.Fatalf("header %v row %v", tbl.Header, row)
			}
		})
	}
	// A company-admin exporting another company's guards is refused, as
	// the list is.
	r := e.Do("GET", "/guards/export?company_id="+b.ID, nil, testutil.SubjectHeader, "c", testutil.RoleHeader, "company-admin", testutil.CompanyHeader, a.ID)
	if r.Status != http.StatusForbidden {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	// A bad filter is an error body, not a broken file.
	r = e.Do("GET", "/guards/export?employment_status=retired", nil)
	if r.Status != http.StatusBadRequest || r.ErrorID() != "guard.employment_status_invalid" || r.Header.Get("Content-Disposition") != "" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	// Companies, as xlsx.
	r = e.Must(http.StatusOK, "GET", "/companies/export?status=active", nil, nil)
	tbl, err := sheet.Parse(r.Body, sheet.Limits{})
	if err != nil || tbl.Format != sheet.XLSX || len(tbl.Rows) != 2 || tbl.Rows[0].Cells[0] != a.Name || tbl.Rows[0].Cells[5] != "正常" {
		t.Fatalf("companies %+v %v", tbl, err)
	}
}

// hookWriter is a ResponseWriter that runs hook on the first write of the
// body, while the handler is still producing the file.
type hookWriter struct {
	header http.Header
	body   bytes.Buffer
	writes int
	once   sync.Once
	hook   func()
}

func (w *hookWriter) Header() http.Header { return w.header }
func (w *hookWriter) WriteHeader(int)     {}
func (w *hookWriter) Write(p []byte) (int, error) {
	w.writes++
	w.once.Do(w.hook)
	return w.body.Write(p)
}

// The export of 10,000 guards streams: the handler writes the first part of
// the file before it has read the last page of guards. A guard hired at
// the moment the first bytes reach the client is in the file (it sorts
// last), which it could not be had the handler read every guard first.
func TestExportOf10000GuardsStreamsAsItReadsTheStore(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 10,000 guards")
	}
	e := newEnv(t)
	e.runNode()
	c := e.activeCompany(1)
	e.importGuards(c.ID, 1, 10000)
	for _, f := range []sheet.Format{sheet.CSV} {
		w := &hookWriter{header: http.Header{}}
		late := 0
		w.hook = func() {
			late++
			e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", map[string]any{
				"name": fmt.Sprintf("迟到%d", late), "id_number": residentID(20000 + late), "hired_on": "2025-01-01",
			}, nil)
		}
		req := httptest.NewRequest("GET", "/api/v1/districts/jingkai/guards/export?format="+string(f), nil)
		testutil.WithHeaderPrincipal(t, e.node.Handler(), "jingkai").ServeHTTP(w, req.WithContext(context.Background()))
		tbl, err := sheet.Parse(w.body.Bytes(), sheet.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tbl.Rows) != 10001 || tbl.Rows[10000].Cells[0] != "迟到1" {
			t.Fatalf("%s: %d rows, last %v", f, len(tbl.Rows), tbl.Rows[len(tbl.Rows)-1].Cells)
		}
		if w.writes < 10 {
			t.Fatalf("%s: %d writes: the file was not streamed", f, w.writes)
		}
	}
	_ = io.Discard
}
