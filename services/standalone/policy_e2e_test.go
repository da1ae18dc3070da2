package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// cadenceViews are what the district's meetings API and HQ's district
// view say of the current roundtable period.
type cadenceViews struct {
	district struct {
		Per     string `json:"per"`
		Count   int    `json:"count"`
		Periods []struct {
			Start    time.Time `json:"start"`
			Expected int       `json:"expected"`
			OnTrack  bool      `json:"on_track"`
		} `json:"periods"`
	}
	hq struct {
		Roundtables *struct {
			Per         string    `json:"per"`
			PeriodStart time.Time `json:"period_start"`
			Expected    int       `json:"expected"`
			OnTrack     bool      `json:"on_track"`
		} `json:"roundtables"`
	}
}

func readCadenceViews(ctx context.Context, c *citytest.Client, district string) (cadenceViews, error) {
	var v cadenceViews
	if status, body, err := c.Do(ctx, "GET", "/api/v1/districts/"+district+"/roundtables/cadence?periods=1", nil, &v.district); err != nil || status != http.StatusOK {
		return v, fmt.Errorf("district cadence: %d %s %v", status, body, err)
	}
	if status, body, err := c.Do(ctx, "GET", "/api/v1/hq/districts/"+district, nil, &v.hq); err != nil || status != http.StatusOK {
		return v, fmt.Errorf("HQ district view: %d %s %v", status, body, err)
	}
	return v, nil
}

// TestHQAndTheDistrictReadTheSameCadenceTheSameWay puts cadences that the
// two readers used to disagree on (meetings refused a week, HQ a year and
// a count of 0; HQ had no default) and checks that the district's meetings
// API and HQ then report the same current period, expectation and
// standing.
func TestHQAndTheDistrictReadTheSameCadenceTheSameWay(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	const district = "jingkai"
	key := policy.CadenceKey(district)

	for _, tc := range []struct {
		name string
		raw  string // "" deletes the key; "-" keeps what the first start wrote
		want policy.Cadence
	}{
		{"A first start writes the default: one a month.", "-", policy.DefaultCadence},
		{"A weekly cadence is read as weekly by both.", `{"per":"week","count":2}`, policy.Cadence{Per: policy.Week, Count: 2}},
		{"A yearly cadence is read as yearly by both.", `{"per":"year","count":3}`, policy.Cadence{Per: policy.Year, Count: 3}},
		{"A count of 0 expects nothing at both, and both are on track.", `{"per":"month","count":0}`, policy.Cadence{Per: policy.Month}},
		{"A quarterly cadence is read as quarterly by both.", `{"per":"quarter","count":1}`, policy.Cadence{Per: policy.Quarter, Count: 1}},
		{"Without the key both count the default.", "", policy.DefaultCadence},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			switch tc.raw {
			case "-": // what the first start wrote
			case "":
				if _, err := city.Etcd().Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
			default:
				if _, err := city.Etcd().Put(ctx, key, tc.raw); err != nil {
					t.Fatal(err)
				}
			}
			var v cadenceViews
			var err error
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				v, err = readCadenceViews(ctx, c, district)
				if err == nil && v.district.Per == string(tc.want.Per) && v.district.Count == tc.want.Count &&
					v.hq.Roundtables != nil && v.hq.Roundtables.Per == string(tc.want.Per) && v.hq.Roundtables.Expected == tc.want.Count {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("the readers never both showed %+v: district %+v, HQ %+v, %v", tc.want, v.district, v.hq.Roundtables, err)
				case <-tick.C:
				}
			}
			if len(v.district.Periods) != 1 {
				t.Fatalf("district periods = %+v, want the current one", v.district.Periods)
			}
			d, h := v.district.Periods[0], v.hq.Roundtables
			if !d.Start.Equal(h.PeriodStart) || d.Expected != h.Expected || d.OnTrack != h.OnTrack {
				t.Fatalf("the district reports %+v, HQ %+v", d, h)
			}
			if wantStart := tc.want.Per.Start(time.Now()); !h.PeriodStart.Equal(wantStart) && !h.PeriodStart.Equal(tc.want.Per.Start(time.Now().Add(-time.Minute))) {
				t.Errorf("period starts %v, want %v", h.PeriodStart, wantStart)
			}
			if h.OnTrack != (tc.want.Count == 0) {
				t.Errorf("on track = %v with no roundtable held and %d expected", h.OnTrack, tc.want.Count)
			}
		})
	}
}
