// Package endpoints turns the patrols Service into go-kit endpoints: one
// maker per route of the service's route table (routes.go at the module
// root), each taking a typed request and returning a response that carries
// business errors in Failed(), so the transport maps them once.
package endpoints

import (
	"context"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

// Window is a report's [From, To) and, for coverage, its area filter.
type Window struct {
	AreaID   string
	From, To time.Time
}

func created[T any](v T, location string, err error) kitx.Response[T] {
	return kitx.Created(v, location, "", http.StatusCreated, err)
}

// MakeCreateTeamEndpoint returns the endpoint of the route create_team.
func MakeCreateTeamEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		t, err := svc.CreateTeam(ctx, request.(service.CreateTeamInput))
		return created(t, base+"/teams/"+t.ID, err), nil
	}
}

// MakeListTeamsEndpoint returns the endpoint of the route list_teams.
func MakeListTeamsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListTeams(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetTeamEndpoint returns the endpoint of the route get_team.
func MakeGetTeamEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		t, err := svc.GetTeam(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(t, "", err), nil
	}
}

// MakeJoinTeamEndpoint returns the endpoint of the route join_team.
func MakeJoinTeamEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.JoinInput])
		m, err := svc.JoinTeam(ctx, r.ID, r.Input)
		return created(m, base+"/teams/"+r.ID, err), nil
	}
}

// MakeGuardEligibilityEndpoint returns the endpoint of the route guard_eligibility.
func MakeGuardEligibilityEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		e, err := svc.GuardEligibility(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(e, "", err), nil
	}
}

// MakeCreateAreaEndpoint returns the endpoint of the route create_area.
func MakeCreateAreaEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.CreateArea(ctx, request.(service.AreaInput))
		return created(a, base+"/areas/"+a.ID, err), nil
	}
}

// MakeListAreasEndpoint returns the endpoint of the route list_areas.
func MakeListAreasEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListAreas(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetAreaEndpoint returns the endpoint of the route get_area.
func MakeGetAreaEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.GetArea(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(a, "", err), nil
	}
}

// MakeCreateCheckpointEndpoint returns the endpoint of the route create_checkpoint.
func MakeCreateCheckpointEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.CheckpointInput])
		c, err := svc.CreateCheckpoint(ctx, r.ID, r.Input)
		return created(c, base+"/areas/"+r.ID+"/checkpoints", err), nil
	}
}

// MakeListCheckpointsEndpoint returns the endpoint of the route list_checkpoints.
func MakeListCheckpointsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.ListCheckpoints(ctx, request.(kitx.IDRequest).ID)
		return kitx.List(items, "", err), nil
	}
}

// MakeCreatePlanEndpoint returns the endpoint of the route create_plan.
func MakeCreatePlanEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.CreatePlan(ctx, request.(service.PlanInput))
		return created(p, base+"/plans/"+p.ID, err), nil
	}
}

// MakeListPlansEndpoint returns the endpoint of the route list_plans.
func MakeListPlansEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListPlans(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetPlanEndpoint returns the endpoint of the route get_plan.
func MakeGetPlanEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, err := svc.GetPlan(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(p, "", err), nil
	}
}

// MakeCreateShiftEndpoint returns the endpoint of the route create_shift.
func MakeCreateShiftEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ShiftInput])
		s, err := svc.CreateShift(ctx, r.ID, r.Input)
		return created(s, base+"/shifts/"+s.ID+"/report", err), nil
	}
}

// MakeListShiftsEndpoint returns the endpoint of the route list_shifts.
func MakeListShiftsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.ListShifts(ctx, request.(kitx.IDRequest).ID)
		return kitx.List(items, "", err), nil
	}
}

// MakeAssignEndpoint returns the endpoint of the route assign_shift.
func MakeAssignEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AssignInput])
		a, err := svc.Assign(ctx, r.ID, r.Input)
		return created(a, base+"/shifts/"+r.ID+"/report", err), nil
	}
}

// MakeCoverageEndpoint returns the endpoint of the route coverage.
func MakeCoverageEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		w := request.(Window)
		r, err := svc.Coverage(ctx, w.AreaID, w.From, w.To)
		return kitx.One(r, "", err), nil
	}
}

// MakeRecordScanEndpoint returns the endpoint of the route record_scan:
// 201 with the accepted scan, or 200 with the stored one for a duplicate
// (nothing was created; outcome says so too).
func MakeRecordScanEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.RecordScan(ctx, request.(service.ScanInput))
		status := http.StatusCreated
		if r.Outcome == service.OutcomeDuplicate {
			status = http.StatusOK
		}
		return kitx.Created(r, "", "", status, err), nil
	}
}

// MakeWithdrawEndpoint returns the endpoint of the route
// withdraw_assignment: 204.
func MakeWithdrawEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.IDRequest)
		if err := svc.Withdraw(ctx, r.ID, r.SubID); err != nil {
			return kitx.Response[struct{}]{Err: err}, nil
		}
		return kitx.Response[struct{}]{Status: http.StatusNoContent}, nil
	}
}

