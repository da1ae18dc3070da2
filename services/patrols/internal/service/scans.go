package service

// Proof of presence: checkpoint scans. A scan counts only if it is inside
// a shift whose route has the checkpoint (the policy's grace either side),
// from a guard assigned to that shift, within the tolerance of the
// checkpoint (haversine), and not a repeat of the guard's accepted scan of
// the checkpoint within the repeat interval. A device's (device_id,
// device_seq) names one scan for ever: sending it again is a duplicate,
// answered with the stored scan and writing nothing. An offline batch
// keeps each scan's device time; when the device's clock at upload
// disagrees with the server's by more than the policy's limit, the batch
// is flagged and every time in it is corrected by the measured offset.

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// Scan is an accepted checkpoint scan.
type Scan struct {
	ID           string    `json:"id"`
	ShiftID      string    `json:"shift_id"`
	GuardID      string    `json:"guard_id"`
	CheckpointID string    `json:"checkpoint_id"`
	ScannedAt    time.Time `json:"scanned_at" doc:"the scan's time: the device's, corrected by clock_offset_seconds when time_corrected"`
	DeviceTime   time.Time `json:"device_time" doc:"the scan's time as the device's clock had it"`
	ReceivedAt   time.Time `json:"received_at"`
	Location     LatLng    `json:"location" doc:"WGS-84"`
	AccuracyM    float64   `json:"accuracy_m"`
	DistanceM    float64   `json:"distance_m" doc:"haversine distance from the checkpoint"`
	DeviceID     string    `json:"device_id"`
	DeviceSeq    int64     `json:"device_seq"`
	MockLocation bool      `json:"mock_location" doc:"the device reported a mock (simulated) location provider"`
	Offline      bool      `json:"offline" doc:"uploaded in an offline batch"`
	ClockSkewed  bool      `json:"clock_skewed" doc:"the device's clock was off by more than the policy's limit at upload"`
	// TimeCorrected marks a scanned_at that is the device time minus the
	// offset measured at upload.
	TimeCorrected bool  `json:"time_corrected"`
	ClockOffsetS  int64 `json:"clock_offset_seconds" doc:"device clock minus server clock at upload, in whole seconds"`
}

// ScanInput is one online scan: the device sends it as it is made.
type ScanInput struct {
	GuardID    string    `json:"guard_id" required:"true"`
	DeviceID   string    `json:"device_id" required:"true"`
	DeviceTime time.Time `json:"device_time" doc:"the device's clock when sending; default scanned_at"`
	CRS        string    `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of location (default wgs84)"`
	ScanItem
}

// ScanItem is one scan as the device recorded it.
type ScanItem struct {
	Tag          string    `json:"tag" required:"true"`
	ScannedAt    time.Time `json:"scanned_at" required:"true"`
	Location     LatLng    `json:"location" required:"true"`
	AccuracyM    float64   `json:"accuracy_m"`
	DeviceSeq    int64     `json:"device_seq" required:"true"`
	MockLocation bool      `json:"mock_location"`
}

// BatchInput is an offline batch, uploaded when the device is back online.
type BatchInput struct {
	GuardID    string     `json:"guard_id" required:"true"`
	DeviceID   string     `json:"device_id" required:"true"`
	DeviceTime time.Time  `json:"device_time" required:"true" doc:"the device's clock at upload: the clock offset is measured from it"`
	CRS        string     `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of every location (default wgs84)"`
	Scans      []ScanItem `json:"scans" required:"true"`
}

// Scan outcomes in a batch.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeRejected  = "rejected"
)

// ScanResult is the outcome of one scan.
type ScanResult struct {
	DeviceSeq int64      `json:"device_seq"`
	Outcome   string     `json:"outcome" enum:"accepted,duplicate,rejected"`
	Error     *ScanError `json:"error,omitempty"`
	Scan      *Scan      `json:"scan,omitempty"`
}

// ScanError is why a scan of a batch was rejected: the error id the same
// scan sent alone would have been answered with.
type ScanError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// BatchResult is the outcome of a batch, one result per scan in the order
// sent.
type BatchResult struct {
	Accepted      int          `json:"accepted"`
	Duplicates    int          `json:"duplicates"`
	Rejected      int          `json:"rejected"`
	ClockSkewed   bool         `json:"clock_skewed"`
	ClockOffsetS  int64        `json:"clock_offset_seconds"`
	MockLocations int          `json:"mock_locations"`
	Results       []ScanResult `json:"results"`
}

// MaxBatch is the most scans one upload takes (a day offline at one scan a
// minute is 1,440).
const MaxBatch = 5000

func validItem(it ScanItem) error {
	switch {
	case it.Tag == "" || len(it.Tag) > 128:
		return ErrScanTagRequired
	case it.ScannedAt.IsZero():
		return ErrScanTimeRequired
	case !it.Location.valid():
		return ErrScanLocation
	case !(it.AccuracyM >= 0 && it.AccuracyM <= 10000):
		return ErrScanAccuracy
	case it.DeviceSeq < 1:
		return ErrScanDeviceSeq
	}
	return nil
}

