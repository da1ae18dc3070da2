package service

// Geometry: distances on the WGS-84 sphere, areas, and the GCJ-02 offset.
//
// Chinese map tiles (AMap/高德, Tencent, and Baidu before its own BD-09
// step) draw in GCJ-02 (国测局坐标, "Mars coordinates"): WGS-84 shifted by
// an obfuscating function of position, by 100–700 m in China. A point
// picked on such a map and sent as if it were GPS would put a checkpoint
// hundreds of metres from where the guard's phone (WGS-84 GPS) reports it,
// and every scan would be "too far". The service stores and computes in
// WGS-84 only; the API takes either system (the request's "crs") and
// converts GCJ-02 input with GCJ02ToWGS84, and every answer carries the
// WGS-84 coordinates plus their GCJ-02 form for drawing on such a map.

import "math"

// Coordinate reference systems the API takes.
const (
	CRSWGS84 = "wgs84"
	CRSGCJ02 = "gcj02"
)

// LatLng is a point in degrees.
type LatLng struct {
	Lat float64 `json:"lat" required:"true" doc:"latitude in degrees, -90 to 90"`
	Lng float64 `json:"lng" required:"true" doc:"longitude in degrees, -180 to 180"`
}

// valid reports whether p is a point on Earth (and not NaN).
func (p LatLng) valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180
}

// earthRadiusM is the mean Earth radius (IUGG), the haversine's sphere.
const earthRadiusM = 6371008.8

// Haversine returns the great-circle distance between a and b in metres.
func Haversine(a, b LatLng) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// The constants of the published GCJ-02 transform: the Krasovsky 1940
// ellipsoid's semi-major axis and first eccentricity squared.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

// outOfChina reports whether p lies outside the rectangle in which GCJ-02
// applies; outside it GCJ-02 equals WGS-84.
func outOfChina(p LatLng) bool {
	return p.Lng < 72.004 || p.Lng > 137.8347 || p.Lat < 0.8293 || p.Lat > 55.8271
}

func gcjTransformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func gcjTransformLng(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// WGS84ToGCJ02 is the published forward transform (the one every Chinese
// map SDK applies to GPS positions).
func WGS84ToGCJ02(p LatLng) LatLng {
	if outOfChina(p) {
		return p
	}
	dLat := gcjTransformLat(p.Lng-105.0, p.Lat-35.0)
	dLng := gcjTransformLng(p.Lng-105.0, p.Lat-35.0)
	radLat := p.Lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return LatLng{Lat: p.Lat + dLat, Lng: p.Lng + dLng}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02. The transform has no closed-form
// inverse; the common one-step approximation (g − (f(g) − g)) is off by
// up to a few metres, so this iterates the fixed point w ← w − (f(w) − g)
// until f(w) is within 1e-10° (about 0.01 mm) of g.
func GCJ02ToWGS84(g LatLng) LatLng {
	if outOfChina(g) {
		return g
	}
	w := g
	for range 30 {
		f := WGS84ToGCJ02(w)
		dLat, dLng := f.Lat-g.Lat, f.Lng-g.Lng
		if math.Abs(dLat) < 1e-10 && math.Abs(dLng) < 1e-10 {
			break
		}
		w = LatLng{Lat: w.Lat - dLat, Lng: w.Lng - dLng}
	}
	return w
}

// toWGS84 converts p from crs to WGS-84.
func toWGS84(crs string, p LatLng) LatLng {
	if crs == CRSGCJ02 {
		return GCJ02ToWGS84(p)
	}
	return p
}

// inPolygon reports whether p lies inside the polygon ring (ray casting on
// plain lat/lng, good for areas of a few kilometres away from the poles
// and the antimeridian, which a city's key areas are).
func inPolygon(p LatLng, ring []LatLng) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) &&
			p.Lng < (b.Lng-a.Lng)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lng {
			in = !in
		}
	}
	return in
}
