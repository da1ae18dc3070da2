package service

// The practical-services plan (为会员单位办实事): what the association does
// for its members in a council term (joint training sessions, legal
// consultations, recruitment help, insurance purchase), each item with an
// owner, a target, dated milestones, the companies it served and their
// feedback; progress per item and for the district.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Kinds of plan item and units of their target.
const (
	ServiceTraining    = "training"    // 联合培训
	ServiceLegal       = "legal"       // 法律咨询
	ServiceRecruitment = "recruitment" // 招聘帮扶
	ServiceInsurance   = "insurance"   // 统一购买保险
	ServiceOther       = "other"

	// UnitCompanies: the target is a number of companies served
	// (beneficiaries). UnitSessions: a number of sessions held (milestones
	// done).
	UnitCompanies = "companies"
	UnitSessions  = "sessions"
)

// Milestone is one dated step of a plan item (a session, a purchase).
type Milestone struct {
	Title  string `json:"title"`
	DueOn  string `json:"due_on" format:"date"`
	DoneOn string `json:"done_on,omitempty" format:"date"`
}

// ServiceItem is an item of the practical-services plan with its progress.
// Achieved counts towards the target: the companies served for a target
// in companies, the milestones done for one in sessions. Progress is
// achieved over target, at most 1. AverageRating is null (not reported)
// until a company has given feedback.
type ServiceItem struct {
	ID            string      `json:"id"`
	District      string      `json:"district"`
	Term          string      `json:"term"`
	Kind          string      `json:"kind" enum:"training,legal,recruitment,insurance,other"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
	Owner         string      `json:"owner"`
	TargetUnit    string      `json:"target_unit" enum:"companies,sessions"`
	TargetCount   int         `json:"target_count"`
	Milestones    []Milestone `json:"milestones"`
	Beneficiaries int         `json:"beneficiaries"`
	Achieved      int         `json:"achieved"`
	Progress      float64     `json:"progress"`
	Feedbacks     int         `json:"feedbacks"`
	AverageRating *float64    `json:"average_rating" nullable:"true" doc:"mean of the beneficiaries' ratings; null (not reported) before any feedback"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Version       int64       `json:"version"`
	ETag          string      `json:"etag"`
}

// ServiceItemInput is the body of a new plan item.
type ServiceItemInput struct {
	Term        string           `json:"term" required:"true" doc:"the council term, e.g. 2025-2028"`
	Kind        string           `json:"kind" enum:"training,legal,recruitment,insurance,other" required:"true"`
	Title       string           `json:"title" required:"true"`
	Description string           `json:"description"`
	Owner       string           `json:"owner" required:"true"`
	TargetUnit  string           `json:"target_unit" enum:"companies,sessions" required:"true"`
	TargetCount int              `json:"target_count" required:"true"`
	Milestones  []MilestoneInput `json:"milestones"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// MilestoneInput is one milestone of a new item.
type MilestoneInput struct {
	Title string `json:"title" required:"true"`
	DueOn string `json:"due_on" format:"date" required:"true"`
}

// MilestoneDoneInput marks the item's milestone number Milestone (1-based)
// done on DoneOn (default today).
type MilestoneDoneInput struct {
	Milestone int    `json:"milestone" required:"true"`
	DoneOn    string `json:"done_on" format:"date"`
}

// ServiceItemFilter narrows an item list.
type ServiceItemFilter struct {
	Term string
}

// Beneficiary is a company a plan item served, with its feedback (Rating
// 0 and no FeedbackAt until the company answers).
type Beneficiary struct {
	ItemID      string     `json:"item_id"`
	District    string     `json:"district"`
	CompanyID   string     `json:"company_id"`
	CompanyName string     `json:"company_name"`
	ServedOn    string     `json:"served_on" format:"date"`
	Note        string     `json:"note"`
	Rating      int        `json:"rating" doc:"1 to 5; 0 before the company's feedback"`
	Comment     string     `json:"comment"`
	FeedbackBy  string     `json:"feedback_by,omitempty"`
	FeedbackAt  *time.Time `json:"feedback_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	Version     int64      `json:"version"`
}

