package membership_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// auditRow is one row of the audit log as stored.
type auditRow struct {
	ID            int64    `json:"id"`
	At            string   `json:"at"`
	Subject       string   `json:"subject"`
	Role          string   `json:"role"`
	Scope         string   `json:"scope"`
	Action        string   `json:"action"`
	Resource      string   `json:"resource"`
	ResourceID    string   `json:"resource_id"`
	FieldsChanged []string `json:"fields_changed"`
	RequestID     string   `json:"request_id"`
	RemoteIP      string   `json:"remote_ip"`
}

// audits reads the audit rows after id straight from the database.
func (e *env) audits(after int64) []auditRow {
	e.t.Helper()
	rows, err := e.node.DB().Query(`SELECT id, at, subject, role, scope, action, resource, resource_id, fields_changed,
		request_id, remote_ip FROM audit_log WHERE id > ? ORDER BY id`, after)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var a auditRow
		var fields string
		if err := rows.Scan(&a.ID, &a.At, &a.Subject, &a.Role, &a.Scope, &a.Action, &a.Resource, &a.ResourceID, &fields, &a.RequestID, &a.RemoteIP); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(fields), &a.FieldsChanged); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) lastAudit() int64 {
	e.t.Helper()
	var n int64
	if err := e.node.DB().QueryRow(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// assertNoIDsIn fails if blob holds any of ids in clear. It looks for
// each number's first 17 digits (as identifying as the whole, and part of
// every spelling of it: any check character, either case of x) at every
// offset, in one pass.
func assertNoIDsIn(t *testing.T, what string, blob []byte, ids []string) {
	t.Helper()
	prefixes := map[string]string{}
	for _, id := range ids {
		prefixes[id[:17]] = id
	}
	run := 0
	for i, c := range blob {
		if c < '0' || c > '9' {
			run = 0
			continue
		}
		if run++; run >= 17 {
			if id, ok := prefixes[string(blob[i-16:i+1])]; ok {
				t.Fatalf("%s holds the plaintext ID number %s at byte %d", what, id, i-16)
			}
		}
	}
}

// scanDBFiles reads the node's SQLite files (main, -wal, -shm) and fails if
// any holds one of ids. It returns how many bytes it scanned.
func (e *env) scanDBFiles(ids []string) int {
	e.t.Helper()
	total := 0
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		total += len(b)
		assertNoIDsIn(e.t, filepath.Base(e.path+suffix), b, ids)
	}
	return total
}

func TestPersonalDataIsNeverStoredLoggedOrPublishedInClear(t *testing.T) {
	e := newEnv(t)
	e.runNode()
	c := e.activeCompany(1)
	var ids []string

	// Through the API, with and without an Idempotency-Key (whose record
	// keeps a request hash and the response body).
	for i := range 5 {
		ids = append(ids, residentID(i))
		hdr := []string{}
		if i%2 == 0 {
			hdr = []string{"Idempotency-Key", fmt.Sprintf("hire-%d", i)}
		}
		var g guard
		e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", map[string]any{
			"name": fmt.Sprintf("保安%d", i), "id_number": residentID(i),
		}, &g, hdr...)
		// The hq-admin who hired sees the number in full (from the sealed
		// column; the idempotency record keeps only the masked body) …
		if g.IDNumber != residentID(i) {
			t.Fatalf("hq-admin's response id_number %q is not the full number", g.IDNumber)
		}
		// … a district-admin masked.
		var got guard
		e.Must(http.StatusOK, "GET", "/guards/"+g.ID, nil, &got, testutil.SubjectHeader, "dora", testutil.RoleHeader, "district-admin")
		if got.IDNumber != pii.MaskResidentID(residentID(i)) {
			t.Fatalf("district-admin read back %q, want the masked number", got.IDNumber)
		}
	}
	// A rejected hire that carries a number (already active).
	e.Must(http.StatusConflict, "POST", "/companies/"+c.ID+"/guards", map[string]any{"name": "重复", "id_number": residentID(0)}, nil)
	// A bad check digit: the number is refused, and must not be echoed.
	bad := badCheckDigit(residentID(90))
	ids = append(ids, bad)
	r := e.Must(http.StatusBadRequest, "POST", "/companies/"+c.ID+"/guards", map[string]any{"name": "错号", "id_number": bad}, nil)
	assertNoIDsIn(t, "an error response", r.Body, []string{bad})

	// Through a CSV import, which the node keeps (sealed) until it is done.
	var b strings.Builder
	b.WriteString("name,id_number\n")
	for i := 100; i < 100+2*250; i++ {
		ids = append(ids, residentID(i))
		fmt.Fprintf(&b, "导入%d,%s\n", i, residentID(i))
	}
	var job struct{ ID string }
	e.Must(http.StatusAccepted, "POST", "/companies/"+c.ID+"/guards/imports", b.String(), &job, "Content-Type", "text/csv", "Idempotency-Key", "imp-1")
	if done := e.waitImport(job.ID); done["succeeded"] != float64(500) {
		t.Fatalf("import %v", done)
	}
	var csvLeft string
	if err := e.node.DB().QueryRow(`SELECT csv_sealed FROM import_jobs WHERE id = ?`, job.ID).Scan(&csvLeft); err != nil || csvLeft != "" {
		t.Fatalf("the finished job still stores its file (%d bytes, %v)", len(csvLeft), err)
	}
	// A file without a header has an ID number where the header should be;
	// the refusal (and its log line) must not quote it.
	headless := residentID(95) + ",张三\n"
	ids = append(ids, residentID(95))
	r = e.Must(http.StatusBadRequest, "POST", "/companies/"+c.ID+"/guards/imports", headless, nil, "Content-Type", "text/csv")
	assertNoIDsIn(t, "an import error response", r.Body, []string{residentID(95)})

	// Every guard's stored number is sealed, and opens to the right value
	// only through the service (checked above via the masked reads).
	var plain int
	if err := e.node.DB().QueryRow(`SELECT count(*) FROM guards WHERE id_number_sealed NOT LIKE 'k1:%'`).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("%d guards without a k1-sealed number (%v)", plain, err)
	}

	// The database files, while the node runs (the WAL holds the recent
	// pages) …
	if n := e.scanDBFiles(ids); n == 0 {
		t.Fatal("scanned no database bytes")
	}
	// … the outbox envelopes that leave the district …
	e.assertNoPlaintextIDs(5)
	for _, ev := range e.events(0) {
		assertNoIDsIn(t, "outbox event "+ev.Type, ev.Raw, ids)
	}
	// … and everything logged, at debug level.
	logs := e.logs.Bytes()
	if !bytes.Contains(logs, []byte(`"msg":"http request"`)) || !bytes.Contains(logs, []byte("import.header_invalid")) {
		t.Fatalf("the log capture missed the requests:\n%.2000s", logs)
	}
	assertNoIDsIn(t, "the logs", logs, ids)

	// After a checkpoint folds the WAL into the main file, again.
	e.close()
	e.scanDBFiles(ids)
}