// MakeUploadScansEndpoint returns the endpoint of the route upload_scans.
func MakeUploadScansEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.UploadScans(ctx, request.(service.BatchInput))
		return kitx.One(r, "", err), nil
	}
}

// MakeShiftReportEndpoint returns the endpoint of the route shift_report.
func MakeShiftReportEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r, err := svc.ShiftReport(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(r, "", err), nil
	}
}

// MakePatrolHoursEndpoint returns the endpoint of the route patrol_hours.
func MakePatrolHoursEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		w := request.(Window)
		r, err := svc.PatrolHours(ctx, w.From, w.To)
		return kitx.One(r, "", err), nil
	}
}

// MakeListMissedToursEndpoint returns the endpoint of the route list_missed_tours.
func MakeListMissedToursEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[string])
		items, next, err := svc.ListMissedTours(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
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

// Dispatcher is the dispatch part of the service (service.Patrols).
type Dispatcher interface {
	RaiseDispatch(ctx context.Context, in service.DispatchInput) (service.Dispatch, error)
	GetDispatch(ctx context.Context, id string) (service.Dispatch, error)
	ListDispatches(ctx context.Context, status string, page kitx.Page) ([]service.Dispatch, string, error)
	AcceptDispatch(ctx context.Context, id string, in service.AcceptInput) (service.Dispatch, error)
	RecordDispatchStep(ctx context.Context, id string, in service.StepInput) (service.Dispatch, error)
}

// MakeRaiseDispatchEndpoint returns the endpoint of the route raise_dispatch.
func MakeRaiseDispatchEndpoint(svc Dispatcher, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.RaiseDispatch(ctx, request.(service.DispatchInput))
		return created(d, base+"/dispatches/"+d.ID, err), nil
	}
}

// MakeGetDispatchEndpoint returns the endpoint of the route get_dispatch.
func MakeGetDispatchEndpoint(svc Dispatcher) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.GetDispatch(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(d, "", err), nil
	}
}

// MakeListDispatchesEndpoint returns the endpoint of the route list_dispatches.
func MakeListDispatchesEndpoint(svc Dispatcher) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[string])
		items, next, err := svc.ListDispatches(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeAcceptDispatchEndpoint returns the endpoint of the route accept_dispatch.
func MakeAcceptDispatchEndpoint(svc Dispatcher) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AcceptInput])
		d, err := svc.AcceptDispatch(ctx, r.ID, r.Input)
		return kitx.One(d, "", err), nil
	}
}

// MakeDispatchStepEndpoint returns the endpoint of the route dispatch_step.
func MakeDispatchStepEndpoint(svc Dispatcher) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.StepInput])
		d, err := svc.RecordDispatchStep(ctx, r.ID, r.Input)
		return kitx.One(d, "", err), nil
	}
}

// Incidents is the incident part of the service (service.Patrols).
type Incidents interface {
	ReportIncident(ctx context.Context, in service.IncidentInput) (service.Incident, error)
	GetIncident(ctx context.Context, id string) (service.Incident, error)
	ListIncidents(ctx context.Context, page kitx.Page) ([]service.Incident, string, error)
	HandOverIncident(ctx context.Context, id string) (service.Incident, error)
	PoliceAcceptIncident(ctx context.Context, id string, in service.PoliceAcceptInput) (service.Incident, error)
	ResolveIncident(ctx context.Context, id string) (service.Incident, error)
}

// MakeReportIncidentEndpoint returns the endpoint of the route report_incident.
func MakeReportIncidentEndpoint(svc Incidents, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		inc, err := svc.ReportIncident(ctx, request.(service.IncidentInput))
		return created(inc, base+"/incidents/"+inc.ID, err), nil
	}
}

// MakeGetIncidentEndpoint returns the endpoint of the route get_incident.
func MakeGetIncidentEndpoint(svc Incidents) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		inc, err := svc.GetIncident(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(inc, "", err), nil
	}
}

// MakeListIncidentsEndpoint returns the endpoint of the route list_incidents.
func MakeListIncidentsEndpoint(svc Incidents) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListIncidents(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeIncidentActionEndpoint returns the endpoint of hand_over_incident
// or resolve_incident: act on the path's incident.
func MakeIncidentActionEndpoint(act func(ctx context.Context, id string) (service.Incident, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		inc, err := act(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(inc, "", err), nil
	}
}

// MakePoliceAcceptIncidentEndpoint returns the endpoint of the route police_accept_incident.
func MakePoliceAcceptIncidentEndpoint(svc Incidents) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.PoliceAcceptInput])
		inc, err := svc.PoliceAcceptIncident(ctx, r.ID, r.Input)
		return kitx.One(inc, "", err), nil
	}
}
