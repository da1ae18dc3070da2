// Package endpoints turns the meetings Service into go-kit endpoints: one
// maker per route of the service's route table (routes.go at the module
// root), each taking a typed request and returning a response that carries
// business errors in Failed() (go-kit's addsvc pattern), so they do not
// trip circuit breakers and the transport maps them once.
package endpoints

import (
	"context"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// MakeCreateMeetingEndpoint returns the endpoint of the route create_meeting.
func MakeCreateMeetingEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		m, err := svc.CreateMeeting(ctx, request.(service.CreateMeetingInput))
		return created(m, basePath+"/meetings/"+m.ID, m.ETag, err), nil
	}
}

// MakeListMeetingsEndpoint returns the endpoint of the route list_meetings.
func MakeListMeetingsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.MeetingFilter])
		items, next, err := svc.ListMeetings(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetMeetingEndpoint returns the endpoint of the route get_meeting.
func MakeGetMeetingEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		m, err := svc.GetMeeting(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(m, m.ETag, err), nil
	}
}

// MakeUpdateMeetingEndpoint returns the endpoint of the route update_meeting.
func MakeUpdateMeetingEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.UpdateRequest[service.UpdateMeetingInput])
		m, err := svc.UpdateMeeting(ctx, r.ID, r.IfMatch, r.Input)
		return kitx.One(m, m.ETag, err), nil
	}
}

// MakeChangeMeetingStatusEndpoint returns the endpoint of the route change_meeting_status.
func MakeChangeMeetingStatusEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.MeetingStatusInput])
		m, err := svc.ChangeMeetingStatus(ctx, r.ID, r.Input)
		return kitx.One(m, m.ETag, err), nil
	}
}

// MakeAddAgendaItemEndpoint returns the endpoint of the route add_agenda_item.
func MakeAddAgendaItemEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AgendaItemInput])
		a, err := svc.AddAgendaItem(ctx, r.ID, r.Input)
		return created(a, basePath+"/meetings/"+r.ID+"/agenda", "", err), nil
	}
}

// MakeListAgendaEndpoint returns the endpoint of the route list_agenda.
func MakeListAgendaEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.ListAgenda(ctx, request.(kitx.IDRequest).ID)
		return kitx.List(items, "", err), nil
	}
}

// MakeReorderAgendaEndpoint returns the endpoint of the route reorder_agenda.
func MakeReorderAgendaEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ReorderInput])
		items, err := svc.ReorderAgenda(ctx, r.ID, r.Input)
		return kitx.List(items, "", err), nil
	}
}

// MakeInviteEndpoint returns the endpoint of the route invite.
func MakeInviteEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.InviteInput])
		items, err := svc.Invite(ctx, r.ID, r.Input)
		if err != nil {
			return kitx.ListResponse[service.Invitation]{Err: err}, nil
		}
		return kitx.ListResponse[service.Invitation]{Items: items, Status: http.StatusCreated}, nil
	}
}

// MakeListInvitationsEndpoint returns the endpoint of the route list_invitations.
func MakeListInvitationsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListInvitations(ctx, r.ID, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeCheckInEndpoint returns the endpoint of the route check_in.
func MakeCheckInEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.CheckInInput])
		inv, err := svc.CheckIn(ctx, r.ID, r.Input)
		return kitx.One(inv, "", err), nil
	}
}

// MakeRecordAttendanceEndpoint returns the endpoint of the route record_attendance.
func MakeRecordAttendanceEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AttendanceInput])
		inv, err := svc.RecordAttendance(ctx, r.ID, r.SubID, r.Input)
		return kitx.One(inv, "", err), nil
	}
}

// MakeMeetingAttendanceEndpoint returns the endpoint of the route meeting_attendance.
func MakeMeetingAttendanceEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.MeetingAttendance(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(a, "", err), nil
	}
}

// MakeCompanyAttendanceEndpoint returns the endpoint of the route company_attendance.
func MakeCompanyAttendanceEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(CompanyAttendanceRequest)
		a, err := svc.CompanyAttendance(ctx, r.CompanyID, r.Since, r.Until)
		return kitx.One(a, "", err), nil
	}
}