func TestEveryWriteIsAuditedOnce(t *testing.T) {
	e := newEnv(t)
	as := []string{testutil.SubjectHeader, "alice", testutil.RoleHeader, "district-admin", "X-Request-Id", "req-audit-1", "X-Forwarded-For", "198.51.100.9"}

	var c company
	mark := e.lastAudit()
	// expect checks that exactly one audit row was added since mark.
	expect := func(action, resource, resourceID string, fields ...string) auditRow {
		t.Helper()
		rows := e.audits(mark)
		if len(rows) != 1 {
			t.Fatalf("%s: %d audit rows, want 1: %+v", action, len(rows), rows)
		}
		a := rows[0]
		if a.Action != action || a.Resource != resource || a.ResourceID != resourceID {
			t.Fatalf("audit row %+v, want %s on %s %s", a, action, resource, resourceID)
		}
		if fields == nil {
			fields = []string{}
		}
		if !slices.Equal(a.FieldsChanged, fields) {
			t.Fatalf("%s: fields %v, want %v", action, a.FieldsChanged, fields)
		}
		if _, err := time.Parse(time.RFC3339Nano, a.At); err != nil {
			t.Fatalf("at %q: %v", a.At, err)
		}
		mark = a.ID
		return a
	}

	e.Must(http.StatusCreated, "POST", "/companies", map[string]any{
		"name": "审计保安公司", "credit_code": creditCode(t, 1), "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 1), "kind": "service_company", "address": "经开区",
	}, &c, as...)
	a := expect("company.register", "company", c.ID, "name", "credit_code", "licence_number", "kind", "level", "status", "address")
	// The principal, the request id and the peer address (the proxy header
	// is ignored: TrustProxy is off).
	if a.Subject != "alice" || a.Role != "district-admin" || a.Scope != "districts:jingkai" || a.RequestID != "req-audit-1" || a.RemoteIP != "127.0.0.1" {
		t.Fatalf("who/where of %+v", a)
	}

	// Without a principal the write is refused (401) and not audited.
	r := e.Do("PATCH", "/companies/"+c.ID, map[string]any{"contact_phone": "027-1234"}, testutil.AnonymousHeader, "1")
	if id := r.ErrorID(); r.Status != http.StatusUnauthorized || id != "auth.token_missing" {
		t.Fatalf("anonymous PATCH: %d %s", r.Status, r.Body)
	}
	if n := len(e.audits(mark)); n != 0 {
		t.Fatalf("a refused PATCH wrote %d audit rows", n)
	}
	// The company's own admin, from its own scope: the row names them; a
	// request id is generated by the middleware when the client sent none.
	e.Must(http.StatusOK, "PATCH", "/companies/"+c.ID, map[string]any{"contact_phone": "027-1234", "trade_union": true}, &c,
		testutil.SubjectHeader, "carol", testutil.RoleHeader, "company-admin", testutil.CompanyHeader, c.ID)
	a = expect("company.update", "company", c.ID, "contact_phone", "trade_union")
	if a.Subject != "carol" || a.Role != "company-admin" || a.Scope != "districts:jingkai company:"+c.ID || a.RequestID == "" || a.RemoteIP != "127.0.0.1" {
		t.Fatalf("company-admin row %+v", a)
	}
	// A PATCH that changes nothing writes nothing, so it is not audited.
	e.Must(http.StatusOK, "PATCH", "/companies/"+c.ID, map[string]any{"trade_union": true}, nil)
	if n := len(e.audits(mark)); n != 0 {
		t.Fatalf("a no-op PATCH wrote %d audit rows", n)
	}

	e.Must(http.StatusOK, "POST", "/companies/"+c.ID+"/status", map[string]any{"status": "active"}, &c, as...)
	expect("company.status_change", "company", c.ID, "status")

	var g guard
	e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", map[string]any{"name": "审计保安", "id_number": residentID(1), "hired_on": "2025-01-01", "party_member": true}, &g, as...)
	expect("guard.hire", "guard", g.ID, "name", "id_number", "hired_on", "party_member")

	e.Must(http.StatusOK, "PATCH", "/guards/"+g.ID, map[string]any{"name": "审计保安二", "badge_service": true}, nil, as...)
	expect("guard.update", "guard", g.ID, "name", "badge_service")

	e.Must(http.StatusCreated, "POST", "/guards/"+g.ID+"/trainings", map[string]any{"type": "pre_job", "hours": 8, "trained_on": "2025-01-02"}, nil, as...)
	expect("guard.training_record", "guard", g.ID, "trainings", "training_hours", "pre_job_trained")

	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/background-checks", map[string]any{"status": "passed", "checked_on": "2025-01-03"}, nil, as...)
	expect("guard.background_check", "guard", g.ID, "background_check_status", "background_check_on")

	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/certificate", map[string]any{"certificate_number": "鄂保9", "issued_on": "2025-01-04"}, nil, as...)
	expect("guard.certificate_issue", "guard", g.ID, "certificate_number", "certificate_issued_on")
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/certificate", map[string]any{"certificate_number": "鄂保10", "issued_on": "2025-01-05",
		"valid_until": "2030-01-04", "authority": "武汉市公安局"}, nil, as...)
	expect("guard.certificate_issue", "guard", g.ID, "certificate_number", "certificate_issued_on", "certificate_valid_until", "certificate_authority")

	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/leave", map[string]any{"left_on": "2025-02-01"}, nil, as...)
	expect("guard.leave", "guard", g.ID, "employment_status", "left_on")

	var m struct{ ID, ETag string }
	e.Must(http.StatusCreated, "POST", "/council-members", map[string]any{"term": 2, "position": "director", "person_name": "钱七"}, &m, as...)
	expect("council_member.appoint", "council_member", m.ID, "term", "position", "person_name", "active")

	e.Must(http.StatusOK, "PATCH", "/council-members/"+m.ID, map[string]any{"position": "vice_president", "district_in_charge": "jingkai"}, nil, as...)
	expect("council_member.update", "council_member", m.ID, "position", "district_in_charge")

	// An idempotent replay is not a second write.
	hire := map[string]any{"name": "重放", "id_number": residentID(2)}
	var g2 guard
	e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", hire, &g2, "Idempotency-Key", "k-1")
	expect("guard.hire", "guard", g2.ID, "name", "id_number", "hired_on")
	e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", hire, nil, "Idempotency-Key", "k-1")
	if n := len(e.audits(mark)); n != 0 {
		t.Fatalf("a replay wrote %d audit rows", n)
	}

	// An import: one row for the request that started it, then one per
	// committed chunk, recorded as the starter (request id included).
	var b strings.Builder
	b.WriteString("name,id_number,badge_service\n")
	const rows = 450 // chunks of 200, 200, 50
	for i := range rows {
		fmt.Fprintf(&b, "导入%d,%s,是\n", i, residentID(3000+i))
	}
	var job struct{ ID string }
	e.Must(http.StatusAccepted, "POST", "/companies/"+c.ID+"/guards/imports", b.String(), &job,
		"Content-Type", "text/csv", testutil.SubjectHeader, "bob", testutil.RoleHeader, "company-admin", testutil.CompanyHeader, c.ID, "X-Request-Id", "req-import-1")
	start := expect("import.start", "import", job.ID, "name", "id_number", "badge_service")
	if start.Subject != "bob" || start.RequestID != "req-import-1" {
		t.Fatalf("import start %+v", start)
	}
	e.runNode()
	e.waitImport(job.ID)
	chunks := e.audits(mark)
	if len(chunks) != 3 {
		t.Fatalf("%d audit rows for a 3-chunk import: %+v", len(chunks), chunks)
	}
	for _, a := range chunks {
		if a.Action != "import.chunk" || a.Resource != "import" || a.ResourceID != job.ID || a.Subject != "bob" ||
			a.Role != "company-admin" || a.Scope != "districts:jingkai company:"+c.ID || a.RequestID != "req-import-1" || !slices.Equal(a.FieldsChanged, []string{"name", "id_number", "badge_service"}) {
			t.Fatalf("chunk row %+v", a)
		}
	}
}

