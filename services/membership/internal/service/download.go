package service

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/sheet"
)

// exportPage is how many rows an export reads from the store at a time:
// an export of any length holds one page, never the whole list.
const exportPage = kitx.MaxPageSize

// zoneNote is how an export's header states the zone of its timestamps.
const zoneNote = "（北京时间 UTC+08:00）"

// ExportGuardsInput is an export of the district's guards.
type ExportGuardsInput struct {
	Filter GuardFilter
	Format sheet.Format
}

// ExportCompaniesInput is an export of the district's companies.
type ExportCompaniesInput struct {
	Filter CompanyFilter
	Format sheet.Format
}

var guardExportHeader = []string{"姓名", "身份证号", "单位", "单位ID", "保安员证号", "发证日期", "有效期至", "发证机关", "入职日期", "离职日期", "在职状态",
	"背景审查", "背景审查日期", "岗前培训", "培训学时", "持证上岗", "挂牌服务", "志愿警察", "党员", "登记时间" + zoneNote, "更新时间" + zoneNote}

// ExportGuards implements Service: the guards f selects as the caller sees
// them through the list (ID numbers masked unless RevealIDNumber lets the
// caller see them), a page at a time, each row written as it is read.
func (s *Membership) ExportGuards(ctx context.Context, in ExportGuardsInput, w io.Writer) error {
	// The filter is checked before the file starts, so a bad one is an
	// error body, not a broken file.
	items, next, err := s.ListGuards(ctx, in.Filter, kitx.Page{Size: exportPage})
	if err != nil {
		return err
	}
	sw, err := sheet.NewWriter(w, in.Format, "保安员", guardExportHeader)
	if err != nil {
		return err
	}
	names := map[string]string{} // company id → name, one read per company
	for {
		for _, g := range items {
			name, ok := names[g.CompanyID]
			if !ok {
				if c, err := s.repo.GetCompany(ctx, g.CompanyID); err == nil {
					name = c.Name
				} else if !errs.IsKind(err, errs.NotFound) {
					return err
				}
				names[g.CompanyID] = name
			}
			if err := sw.Write(g.Name, g.IDNumberMasked, name, g.CompanyID, g.CertificateNumber, g.CertificateIssuedOn,
				g.CertificateValidUntil, g.CertificateAuthority, g.HiredOn, g.LeftOn,
				employmentTitle(g.EmploymentStatus), checkTitle(g.BackgroundCheckStatus), g.BackgroundCheckOn, yesNo(g.PreJobTrained),
				strconv.FormatFloat(g.TrainingHours, 'f', -1, 64), yesNo(g.Certified), yesNo(g.BadgeService), yesNo(g.VolunteerPolice), yesNo(g.PartyMember),
				sheet.Timestamp(g.CreatedAt, policy.Zone), sheet.Timestamp(g.UpdatedAt, policy.Zone)); err != nil {
				return err
			}
		}
		if next == "" {
			return sw.Close()
		}
		if items, next, err = s.ListGuards(ctx, in.Filter, kitx.Page{Size: exportPage, Cursor: next}); err != nil {
			return err
		}
	}
}

var companyExportHeader = []string{"名称", "统一社会信用代码", "保安服务许可证号", "类型", "会员等级", "状态", "联系人", "联系电话", "地址",
	"党组织", "党组织成立日期", "工会", "职工之家", "公约版本", "单位ID", "登记时间" + zoneNote, "更新时间" + zoneNote}

// ExportCompanies implements Service: the companies f selects, a page at a
// time, each row written as it is read.
func (s *Membership) ExportCompanies(ctx context.Context, in ExportCompaniesInput, w io.Writer) error {
	items, next, err := s.ListCompanies(ctx, in.Filter, kitx.Page{Size: exportPage})
	if err != nil {
		return err
	}
	sw, err := sheet.NewWriter(w, in.Format, "会员单位", companyExportHeader)
	if err != nil {
		return err
	}
	for {
		for _, c := range items {
			if err := sw.Write(c.Name, c.CreditCode, c.LicenceNumber, kindTitle(c.Kind), levelTitle(c.Level), statusTitle(c.Status),
				c.ContactName, c.ContactPhone, c.Address, yesNo(c.PartyOrg), c.PartyOrgSince, yesNo(c.TradeUnion), yesNo(c.WorkersHome),
				c.ConventionVersion, c.ID, sheet.Timestamp(c.RegisteredAt, policy.Zone), sheet.Timestamp(c.UpdatedAt, policy.Zone)); err != nil {
				return err
			}
		}
		if next == "" {
			return sw.Close()
		}
		if items, next, err = s.ListCompanies(ctx, in.Filter, kitx.Page{Size: exportPage, Cursor: next}); err != nil {
			return err
		}
	}
}

// ExportFilename names an export file of the district, dated in China
// time: "保安员-jingkai-20250923.xlsx".
func ExportFilename(what, district string, f sheet.Format, now time.Time) string {
	return what + "-" + district + "-" + now.In(policy.Zone).Format("20060102") + "." + string(f)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func title(v string, titles map[string]string) string {
	if t, ok := titles[v]; ok {
		return t
	}
	return v
}

func employmentTitle(v string) string {
	return title(v, map[string]string{EmploymentActive: "在职", EmploymentLeft: "离职"})
}

func checkTitle(v string) string {
	return title(v, map[string]string{CheckNone: "未审查", CheckPending: "审查中", CheckPassed: "通过", CheckFailed: "未通过"})
}

func kindTitle(v string) string {
	return title(v, map[string]string{KindServiceCompany: "保安服务公司", KindInHouseUnit: "自行招用保安员单位"})
}

func levelTitle(v string) string {
	return title(v, map[string]string{LevelPresident: "会长单位", LevelVicePresident: "副会长单位", LevelCouncil: "理事单位", LevelMember: "会员单位"})
}

func statusTitle(v string) string {
	return title(v, map[string]string{StatusApplied: "申请中", StatusActive: "正常", StatusSuspended: "暂停", StatusLapsed: "失效"})
}
