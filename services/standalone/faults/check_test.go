package faults

import (
	"strings"
	"testing"
)

// cleanRun is a run of three acknowledged writes that the district and HQ
// both hold exactly, each event applied once.
func cleanRun() ([]*Write, *Snapshot) {
	writes := []*Write{
		{N: 0, Kind: KindCompany, Name: "c0", ID: "co-1", Acked: true},
		{N: 1, Kind: KindGuard, Name: "g1", ID: "gu-1", Acked: true},
		{N: 2, Kind: KindMeeting, Name: "m2", ID: "me-1", Acked: true},
	}
	rec := map[string]map[string]Record{
		KindCompany: {"co-1": {Status: "active", Version: 2}},
		KindGuard:   {"gu-1": {Status: "active", Version: 1, Parent: "co-1"}},
		KindMeeting: {"me-1": {Status: "draft", Version: 1}},
	}
	copyRec := func() map[string]map[string]Record {
		out := map[string]map[string]Record{}
		for k, m := range rec {
			out[k] = map[string]Record{}
			for id, r := range m {
				out[k][id] = r
			}
		}
		return out
	}
	s := &Snapshot{
		District: copyRec(), HQ: copyRec(),
		Names: map[string]map[string][]string{
			KindCompany: {"c0": {"co-1"}}, KindGuard: {"g1": {"gu-1"}}, KindMeeting: {"m2": {"me-1"}},
		},
		Outbox:  map[string]bool{"e1": true, "e2": true, "e3": true, "e4": true},
		Inbox:   map[string]bool{"e1": true, "e2": true, "e3": true, "e4": true},
		Applied: 4,
	}
	return writes, s
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		// change breaks the clean run in one way.
		change func(w []*Write, s *Snapshot)
		// want is a part of the one violation expected ("" for none);
		// lost, dup and mismatched are the figures of the row.
		want                  string
		lost, dup, mismatched int
	}{
		{name: "A run where everything arrived once has no violation", change: func([]*Write, *Snapshot) {}},
		{
			name:   "An acknowledged guard the district does not hold is lost",
			change: func(_ []*Write, s *Snapshot) { delete(s.District[KindGuard], "gu-1") },
			want:   "1 acknowledged writes lost", lost: 1, mismatched: 1,
		},
		{
			name:   "An acknowledged meeting HQ does not hold is lost",
			change: func(_ []*Write, s *Snapshot) { delete(s.HQ[KindMeeting], "me-1") },
			want:   "1 acknowledged writes lost", lost: 1, mismatched: 1,
		},
		{
			name: "A guard the district holds twice under one write's name is a duplicate",
			change: func(_ []*Write, s *Snapshot) {
				s.Names[KindGuard]["g1"] = append(s.Names[KindGuard]["g1"], "gu-2")
				s.District[KindGuard]["gu-2"] = Record{Status: "active", Version: 1, Parent: "co-1"}
				s.HQ[KindGuard]["gu-2"] = Record{Status: "active", Version: 1, Parent: "co-1"}
			},
			want: "is held 2 times", dup: 1,
		},
		{
			name:   "HQ applying an event twice is a duplicate",
			change: func(_ []*Write, s *Snapshot) { s.Applied = 5 },
			want:   "HQ counted 5 applications", dup: 1,
		},
		{
			name:   "HQ holding an older version of a company is a mismatch",
			change: func(_ []*Write, s *Snapshot) { s.HQ[KindCompany]["co-1"] = Record{Status: "pending", Version: 1} },
			want:   "HQ differs from the district in 1 records", mismatched: 1,
		},
		{
			name: "HQ holding a guard under another company is a mismatch",
			change: func(_ []*Write, s *Snapshot) {
				s.HQ[KindGuard]["gu-1"] = Record{Status: "active", Version: 1, Parent: "co-9"}
			},
			want: "HQ differs from the district in 1 records", mismatched: 1,
		},
		{
			name:   "A record only HQ holds is a mismatch",
			change: func(_ []*Write, s *Snapshot) { s.HQ[KindGuard]["gu-x"] = Record{Status: "active", Version: 1} },
			want:   "only in HQ", mismatched: 1,
		},
		{
			name: "An event HQ never applied is missing",
			change: func(_ []*Write, s *Snapshot) {
				delete(s.Inbox, "e4")
				s.Applied = 3
			},
			want: "HQ never applied 1 of the district's 4 events",
		},
		{
			name: "An event HQ applied that the outbox never held is a phantom",
			change: func(_ []*Write, s *Snapshot) {
				s.Inbox["e9"] = true
				s.Applied = 5
			},
			want: "does not hold",
		},
		{
			name: "A refused write the district holds anyway is a violation",
			change: func(w []*Write, _ *Snapshot) {
				w[1].Acked, w[1].ID, w[1].Refused = false, "", "409 guard.already_active"
			},
			want: "was refused (409 guard.already_active) yet the district holds it",
		},
		{
			name: "An acknowledgement naming another record than the district holds is a violation",
			change: func(w []*Write, _ *Snapshot) {
				w[2].ID = "me-other"
			},
			want: "was acknowledged as me-other but the district holds me-1", lost: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writes, s := cleanRun()
			tt.change(writes, s)
			v := Verify(writes, s)
			if v.Lost != tt.lost || v.Duplicated != tt.dup || v.Mismatched != tt.mismatched {
				t.Errorf("lost %d dup %d mismatched %d, want %d %d %d", v.Lost, v.Duplicated, v.Mismatched, tt.lost, tt.dup, tt.mismatched)
			}
			if tt.want == "" {
				if len(v.Violations) != 0 {
					t.Errorf("violations %q, want none", v.Violations)
				}
				return
			}
			found := false
			for _, x := range v.Violations {
				found = found || strings.Contains(x, tt.want)
			}
			if !found {
				t.Errorf("violations %q, want one containing %q", v.Violations, tt.want)
			}
		})
	}
}

func TestVerifyCountsUnresolvedAndRefusedWrites(t *testing.T) {
	writes, s := cleanRun()
	writes = append(writes,
		&Write{N: 3, Kind: KindGuard, Name: "g3", Unresolved: true},
		&Write{N: 4, Kind: KindGuard, Name: "g4", Refused: "422 guard.id_number_invalid"},
	)
	v := Verify(writes, s)
	if v.Acked != 3 || v.Unresolved != 1 || v.Refused != 1 {
		t.Fatalf("acked %d unresolved %d refused %d, want 3 1 1", v.Acked, v.Unresolved, v.Refused)
	}
	want := []string{"1 writes never got an answer", "1 writes refused, first guard write 4: 422 guard.id_number_invalid"}
	for _, w := range want {
		found := false
		for _, x := range v.Violations {
			found = found || strings.Contains(x, w)
		}
		if !found {
			t.Errorf("violations %q lack %q", v.Violations, w)
		}
	}
	if v.DistrictHolds != 3 || v.HQHolds != 3 {
		t.Errorf("holds %d/%d, want 3/3", v.DistrictHolds, v.HQHolds)
	}
}

func TestVerifyWantsTheLoadToHaveRun(t *testing.T) {
	_, s := cleanRun()
	v := Verify(nil, s)
	if len(v.Violations) == 0 || !strings.Contains(strings.Join(v.Violations, ";"), "no write was acknowledged") {
		t.Fatalf("violations %q, want the load-did-not-run one", v.Violations)
	}
}