// TestRejectedWritesAreNotAudited complements the table of bad inputs
// (TestBadInputIsRejectedWithStableIDAndChangesNothing counts audit_log
// too): failures inside the transaction, after the audit row was written,
// roll it back with everything else.
func TestRejectedWritesAreNotAudited(t *testing.T) {
	e := newEnv(t)
	c := e.activeCompany(1)
	g := e.hire(c.ID, 1)
	other := e.activeCompany(2)
	mark := e.lastAudit()
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		hdr          []string
	}{
		{"POST", "/companies/" + other.ID + "/guards", map[string]any{"name": "x", "id_number": residentID(1)}, 409, nil},
		{"PATCH", "/guards/" + g.ID, map[string]any{"name": "y"}, 412, []string{"If-Match", `"9"`}},
		{"POST", "/guards/" + g.ID + "/leave", map[string]any{"left_on": "1990-01-01"}, 400, nil},
		{"POST", "/companies/" + c.ID + "/status", map[string]any{"status": "applied"}, 409, nil},
		{"PATCH", "/council-members/nope", map[string]any{"term": 2}, 404, nil},
	} {
		e.Must(tc.status, tc.method, tc.path, tc.body, nil, tc.hdr...)
	}
	if rows := e.audits(mark); len(rows) != 0 {
		t.Fatalf("rejected writes were audited: %+v", rows)
	}
}

