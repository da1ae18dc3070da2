package demo

import (
	"testing"
	"time"
)

// TestWithRefreshersTrainsMostGuardsThisYear: about 7 in 8 guards get one
// 24-hour in-service training dated this year (Shanghai), never after
// today; the others none; the dataset given is left as it was; the same
// guards each time.
func TestWithRefreshersTrainsMostGuardsThisYear(t *testing.T) {
	ds := Generate(20250923, "jingkai")
	before := 0
	for _, c := range ds.Companies {
		for _, g := range c.Guards {
			before += len(g.Trainings)
		}
	}
	for _, tc := range []struct {
		today time.Time
		want  string
	}{
		{time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), "2026-01-10"},
		{time.Date(2027, 1, 3, 2, 0, 0, 0, time.UTC), "2027-01-03"},
		// 31 Dec 17:00 UTC is 1 January in Wuhan: that year's refresher.
		{time.Date(2027, 12, 31, 17, 0, 0, 0, time.UTC), "2028-01-01"},
	} {
		out := WithRefreshers(ds, tc.today)
		trained, guards := 0, 0
		for i, c := range out.Companies {
			for k, g := range c.Guards {
				guards++
				orig := ds.Companies[i].Guards[k]
				switch extra := len(g.Trainings) - len(orig.Trainings); extra {
				case 0:
				case 1:
					r := g.Trainings[len(g.Trainings)-1]
					if r.TrainedOn != tc.want || r.Hours != RefresherHours || r.Type != TrainingInService {
						t.Fatalf("today %v: refresher %+v, want 24 h in service on %s", tc.today, r, tc.want)
					}
					trained++
				default:
					t.Fatalf("guard %s: %d trainings added", g.Name, extra)
				}
			}
		}
		if share := float64(trained) / float64(guards); share < 0.8 || share > 0.95 {
			t.Errorf("today %v: %d of %d guards trained (%.2f), want about 7 in 8", tc.today, trained, guards, share)
		}
		if again := WithRefreshers(ds, tc.today); len(again.Companies[0].Guards[0].Trainings) != len(out.Companies[0].Guards[0].Trainings) {
			t.Error("a second run chose other guards")
		}
	}
	after := 0
	for _, c := range ds.Companies {
		for _, g := range c.Guards {
			after += len(g.Trainings)
		}
	}
	if after != before {
		t.Errorf("the dataset given changed: %d trainings, was %d", after, before)
	}
}
