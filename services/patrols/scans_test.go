package patrols_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

type scanResult struct {
	DeviceSeq int64  `json:"device_seq"`
	Outcome   string `json:"outcome"`
	Error     *struct {
		ID string `json:"id"`
	} `json:"error"`
	Scan *struct {
		ID            string    `json:"id"`
		ShiftID       string    `json:"shift_id"`
		ScannedAt     time.Time `json:"scanned_at"`
		DeviceTime    time.Time `json:"device_time"`
		DistanceM     float64   `json:"distance_m"`
		MockLocation  bool      `json:"mock_location"`
		Offline       bool      `json:"offline"`
		ClockSkewed   bool      `json:"clock_skewed"`
		TimeCorrected bool      `json:"time_corrected"`
		ClockOffsetS  int64     `json:"clock_offset_seconds"`
	} `json:"scan"`
}

type batchResult struct {
	Accepted, Duplicates, Rejected int
	ClockSkewed                    bool  `json:"clock_skewed"`
	ClockOffsetS                   int64 `json:"clock_offset_seconds"`
	MockLocations                  int   `json:"mock_locations"`
	Results                        []scanResult
}

// scanWorld is a world whose shift (09:00–11:00) has g1 and g2 assigned;
// g3 is a member of the team but not on the shift.
func scanWorld(t *testing.T) (*env, world) {
	e := newEnv(t)
	for _, g := range []string{"g1", "g2", "g3"} {
		e.guard(volunteer(g, 1))
	}
	tm := e.team("g1")
	e.join(tm.ID, "g2")
	e.join(tm.ID, "g3")
	w := e.world()
	e.assign(w.shift.ID, "g1")
	e.assign(w.shift.ID, "g2")
	return e, w
}

func item(tag string, seq int64, at time.Time, loc map[string]float64) map[string]any {
	return map[string]any{"tag": tag, "device_seq": seq, "scanned_at": at, "location": loc, "accuracy_m": 8}
}

// north returns the point m metres north of p (1° of latitude ≈ 111.2 km).
func north(p map[string]float64, m float64) map[string]float64 {
	return map[string]float64{"lat": p["lat"] + m/111195, "lng": p["lng"]}
}

