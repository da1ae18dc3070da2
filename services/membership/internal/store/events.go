package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// toEvent turns a domain change into its outbox event. Protobuf stays here,
// out of the service layer.
func toEvent(district string, c service.Change) (eventbus.Event, error) {
	var (
		payload proto.Message
		aggType string
		aggID   string
		seq     int64
	)
	switch {
	case c.Company != nil:
		aggType, aggID, seq = "company", c.Company.ID, c.Company.Version
	case c.Guard != nil:
		aggType, aggID, seq = "guard", c.Guard.ID, c.Guard.Version
	case c.CouncilMember != nil:
		aggType, aggID, seq = "council_member", c.CouncilMember.ID, c.CouncilMember.Version
	default:
		return eventbus.Event{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
	}
	switch c.Type {
	case service.EventCompanyRegistered:
		payload = &eventsv1.CompanyRegistered{Company: companySnapshot(district, c.Company)}
	case service.EventCompanyStatusChanged:
		payload = &eventsv1.CompanyStatusChanged{Company: companySnapshot(district, c.Company), FromStatus: c.FromStatus, ToStatus: c.ToStatus, Reason: c.Reason}
	case service.EventCompanyUpdated:
		payload = &eventsv1.CompanyUpdated{Company: companySnapshot(district, c.Company), Fields: c.Fields}
	case service.EventGuardHired:
		payload = &eventsv1.GuardHired{Guard: guardSnapshot(district, c.Guard)}
	case service.EventGuardUpdated:
		payload = &eventsv1.GuardUpdated{Guard: guardSnapshot(district, c.Guard), Fields: c.Fields}
	case service.EventGuardLeft:
		payload = &eventsv1.GuardLeft{Guard: guardSnapshot(district, c.Guard)}
	case service.EventTrainingRecorded:
		if c.Training == nil {
			return eventbus.Event{}, fmt.Errorf("store: %s without a training", c.Type)
		}
		payload = &eventsv1.TrainingRecorded{Guard: guardSnapshot(district, c.Guard), TrainingType: c.Training.Type,
			Hours: c.Training.Hours, TrainedOn: c.Training.TrainedOn, Topic: c.Training.Topic}
	case service.EventBackgroundCheckRecorded:
		payload = &eventsv1.BackgroundCheckRecorded{Guard: guardSnapshot(district, c.Guard), Status: c.CheckStatus, CheckedOn: c.CheckedOn}
	case service.EventCertificateIssued:
		payload = &eventsv1.CertificateIssued{Guard: guardSnapshot(district, c.Guard), IssuedOn: c.IssuedOn}
	case service.EventCouncilMemberAppointed:
		payload = &eventsv1.CouncilMemberAppointed{Member: councilSnapshot(district, c.CouncilMember)}
	case service.EventCouncilMemberUpdated:
		payload = &eventsv1.CouncilMemberUpdated{Member: councilSnapshot(district, c.CouncilMember)}
	default:
		return eventbus.Event{}, fmt.Errorf("store: unknown change type %q", c.Type)
	}
	if aggType == "guard" && c.Guard.IDHash == "" {
		// A guard event without the hash would break HQ's cross-district
		// person matching; refuse rather than publish it.
		return eventbus.Event{}, fmt.Errorf("store: guard %s has no id hash", aggID)
	}
	return eventbus.Event{Type: c.Type, AggregateType: aggType, AggregateID: aggID, Sequence: seq, Payload: payload}, nil
}

func companySnapshot(district string, c *service.Company) *eventsv1.Company {
	return &eventsv1.Company{
		Id: c.ID, District: district, Name: c.Name, CreditCode: c.CreditCode, LicenceNumber: c.LicenceNumber,
		Kind: c.Kind, Level: c.Level, Status: c.Status, PartyOrg: c.PartyOrg, PartyOrgSince: c.PartyOrgSince,
		TradeUnion: c.TradeUnion, WorkersHome: c.WorkersHome, ConventionVersion: c.ConventionVersion,
		Version: c.Version, UpdatedAt: timestamppb.New(c.UpdatedAt),
	}
}

// guardSnapshot never copies IDNumber: events carry only the keyed hash.
func guardSnapshot(district string, g *service.Guard) *eventsv1.Guard {
	return &eventsv1.Guard{
		Id: g.ID, District: district, CompanyId: g.CompanyID, IdHash: g.IDHash,
		EmploymentStatus: g.EmploymentStatus, HiredOn: g.HiredOn, LeftOn: g.LeftOn,
		HasCertificate: g.HasCertificate(), CertificateIssuedOn: g.CertificateIssuedOn,
		BackgroundCheckStatus: g.BackgroundCheckStatus, BackgroundCheckOn: g.BackgroundCheckOn,
		PreJobTrained: g.PreJobTrained, TrainingHours: g.TrainingHours,
		BadgeService: g.BadgeService, VolunteerPolice: g.VolunteerPolice, PartyMember: g.PartyMember,
		Version: g.Version, UpdatedAt: timestamppb.New(g.UpdatedAt),
	}
}

func councilSnapshot(district string, m *service.CouncilMember) *eventsv1.CouncilMember {
	return &eventsv1.CouncilMember{
		Id: m.ID, District: district, Term: int32(m.Term), Position: m.Position, PersonName: m.PersonName,
		CompanyId: m.CompanyID, DistrictInCharge: m.DistrictInCharge, Version: m.Version, Active: m.Active,
	}
}
