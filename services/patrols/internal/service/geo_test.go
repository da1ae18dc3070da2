package service

import (
	"math"
	"testing"
)

// TestGCJ02Transform holds the transform to the published values (the
// reference implementation's example, Beijing's 116.404, 39.915) and to
// the properties a reader can check: no shift outside China, a shift of
// a few hundred metres inside it, and an inverse exact to a millimetre.
func TestGCJ02Transform(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		wgs, gcj   LatLng
		exactToDeg float64
	}{
		{"Beijing, the published example: WGS-84 (39.915, 116.404) is GCJ-02 (39.91640428150164, 116.41024449916938).",
			LatLng{39.915, 116.404}, LatLng{39.91640428150164, 116.41024449916938}, 1e-12},
		{"Tokyo is outside China: unchanged.", LatLng{35.6812, 139.7671}, LatLng{35.6812, 139.7671}, 0},
		{"London is outside China: unchanged.", LatLng{51.5074, -0.1278}, LatLng{51.5074, -0.1278}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WGS84ToGCJ02(tc.wgs)
			if math.Abs(got.Lat-tc.gcj.Lat) > tc.exactToDeg || math.Abs(got.Lng-tc.gcj.Lng) > tc.exactToDeg {
				t.Fatalf("WGS84ToGCJ02(%v) = %.14f, %.14f; want %v", tc.wgs, got.Lat, got.Lng, tc.gcj)
			}
			back := GCJ02ToWGS84(tc.gcj)
			if d := Haversine(back, tc.wgs); d > 0.001 {
				t.Fatalf("GCJ02ToWGS84(%v) = %v, %.4f m from %v", tc.gcj, back, d, tc.wgs)
			}
		})
	}
	// Wuhan: the offset is a few hundred metres, and the round trip is
	// exact to a millimetre over a grid of the city.
	for lat := 30.3; lat <= 30.8; lat += 0.05 {
		for lng := 113.9; lng <= 114.6; lng += 0.05 {
			w := LatLng{lat, lng}
			g := WGS84ToGCJ02(w)
			if off := Haversine(w, g); off < 100 || off > 1000 {
				t.Fatalf("offset at %v is %.0f m", w, off)
			}
			if d := Haversine(GCJ02ToWGS84(g), w); d > 0.001 {
				t.Fatalf("round trip at %v is %.4f m off", w, d)
			}
		}
	}
}

func TestHaversine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a, b LatLng
		want float64 // metres
		tol  float64
	}{
		{"A point is 0 m from itself.", LatLng{30.5, 114.2}, LatLng{30.5, 114.2}, 0, 1e-9},
		{"One degree of latitude is about 111.2 km.", LatLng{30, 114}, LatLng{31, 114}, 111195, 1},
		{"Wuhan to Beijing is about 1,052 km.", LatLng{30.5928, 114.3055}, LatLng{39.9042, 116.4074}, 1052000, 3000},
		{"Antipodes are half the circumference apart.", LatLng{0, 0}, LatLng{0, 180}, math.Pi * earthRadiusM, 1e-6},
	} {
		if got := Haversine(tc.a, tc.b); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("%s: %.3f m, want %.3f ± %.3f", tc.name, got, tc.want, tc.tol)
		}
	}
}

func TestAreaContains(t *testing.T) {
	t.Parallel()
	square := Area{Shape: ShapePolygon, Polygon: []LatLng{{30.50, 114.20}, {30.50, 114.21}, {30.51, 114.21}, {30.51, 114.20}}}
	circle := Area{Shape: ShapeCircle, Center: &LatLng{30.5, 114.2}, RadiusM: 100}
	for _, tc := range []struct {
		name string
		a    Area
		p    LatLng
		want bool
	}{
		{"The square holds its middle.", square, LatLng{30.505, 114.205}, true},
		{"The square does not hold a point east of it.", square, LatLng{30.505, 114.215}, false},
		{"The circle holds a point 90 m from its centre.", circle, LatLng{30.5 + 90/111195.0, 114.2}, true},
		{"The circle does not hold a point 110 m from its centre.", circle, LatLng{30.5 + 110/111195.0, 114.2}, false},
	} {
		if got := tc.a.Contains(tc.p); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