// TestScanAcceptanceTable walks the rules of proof of presence in order:
// each scan either is accepted (with its flags) or answered with the id of
// the rule it breaks, and a refused scan writes nothing.
func TestScanAcceptanceTable(t *testing.T) {
	e, w := scanWorld(t)
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 10, 1, hh, mm, ss, 0, cst) }
	gcj := service.WGS84ToGCJ02(service.LatLng{Lat: cp1At["lat"], Lng: cp1At["lng"]})
	steps := []struct {
		name   string
		now    time.Time
		guard  string
		body   map[string]any // the scan item, plus fields
		status int
		id     string                 // the error id, for a refusal
		check  func(r scanResult) any // for an acceptance: nil when fine, else what is wrong
	}{
		{"A scan before start minus grace is outside the shift.", at(8, 49, 0), "g1",
			item(w.cp1.TagValue, 1, at(8, 49, 0), cp1At), 422, "scan.outside_shift", nil},
		{"A scan inside the grace before the start is accepted for the shift.", at(8, 51, 0), "g1",
			item(w.cp1.TagValue, 2, at(8, 51, 0), cp1At), 201, "", func(r scanResult) any {
				if r.Scan.ShiftID != w.shift.ID || r.Scan.Offline || r.Scan.TimeCorrected {
					return r.Scan
				}
				return nil
			}},
		{"A guard not assigned to the shift is the wrong guard.", at(9, 30, 0), "g3",
			item(w.cp1.TagValue, 3, at(9, 30, 0), cp1At), 422, "scan.guard_not_assigned", nil},
		{"A scan 40 m from the checkpoint is too far (tolerance 30 m).", at(9, 30, 0), "g2",
			item(w.cp1.TagValue, 4, at(9, 30, 0), north(cp1At, 40)), 422, "scan.too_far", nil},
		{"A scan 25 m from the checkpoint is within the tolerance.", at(9, 30, 0), "g2",
			item(w.cp1.TagValue, 5, at(9, 30, 0), north(cp1At, 25)), 201, "", func(r scanResult) any {
				if r.Scan.DistanceM < 24 || r.Scan.DistanceM > 26 {
					return r.Scan.DistanceM
				}
				return nil
			}},
		{"The same checkpoint again 30 s later is a repeat (interval 1 min).", at(9, 30, 30), "g2",
			item(w.cp1.TagValue, 6, at(9, 30, 30), cp1At), 422, "scan.repeat", nil},
		{"The same checkpoint 61 s later is accepted.", at(9, 31, 1), "g2",
			item(w.cp1.TagValue, 7, at(9, 31, 1), cp1At), 201, "", nil},
		{"The same device and sequence again is a duplicate: 200 (nothing created) with the stored scan, nothing written.", at(9, 40, 0), "g2",
			item(w.cp1.TagValue, 7, at(9, 31, 1), cp1At), 200, "", func(r scanResult) any {
				if r.Outcome != "duplicate" || !r.Scan.ScannedAt.Equal(at(9, 31, 1)) {
					return r
				}
				return nil
			}},
		{"An unknown tag is refused.", at(9, 40, 0), "g2",
			item("QR-nobody-0000", 8, at(9, 40, 0), cp1At), 422, "scan.tag_unknown", nil},
		{"A mock location is accepted and flagged.", at(9, 41, 0), "g1",
			map[string]any{"tag": w.cp2.TagValue, "device_seq": 9, "scanned_at": at(9, 41, 0), "location": cp2At, "mock_location": true}, 201, "",
			func(r scanResult) any {
				if !r.Scan.MockLocation {
					return r.Scan
				}
				return nil
			}},
		{"A position in GCJ-02 (a map-tile point) with crs gcj02 is converted and accepted.", at(9, 45, 0), "g2",
			map[string]any{"tag": w.cp1.TagValue, "device_seq": 10, "scanned_at": at(9, 45, 0), "crs": "gcj02",
				"location": map[string]float64{"lat": gcj.Lat, "lng": gcj.Lng}}, 201, "", func(r scanResult) any {
				if r.Scan.DistanceM > 0.1 {
					return r.Scan.DistanceM
				}
				return nil
			}},
		{"The same GCJ-02 point sent as WGS-84 is hundreds of metres off: too far.", at(9, 50, 0), "g2",
			map[string]any{"tag": w.cp1.TagValue, "device_seq": 11, "scanned_at": at(9, 50, 0),
				"location": map[string]float64{"lat": gcj.Lat, "lng": gcj.Lng}}, 422, "scan.too_far", nil},
		{"A scan after end plus grace is outside the shift.", at(11, 11, 0), "g1",
			item(w.cp1.TagValue, 12, at(11, 11, 0), cp1At), 422, "scan.outside_shift", nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.clock.set(s.now)
			body := map[string]any{"guard_id": s.guard, "device_id": "phone-" + s.guard, "device_time": s.now}
			for k, v := range s.body {
				body[k] = v
			}
			before, seq := e.counts(), e.lastSeq()
			var res scanResult
			r := e.Do("POST", "/scans", body, as(guardP(s.guard))...)
			if r.Status != s.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, s.status)
			}
			if s.id != "" {
				if r.ErrorID() != s.id {
					t.Fatalf("%s, want %s", r.Body, s.id)
				}
			} else {
				r.Decode(t, &res)
				if s.check != nil {
					if bad := s.check(res); bad != nil {
						t.Fatalf("accepted scan wrong: %+v", bad)
					}
				}
			}
			evs := e.events(seq)
			if s.status == 201 && res.Outcome == "accepted" {
				if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeCheckpointScanned}) {
					t.Fatalf("events %v", got)
				}
			} else if after := e.counts(); !mapsEqual(before, after) || len(evs) != 0 {
				t.Fatalf("a %d wrote: %v → %v", s.status, before, after)
			}
		})
	}
	// The shift's report counts the mock location.
	var rep struct {
		MockLocations int `json:"mock_locations"`
		Guards        []struct {
			GuardID  string `json:"guard_id"`
			Accepted int
		}
	}
	e.Must(http.StatusOK, "GET", "/shifts/"+w.shift.ID+"/report", nil, &rep)
	if rep.MockLocations != 1 || len(rep.Guards) != 2 || rep.Guards[0].Accepted != 2 || rep.Guards[1].Accepted != 3 {
		t.Fatalf("report %+v, want g1 2 scans (one mock), g2 3", rep)
	}
}