// upload is what a batch's scans share.
type upload struct {
	guardID, deviceID, crs string
	offline                bool
	received               time.Time
	offset                 time.Duration // device clock - server clock
	skewed                 bool
}

// measure sets the upload's clock offset from the device's clock at
// upload, rounded to whole seconds (a device clock has no finer meaning
// over a network), and flags it beyond the policy's limit.
func (u *upload) measure(deviceTime time.Time, rules Rules) {
	u.offset = deviceTime.Sub(u.received).Round(time.Second)
	u.skewed = u.offset.Abs() > rules.MaxClockSkew()
}

// RecordScan implements Service.
func (s *Patrols) RecordScan(ctx context.Context, in ScanInput) (ScanResult, error) {
	if !idLike(in.GuardID) {
		return ScanResult{}, ErrScanGuardRequired
	}
	if !idLike(in.DeviceID) {
		return ScanResult{}, ErrScanDeviceID
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return ScanResult{}, err
	}
	if err := validItem(in.ScanItem); err != nil {
		return ScanResult{}, err
	}
	rules := s.rules()
	u := upload{guardID: in.GuardID, deviceID: in.DeviceID, crs: crs, received: s.now().UTC()}
	dt := in.DeviceTime
	if dt.IsZero() {
		dt = in.ScannedAt
	}
	u.measure(dt, rules)
	var res ScanResult
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		r, ch, err := s.judge(ctx, q, rules, &u, in.ScanItem)
		res = r
		if err != nil {
			return nil, err
		}
		withdrawn, err := s.withdrawMissed(ctx, q, rules, ch)
		return append(ch, withdrawn...), err
	})
	return res, err
}

// UploadScans implements Service. The batch's scans are judged in order of
// device time (then sequence), whatever order they were sent in, so a
// batch gives the same outcomes however the device ordered it; all of its
// accepted scans and their events commit in one transaction.
func (s *Patrols) UploadScans(ctx context.Context, in BatchInput) (BatchResult, error) {
	if !idLike(in.GuardID) {
		return BatchResult{}, ErrScanGuardRequired
	}
	if !idLike(in.DeviceID) {
		return BatchResult{}, ErrScanDeviceID
	}
	if in.DeviceTime.IsZero() {
		return BatchResult{}, ErrScanDeviceTime
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return BatchResult{}, err
	}
	if len(in.Scans) == 0 || len(in.Scans) > MaxBatch {
		return BatchResult{}, ErrBatchEmpty
	}
	seqs := make(map[int64]bool, len(in.Scans))
	for _, it := range in.Scans {
		if err := validItem(it); err != nil {
			return BatchResult{}, err
		}
		if seqs[it.DeviceSeq] {
			return BatchResult{}, ErrBatchSeqDuplicate
		}
		seqs[it.DeviceSeq] = true
	}
	rules := s.rules()
	u := upload{guardID: in.GuardID, deviceID: in.DeviceID, crs: crs, offline: true, received: s.now().UTC()}
	u.measure(in.DeviceTime, rules)
	order := make([]int, len(in.Scans))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := in.Scans[a], in.Scans[b]
		return cmp.Or(x.ScannedAt.Compare(y.ScannedAt), cmp.Compare(x.DeviceSeq, y.DeviceSeq))
	})
	out := BatchResult{ClockSkewed: u.skewed, ClockOffsetS: int64(u.offset / time.Second), Results: make([]ScanResult, len(in.Scans))}
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		var changes []Change
		for _, i := range order {
			r, ch, err := s.judge(ctx, q, rules, &u, in.Scans[i])
			if err != nil {
				var e *errs.Error
				if !errors.As(err, &e) || e.Kind != errs.Unprocessable {
					return nil, err
				}
				r = ScanResult{DeviceSeq: in.Scans[i].DeviceSeq, Outcome: OutcomeRejected, Error: &ScanError{ID: e.ID, Message: e.Message, Field: e.Field}}
			}
			out.Results[i] = r
			changes = append(changes, ch...)
		}
		withdrawn, err := s.withdrawMissed(ctx, q, rules, changes)
		return append(changes, withdrawn...), err
	})
	if err != nil {
		return BatchResult{}, err
	}
	for _, r := range out.Results {
		switch r.Outcome {
		case OutcomeAccepted:
			out.Accepted++
			if r.Scan.MockLocation {
				out.MockLocations++
			}
		case OutcomeDuplicate:
			out.Duplicates++
		case OutcomeRejected:
			out.Rejected++
		}
	}
	return out, nil
}