// MakeAddMinuteEntryEndpoint returns the endpoint of the route add_minute_entry.
func MakeAddMinuteEntryEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.MinuteEntryInput])
		e, err := svc.AddMinuteEntry(ctx, r.ID, r.Input)
		return created(e, basePath+"/meetings/"+r.ID+"/minutes/entries/"+e.ID, e.ETag, err), nil
	}
}

// MakeUpdateMinuteEntryEndpoint returns the endpoint of the route update_minute_entry.
func MakeUpdateMinuteEntryEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.UpdateRequest[service.UpdateMinuteEntryInput])
		e, err := svc.UpdateMinuteEntry(ctx, r.ID, r.SubID, r.IfMatch, r.Input)
		return kitx.One(e, e.ETag, err), nil
	}
}

// MakeDeleteMinuteEntryEndpoint returns the endpoint of the route delete_minute_entry.
func MakeDeleteMinuteEntryEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.IDRequest)
		err := svc.DeleteMinuteEntry(ctx, r.ID, r.SubID)
		if err != nil {
			return kitx.Response[struct{}]{Err: err}, nil
		}
		return kitx.Response[struct{}]{Status: http.StatusNoContent}, nil
	}
}

// MakePublishMinutesEndpoint returns the endpoint of the route publish_minutes.
func MakePublishMinutesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		m, err := svc.PublishMinutes(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(m, "", err), nil
	}
}

// MakeGetMinutesEndpoint returns the endpoint of the route get_minutes.
func MakeGetMinutesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(MinutesRequest)
		m, err := svc.GetMinutes(ctx, r.ID, r.Version, r.Draft)
		return kitx.One(m, "", err), nil
	}
}

// MakeAdoptResolutionEndpoint returns the endpoint of the route adopt_resolution.
func MakeAdoptResolutionEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ResolutionInput])
		res, err := svc.AdoptResolution(ctx, r.ID, r.Input)
		return created(res, basePath+"/resolutions/"+res.ID, "", err), nil
	}
}

// MakeListResolutionsEndpoint returns the endpoint of the route list_resolutions.
func MakeListResolutionsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[string])
		items, next, err := svc.ListResolutions(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetResolutionEndpoint returns the endpoint of the route get_resolution.
func MakeGetResolutionEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		res, err := svc.GetResolution(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(res, "", err), nil
	}
}

// MakeListActionItemsEndpoint returns the endpoint of the route list_action_items.
func MakeListActionItemsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.ActionItemFilter])
		items, next, err := svc.ListActionItems(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetActionItemEndpoint returns the endpoint of the route get_action_item.
func MakeGetActionItemEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.GetActionItem(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(a, a.ETag, err), nil
	}
}

// MakeChangeActionItemStatusEndpoint returns the endpoint of the route change_action_item_status.
func MakeChangeActionItemStatusEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ActionItemStatusInput])
		a, err := svc.ChangeActionItemStatus(ctx, r.ID, r.Input)
		return kitx.One(a, a.ETag, err), nil
	}
}

// MakeGetConventionEndpoint returns the endpoint of the route get_convention.
func MakeGetConventionEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		c, err := svc.CurrentConvention(ctx)
		return kitx.One(c, "", err), nil
	}
}

// MakeSignConventionEndpoint returns the endpoint of the route sign_convention.
func MakeSignConventionEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		s, err := svc.SignConvention(ctx, request.(service.SignInput))
		return created(s, basePath+"/convention/signatures?company_id="+s.CompanyID, "", err), nil
	}
}

// MakeListSignaturesEndpoint returns the endpoint of the route list_signatures.
func MakeListSignaturesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.SignatureFilter])
		items, next, err := svc.ListSignatures(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeSignatureRateEndpoint returns the endpoint of the route signature_rate.
func MakeSignatureRateEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		r, err := svc.SignatureRate(ctx)
		return kitx.One(r, "", err), nil
	}
}

// MakeRoundtableCadenceEndpoint returns the endpoint of the route roundtable_cadence.
func MakeRoundtableCadenceEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.RoundtableCadence(ctx, request.(CadenceRequest).Periods)
		return kitx.One(r, "", err), nil
	}
}