// TestOfflineUploads: a batch uploaded after the shift keeps each scan's
// device time; a device clock off by more than the limit at upload flags
// the batch and corrects every time by the offset measured.
func TestOfflineUploads(t *testing.T) {
	e, w := scanWorld(t)
	at := func(hh, mm int) time.Time { return time.Date(2026, 10, 1, hh, mm, 0, 0, cst) }
	upload := func(deviceTime time.Time, items ...map[string]any) batchResult {
		t.Helper()
		var b batchResult
		e.Must(http.StatusOK, "POST", "/scans/batch", map[string]any{"guard_id": "g1", "device_id": "phone-g1", "device_time": deviceTime, "scans": items},
			&b, as(guardP("g1"))...)
		return b
	}

	t.Run("A late offline upload keeps its device times and is accepted.", func(t *testing.T) {
		e.clock.set(at(13, 0)) // two hours after the shift
		b := upload(at(13, 0), item(w.cp1.TagValue, 1, at(9, 5), cp1At), item(w.cp2.TagValue, 2, at(9, 20), cp2At))
		if b.Accepted != 2 || b.ClockSkewed {
			t.Fatalf("batch %+v", b)
		}
		for _, r := range b.Results {
			if !r.Scan.Offline || r.Scan.TimeCorrected || !r.Scan.ScannedAt.Equal(r.Scan.DeviceTime) {
				t.Fatalf("scan %+v, want offline with its device time", r.Scan)
			}
		}
	})
	t.Run("A device clock 10 minutes fast is flagged and its times corrected.", func(t *testing.T) {
		e.clock.set(at(13, 0))
		// The device thinks it is 13:10. Its scan at "11:15" device time
		// was made at 11:05 — inside end + grace (11:10); uncorrected it
		// would be outside the shift.
		b := upload(at(13, 10), item(w.cp1.TagValue, 3, at(11, 15), cp1At))
		if !b.ClockSkewed || b.ClockOffsetS != 600 || b.Accepted != 1 {
			t.Fatalf("batch %+v", b)
		}
		s := b.Results[0].Scan
		if !s.ClockSkewed || !s.TimeCorrected || s.ClockOffsetS != 600 || !s.ScannedAt.Equal(at(11, 5)) || !s.DeviceTime.Equal(at(11, 15)) {
			t.Fatalf("scan %+v, want 11:05 corrected from 11:15", s)
		}
	})
	t.Run("A device clock off by less than the limit is kept as it is.", func(t *testing.T) {
		e.clock.set(at(13, 0))
		b := upload(at(13, 0).Add(90*time.Second), item(w.cp2.TagValue, 4, at(10, 30), cp2At))
		if b.ClockSkewed || b.ClockOffsetS != 90 || b.Accepted != 1 || b.Results[0].Scan.TimeCorrected || !b.Results[0].Scan.ScannedAt.Equal(at(10, 30)) {
			t.Fatalf("batch %+v", b)
		}
	})
	t.Run("A rejected scan of a batch carries the id it would have had alone.", func(t *testing.T) {
		e.clock.set(at(13, 0))
		seq := e.lastSeq()
		b := upload(at(13, 0), item(w.cp1.TagValue, 5, at(12, 0), cp1At), item(w.cp1.TagValue, 1, at(9, 5), cp1At))
		if b.Rejected != 1 || b.Duplicates != 1 || b.Results[0].Error.ID != "scan.outside_shift" || b.Results[1].Outcome != "duplicate" {
			t.Fatalf("batch %+v", b)
		}
		if n := len(e.events(seq)); n != 0 {
			t.Fatalf("%d events for a batch with nothing accepted", n)
		}
	})
}