func TestAuditListFiltersAndPaginates(t *testing.T) {
	e := newEnv(t)
	as := func(who string) []string {
		return []string{testutil.SubjectHeader, who, testutil.RoleHeader, "district-admin"}
	}
	var c company
	e.Must(http.StatusCreated, "POST", "/companies", map[string]any{
		"name": "列表公司", "credit_code": creditCode(t, 1), "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 2), "kind": "service_company",
	}, &c, as("alice")...)
	e.Must(http.StatusOK, "POST", "/companies/"+c.ID+"/status", map[string]any{"status": "active"}, nil, as("alice")...)
	var guards []guard
	for i := range 5 {
		var g guard
		e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", map[string]any{"name": fmt.Sprintf("保安%d", i), "id_number": residentID(i)}, &g, as("bob")...)
		guards = append(guards, g)
	}
	e.Must(http.StatusOK, "PATCH", "/guards/"+guards[2].ID, map[string]any{"volunteer_police": true}, nil, as("carol")...)

	type page struct {
		Items []auditRow `json:"items"`
		Next  string     `json:"next_page_token"`
	}
	list := func(query string) page {
		t.Helper()
		var p page
		e.Must(http.StatusOK, "GET", "/audit?"+query, nil, &p)
		return p
	}

	all := list("")
	if len(all.Items) != 8 || all.Next != "" {
		t.Fatalf("%d rows, next %q", len(all.Items), all.Next)
	}
	for i := 1; i < len(all.Items); i++ {
		if all.Items[i].ID >= all.Items[i-1].ID {
			t.Fatalf("not newest first: %d after %d", all.Items[i].ID, all.Items[i-1].ID)
		}
	}
	if all.Items[0].Action != "guard.update" || all.Items[7].Action != "company.register" {
		t.Fatalf("order %s … %s", all.Items[0].Action, all.Items[7].Action)
	}

	// Pages of 2 over bob's five hires: 2, 2, 1, newest first, no overlap.
	var seen []string
	token := ""
	for pages := 1; ; pages++ {
		p := list("subject=bob&page_size=2&page_token=" + url.QueryEscape(token))
		for _, a := range p.Items {
			if a.Subject != "bob" || a.Action != "guard.hire" {
				t.Fatalf("subject filter let through %+v", a)
			}
			seen = append(seen, a.ResourceID)
		}
		if p.Next == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		token = p.Next
	}
	want := []string{guards[4].ID, guards[3].ID, guards[2].ID, guards[1].ID, guards[0].ID}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged %v\nwant %v", seen, want)
	}

	if p := list("action=company.status_change"); len(p.Items) != 1 || p.Items[0].ResourceID != c.ID {
		t.Fatalf("action filter %+v", p.Items)
	}
	if p := list("resource=company"); len(p.Items) != 2 {
		t.Fatalf("resource filter %+v", p.Items)
	}
	if p := list("resource=guard&resource_id=" + guards[2].ID); len(p.Items) != 2 || p.Items[0].Action != "guard.update" || p.Items[1].Action != "guard.hire" {
		t.Fatalf("resource_id filter %+v", p.Items)
	}
	if p := list("subject=nobody"); len(p.Items) != 0 {
		t.Fatalf("unknown subject %+v", p.Items)
	}

	// Time windows: since is inclusive, until exclusive.
	at := func(a auditRow) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, a.At)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	newest, oldest := at(all.Items[0]), at(all.Items[7])
	if p := list("since=" + url.QueryEscape(newest.Format(time.RFC3339Nano))); len(p.Items) < 1 || p.Items[0].ID != all.Items[0].ID {
		t.Fatalf("since newest: %+v", p.Items)
	}
	if p := list("until=" + url.QueryEscape(oldest.Format(time.RFC3339Nano))); len(p.Items) != 0 {
		t.Fatalf("until oldest (exclusive): %+v", p.Items)
	}
	if p := list("since=" + url.QueryEscape(newest.Add(time.Second).Format(time.RFC3339))); len(p.Items) != 0 {
		t.Fatalf("since the future: %+v", p.Items)
	}
	// A +08:00 offset whose '+' arrived unencoded (as a space) still parses.
	local := oldest.In(time.FixedZone("CST", 8*3600)).Add(-time.Second).Format(time.RFC3339)
	if p := list("since=" + strings.Replace(local, "+", "%20", 1) + "&until=" + url.QueryEscape(newest.Add(time.Second).Format(time.RFC3339Nano))); len(p.Items) != 8 {
		t.Fatalf("window around everything: %d rows", len(p.Items))
	}

	for _, tc := range []struct{ query, id, field string }{
		{"since=yesterday", "audit.since_invalid", "since"},
		{"until=2026-13-01T00:00:00Z", "audit.until_invalid", "until"},
		{"since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "audit.range_invalid", "until"},
		{"page_size=0", "request.page_size_invalid", "page_size"},
		{"page_token=" + base64.RawURLEncoding.EncodeToString([]byte("v1:abc")), "request.page_token_invalid", "page_token"},
		{"page_token=%25%25", "request.page_token_invalid", "page_token"},
	} {
		r := e.Do("GET", "/audit?"+tc.query, nil)
		if id, field := r.ErrorID(), r.ErrorField(); r.Status != http.StatusBadRequest || id != tc.id || field != tc.field {
			t.Errorf("%s: %d %s", tc.query, r.Status, r.Body)
		}
	}
}

func TestSealingKeysRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "membership.db")
	e := openEnvWith(t, path, keyring(t, "k1"))
	c := e.activeCompany(1)
	old := e.hire(c.ID, 1)
	// An import queued under k1 and left for after the rotation.
	var job struct{ ID string }
	e.Must(http.StatusAccepted, "POST", "/companies/"+c.ID+"/guards/imports", "name,id_number\n甲,"+residentID(7)+"\n", &job, "Content-Type", "text/csv")
	e.close()

	sealedWith := func(e *env, id string) string {
		t.Helper()
		var s string
		if err := e.node.DB().QueryRow(`SELECT id_number_sealed FROM guards WHERE id = ?`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		kid, _, _ := strings.Cut(s, ":")
		return kid
	}
	masked := func(e *env, id string, n int) {
		t.Helper()
		var got guard
		e.Must(http.StatusOK, "GET", "/guards/"+id, nil, &got, testutil.SubjectHeader, "dora", testutil.RoleHeader, "district-admin")
		if got.IDNumber != pii.MaskResidentID(residentID(n)) {
			t.Fatalf("guard %d reads %q", n, got.IDNumber)
		}
	}

	// k2 is now current; k1 stays so old values open.
	e = openEnvWith(t, path, keyring(t, "k2", "k1"))
	masked(e, old.ID, 1)
	fresh := e.hire(c.ID, 2)
	if sealedWith(e, old.ID) != "k1" || sealedWith(e, fresh.ID) != "k2" {
		t.Fatalf("old sealed with %s, new with %s", sealedWith(e, old.ID), sealedWith(e, fresh.ID))
	}
	e.close()

	// A keyring that lost k1 too early cannot show the old guard: an
	// internal error (500), never a wrong or clear value.
	e = openEnvWith(t, path, keyring(t, "k2"))
	r := e.Do("GET", "/guards/"+old.ID, nil)
	if id := r.ErrorID(); r.Status != http.StatusInternalServerError || id != "internal" {
		t.Fatalf("old guard without its key: %d %s", r.Status, r.Body)
	}
	masked(e, fresh.ID, 2)
	e.close()

	// Run with both keys: the k1 import finishes, and the background
	// re-seal moves every stored number to k2, with an audit row.
	e = openEnvWith(t, path, keyring(t, "k2", "k1"))
	e.runNode()
	if done := e.waitImport(job.ID); done["succeeded"] != float64(1) {
		t.Fatalf("k1 import after rotation: %v", done)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		var left int
		if err := e.node.DB().QueryRow(`SELECT count(*) FROM guards WHERE id_number_sealed NOT LIKE 'k2:%'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d guards still sealed with k1", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var reseals int
	if err := e.node.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'guard.reseal' AND subject = 'system' AND fields_changed = '["id_number"]'`).Scan(&reseals); err != nil || reseals != 1 {
		t.Fatalf("%d re-seal audit rows (%v)", reseals, err)
	}
	e.close()

	// Now k1 can be retired.
	e = openEnvWith(t, path, keyring(t, "k2"))
	masked(e, old.ID, 1)
	masked(e, fresh.ID, 2)
}
