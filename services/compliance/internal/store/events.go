package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// events turns the scoreboard's changes into outbox events. Protobuf stays
// here, out of the service layer.
var events = eventbus.Mapping[service.Change]{
	Type:      func(c service.Change) string { return c.Type },
	Aggregate: aggregate,
	Payload:   payload,
}

func aggregate(c service.Change) (eventbus.Aggregate, error) {
	switch c.Type {
	case service.EventFourHundredReached, service.EventFourHundredLost:
		if c.Score == nil {
			break
		}
		return eventbus.Aggregate{Type: "company_score", ID: c.Score.CompanyID, Version: c.Score.Version}, nil
	case service.EventRequirementLapsing:
		if c.Lapse == nil {
			break
		}
		l := c.Lapse
		return eventbus.Aggregate{Type: "requirement_lapse", ID: l.GuardID + "/" + l.Criterion + "/" + l.LapsesOn, Version: 1}, nil
	case service.EventScoreboardSnapshot:
		if c.Snapshot == nil {
			break
		}
		return eventbus.Aggregate{Type: "scoreboard_snapshot", ID: c.Snapshot.CompanyID + "/" + c.Snapshot.Day, Version: 1}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func counts(district, company, day string, c service.Counts, version int64) *eventsv1.FourHundredCounts {
	return &eventsv1.FourHundredCounts{District: district, CompanyId: company, Day: day, Active: c.Active,
		BackgroundChecked: c.BackgroundChecked, Trained: c.Trained, Certified: c.Certified, BadgeService: c.BadgeService, Version: version}
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventFourHundredReached:
		s := c.Score
		return &eventsv1.FourHundredReached{Counts: counts(district, s.CompanyID, c.Day, s.Counts, s.Version), Criterion: c.Criterion}, nil
	case service.EventFourHundredLost:
		s := c.Score
		return &eventsv1.FourHundredLost{Counts: counts(district, s.CompanyID, c.Day, s.Counts, s.Version), Criterion: c.Criterion}, nil
	case service.EventRequirementLapsing:
		l := c.Lapse
		return &eventsv1.RequirementLapsing{District: district, CompanyId: l.CompanyID, GuardId: l.GuardID, Criterion: l.Criterion,
			LapsesOn: l.LapsesOn, DaysLeft: int32(l.DaysLeft), WindowDate: l.WindowDate, Hours: l.Hours, RequiredHours: l.RequiredHours}, nil
	case service.EventScoreboardSnapshot:
		s := c.Snapshot
		var v int64
		if c.Score != nil {
			v = c.Score.Version
		}
		return &eventsv1.ScoreboardSnapshot{Counts: counts(district, s.CompanyID, s.Day, s.Counts, v)}, nil
	}
	return nil, nil
}