// MakeListAuditEndpoint returns the endpoint of the route list_audit.
func MakeListAuditEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[audit.Filter])
		items, next, err := svc.ListAudit(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// CompanyAttendanceRequest asks for a company's attendance in [Since, Until).
type CompanyAttendanceRequest struct {
	CompanyID    string
	Since, Until time.Time
}

// ResourceID returns the company.
func (r CompanyAttendanceRequest) ResourceID() string { return r.CompanyID }

// MinutesRequest asks for a meeting's minutes: a version (0 = latest) or
// the draft.
type MinutesRequest struct {
	ID      string
	Version int
	Draft   bool
}

// ResourceID returns the meeting.
func (r MinutesRequest) ResourceID() string { return r.ID }

// CadenceRequest asks for the last Periods roundtable periods.
type CadenceRequest struct {
	Periods int
}

// created is the Response of a create: meetings creates always answer 201.
func created[T any](v T, location, etag string, err error) kitx.Response[T] {
	return kitx.Created(v, location, etag, http.StatusCreated, err)
}

// TermRequest asks for the practical-services plan of a term ("" for all).
type TermRequest struct {
	Term string
}

// MakeRecordFieldVisitEndpoint returns the endpoint of the route record_field_visit.
func MakeRecordFieldVisitEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.RecordFieldVisit(ctx, request.(service.FieldVisitInput))
		return created(v, basePath+"/field-visits/"+v.ID, "", err), nil
	}
}

// MakeListFieldVisitsEndpoint returns the endpoint of the route list_field_visits.
func MakeListFieldVisitsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.FieldVisitFilter])
		items, next, err := svc.ListFieldVisits(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetFieldVisitEndpoint returns the endpoint of the route get_field_visit.
func MakeGetFieldVisitEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.GetFieldVisit(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// MakeFieldVisitPlanEndpoint returns the endpoint of the route field_visit_plan.
func MakeFieldVisitPlanEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.FieldVisitPlan(ctx, request.(CadenceRequest).Periods)
		return kitx.One(r, "", err), nil
	}
}

// MakeUnvisitedCompaniesEndpoint returns the endpoint of the route unvisited_companies.
func MakeUnvisitedCompaniesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		r, err := svc.UnvisitedCompanies(ctx)
		return kitx.One(r, "", err), nil
	}
}

// MakeCreateServiceItemEndpoint returns the endpoint of the route create_service_item.
func MakeCreateServiceItemEndpoint(svc service.Service, basePath string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		it, err := svc.CreateServiceItem(ctx, request.(service.ServiceItemInput))
		return created(it, basePath+"/service-plan/items/"+it.ID, it.ETag, err), nil
	}
}

// MakeListServiceItemsEndpoint returns the endpoint of the route list_service_items.
func MakeListServiceItemsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.ServiceItemFilter])
		items, next, err := svc.ListServiceItems(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetServiceItemEndpoint returns the endpoint of the route get_service_item.
func MakeGetServiceItemEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		it, err := svc.GetServiceItem(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(it, it.ETag, err), nil
	}
}

// MakeCompleteMilestoneEndpoint returns the endpoint of the route complete_milestone.
func MakeCompleteMilestoneEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.MilestoneDoneInput])
		it, err := svc.CompleteMilestone(ctx, r.ID, r.Input)
		return kitx.One(it, it.ETag, err), nil
	}
}

// MakeAddBeneficiaryEndpoint returns the endpoint of the route add_beneficiary.
func MakeAddBeneficiaryEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.BeneficiaryInput])
		b, err := svc.AddBeneficiary(ctx, r.ID, r.Input)
		return kitx.One(b, "", err), nil
	}
}

// MakeListBeneficiariesEndpoint returns the endpoint of the route list_beneficiaries.
func MakeListBeneficiariesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.BeneficiaryFilter])
		items, err := svc.ListBeneficiaries(ctx, r.ID, r.Filter)
		return kitx.List(items, "", err), nil
	}
}

// MakeGiveFeedbackEndpoint returns the endpoint of the route give_feedback.
func MakeGiveFeedbackEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.FeedbackInput])
		b, err := svc.GiveFeedback(ctx, r.ID, r.Input)
		return kitx.One(b, "", err), nil
	}
}

// MakeServicePlanProgressEndpoint returns the endpoint of the route service_plan_progress.
func MakeServicePlanProgressEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.ServicePlanProgress(ctx, request.(TermRequest).Term)
		return kitx.One(p, "", err), nil
	}
}
