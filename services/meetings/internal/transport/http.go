// Package transport serves the meetings endpoints over HTTP/JSON with
// go-kit, on Go 1.22+ http.ServeMux patterns under
// /api/v1/districts/{district}.
package transport

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// Prefix is the path prefix of every meetings route; {district} is the
// district id.
const Prefix = "/api/v1/districts/{district}"

// BasePath returns the path prefix of district's resources.
func BasePath(district string) string { return "/api/v1/districts/" + district }

// Route is one HTTP route of the service.
type Route struct {
	Method string
	// Path is relative to Prefix, with {id} wildcards, e.g. "/meetings/{id}".
	Path string
	// Name is the endpoint's name (as given to the endpoint middleware).
	Name   string
	decode kithttp.DecodeRequestFunc
}

// Routes lists every route of the service; the OpenAPI test checks each one
// is documented. set is unused by the table itself (the handler looks each
// endpoint up by name) but kept so callers read like membership's.
func Routes(_ endpoints.Set) []Route {
	return []Route{
		{"POST", "/meetings", "create_meeting", decodeCreateMeeting},
		{"GET", "/meetings", "list_meetings", decodeListMeetings},
		{"GET", "/meetings/{id}", "get_meeting", decodeID},
		{"PATCH", "/meetings/{id}", "update_meeting", decodeUpdate[service.UpdateMeetingInput]},
		{"POST", "/meetings/{id}/status", "change_meeting_status", decodeAction[service.MeetingStatusInput]},
		{"POST", "/meetings/{id}/agenda", "add_agenda_item", decodeAgendaItem},
		{"GET", "/meetings/{id}/agenda", "list_agenda", decodeID},
		{"POST", "/meetings/{id}/agenda/order", "reorder_agenda", decodeAction[service.ReorderInput]},
		{"POST", "/meetings/{id}/invitations", "invite", decodeInvite},
		{"GET", "/meetings/{id}/invitations", "list_invitations", decodeListInvitations},
		{"POST", "/meetings/{id}/invitations/{sub}/attendance", "record_attendance", decodeAction[service.AttendanceInput]},
		{"POST", "/meetings/{id}/check-in", "check_in", decodeAction[service.CheckInInput]},
		{"GET", "/meetings/{id}/attendance", "meeting_attendance", decodeID},
		{"GET", "/attendance/companies/{id}", "company_attendance", decodeCompanyAttendance},
		{"POST", "/meetings/{id}/minutes/entries", "add_minute_entry", decodeMinuteEntry},
		{"PATCH", "/meetings/{id}/minutes/entries/{sub}", "update_minute_entry", decodeUpdate[service.UpdateMinuteEntryInput]},
		{"DELETE", "/meetings/{id}/minutes/entries/{sub}", "delete_minute_entry", decodeID},
		{"POST", "/meetings/{id}/minutes/publish", "publish_minutes", decodeID},
		{"GET", "/meetings/{id}/minutes", "get_minutes", decodeMinutes},
		{"POST", "/meetings/{id}/resolutions", "adopt_resolution", decodeResolution},
		{"GET", "/resolutions", "list_resolutions", decodeListResolutions},
		{"GET", "/resolutions/{id}", "get_resolution", decodeID},
		{"GET", "/action-items", "list_action_items", decodeListActionItems},
		{"GET", "/action-items/{id}", "get_action_item", decodeID},
		{"POST", "/action-items/{id}/status", "change_action_item_status", decodeAction[service.ActionItemStatusInput]},
		{"GET", "/convention", "get_convention", decodeNone},
		{"POST", "/convention/signatures", "sign_convention", decodeSign},
		{"GET", "/convention/signatures", "list_signatures", decodeListSignatures},
		{"GET", "/convention/rate", "signature_rate", decodeNone},
		{"GET", "/roundtables/cadence", "roundtable_cadence", decodeCadence},
		{"GET", "/meetings/audit", "list_audit", decodeListAudit},
	}
}

// Options tunes the HTTP handler.
type Options struct {
	// TrustProxy takes the client address for the audit log from the
	// last X-Forwarded-For entry (kitx.ClientIP) instead of the connection's peer. Set it
	// only behind a proxy that sets that header: anyone else can forge it.
	TrustProxy bool
}

