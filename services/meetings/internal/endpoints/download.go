package endpoints

import (
	"context"
	"io"
	"path"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// exportPage is how many rows an export reads from the service at a time:
// an export of any length holds one page, never the whole list.
const exportPage = kitx.MaxPageSize

// zoneNote is how an export's header states the zone of its timestamps.
const zoneNote = "（北京时间 UTC+08:00）"

// ExportRequest is an export: the list's id and filter, and the format.
type ExportRequest[F any] struct {
	ID     string
	Filter F
	Format sheet.Format
}

// ResourceID returns the id of the resource the export is under.
func (r ExportRequest[F]) ResourceID() string { return r.ID }

// download answers a file of the district (base is its
// /api/v1/districts/<district> path) named after what it holds and today.
func download(what, base string, f sheet.Format, write func(w io.Writer) error) kitx.Download {
	name := what + "-" + path.Base(base) + "-" + time.Now().In(policy.Zone).Format("20060102") + "." + string(f)
	return kitx.Download{Filename: name, ContentType: f.ContentType(), Write: write}
}

// pages calls list for each page of a list in turn and each with its items,
// until the last: one page in memory at a time. The first page is read
// before anything is written, so a list the service refuses (an unknown
// meeting, a bad filter) is an error response, not a broken file.
func pages[T any](list func(page kitx.Page) ([]T, string, error), start func() (*sheet.Writer, error), row func(T) []string) error {
	items, next, err := list(kitx.Page{Size: exportPage})
	if err != nil {
		return err
	}
	sw, err := start()
	if err != nil {
		return err
	}
	for {
		for _, it := range items {
			if err := sw.Write(row(it)...); err != nil {
				return err
			}
		}
		if next == "" {
			return sw.Close()
		}
		if items, next, err = list(kitx.Page{Size: exportPage, Cursor: next}); err != nil {
			return err
		}
	}
}

var attendanceHeader = []string{"类型", "单位", "单位ID", "姓名", "身份", "所属单位", "出席", "签到时间" + zoneNote, "签到人", "邀请时间" + zoneNote}

// MakeExportAttendanceEndpoint returns the endpoint of GET /meetings/{id}/attendance/export.
func MakeExportAttendanceEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ExportRequest[struct{}])
		return download("出席情况", base, req.Format, func(w io.Writer) error {
			return pages(func(p kitx.Page) ([]service.Invitation, string, error) { return svc.ListInvitations(ctx, req.ID, p) },
				func() (*sheet.Writer, error) { return sheet.NewWriter(w, req.Format, "出席情况", attendanceHeader) },
				func(inv service.Invitation) []string {
					checked := ""
					if inv.CheckedInAt != nil {
						checked = sheet.Timestamp(*inv.CheckedInAt, policy.Zone)
					}
					return []string{title(inv.Kind, inviteeTitles), inv.CompanyName, inv.CompanyID, inv.PersonName, title(inv.PersonRole, roleTitles),
						inv.Organization, title(inv.Status, attendanceTitles), checked, inv.CheckedInBy, sheet.Timestamp(inv.CreatedAt, policy.Zone)}
				})
		}), nil
	}
}

var actionItemHeader = []string{"事项", "责任类型", "责任单位ID", "责任人", "截止日期", "状态", "逾期", "会议ID", "决议ID", "事项ID",
	"创建时间" + zoneNote, "更新时间" + zoneNote}

// MakeExportActionItemsEndpoint returns the endpoint of GET /action-items/export.
func MakeExportActionItemsEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ExportRequest[service.ActionItemFilter])
		return download("督办事项", base, req.Format, func(w io.Writer) error {
			return pages(func(p kitx.Page) ([]service.ActionItem, string, error) {
				return svc.ListActionItems(ctx, req.Filter, p)
			},
				func() (*sheet.Writer, error) { return sheet.NewWriter(w, req.Format, "督办事项", actionItemHeader) },
				func(a service.ActionItem) []string {
					overdue := "否"
					if a.Overdue {
						overdue = "是"
					}
					return []string{a.Title, title(a.OwnerKind, ownerTitles), a.OwnerCompanyID, a.OwnerName, a.DueOn, title(a.Status, itemTitles), overdue,
						a.MeetingID, a.ResolutionID, a.ID, sheet.Timestamp(a.CreatedAt, policy.Zone), sheet.Timestamp(a.UpdatedAt, policy.Zone)}
				})
		}), nil
	}
}

var (
	inviteeTitles    = map[string]string{service.InviteeCompany: "单位", service.InviteePerson: "个人"}
	roleTitles       = map[string]string{service.RoleOfficer: "协会负责人", service.RolePolice: "民警", service.RoleGuest: "来宾"}
	attendanceTitles = map[string]string{service.AttendanceInvited: "未签到", service.AttendancePresent: "出席", service.AttendanceLate: "迟到", service.AttendanceAbsent: "缺席"}
	ownerTitles      = map[string]string{service.OwnerCompany: "单位", service.OwnerDistrict: "区协会", service.OwnerPerson: "个人"}
	itemTitles       = map[string]string{service.ItemOpen: "办理中", service.ItemDone: "已办结", service.ItemAccepted: "已验收"}
)

// title is a value's Chinese title for a reader of the file (the value
// itself when it has none).
func title(v string, titles map[string]string) string {
	if t, ok := titles[v]; ok {
		return t
	}
	return v
}