// BeneficiaryInput records a company as served by an item.
type BeneficiaryInput struct {
	CompanyID string `json:"company_id" required:"true" doc:"a company of the district (company.not_found otherwise)"`
	ServedOn  string `json:"served_on" format:"date" doc:"default today"`
	Note      string `json:"note"`
}

// BeneficiaryFilter narrows an item's beneficiary list.
type BeneficiaryFilter struct {
	CompanyID string
}

// FeedbackInput is a beneficiary company's feedback on an item: one per
// company per item, which the company may change.
type FeedbackInput struct {
	CompanyID string `json:"company_id" required:"true" doc:"the caller's own company"`
	Rating    int    `json:"rating" required:"true" doc:"1 to 5"`
	Comment   string `json:"comment"`
}

// ServicePlanProgress is the district's plan of a term (every term when
// Term is ""): each item's progress and the district's totals. Done items
// have reached their target; CompaniesServed counts distinct companies
// served by any item, over ActiveCompanies. AverageRating is over every
// feedback of the term, null (not reported) when there is none.
type ServicePlanProgress struct {
	Term            string        `json:"term"`
	Items           []ServiceItem `json:"items"`
	ItemCount       int           `json:"item_count"`
	ItemsDone       int           `json:"items_done"`
	CompaniesServed int           `json:"companies_served"`
	ActiveCompanies int           `json:"active_companies"`
	Feedbacks       int           `json:"feedbacks"`
	AverageRating   *float64      `json:"average_rating" nullable:"true" doc:"null (not reported) before any feedback"`
}

// Plan limits.
const (
	maxMilestones  = 50
	maxTargetCount = 10000
)

func validServiceKind(k string) bool {
	switch k {
	case ServiceTraining, ServiceLegal, ServiceRecruitment, ServiceInsurance, ServiceOther:
		return true
	}
	return false
}

// validTerm reports whether t is a term label: 1 to 20 characters on one line.
func validTerm(t string) bool {
	return t != "" && runeLen(t) <= 20 && !strings.ContainsAny(t, "\r\n\t")
}

