// Package endpoints turns the meetings Service into go-kit endpoints: one
// per operation, each taking a typed request and returning a response that
// carries business errors in Failed() (go-kit's addsvc pattern), so they do
// not trip circuit breakers and the transport maps them once.
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

// Set holds every endpoint of the meetings service, keyed by its route name
// (transport.Routes): one endpoint per route, so each has its own name in
// metrics and its own row in the policy table.
type Set map[string]endpoint.Endpoint

// New builds the endpoints of svc. mw, if not nil, returns the middleware
// (instrumenting, tracing, auth) to wrap the named endpoint in.
func New(svc service.Service, basePath string, mw func(name string) endpoint.Middleware) Set {
	set := Set{
		"create_meeting": func(ctx context.Context, req any) (any, error) {
			m, err := svc.CreateMeeting(ctx, req.(service.CreateMeetingInput))
			return created(m, basePath+"/meetings/"+m.ID, m.ETag, err), nil
		},
		"list_meetings": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[service.MeetingFilter])
			items, next, err := svc.ListMeetings(ctx, r.Filter, r.Page)
			return kitx.List(items, next, err), nil
		},
		"get_meeting": func(ctx context.Context, req any) (any, error) {
			m, err := svc.GetMeeting(ctx, req.(IDRequest).ID)
			return kitx.One(m, m.ETag, err), nil
		},
		"update_meeting": func(ctx context.Context, req any) (any, error) {
			r := req.(UpdateRequest[service.UpdateMeetingInput])
			m, err := svc.UpdateMeeting(ctx, r.ID, r.IfMatch, r.Input)
			return kitx.One(m, m.ETag, err), nil
		},
		"change_meeting_status": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.MeetingStatusInput])
			m, err := svc.ChangeMeetingStatus(ctx, r.ID, r.Input)
			return kitx.One(m, m.ETag, err), nil
		},
		"add_agenda_item": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.AgendaItemInput])
			a, err := svc.AddAgendaItem(ctx, r.ID, r.Input)
			return created(a, basePath+"/meetings/"+r.ID+"/agenda", "", err), nil
		},
		"list_agenda": func(ctx context.Context, req any) (any, error) {
			items, err := svc.ListAgenda(ctx, req.(IDRequest).ID)
			return kitx.List(items, "", err), nil
		},
		"reorder_agenda": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.ReorderInput])
			items, err := svc.ReorderAgenda(ctx, r.ID, r.Input)
			return kitx.List(items, "", err), nil
		},
		"invite": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.InviteInput])
			items, err := svc.Invite(ctx, r.ID, r.Input)
			if err != nil {
				return kitx.ListResponse[service.Invitation]{Err: err}, nil
			}
			return kitx.ListResponse[service.Invitation]{Items: items, Status: http.StatusCreated}, nil
		},
		"list_invitations": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[struct{}])
			items, next, err := svc.ListInvitations(ctx, r.ID, r.Page)
			return kitx.List(items, next, err), nil
		},
		"check_in": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.CheckInInput])
			inv, err := svc.CheckIn(ctx, r.ID, r.Input)
			return kitx.One(inv, "", err), nil
		},
		"record_attendance": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.AttendanceInput])
			inv, err := svc.RecordAttendance(ctx, r.ID, r.SubID, r.Input)
			return kitx.One(inv, "", err), nil
		},
		"meeting_attendance": func(ctx context.Context, req any) (any, error) {
			a, err := svc.MeetingAttendance(ctx, req.(IDRequest).ID)
			return kitx.One(a, "", err), nil
		},
		"company_attendance": func(ctx context.Context, req any) (any, error) {
			r := req.(CompanyAttendanceRequest)
			a, err := svc.CompanyAttendance(ctx, r.CompanyID, r.Since, r.Until)
			return kitx.One(a, "", err), nil
		},
		"add_minute_entry": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.MinuteEntryInput])
			e, err := svc.AddMinuteEntry(ctx, r.ID, r.Input)
			return created(e, basePath+"/meetings/"+r.ID+"/minutes/entries/"+e.ID, e.ETag, err), nil
		},
		"update_minute_entry": func(ctx context.Context, req any) (any, error) {
			r := req.(UpdateRequest[service.UpdateMinuteEntryInput])
			e, err := svc.UpdateMinuteEntry(ctx, r.ID, r.SubID, r.IfMatch, r.Input)
			return kitx.One(e, e.ETag, err), nil
		},
		"delete_minute_entry": func(ctx context.Context, req any) (any, error) {
			r := req.(IDRequest)
			err := svc.DeleteMinuteEntry(ctx, r.ID, r.SubID)
			if err != nil {
				return kitx.Response[struct{}]{Err: err}, nil
			}
			return kitx.Response[struct{}]{Status: http.StatusNoContent}, nil
		},
		"publish_minutes": func(ctx context.Context, req any) (any, error) {
			m, err := svc.PublishMinutes(ctx, req.(IDRequest).ID)
			return kitx.One(m, "", err), nil
		},
		"get_minutes": func(ctx context.Context, req any) (any, error) {
			r := req.(MinutesRequest)
			m, err := svc.GetMinutes(ctx, r.ID, r.Version, r.Draft)
			return kitx.One(m, "", err), nil
		},
		"adopt_resolution": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.ResolutionInput])
			res, err := svc.AdoptResolution(ctx, r.ID, r.Input)
			return created(res, basePath+"/resolutions/"+res.ID, "", err), nil
		},
		"list_resolutions": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[string])
			items, next, err := svc.ListResolutions(ctx, r.Filter, r.Page)
			return kitx.List(items, next, err), nil
		},
		"get_resolution": func(ctx context.Context, req any) (any, error) {
			res, err := svc.GetResolution(ctx, req.(IDRequest).ID)
			return kitx.One(res, "", err), nil
		},
		"list_action_items": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[service.ActionItemFilter])
			items, next, err := svc.ListActionItems(ctx, r.Filter, r.Page)
			return kitx.List(items, next, err), nil
		},
		"get_action_item": func(ctx context.Context, req any) (any, error) {
			a, err := svc.GetActionItem(ctx, req.(IDRequest).ID)
			return kitx.One(a, a.ETag, err), nil
		},
		"change_action_item_status": func(ctx context.Context, req any) (any, error) {
			r := req.(ActionRequest[service.ActionItemStatusInput])
			a, err := svc.ChangeActionItemStatus(ctx, r.ID, r.Input)
			return kitx.One(a, a.ETag, err), nil
		},
		"get_convention": func(ctx context.Context, _ any) (any, error) {
			c, err := svc.CurrentConvention(ctx)
			return kitx.One(c, "", err), nil
		},
		"sign_convention": func(ctx context.Context, req any) (any, error) {
			s, err := svc.SignConvention(ctx, req.(service.SignInput))
			return created(s, basePath+"/convention/signatures?company_id="+s.CompanyID, "", err), nil
		},
		"list_signatures": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[service.SignatureFilter])
			items, next, err := svc.ListSignatures(ctx, r.Filter, r.Page)
			return kitx.List(items, next, err), nil
		},
		"signature_rate": func(ctx context.Context, _ any) (any, error) {
			r, err := svc.SignatureRate(ctx)
			return kitx.One(r, "", err), nil
		},
		"roundtable_cadence": func(ctx context.Context, req any) (any, error) {
			r, err := svc.RoundtableCadence(ctx, req.(CadenceRequest).Periods)
			return kitx.One(r, "", err), nil
		},
		"list_audit": func(ctx context.Context, req any) (any, error) {
			r := req.(ListRequest[audit.Filter])
			items, next, err := svc.ListAudit(ctx, r.Filter, r.Page)
			return kitx.List(items, next, err), nil
		},
	}
	if mw != nil {
		for name, e := range set {
			if m := mw(name); m != nil {
				set[name] = m(e)
			}
		}
	}
	return set
}

// IDRequest names one resource (ID) and, under a meeting, one of its parts
// (SubID: a minute entry or an invitation).
type IDRequest struct {
	ID, SubID string
}

// ResourceID returns the id the request names.
func (r IDRequest) ResourceID() string { return r.ID }

// UpdateRequest is a PATCH: the resource, the If-Match precondition
// (unset: unconditional) and the fields.
type UpdateRequest[T any] struct {
	ID, SubID string
	IfMatch   kitx.Precondition
	Input     T
}

// ResourceID returns the id of the resource the PATCH changes.
func (r UpdateRequest[T]) ResourceID() string { return r.ID }

// ActionRequest is a POST on one resource.
type ActionRequest[T any] struct {
	ID, SubID string
	Input     T
}

// ResourceID returns the id of the resource the action acts on.
func (r ActionRequest[T]) ResourceID() string { return r.ID }

// ListRequest is a list query, under a resource (ID) or not.
type ListRequest[F any] struct {
	ID     string
	Filter F
	Page   kitx.Page
}

// ResourceID returns the id of the resource the list is under.
func (r ListRequest[F]) ResourceID() string { return r.ID }

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
