package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// TestTheFourHundredScoreboardFollowsMembership drives membership's public
// API of a running city (a company, two guards, a background check, a
// training, a certificate) and reads the district's compliance scoreboard:
// the guards' events went membership → its outbox → the relay → Kafka
// (gh.jingkai.membership.v1) → the compliance node's consumer, with no call
// between the services; the scoreboard counts them per company with the
// exact gap guards and the criteria at 100%.
func TestTheFourHundredScoreboardFollowsMembership(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	co, err := c.RegisterActiveCompany(ctx, "jingkai", 77)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	hire := func(n int, badge bool) string {
		var g citytest.Created
		if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/companies/"+co+"/guards", map[string]any{
			"name": fmt.Sprintf("合规保安%d", n), "id_number": citytest.ResidentID(900 + n), "badge_service": badge,
			"certificate_number": fmt.Sprintf("鄂保证%04d", n), "certificate_issued_on": "2024-01-01", "certificate_valid_until": "2030-12-31",
		}, &g); err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	g1, g2 := hire(1, true), hire(2, false)
	g := "/api/v1/districts/jingkai/guards/"
	for _, id := range []string{g1, g2} {
		if err := c.Must(ctx, http.StatusOK, "POST", g+id+"/background-checks", map[string]any{"status": "passed", "checked_on": today}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", g+g1+"/trainings", map[string]any{"type": "pre_job", "hours": 24, "trained_on": today, "topic": "岗前培训"}, nil); err != nil {
		t.Fatal(err)
	}

	type score struct {
		Counts struct {
			Active            int `json:"active"`
			BackgroundChecked int `json:"background_checked"`
			Trained           int `json:"trained"`
			Certified         int `json:"certified"`
			BadgeService      int `json:"badge_service"`
		} `json:"counts"`
		Rates struct {
			Trained *float64 `json:"trained"`
		} `json:"rates"`
		Full []string `json:"full"`
	}
	var s score
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _, err := c.Do(ctx, "GET", "/api/v1/districts/jingkai/compliance/companies/"+co, nil, &s)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusOK && s.Counts.Active == 2 && s.Counts.Trained == 1 && s.Counts.BackgroundChecked == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scoreboard never caught up: %d %+v", status, s)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	if s.Counts.Certified != 2 || s.Counts.BadgeService != 1 || s.Rates.Trained == nil || *s.Rates.Trained != 0.5 {
		t.Fatalf("scoreboard %+v", s)
	}
	var gaps struct {
		Items []struct {
			GuardID string `json:"guard_id"`
			Reason  string `json:"reason"`
		} `json:"items"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/gaps?criterion=badge&company_id="+co, nil, &gaps); err != nil {
		t.Fatal(err)
	}
	if len(gaps.Items) != 1 || gaps.Items[0].GuardID != g2 || gaps.Items[0].Reason != "badge_missing" {
		t.Fatalf("badge gaps %+v, want %s", gaps.Items, g2)
	}
	if len(s.Full) != 2 || s.Full[0] != "background_check" || s.Full[1] != "certificate" {
		t.Fatalf("criteria at 100%%: %v", s.Full)
	}
}