// TestThousandScanOfflineBatch uploads 1,000 scans in a shuffled order:
// 300 a first upload already delivered (duplicates), 650 new, and 50
// repeats of a checkpoint 20 s after a genuine scan of it. The outcome is
// the same whatever the order, and every accepted scan has its event.
func TestThousandScanOfflineBatch(t *testing.T) {
	e := newEnv(t)
	e.guard(volunteer("g1", 1))
	tm := e.team("g1")
	_ = tm
	w := e.world()
	start := nationalDay.Add(time.Hour) // 09:00
	long := e.shift(w.planID, start.Add(3*time.Hour), start.Add(15*time.Hour), 1, []string{w.cp1.ID, w.cp2.ID}, 950)
	e.assign(long.ID, "g1")
	shiftStart := start.Add(3 * time.Hour)
	var genuine, cheats []map[string]any
	for i := range 950 {
		cp, loc := w.cp1.TagValue, cp1At
		if i%2 == 1 {
			cp, loc = w.cp2.TagValue, cp2At
		}
		genuine = append(genuine, item(cp, int64(i+1), shiftStart.Add(time.Duration(i)*40*time.Second), loc))
	}
	for i := range 50 {
		g := genuine[i*18]
		cheats = append(cheats, item(g["tag"].(string), int64(2000+i), g["scanned_at"].(time.Time).Add(20*time.Second), g["location"].(map[string]float64)))
	}
	e.clock.set(shiftStart.Add(16 * time.Hour)) // the next morning
	post := func(items []map[string]any) batchResult {
		var b batchResult
		e.Must(http.StatusOK, "POST", "/scans/batch", map[string]any{"guard_id": "g1", "device_id": "phone-g1", "device_time": e.clock.now(), "scans": items},
			&b, as(guardP("g1"))...)
		return b
	}
	first := post(genuine[:300])
	if first.Accepted != 300 {
		t.Fatalf("first upload %+v", first.Accepted)
	}
	all := append(slices.Clone(genuine), cheats...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	seq := e.lastSeq()
	b := post(all)
	if b.Accepted != 650 || b.Duplicates != 300 || b.Rejected != 50 || len(b.Results) != 1000 {
		t.Fatalf("batch: %d accepted, %d duplicates, %d rejected of %d", b.Accepted, b.Duplicates, b.Rejected, len(b.Results))
	}
	for i, r := range b.Results {
		seqNo := all[i]["device_seq"].(int64)
		want := "accepted"
		switch {
		case seqNo >= 2000:
			want = "rejected"
		case seqNo <= 300:
			want = "duplicate"
		}
		if r.DeviceSeq != seqNo || r.Outcome != want || (want == "rejected" && r.Error.ID != "scan.repeat") {
			t.Fatalf("result %d: %+v, want seq %d %s", i, r, seqNo, want)
		}
	}
	if n := len(e.events(seq)); n != 650 {
		t.Fatalf("%d events, want 650", n)
	}
	if c := e.counts()["scans"]; c != 950 {
		t.Fatalf("%d scans stored, want 950", c)
	}
	// The same thousand again: all duplicates or rejected, nothing written.
	seq = e.lastSeq()
	again := post(all)
	if again.Duplicates != 950 || again.Rejected != 50 || len(e.events(seq)) != 0 {
		t.Fatalf("again: %+v", again.Duplicates)
	}
}

// TestMissedToursAndPatrolHours: a tour not started by start + grace and
// one not finished by end + grace each raise one anomaly, once however
// often the sweep runs; patrol hours count the shifts with accepted scans.
func TestMissedToursAndPatrolHours(t *testing.T) {
	e, w := scanWorld(t)
	at := func(hh, mm int) time.Time { return time.Date(2026, 10, 1, hh, mm, 0, 0, cst) }
	scan := func(guard string, seq int64, tag string, when time.Time, loc map[string]float64) {
		t.Helper()
		e.clock.set(when)
		e.Must(http.StatusCreated, "POST", "/scans", map[string]any{"guard_id": guard, "device_id": "phone-" + guard, "tag": tag,
			"device_seq": seq, "scanned_at": when, "location": loc}, nil, as(guardP(guard))...)
	}
	scan("g1", 1, w.cp1.TagValue, at(9, 5), cp1At)
	e.clock.set(at(9, 10))
	seq := e.lastSeq()
	if _, n, err := e.node.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep at start+grace: %d, %v; want g2 not started", n, err)
	}
	if _, n, _ := e.node.Sweep(t.Context()); n != 0 {
		t.Fatalf("second sweep raised %d", n)
	}
	scan("g1", 2, w.cp2.TagValue, at(9, 30), cp2At)
	scan("g1", 3, w.cp1.TagValue, at(10, 0), cp1At)
	scan("g1", 4, w.cp2.TagValue, at(10, 30), cp2At)
	scan("g2", 1, w.cp1.TagValue, at(10, 40), cp1At) // late, and only one
	e.clock.set(at(11, 9))
	if _, n, _ := e.node.Sweep(t.Context()); n != 0 {
		t.Fatalf("sweep before end+grace raised %d", n)
	}
	e.clock.set(at(11, 10))
	if _, n, _ := e.node.Sweep(t.Context()); n != 1 {
		t.Fatalf("sweep at end+grace raised %d, want g2 not finished", n)
	}
	if _, n, _ := e.node.Sweep(t.Context()); n != 0 {
		t.Fatalf("third sweep raised %d", n)
	}
	// A tour begun late: g3's shift 12:00–13:00, first scan 12:20, after
	// start + grace. The sweep after it still raises not_started.
	late := e.shift(w.planID, at(12, 0), at(13, 0), 1, []string{w.cp1.ID}, 1)
	e.assign(late.ID, "g3")
	scan("g3", 1, w.cp1.TagValue, at(12, 20), cp1At)
	if _, n, _ := e.node.Sweep(t.Context()); n != 1 {
		t.Fatalf("sweep after a late start raised %d, want g3 not started", n)
	}
	var kinds []string
	for _, ev := range e.events(seq) {
		if ev.Type == eventsv1.TypeMissedTour {
			m := testutil.Payload(t, ev, &eventsv1.MissedTour{})
			kinds = append(kinds, m.GetGuardId()+":"+m.GetKind())
		}
	}
	if want := []string{"g2:not_started", "g2:not_finished", "g3:not_started"}; !slices.Equal(kinds, want) {
		t.Fatalf("missed tours %v, want %v", kinds, want)
	}
	var list struct{ Items []struct{ Kind string } }
	e.Must(http.StatusOK, "GET", "/missed-tours?kind=not_finished", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Kind != "not_finished" {
		t.Fatalf("list %+v", list)
	}
	var hours struct {
		Hours  float64
		Guards []struct {
			GuardID string `json:"guard_id"`
			Hours   float64
		}
	}
	e.Must(http.StatusOK, "GET", fmt.Sprintf("/patrol-hours?from=%s&to=%s", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"), nil, &hours)
	if hours.Hours != 5 || len(hours.Guards) != 3 || hours.Guards[0].Hours != 2 || hours.Guards[2].Hours != 1 {
		t.Fatalf("hours %+v, want g1 and g2 2 h each, g3 1 h", hours)
	}
}

// TestNoDoubleBooking: a guard on a shift cannot be assigned to another
// shift of the district that overlaps it, even of another plan and area;
// a shift that starts when the first ends is fine.
func TestNoDoubleBooking(t *testing.T) {
	e, w := scanWorld(t) // g1 on 09:00–11:00
	var area, plan struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/areas", map[string]any{"name": "沌口体育中心", "shape": "circle", "center": north(areaCenter, 5000), "radius_m": 300}, &area)
	var cp checkpoint
	e.Must(http.StatusCreated, "POST", "/areas/"+area.ID+"/checkpoints", map[string]any{"name": "东门", "tag_kind": "qr", "tag_value": "QR-zone-b-0001", "location": north(areaCenter, 5000)}, &cp)
	e.Must(http.StatusCreated, "POST", "/plans", map[string]any{"name": "另一计划", "area_id": area.ID, "starts_at": nationalDay, "ends_at": nationalDay.Add(24 * time.Hour)}, &plan)
	overlapping := e.shift(plan.ID, nationalDay.Add(150*time.Minute), nationalDay.Add(4*time.Hour), 1, []string{cp.ID}, 1) // 10:30–12:00
	adjacent := e.shift(plan.ID, nationalDay.Add(3*time.Hour), nationalDay.Add(5*time.Hour), 1, []string{cp.ID}, 1)        // 11:00–13:00
	before, seq := e.counts(), e.lastSeq()
	if r := e.Do("POST", "/shifts/"+overlapping.ID+"/assignments", map[string]string{"guard_id": "g1"}); r.Status != http.StatusConflict || r.ErrorID() != "assignment.double_booked" {
		t.Fatalf("overlapping: %d %s", r.Status, r.Body)
	}
	if after := e.counts(); !mapsEqual(before, after) || len(e.events(seq)) != 0 {
		t.Fatalf("a refused assignment wrote")
	}
	e.assign(adjacent.ID, "g1")
	var p struct {
		FillRate *float64 `json:"fill_rate"`
		Required int
		Staffed  int
	}
	e.Must(http.StatusOK, "GET", "/plans/"+w.planID, nil, &p)
	if p.Required != 2 || p.Staffed != 2 || p.FillRate == nil || *p.FillRate != 1 {
		t.Fatalf("plan %+v", p)
	}
}

// TestALateOfflineBatchWithdrawsTheMissedTourItCovers: g1's phone was
// offline for the whole 09:00–11:00 shift; by 11:10 the sweep has raised
// not_started and not_finished. A batch uploaded at 11:30 holding a scan
// at 09:05 withdraws not_started (MissedTourWithdrawn), not not_finished
// (one scan of four); a second batch with the other three withdraws that
// too. Withdrawn anomalies leave the list and are never raised again.
func TestALateOfflineBatchWithdrawsTheMissedTourItCovers(t *testing.T) {
	e, w := scanWorld(t)
	at := func(hh, mm int) time.Time { return time.Date(2026, 10, 1, hh, mm, 0, 0, cst) }
	e.clock.set(at(11, 10))
	if _, n, err := e.node.Sweep(t.Context()); err != nil || n != 4 {
		t.Fatalf("sweep: %d, %v; want g1 and g2 not started and not finished", n, err)
	}
	withdrawn := func(seq int64) []string {
		var out []string
		for _, ev := range e.events(seq) {
			if ev.Type == eventsv1.TypeMissedTourWithdrawn {
				m := testutil.Payload(t, ev, &eventsv1.MissedTourWithdrawn{})
				out = append(out, m.GetGuardId()+":"+m.GetKind())
			}
		}
		return out
	}
	live := func() []string {
		var list struct {
			Items []struct {
				GuardID string `json:"guard_id"`
				Kind    string
			}
		}
		e.Must(http.StatusOK, "GET", "/missed-tours", nil, &list)
		var out []string
		for _, m := range list.Items {
			out = append(out, m.GuardID+":"+m.Kind)
		}
		slices.Sort(out)
		return out
	}
	upload := func(items ...map[string]any) {
		t.Helper()
		var b batchResult
		e.Must(http.StatusOK, "POST", "/scans/batch", map[string]any{"guard_id": "g1", "device_id": "phone-g1", "device_time": at(11, 30),
			"scans": items}, &b, as(guardP("g1"))...)
		if b.Accepted != len(items) {
			t.Fatalf("batch %+v", b)
		}
	}
	e.clock.set(at(11, 30))
	seq := e.lastSeq()
	upload(item(w.cp1.TagValue, 1, at(9, 5), cp1At))
	if got := withdrawn(seq); !slices.Equal(got, []string{"g1:not_started"}) {
		t.Fatalf("withdrawn %v, want g1 not started only", got)
	}
	if got, want := live(), []string{"g1:not_finished", "g2:not_finished", "g2:not_started"}; !slices.Equal(got, want) {
		t.Fatalf("live %v, want %v", got, want)
	}
	seq = e.lastSeq()
	upload(item(w.cp2.TagValue, 2, at(9, 30), cp2At), item(w.cp1.TagValue, 3, at(10, 0), cp1At), item(w.cp2.TagValue, 4, at(10, 30), cp2At))
	if got := withdrawn(seq); !slices.Equal(got, []string{"g1:not_finished"}) {
		t.Fatalf("withdrawn %v, want g1 not finished", got)
	}
	// g2's tour began at 09:20, after start + grace: still not started in
	// time, so that anomaly stands.
	seq = e.lastSeq()
	e.Must(http.StatusOK, "POST", "/scans/batch", map[string]any{"guard_id": "g2", "device_id": "phone-g2", "device_time": at(11, 30),
		"scans": []map[string]any{item(w.cp1.TagValue, 1, at(9, 20), cp1At)}}, nil, as(guardP("g2"))...)
	if got := withdrawn(seq); len(got) != 0 {
		t.Fatalf("a tour begun late withdrew %v", got)
	}
	if _, n, _ := e.node.Sweep(t.Context()); n != 0 {
		t.Fatalf("a sweep after the withdrawals raised %d", n)
	}
	if got, want := live(), []string{"g2:not_finished", "g2:not_started"}; !slices.Equal(got, want) {
		t.Fatalf("live %v, want %v", got, want)
	}
}
