package service

// Key areas (重点区域) and their checkpoints. Every point is stored in
// WGS-84 (geo.go says why); an input in GCJ-02 is converted first.

import (
	"context"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

func validCRS(crs string) (string, error) {
	switch crs {
	case "", CRSWGS84:
		return CRSWGS84, nil
	case CRSGCJ02:
		return CRSGCJ02, nil
	}
	return "", ErrCRSInvalid
}

// Contains reports whether p (WGS-84) lies in the area.
func (a Area) Contains(p LatLng) bool {
	switch a.Shape {
	case ShapeCircle:
		return a.Center != nil && Haversine(*a.Center, p) <= a.RadiusM
	case ShapePolygon:
		return inPolygon(p, a.Polygon)
	}
	return false
}

// present adds the GCJ-02 copies of an area's points.
func (s *Patrols) presentArea(a *Area) {
	a.District = s.district
	a.PolygonGCJ02 = nil
	for _, p := range a.Polygon {
		a.PolygonGCJ02 = append(a.PolygonGCJ02, WGS84ToGCJ02(p))
	}
	if a.Center != nil {
		g := WGS84ToGCJ02(*a.Center)
		a.CenterGCJ02 = &g
	}
	if a.CheckpointIDs == nil {
		a.CheckpointIDs = []string{}
	}
}

// CreateArea implements Service.
func (s *Patrols) CreateArea(ctx context.Context, in AreaInput) (Area, error) {
	name, err := text(in.Name, 100, ErrAreaNameRequired)
	if err != nil {
		return Area{}, err
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return Area{}, err
	}
	a := Area{Name: name, Shape: in.Shape}
	switch in.Shape {
	case ShapePolygon:
		if len(in.Polygon) < 3 || len(in.Polygon) > 200 || in.Center != nil || in.RadiusM != 0 {
			return Area{}, ErrAreaPolygonInvalid
		}
		for _, p := range in.Polygon {
			if !p.valid() {
				return Area{}, ErrAreaPolygonInvalid
			}
			a.Polygon = append(a.Polygon, toWGS84(crs, p))
		}
	case ShapeCircle:
		if in.Center == nil || !in.Center.valid() {
			return Area{}, ErrAreaCenterInvalid
		}
		if !(in.RadiusM >= 10 && in.RadiusM <= 20000) {
			return Area{}, ErrAreaRadiusInvalid
		}
		if len(in.Polygon) > 0 {
			return Area{}, ErrAreaShapeInvalid
		}
		c := toWGS84(crs, *in.Center)
		a.Center, a.RadiusM = &c, in.RadiusM
	default:
		return Area{}, ErrAreaShapeInvalid
	}
	return idempotent(ctx, s, "POST areas", in.IdempotencyKey, in, func(q Queries) (Area, []Change, error) {
		if a.ID, err = newID(); err != nil {
			return Area{}, nil, err
		}
		a.CreatedAt = s.now().UTC()
		if err := q.InsertArea(ctx, a); err != nil {
			return Area{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionAreaCreate, ResourceArea, a.ID, audit.SetFields("name", name, "shape", a.Shape)); err != nil {
			return Area{}, nil, err
		}
		s.presentArea(&a)
		snap := a
		return a, []Change{{Type: EventKeyAreaCreated, Area: &snap}}, nil
	})
}

// ListAreas implements Service.
func (s *Patrols) ListAreas(ctx context.Context, page kitx.Page) ([]Area, string, error) {
	items, next, err := s.repo.ListAreas(ctx, page)
	for i := range items {
		s.presentArea(&items[i])
	}
	return items, next, err
}

// GetArea implements Service.
func (s *Patrols) GetArea(ctx context.Context, id string) (Area, error) {
	a, err := s.repo.GetArea(ctx, id)
	if err != nil {
		return Area{}, err
	}
	s.presentArea(&a)
	return a, nil
}

// validTag checks a tag value: printable ASCII without spaces, 8 to 128
// characters (short tags are guessable).
func validTag(v string) bool {
	if len(v) < 8 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// CreateCheckpoint implements Service.
func (s *Patrols) CreateCheckpoint(ctx context.Context, areaID string, in CheckpointInput) (Checkpoint, error) {
	name, err := text(in.Name, 100, ErrCheckpointNameRequired)
	if err != nil {
		return Checkpoint{}, err
	}
	if in.TagKind != TagQR && in.TagKind != TagNFC {
		return Checkpoint{}, ErrCheckpointTagKind
	}
	if !validTag(in.TagValue) {
		return Checkpoint{}, ErrCheckpointTagValue
	}
	crs, err := validCRS(in.CRS)
	if err != nil {
		return Checkpoint{}, err
	}
	if !in.Location.valid() {
		return Checkpoint{}, ErrCheckpointLocation
	}
	loc := toWGS84(crs, in.Location)
	return idempotent(ctx, s, "POST areas/"+areaID+"/checkpoints", in.IdempotencyKey, in, func(q Queries) (Checkpoint, []Change, error) {
		a, err := q.GetArea(ctx, areaID)
		if err != nil {
			return Checkpoint{}, nil, err
		}
		if !a.Contains(loc) {
			return Checkpoint{}, nil, ErrCheckpointOutsideArea
		}
		if _, err := q.CheckpointByTag(ctx, in.TagValue); err == nil {
			return Checkpoint{}, nil, ErrCheckpointTagDuplicate
		} else if err != ErrScanTagUnknown {
			return Checkpoint{}, nil, err
		}
		id, err := newID()
		if err != nil {
			return Checkpoint{}, nil, err
		}
		c := Checkpoint{ID: id, District: s.district, AreaID: areaID, Name: name, TagKind: in.TagKind, TagValue: in.TagValue,
			Location: loc, CreatedAt: s.now().UTC()}
		if err := q.InsertCheckpoint(ctx, c); err != nil {
			return Checkpoint{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionCheckpointCreate, ResourceCheckpoint, id,
			audit.SetFields("area_id", areaID, "name", name, "tag_kind", in.TagKind)); err != nil {
			return Checkpoint{}, nil, err
		}
		s.presentCheckpoint(&c)
		snap := c
		return c, []Change{{Type: EventCheckpointCreated, Checkpoint: &snap}}, nil
	})
}

func (s *Patrols) presentCheckpoint(c *Checkpoint) {
	c.District = s.district
	c.LocationGCJ02 = WGS84ToGCJ02(c.Location)
}

// ListCheckpoints implements Service: without tag values.
func (s *Patrols) ListCheckpoints(ctx context.Context, areaID string) ([]Checkpoint, error) {
	if _, err := s.repo.GetArea(ctx, areaID); err != nil {
		return nil, err
	}
	cs, err := s.repo.ListCheckpoints(ctx, areaID)
	for i := range cs {
		s.presentCheckpoint(&cs[i])
		cs[i].TagValue = ""
	}
	return cs, err
}
