package demo

import (
	"hash/fnv"
	"time"
)

// RefresherHours is the length of the demo's annual refresher training:
// the city policy's default annual requirement (24 hours).
const RefresherHours = 24

// WithRefreshers returns ds with this year's refresher training (年度复训)
// added to most guards, so that a city started today shows a training
// rate as the association's would: the generated records are dated around
// the seed report (2025), and compliance counts each guard's hours of the
// current year. Which guards trained is a fixed function of the guard
// (about 7 in 8), so a district loaded twice in a year gets the same; the
// day is 10 January, or today in the year's first days (never ahead of
// today). today is read in Asia/Shanghai.
func WithRefreshers(ds Dataset, today time.Time) Dataset {
	day := today.In(shanghai)
	on := time.Date(day.Year(), 1, 10, 0, 0, 0, 0, shanghai)
	if on.After(day) {
		on = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, shanghai)
	}
	out := ds
	out.Companies = make([]Company, len(ds.Companies))
	for i, c := range ds.Companies {
		c.Guards = append([]Guard(nil), c.Guards...)
		for k, g := range c.Guards {
			if !refreshed(g.IDNumber) {
				continue
			}
			g.Trainings = append(append([]Training(nil), g.Trainings...), Training{
				Type: TrainingInService, Hours: RefresherHours, TrainedOn: on.Format(dateLayout), Topic: "年度复训：法律法规、应急处置与职业道德",
			})
			c.Guards[k] = g
		}
		out.Companies[i] = c
	}
	return out
}

// refreshed reports whether the guard of idNumber took the refresher.
func refreshed(idNumber string) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(idNumber))
	return h.Sum32()%8 != 0
}

var shanghai = time.FixedZone("CST", 8*3600)