// CreateServiceItem adds an item to the plan.
func (s *Meetings) CreateServiceItem(ctx context.Context, in ServiceItemInput) (ServiceItem, error) {
	in.Term, in.Title, in.Owner, in.Description = strings.TrimSpace(in.Term), strings.TrimSpace(in.Title), strings.TrimSpace(in.Owner), strings.TrimSpace(in.Description)
	if !validTerm(in.Term) {
		return ServiceItem{}, ErrServiceItemTermInvalid
	}
	if !validServiceKind(in.Kind) {
		return ServiceItem{}, ErrServiceItemKindInvalid
	}
	if in.Title == "" || runeLen(in.Title) > 200 {
		return ServiceItem{}, ErrServiceItemTitleRequired
	}
	if runeLen(in.Description) > 5000 {
		return ServiceItem{}, ErrServiceItemDescriptionTooLong
	}
	if in.Owner == "" || runeLen(in.Owner) > 100 {
		return ServiceItem{}, ErrServiceItemOwnerRequired
	}
	if err := singleLine("title", in.Title, "owner", in.Owner); err != nil {
		return ServiceItem{}, err
	}
	if in.TargetUnit != UnitCompanies && in.TargetUnit != UnitSessions {
		return ServiceItem{}, ErrServiceItemUnitInvalid
	}
	if in.TargetCount < 1 || in.TargetCount > maxTargetCount {
		return ServiceItem{}, ErrServiceItemCountInvalid
	}
	if len(in.Milestones) > maxMilestones {
		return ServiceItem{}, ErrServiceItemMilestonesInvalid
	}
	ms := make([]Milestone, 0, len(in.Milestones))
	for i, m := range in.Milestones {
		m.Title = strings.TrimSpace(m.Title)
		if m.Title == "" || runeLen(m.Title) > 200 || !s.validDueDate(m.DueOn) {
			return ServiceItem{}, ErrServiceItemMilestonesInvalid
		}
		if err := kitx.SingleLine(fmt.Sprintf("milestones[%d].title", i), m.Title); err != nil {
			return ServiceItem{}, err
		}
		ms = append(ms, Milestone{Title: m.Title, DueOn: m.DueOn})
	}
	return idempotent(ctx, s, "POST service-plan/items", in.IdempotencyKey, in, func(q Queries) (ServiceItem, []Change, error) {
		id, err := newID()
		if err != nil {
			return ServiceItem{}, nil, err
		}
		now := s.now().UTC()
		it := ServiceItem{ID: id, Term: in.Term, Kind: in.Kind, Title: in.Title, Description: in.Description, Owner: in.Owner,
			TargetUnit: in.TargetUnit, TargetCount: in.TargetCount, Milestones: ms, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := q.InsertServiceItem(ctx, it); err != nil {
			return ServiceItem{}, nil, err
		}
		s.presentServiceItem(&it, nil)
		if err := s.Audit(ctx, q, ActionServiceItemCreate, ResourceServiceItem, it.ID, audit.SetFields("term", it.Term, "kind", it.Kind, "title", it.Title,
			"owner", it.Owner, "target_unit", it.TargetUnit, "target_count", it.TargetCount, "milestones", len(it.Milestones))); err != nil {
			return ServiceItem{}, nil, err
		}
		return it, []Change{{Type: EventServiceItemCreated, ServiceItem: &it}}, nil
	})
}

// presentServiceItem fills an item's derived fields from its beneficiaries.
func (s *Meetings) presentServiceItem(it *ServiceItem, bs []Beneficiary) {
	it.District, it.ETag = s.district, kitx.ETag(it.Version)
	if it.Milestones == nil {
		it.Milestones = []Milestone{}
	}
	it.Beneficiaries, it.Feedbacks, it.AverageRating = len(bs), 0, nil
	sum := 0
	for _, b := range bs {
		if b.Rating > 0 {
			it.Feedbacks++
			sum += b.Rating
		}
	}
	if it.Feedbacks > 0 {
		avg := float64(sum) / float64(it.Feedbacks)
		it.AverageRating = &avg
	}
	it.Achieved = it.Beneficiaries
	if it.TargetUnit == UnitSessions {
		it.Achieved = 0
		for _, m := range it.Milestones {
			if m.DoneOn != "" {
				it.Achieved++
			}
		}
	}
	it.Progress = 0
	if it.TargetCount > 0 {
		it.Progress = min(1, float64(it.Achieved)/float64(it.TargetCount))
	}
}

func (s *Meetings) fillServiceItem(ctx context.Context, q Queries, it *ServiceItem) error {
	bs, err := q.ListBeneficiaries(ctx, it.ID, BeneficiaryFilter{})
	if err != nil {
		return err
	}
	s.presentServiceItem(it, bs)
	return nil
}

func (s *Meetings) loadServiceItem(ctx context.Context, q Queries, it ServiceItem) (ServiceItem, error) {
	err := s.fillServiceItem(ctx, q, &it)
	return it, err
}

// GetServiceItem returns a plan item with its progress.
func (s *Meetings) GetServiceItem(ctx context.Context, id string) (ServiceItem, error) {
	it, err := s.repo.GetServiceItem(ctx, id)
	if err != nil {
		return ServiceItem{}, err
	}
	return s.loadServiceItem(ctx, s.repo, it)
}

// ListServiceItems lists the plan's items in id order.
func (s *Meetings) ListServiceItems(ctx context.Context, f ServiceItemFilter, page kitx.Page) ([]ServiceItem, string, error) {
	if f.Term != "" && !validTerm(f.Term) {
		return nil, "", ErrServiceItemTermInvalid
	}
	items, next, err := s.repo.ListServiceItems(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.loadServiceItem(ctx, s.repo, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// CompleteMilestone marks one milestone of an item done.
func (s *Meetings) CompleteMilestone(ctx context.Context, id string, in MilestoneDoneInput) (ServiceItem, error) {
	if in.DoneOn == "" {
		in.DoneOn = today(s.now())
	}
	if !s.validPastDate(in.DoneOn) {
		return ServiceItem{}, ErrMilestoneDoneOnInvalid
	}
	_, err := versioned.Update(ctx, s.repo.Tx, serviceItems, id, kitx.Precondition{}, func(q Queries, it *ServiceItem) (Edit, error) {
		if in.Milestone < 1 || in.Milestone > len(it.Milestones) {
			return Edit{}, ErrMilestoneInvalid
		}
		m := &it.Milestones[in.Milestone-1]
		if m.DoneOn != "" {
			return Edit{}, ErrMilestoneAlreadyDone
		}
		m.DoneOn = in.DoneOn
		// The event points at it, which holds the new version by the
		// time it is published; the derived counts are filled here.
		if err := s.fillServiceItem(ctx, q, it); err != nil {
			return Edit{}, err
		}
		return s.edit(ctx, ActionMilestoneDone, ResourceServiceItem, it.ID, []string{fmt.Sprintf("milestones[%d].done_on", in.Milestone-1)},
			Change{Type: EventServiceMilestoneDone, ServiceItem: it, Milestone: in.Milestone}), nil
	})
	if err != nil {
		return ServiceItem{}, err
	}
	return s.GetServiceItem(ctx, id)
}

// AddBeneficiary records a company as served by an item (once per
// company per item). The item's version moves: its counts changed.
func (s *Meetings) AddBeneficiary(ctx context.Context, id string, in BeneficiaryInput) (Beneficiary, error) {
	in.CompanyID, in.Note = strings.TrimSpace(in.CompanyID), strings.TrimSpace(in.Note)
	if in.CompanyID == "" || len(in.CompanyID) > 64 {
		return Beneficiary{}, ErrBeneficiaryCompanyRequired
	}
	if in.ServedOn == "" {
		in.ServedOn = today(s.now())
	}
	if !s.validPastDate(in.ServedOn) {
		return Beneficiary{}, ErrBeneficiaryServedOnInvalid
	}
	if runeLen(in.Note) > 500 {
		return Beneficiary{}, ErrBeneficiaryNoteTooLong
	}
	var b Beneficiary
	_, err := versioned.Update(ctx, s.repo.Tx, serviceItems, id, kitx.Precondition{}, func(q Queries, it *ServiceItem) (Edit, error) {
		c, err := q.GetCompany(ctx, in.CompanyID)
		if errors.Is(err, ErrCompanyNotFound) {
			return Edit{}, ErrCompanyNotFound.WithField("company_id")
		}
		if err != nil {
			return Edit{}, err
		}
		now := s.now().UTC()
		b = Beneficiary{ItemID: it.ID, District: s.district, CompanyID: c.ID, CompanyName: c.Name, ServedOn: in.ServedOn, Note: in.Note, CreatedAt: now, Version: 1}
		if err := q.InsertBeneficiary(ctx, b); err != nil {
			return Edit{}, err
		}
		if err := s.fillServiceItem(ctx, q, it); err != nil {
			return Edit{}, err
		}
		return s.edit(ctx, ActionBeneficiaryAdd, ResourceServiceItem, it.ID, []string{"beneficiaries"},
			Change{Type: EventServiceBeneficiaryAdded, ServiceItem: it, Beneficiary: &b}), nil
	})
	if err != nil {
		return Beneficiary{}, err
	}
	return b, nil
}

// ListBeneficiaries lists the companies an item served, in company order.
func (s *Meetings) ListBeneficiaries(ctx context.Context, id string, f BeneficiaryFilter) ([]Beneficiary, error) {
	if _, err := s.repo.GetServiceItem(ctx, id); err != nil {
		return nil, err
	}
	bs, err := s.repo.ListBeneficiaries(ctx, id, f)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		bs[i].District = s.district
	}
	return bs, nil
}

// GiveFeedback records (or changes) a beneficiary company's feedback. Only
// that company's company-admin answers (the route's policy row); the
// company must be one the item served.
func (s *Meetings) GiveFeedback(ctx context.Context, id string, in FeedbackInput) (Beneficiary, error) {
	in.CompanyID, in.Comment = strings.TrimSpace(in.CompanyID), strings.TrimSpace(in.Comment)
	if in.CompanyID == "" || len(in.CompanyID) > 64 {
		return Beneficiary{}, ErrFeedbackCompanyRequired
	}
	if in.Rating < 1 || in.Rating > 5 {
		return Beneficiary{}, ErrFeedbackRatingInvalid
	}
	if runeLen(in.Comment) > 2000 {
		return Beneficiary{}, ErrFeedbackCommentTooLong
	}
	if p, ok := auth.FromContext(ctx); !ok || p.Role != auth.RoleCompanyAdmin || p.Company != in.CompanyID {
		// The policy row admits only company-admins of the named company;
		// this keeps the rule should the row ever widen.
		return Beneficiary{}, ErrFeedbackForbidden
	}
	var b Beneficiary
	err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		if _, err := q.GetServiceItem(ctx, id); err != nil {
			return nil, err
		}
		var err error
		b, err = q.GetBeneficiary(ctx, id, in.CompanyID)
		if err != nil {
			return nil, err
		}
		changed := b.Rating > 0
		if b.Rating == in.Rating && b.Comment == in.Comment {
			return nil, nil // the same answer again changes nothing
		}
		now := s.now().UTC()
		b.Rating, b.Comment, b.FeedbackBy, b.FeedbackAt, b.Version = in.Rating, in.Comment, audit.ActorFromContext(ctx).Subject, &now, b.Version+1
		if err := q.WriteBeneficiary(ctx, b); err != nil {
			return nil, err
		}
		b.District = s.district
		if err := s.Audit(ctx, q, ActionFeedbackGive, ResourceServiceItem, id, audit.SetFields("company_id", b.CompanyID, "rating", b.Rating, "comment", b.Comment)); err != nil {
			return nil, err
		}
		return []Change{{Type: EventServiceFeedbackGiven, Beneficiary: &b, Changed: changed}}, nil
	})
	if err != nil {
		return Beneficiary{}, err
	}
	b.District = s.district
	return b, nil
}

// ServicePlanProgress returns the progress of the district's plan for
// term ("" for every term).
func (s *Meetings) ServicePlanProgress(ctx context.Context, term string) (ServicePlanProgress, error) {
	if term != "" && !validTerm(term) {
		return ServicePlanProgress{}, ErrServiceItemTermInvalid
	}
	out := ServicePlanProgress{Term: term, Items: []ServiceItem{}}
	served := map[string]bool{}
	sum := 0
	cursor := ""
	for {
		items, next, err := s.repo.ListServiceItems(ctx, ServiceItemFilter{Term: term}, kitx.Page{Cursor: cursor, Size: 200})
		if err != nil {
			return ServicePlanProgress{}, err
		}
		for _, it := range items {
			bs, err := s.repo.ListBeneficiaries(ctx, it.ID, BeneficiaryFilter{})
			if err != nil {
				return ServicePlanProgress{}, err
			}
			s.presentServiceItem(&it, bs)
			for _, b := range bs {
				served[b.CompanyID] = true
				if b.Rating > 0 {
					sum += b.Rating
				}
			}
			out.Feedbacks += it.Feedbacks
			if it.Achieved >= it.TargetCount {
				out.ItemsDone++
			}
			out.Items = append(out.Items, it)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	out.ItemCount, out.CompaniesServed = len(out.Items), len(served)
	if out.Feedbacks > 0 {
		avg := float64(sum) / float64(out.Feedbacks)
		out.AverageRating = &avg
	}
	companies, err := s.repo.ActiveCompanies(ctx)
	if err != nil {
		return ServicePlanProgress{}, err
	}
	out.ActiveCompanies = len(companies)
	return out, nil
}
