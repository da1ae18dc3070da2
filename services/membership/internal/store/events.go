package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// events turns the service's changes into outbox events. Protobuf stays
// here, out of the service layer.
var events = eventbus.Mapping[service.Change]{
	Type:      func(c service.Change) string { return c.Type },
	Aggregate: aggregate,
	Payload:   payload,
}

func aggregate(c service.Change) (eventbus.Aggregate, error) {
	switch {
	case c.Company != nil:
		return eventbus.Aggregate{Type: "company", ID: c.Company.ID, Version: c.Company.Version}, nil
	case c.Guard != nil:
		if c.Guard.IDHash == "" {
			// A guard event without the hash would break HQ's
			// cross-district person matching; refuse rather than publish it.
			return eventbus.Aggregate{}, fmt.Errorf("store: guard %s has no id hash", c.Guard.ID)
		}
		return eventbus.Aggregate{Type: "guard", ID: c.Guard.ID, Version: c.Guard.Version}, nil
	case c.CouncilMember != nil:
		return eventbus.Aggregate{Type: "council_member", ID: c.CouncilMember.ID, Version: c.CouncilMember.Version}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventCompanyRegistered:
		return &eventsv1.CompanyRegistered{Company: companySnapshot(district, c.Company)}, nil
	case service.EventCompanyStatusChanged:
		return &eventsv1.CompanyStatusChanged{Company: companySnapshot(district, c.Company), FromStatus: c.FromStatus, ToStatus: c.ToStatus, Reason: c.Reason}, nil
	case service.EventCompanyUpdated:
		return &eventsv1.CompanyUpdated{Company: companySnapshot(district, c.Company), Fields: c.Fields}, nil
	case service.EventGuardHired:
		return &eventsv1.GuardHired{Guard: guardSnapshot(district, c.Guard)}, nil
	case service.EventGuardUpdated:
		return &eventsv1.GuardUpdated{Guard: guardSnapshot(district, c.Guard), Fields: c.Fields}, nil
	case service.EventGuardLeft:
		return &eventsv1.GuardLeft{Guard: guardSnapshot(district, c.Guard)}, nil
	case service.EventTrainingRecorded:
		if c.Training == nil {
			return nil, fmt.Errorf("store: %s without a training", c.Type)
		}
		return &eventsv1.TrainingRecorded{Guard: guardSnapshot(district, c.Guard), TrainingType: c.Training.Type,
			Hours: c.Training.Hours, TrainedOn: c.Training.TrainedOn, Topic: c.Training.Topic}, nil
	case service.EventBackgroundCheckRecorded:
		return &eventsv1.BackgroundCheckRecorded{Guard: guardSnapshot(district, c.Guard), Status: c.CheckStatus, CheckedOn: c.CheckedOn}, nil
	case service.EventCertificateIssued:
		return &eventsv1.CertificateIssued{Guard: guardSnapshot(district, c.Guard), IssuedOn: c.IssuedOn}, nil
	case service.EventCertificateExpiring:
		return &eventsv1.CertificateExpiring{Guard: guardSnapshot(district, c.Guard), ValidUntil: c.ValidUntil,
			WindowDate: c.WindowDate, DaysLeft: int32(c.DaysLeft)}, nil
	case service.EventCouncilMemberAppointed:
		return &eventsv1.CouncilMemberAppointed{Member: councilSnapshot(district, c.CouncilMember)}, nil
	case service.EventCouncilMemberUpdated:
		return &eventsv1.CouncilMemberUpdated{Member: councilSnapshot(district, c.CouncilMember)}, nil
	}
	return nil, nil
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
		CertificateNumber: g.CertificateNumber, CertificateValidUntil: g.CertificateValidUntil, CertificateAuthority: g.CertificateAuthority,
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