// judge decides one scan inside q's transaction: a duplicate (the stored
// scan, no change), accepted (stored, with its event), or an Unprocessable
// error saying why it is no proof of presence.
func (s *Patrols) judge(ctx context.Context, q Queries, rules Rules, u *upload, it ScanItem) (ScanResult, []Change, error) {
	if prev, ok, err := q.ScanByDevice(ctx, u.deviceID, it.DeviceSeq); err != nil {
		return ScanResult{}, nil, err
	} else if ok {
		return ScanResult{DeviceSeq: it.DeviceSeq, Outcome: OutcomeDuplicate, Scan: &prev}, nil, nil
	}
	at := it.ScannedAt.UTC()
	if u.skewed {
		at = at.Add(-u.offset)
	}
	if at.After(u.received.Add(rules.MaxClockSkew())) {
		return ScanResult{}, nil, ErrScanInFuture
	}
	cp, err := q.CheckpointByTag(ctx, it.Tag)
	if err != nil {
		return ScanResult{}, nil, err
	}
	shifts, err := q.ScanShifts(ctx, cp.ID, u.guardID, at, rules.Grace())
	if err != nil {
		return ScanResult{}, nil, err
	}
	if len(shifts) == 0 {
		return ScanResult{}, nil, ErrScanOutsideShift
	}
	i := slices.IndexFunc(shifts, func(sh ScanShift) bool { return sh.GuardAssigned })
	if i < 0 {
		return ScanResult{}, nil, ErrScanNotAssigned
	}
	loc := toWGS84(u.crs, it.Location)
	dist := Haversine(loc, cp.Location)
	if dist > rules.CheckpointToleranceM {
		return ScanResult{}, nil, ErrScanTooFar
	}
	if near, err := q.ScanNear(ctx, u.guardID, cp.ID, at, rules.RepeatInterval()); err != nil {
		return ScanResult{}, nil, err
	} else if near {
		return ScanResult{}, nil, ErrScanRepeat
	}
	id, err := newID()
	if err != nil {
		return ScanResult{}, nil, err
	}
	sc := Scan{ID: id, ShiftID: shifts[i].ID, GuardID: u.guardID, CheckpointID: cp.ID, ScannedAt: at, DeviceTime: it.ScannedAt.UTC(),
		ReceivedAt: u.received, Location: loc, AccuracyM: it.AccuracyM, DistanceM: math.Round(dist*10) / 10,
		DeviceID: u.deviceID, DeviceSeq: it.DeviceSeq, MockLocation: it.MockLocation, Offline: u.offline,
		ClockSkewed: u.skewed, TimeCorrected: u.skewed, ClockOffsetS: int64(u.offset / time.Second)}
	if err := q.InsertScan(ctx, sc); err != nil {
		return ScanResult{}, nil, err
	}
	snap := sc
	return ScanResult{DeviceSeq: it.DeviceSeq, Outcome: OutcomeAccepted, Scan: &sc}, []Change{{Type: EventCheckpointScanned, Scan: &snap}}, nil
}

// withdrawMissed withdraws the missed tours the accepted scans of scans
// (CheckpointScanned changes) show were not missed after all: an offline
// batch uploaded after the sweep raised them, holding a scan by start +
// grace (not_started) or the expected number (not_finished). The
// anomaly's row stays, marked withdrawn, so the sweep never raises it
// again; MissedTourWithdrawn tells whoever counted it.
func (s *Patrols) withdrawMissed(ctx context.Context, q Queries, rules Rules, scans []Change) ([]Change, error) {
	type key struct{ shift, guard string }
	seen := map[key]bool{}
	var out []Change
	now := s.now().UTC()
	for _, c := range scans {
		if c.Scan == nil || seen[key{c.Scan.ShiftID, c.Scan.GuardID}] {
			continue
		}
		k := key{c.Scan.ShiftID, c.Scan.GuardID}
		seen[k] = true
		missed, err := q.LiveMissedTours(ctx, k.shift, k.guard)
		if err != nil || len(missed) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		sh, err := q.GetShift(ctx, k.shift)
		if err != nil {
			return nil, err
		}
		first, n, err := q.GuardShiftScans(ctx, k.shift, k.guard)
		if err != nil {
			return nil, err
		}
		for _, m := range missed {
			done := false
			switch m.Kind {
			case TourNotStarted:
				done = !first.IsZero() && !first.After(sh.StartsAt.Add(rules.Grace()))
			case TourNotFinished:
				done = n >= sh.ExpectedScans
			}
			if !done {
				continue
			}
			if err := q.WithdrawMissedTour(ctx, m.ID, now); err != nil {
				return nil, err
			}
			if err := s.AuditAs(ctx, q, system, ActionMissedWithdraw, ResourceShift, m.ShiftID, []string{"missed_tours." + m.Kind}); err != nil {
				return nil, err
			}
			snap := m
			out = append(out, Change{Type: EventMissedTourWithdrawn, Withdrawn: &snap, At: now, Scans: n})
		}
	}
	return out, nil
}
