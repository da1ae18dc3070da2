package membership_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestGuardSearchFindsPeopleAndNeverLogsTheIDNumber: by name substring
// (Chinese), certificate number and national ID number exactly, with the
// filters; paged; bad input refused with its id and nothing written; the
// ID number searched for is in no log line.
func TestGuardSearchFindsPeopleAndNeverLogsTheIDNumber(t *testing.T) {
	e := newEnv(t)
	a, b := e.activeCompany(1), e.activeCompany(2)
	hire := func(company string, n int, name string, extra map[string]any) string {
		t.Helper()
		body := map[string]any{"name": name, "id_number": residentID(n), "hired_on": "2025-01-01"}
		for k, v := range extra {
			body[k] = v
		}
		var g guard
		e.Must(http.StatusCreated, "POST", "/companies/"+company+"/guards", body, &g)
		return g.ID
	}
	zhangWei := hire(a.ID, 1, "张伟", map[string]any{"certificate_number": "鄂保证0001", "certificate_issued_on": "2024-01-01", "volunteer_police": true, "badge_service": true})
	liZhang := hire(a.ID, 2, "李张", nil)
	wang := hire(b.ID, 3, "王五", map[string]any{"badge_service": true})
	pct := hire(b.ID, 4, "百分%号", nil)
	e.Must(http.StatusOK, "POST", "/guards/"+zhangWei+"/background-checks", map[string]any{"status": "passed", "checked_on": "2025-01-02"}, nil)
	e.Must(http.StatusCreated, "POST", "/guards/"+zhangWei+"/trainings", map[string]any{"type": "pre_job", "hours": 8, "trained_on": "2025-01-03"}, nil)
	e.Must(http.StatusOK, "POST", "/guards/"+pct+"/background-checks", map[string]any{"status": "failed", "checked_on": "2025-01-02"}, nil)
	e.Must(http.StatusOK, "POST", "/guards/"+wang+"/leave", map[string]any{"left_on": "2025-02-01"}, nil)

	search := func(body map[string]any, query string) []string {
		t.Helper()
		var out struct {
			Items []guard `json:"items"`
		}
		e.Must(http.StatusOK, "POST", "/guards/search"+query, body, &out)
		var ids []string
		for _, g := range out.Items {
			ids = append(ids, g.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"A name substring finds every name holding it.", map[string]any{"name": "张"}, []string{zhangWei, liZhang}},
		{"A full name finds that guard.", map[string]any{"name": "张伟"}, []string{zhangWei}},
		{"A % in the name is a character, not a wildcard.", map[string]any{"name": "%"}, []string{pct}},
		{"A certificate number finds its holder exactly.", map[string]any{"certificate_number": "鄂保证0001"}, []string{zhangWei}},
		{"A part of a certificate number finds nobody.", map[string]any{"certificate_number": "鄂保证"}, nil},
		{"An ID number finds the person.", map[string]any{"id_number": residentID(3)}, []string{wang}},
		{"An ID number with a lower-case x and spaces is the same number.", map[string]any{"id_number": " " + strings.ToLower(residentID(2)) + " "}, []string{liZhang}},
		{"A company narrows the search.", map[string]any{"company_id": b.ID}, []string{wang, pct}},
		{"The employment status narrows it.", map[string]any{"company_id": b.ID, "employment_status": "active"}, []string{pct}},
		{"Volunteer police only.", map[string]any{"volunteer_police": true}, []string{zhangWei}},
		{"Not volunteer police.", map[string]any{"volunteer_police": false, "company_id": a.ID}, []string{liZhang}},
		{"Missing a background check: none, or none passed.", map[string]any{"missing": []string{"background_check"}}, []string{liZhang, wang, pct}},
		{"Missing training: no pre-job training.", map[string]any{"missing": []string{"training"}}, []string{liZhang, wang, pct}},
		{"Missing a badge and training at once.", map[string]any{"missing": []string{"badge", "training"}}, []string{liZhang, pct}},
		{"An empty search lists everyone.", map[string]any{}, []string{zhangWei, liZhang, wang, pct}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := search(tc.body, "")
			want := slices.Clone(tc.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("found %v, want %v", got, want)
			}
		})
	}
	// Paged like the lists.
	var page struct {
		Items         []guard `json:"items"`
		NextPageToken string  `json:"next_page_token"`
	}
	e.Must(http.StatusOK, "POST", "/guards/search?page_size=3", map[string]any{}, &page)
	if len(page.Items) != 3 || page.NextPageToken == "" {
		t.Fatalf("first page %d items, token %q", len(page.Items), page.NextPageToken)
	}
	rest := search(map[string]any{}, "?page_size=3&page_token="+page.NextPageToken)
	if len(rest) != 1 {
		t.Fatalf("second page %v", rest)
	}

	for _, tc := range []struct {
		name      string
		body      map[string]any
		status    int
		id, field string
	}{
		{"A wrong ID check digit is guard.id_number_invalid.", map[string]any{"id_number": badCheckDigit(residentID(9))}, 400, "guard.id_number_invalid", "id_number"},
		{"An unknown missing item is guard.search_missing_invalid.", map[string]any{"missing": []string{"haircut"}}, 400, "guard.search_missing_invalid", "missing"},
		{"A 101-character name is guard.name_too_long.", map[string]any{"name": strings.Repeat("张", 101)}, 400, "guard.name_too_long", "name"},
		{"An unknown employment status is guard.employment_status_invalid.", map[string]any{"employment_status": "retired"}, 400, "guard.employment_status_invalid", "employment_status"},
		{"An unknown company is company.not_found.", map[string]any{"company_id": "nope"}, 404, "company.not_found", ""},
		{"An unknown field is request.unknown_field.", map[string]any{"colour": "red"}, 400, "request.unknown_field", "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			r := e.Do("POST", "/guards/search", tc.body)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s (field %q), want %d %s (field %q): %s", r.Status, r.ErrorID(), r.ErrorField(), tc.status, tc.id, tc.field, r.Body)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("a refused search wrote: %v → %v", before, after)
			}
		})
	}
	// The ID numbers searched for (found or refused) are in no log line.
	logs := e.logs.String()
	for _, id := range []string{residentID(3), strings.ToLower(residentID(2)), badCheckDigit(residentID(9))} {
		if strings.Contains(logs, id) {
			t.Fatalf("the log holds a searched ID number %s", id)
		}
	}
}