// NewHTTPHandler serves set for district. A request naming another
// district gets 404 district.not_found before any routing, so one node never
// answers for another's data. Every request's context carries its client
// address (audit.WithRemoteIP) for the audit log.
func NewHTTPHandler(district string, set endpoints.Set, logger *slog.Logger, o Options) http.Handler {
	opts := kitx.ServerOptions(
		kithttp.ServerErrorHandler(kitx.ErrorLogger{Logger: logger, Service: "meetings"}),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return audit.WithRemoteIP(ctx, kitx.ClientIP(r, o.TrustProxy))
		}),
	)
	mux := http.NewServeMux()
	for _, rt := range Routes(set) {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, kithttp.NewServer(set[rt.Name], rt.decode, kitx.EncodeJSONResponse, opts...))
	}
	mux.Handle("/", kitx.NotFoundHandler())
	return kitx.DistrictOnly(district, service.ErrDistrictNotFound, mux)
}

// IdempotencyKeyHeader is the header a client sets to make a create safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

func decodeNone(context.Context, *http.Request) (any, error) { return struct{}{}, nil }

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return endpoints.IDRequest{ID: r.PathValue("id"), SubID: r.PathValue("sub")}, nil
}

func decodeUpdate[T any](_ context.Context, r *http.Request) (any, error) {
	v, in, err := kitx.DecodeUpdate[T](r)
	if err != nil {
		return nil, err
	}
	return endpoints.UpdateRequest[T]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), IfMatch: v, Input: in}, nil
}

func decodeAction[T any](_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	return endpoints.ActionRequest[T]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), Input: in}, nil
}

func decodeCreateMeeting(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.CreateMeetingInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return in, err
}

func decodeAgendaItem(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.AgendaItemInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return endpoints.ActionRequest[service.AgendaItemInput]{ID: r.PathValue("id"), Input: in}, err
}

func decodeInvite(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.InviteInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return endpoints.ActionRequest[service.InviteInput]{ID: r.PathValue("id"), Input: in}, err
}

func decodeMinuteEntry(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.MinuteEntryInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return endpoints.ActionRequest[service.MinuteEntryInput]{ID: r.PathValue("id"), Input: in}, err
}

func decodeResolution(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.ResolutionInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return endpoints.ActionRequest[service.ResolutionInput]{ID: r.PathValue("id"), Input: in}, err
}

func decodeSign(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.SignInput](r)
	in.IdempotencyKey = r.Header.Get(IdempotencyKeyHeader)
	return in, err
}

func decodeListMeetings(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return endpoints.ListRequest[service.MeetingFilter]{Page: p, Filter: service.MeetingFilter{Type: q.Get("type"), Status: q.Get("status")}}, nil
}

func decodeListInvitations(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ListRequest[struct{}]{ID: r.PathValue("id"), Page: p}, nil
}

func decodeListResolutions(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ListRequest[string]{Page: p, Filter: r.URL.Query().Get("meeting_id")}, nil
}

func decodeListActionItems(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := service.ActionItemFilter{Status: q.Get("status"), OwnerCompanyID: q.Get("owner_company_id"), MeetingID: q.Get("meeting_id")}
	if v := q.Get("overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			return nil, service.ErrActionItemOverdueInvalid
		}
	}
	return endpoints.ListRequest[service.ActionItemFilter]{Page: p, Filter: f}, nil
}

func decodeListSignatures(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return endpoints.ListRequest[service.SignatureFilter]{Page: p, Filter: service.SignatureFilter{
		CompanyID: q.Get("company_id"), ConventionVersion: q.Get("convention_version")}}, nil
}

func decodeCompanyAttendance(_ context.Context, r *http.Request) (any, error) {
	since, err := kitx.QueryTime(r, "since", service.ErrAttendanceSinceInvalid)
	if err != nil {
		return nil, err
	}
	until, err := kitx.QueryTime(r, "until", service.ErrAttendanceUntilInvalid)
	if err != nil {
		return nil, err
	}
	return endpoints.CompanyAttendanceRequest{CompanyID: r.PathValue("id"), Since: since, Until: until}, nil
}

func decodeMinutes(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.MinutesRequest{ID: r.PathValue("id")}
	switch v := r.URL.Query().Get("version"); v {
	case "":
	case "draft":
		req.Draft = true
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, service.ErrMinutesVersionInvalid
		}
		req.Version = n
	}
	return req, nil
}

func decodeCadence(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.CadenceRequest{Periods: 6}
	if v := r.URL.Query().Get("periods"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrCadencePeriodsInvalid
		}
		req.Periods = n
	}
	return req, nil
}

func decodeListAudit(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f, err := audit.FilterFromQuery(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ListRequest[audit.Filter]{Page: p, Filter: f}, nil
}
