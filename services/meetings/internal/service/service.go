// Package service is the meetings service's business layer: meetings
// (council, president's office, district working meetings, roundtables),
// their agenda, invitations and attendance, minutes, resolutions and the
// action items they spawn, and signatures of the self-discipline
// convention. It validates every request before anything is written and
// hands each change to the repository with the domain change it reports, so
// the state change, its audit row and its outbox event commit together.
package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Service is the meetings API of one district.
type Service interface {
	// CreateMeeting creates a meeting in status draft.
	CreateMeeting(ctx context.Context, in CreateMeetingInput) (Meeting, error)
	// GetMeeting returns one meeting.
	GetMeeting(ctx context.Context, id string) (Meeting, error)
	// ListMeetings lists meetings in id order.
	ListMeetings(ctx context.Context, f MeetingFilter, page kitx.Page) ([]Meeting, string, error)
	// UpdateMeeting changes a draft or scheduled meeting; pre, when set
	// (the request's If-Match), must name its current version, else nothing
	// changes and the error is kitx.ErrEtagStale.
	UpdateMeeting(ctx context.Context, id string, pre kitx.Precondition, in UpdateMeetingInput) (Meeting, error)
	// ChangeMeetingStatus moves a meeting through draft → scheduled →
	// in_progress → closed.
	ChangeMeetingStatus(ctx context.Context, id string, in MeetingStatusInput) (Meeting, error)

	// AddAgendaItem appends an item to a meeting's agenda.
	AddAgendaItem(ctx context.Context, meetingID string, in AgendaItemInput) (AgendaItem, error)
	// ListAgenda returns a meeting's agenda in order.
	ListAgenda(ctx context.Context, meetingID string) ([]AgendaItem, error)
	// ReorderAgenda puts a meeting's agenda in the order given.
	ReorderAgenda(ctx context.Context, meetingID string, in ReorderInput) ([]AgendaItem, error)

	// Invite invites companies and people; the returned invitations carry
	// their check-in codes, which are never shown again.
	Invite(ctx context.Context, meetingID string, in InviteInput) ([]Invitation, error)
	// ListInvitations lists a meeting's invitations in id order.
	ListInvitations(ctx context.Context, meetingID string, page kitx.Page) ([]Invitation, string, error)
	// CheckIn checks an invitee in with its code.
	CheckIn(ctx context.Context, meetingID string, in CheckInInput) (Invitation, error)
	// RecordAttendance sets an invitee's attendance (an admin's check-in,
	// late or absent mark).
	RecordAttendance(ctx context.Context, meetingID, invitationID string, in AttendanceInput) (Invitation, error)
	// MeetingAttendance returns a meeting's attendance rates.
	MeetingAttendance(ctx context.Context, meetingID string) (MeetingAttendance, error)
	// CompanyAttendance returns a company's attendance over the meetings
	// it was invited to, in [since, until).
	CompanyAttendance(ctx context.Context, companyID string, since, until time.Time) (CompanyAttendance, error)

	// AddMinuteEntry records who spoke on which agenda item (a draft entry).
	AddMinuteEntry(ctx context.Context, meetingID string, in MinuteEntryInput) (MinuteEntry, error)
	// UpdateMinuteEntry changes a draft entry; published entries are
	// immutable. pre as for UpdateMeeting.
	UpdateMinuteEntry(ctx context.Context, meetingID, entryID string, pre kitx.Precondition, in UpdateMinuteEntryInput) (MinuteEntry, error)
	// DeleteMinuteEntry deletes a draft entry; published entries are immutable.
	DeleteMinuteEntry(ctx context.Context, meetingID, entryID string) error
	// PublishMinutes publishes the draft entries as the next minutes version.
	PublishMinutes(ctx context.Context, meetingID string) (Minutes, error)
	// GetMinutes returns a published minutes version (0: the latest), or
	// with draft the working copy (latest published plus drafts).
	GetMinutes(ctx context.Context, meetingID string, version int, draft bool) (Minutes, error)

	// AdoptResolution records a resolution with its action items.
	AdoptResolution(ctx context.Context, meetingID string, in ResolutionInput) (Resolution, error)
	// GetResolution returns a resolution with its action items.
	GetResolution(ctx context.Context, id string) (Resolution, error)
	// ListResolutions lists resolutions in id order.
	ListResolutions(ctx context.Context, meetingID string, page kitx.Page) ([]Resolution, string, error)
	// GetActionItem returns one action item.
	GetActionItem(ctx context.Context, id string) (ActionItem, error)
	// ListActionItems lists action items in id order.
	ListActionItems(ctx context.Context, f ActionItemFilter, page kitx.Page) ([]ActionItem, string, error)
	// ChangeActionItemStatus moves an item open → done → accepted (or back
	// from done to open).
	ChangeActionItemStatus(ctx context.Context, id string, in ActionItemStatusInput) (ActionItem, error)

	// CurrentConvention returns the association's current convention.
	CurrentConvention(ctx context.Context) (Convention, error)
	// SignConvention records a company's signature.
	SignConvention(ctx context.Context, in SignInput) (Signature, error)
	// ListSignatures lists signatures in id order.
	ListSignatures(ctx context.Context, f SignatureFilter, page kitx.Page) ([]Signature, string, error)
	// SignatureRate returns the district's signature rate of the current version.
	SignatureRate(ctx context.Context) (SignatureRate, error)

	// RoundtableCadence returns held vs expected roundtables for the last
	// periods periods (the current one included).
	RoundtableCadence(ctx context.Context, periods int) (CadenceReport, error)

	// RecordFieldVisit records a district lead's visit to a company and
	// opens its follow-ups as action items owned by the company.
	RecordFieldVisit(ctx context.Context, in FieldVisitInput) (FieldVisit, error)
	// GetFieldVisit returns a visit with its follow-ups.
	GetFieldVisit(ctx context.Context, id string) (FieldVisit, error)
	// ListFieldVisits lists visits in id order.
	ListFieldVisits(ctx context.Context, f FieldVisitFilter, page kitx.Page) ([]FieldVisit, string, error)
	// FieldVisitPlan returns visits held against the plan for the last
	// periods periods (the current one included).
	FieldVisitPlan(ctx context.Context, periods int) (VisitPlanReport, error)
	// UnvisitedCompanies lists the active companies whose visit is due.
	UnvisitedCompanies(ctx context.Context) (UnvisitedReport, error)

	// CreateServiceItem adds an item to the practical-services plan.
	CreateServiceItem(ctx context.Context, in ServiceItemInput) (ServiceItem, error)
	// GetServiceItem returns a plan item with its progress.
	GetServiceItem(ctx context.Context, id string) (ServiceItem, error)
	// ListServiceItems lists plan items in id order.
	ListServiceItems(ctx context.Context, f ServiceItemFilter, page kitx.Page) ([]ServiceItem, string, error)
	// CompleteMilestone marks a milestone of an item done.
	CompleteMilestone(ctx context.Context, id string, in MilestoneDoneInput) (ServiceItem, error)
	// AddBeneficiary records a company served by an item.
	AddBeneficiary(ctx context.Context, id string, in BeneficiaryInput) (Beneficiary, error)
	// ListBeneficiaries lists the companies an item served.
	ListBeneficiaries(ctx context.Context, id string, f BeneficiaryFilter) ([]Beneficiary, error)
	// GiveFeedback records or changes a beneficiary company's feedback.
	GiveFeedback(ctx context.Context, id string, in FeedbackInput) (Beneficiary, error)
	// ServicePlanProgress returns the plan's progress per item and for
	// the district.
	ServicePlanProgress(ctx context.Context, term string) (ServicePlanProgress, error)

	// ListAudit lists the district's audit log, newest first.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)
}

// Meeting types.
const (
	TypeCouncil            = "council"             // 理事会
	TypePresidentsOffice   = "presidents_office"   // 会长办公会
	TypeDistrictWorking    = "district_working"    // 片区工作会议
	TypeDistrictRoundtable = "district_roundtable" // 片区行业圆桌会
)

// Meeting statuses.
const (
	MeetingDraft      = "draft"
	MeetingScheduled  = "scheduled"
	MeetingInProgress = "in_progress"
	MeetingClosed     = "closed"
)

// Agenda item kinds.
const (
	AgendaBriefing   = "briefing"
	AgendaSpeeches   = "speeches"
	AgendaDeployment = "deployment"
	AgendaSigning    = "signing"
	AgendaRemarks    = "remarks"
)

// Invitation kinds and attendance statuses.
const (
	InviteeCompany = "company"
	InviteePerson  = "person"

	AttendanceInvited = "invited"
	AttendancePresent = "present"
	AttendanceLate    = "late"
	AttendanceAbsent  = "absent"
)

// Person roles of an invitation.
const (
	RoleOfficer = "officer" // association officer (会长, 秘书长, 监事长…)
	RolePolice  = "police"  // police officer (民警)
	RoleGuest   = "guest"
)

// Minute entry kinds.
const (
	EntrySpeech       = "speech"       // a company head's remarks
	EntryRequirements = "requirements" // requirements stated (police, supervisors)
	EntryBriefing     = "briefing"
	EntryDeployment   = "deployment"
	EntryNote         = "note"
)

// Action item owner kinds and statuses.
const (
	OwnerCompany  = "company"
	OwnerDistrict = "district"
	OwnerPerson   = "person"

	ItemOpen     = "open"
	ItemDone     = "done"
	ItemAccepted = "accepted"
)

// Meeting is a meeting (会议) of the district.
type Meeting struct {
	ID                string    `json:"id"`
	District          string    `json:"district"`
	Type              string    `json:"type" enum:"council,presidents_office,district_working,district_roundtable"`
	Title             string    `json:"title"`
	StartsAt          time.Time `json:"starts_at"`
	EndsAt            time.Time `json:"ends_at"`
	Venue             string    `json:"venue"`
	Host              string    `json:"host"`
	Status            string    `json:"status" enum:"draft,scheduled,in_progress,closed"`
	MinutesVersion    int       `json:"minutes_version"`
	InvitedCompanies  int       `json:"invited_companies"`
	AttendedCompanies int       `json:"attended_companies"`
	InvitedPeople     int       `json:"invited_people"`
	AttendedPeople    int       `json:"attended_people"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"version"`
	ETag              string    `json:"etag"`
}

// AgendaItem is one item of a meeting's agenda.
type AgendaItem struct {
	ID           string    `json:"id"`
	MeetingID    string    `json:"meeting_id"`
	Position     int       `json:"position"`
	Kind         string    `json:"kind" enum:"briefing,speeches,deployment,signing,remarks"`
	Title        string    `json:"title"`
	Presenter    string    `json:"presenter"`
	DurationMin  int       `json:"duration_minutes"`
	ResolutionID string    `json:"resolution_id,omitempty"`
	Signing      bool      `json:"signing"`
	CreatedAt    time.Time `json:"created_at"`
}

// Invitation is one invitee of a meeting and its attendance.
type Invitation struct {
	ID           string     `json:"id"`
	MeetingID    string     `json:"meeting_id"`
	Kind         string     `json:"kind" enum:"company,person"`
	CompanyID    string     `json:"company_id,omitempty"`
	CompanyName  string     `json:"company_name,omitempty"`
	PersonName   string     `json:"person_name,omitempty"`
	PersonRole   string     `json:"person_role,omitempty" enum:"officer,police,guest"`
	Organization string     `json:"organization,omitempty"`
	Status       string     `json:"status" enum:"invited,present,late,absent"`
	CheckedInAt  *time.Time `json:"checked_in_at,omitempty"`
	CheckedInBy  string     `json:"checked_in_by,omitempty"`
	// CheckInCode is the invitee's code, set only in the response that
	// made the invitation: only its hash (CodeHash) is stored.
	CheckInCode string    `json:"check_in_code,omitempty"`
	CodeHash    string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MinuteEntry is one entry of the minutes: who spoke on which item.
type MinuteEntry struct {
	ID           string `json:"id"`
	MeetingID    string `json:"meeting_id"`
	AgendaItemID string `json:"agenda_item_id,omitempty"`
	Position     int    `json:"position"`
	Speaker      string `json:"speaker"`
	SpeakerRole  string `json:"speaker_role,omitempty"`
	CompanyID    string `json:"company_id,omitempty"`
	Kind         string `json:"kind" enum:"speech,requirements,briefing,deployment,note"`
	Text         string `json:"text"`
	// Supersedes is the published entry this one corrects.
	Supersedes string `json:"supersedes,omitempty"`
	// PublishedIn is the minutes version that published the entry; 0
	// while it is a draft.
	PublishedIn int       `json:"published_in"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int64     `json:"version"`
	ETag        string    `json:"etag"`
}

// MinutesVersion is one published version of a meeting's minutes.
type MinutesVersion struct {
	Version     int       `json:"version"`
	Entries     int       `json:"entries"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// Minutes is a meeting's minutes as of one version (0: the working draft).
type Minutes struct {
	MeetingID string           `json:"meeting_id"`
	Version   int              `json:"version"`
	Draft     bool             `json:"draft"`
	Entries   []MinuteEntry    `json:"entries"`
	Versions  []MinutesVersion `json:"versions"`
}

// Resolution is a resolution (决议) adopted at a meeting.
type Resolution struct {
	ID           string       `json:"id"`
	District     string       `json:"district"`
	MeetingID    string       `json:"meeting_id"`
	AgendaItemID string       `json:"agenda_item_id,omitempty"`
	Title        string       `json:"title"`
	Text         string       `json:"text"`
	AdoptedAt    time.Time    `json:"adopted_at"`
	ActionItems  []ActionItem `json:"action_items"`
}

// ActionItem is a task a resolution spawned (岗位责任清单), or a follow-up
// of a field visit: a resolution's item has ResolutionID and MeetingID, a
// follow-up VisitID (and the others empty).
type ActionItem struct {
	ID             string    `json:"id"`
	District       string    `json:"district"`
	ResolutionID   string    `json:"resolution_id"`
	MeetingID      string    `json:"meeting_id"`
	VisitID        string    `json:"visit_id,omitempty"`
	Title          string    `json:"title"`
	OwnerKind      string    `json:"owner_kind" enum:"company,district,person"`
	OwnerCompanyID string    `json:"owner_company_id,omitempty"`
	OwnerName      string    `json:"owner_name,omitempty"`
	DueOn          string    `json:"due_on" format:"date"`
	Status         string    `json:"status" enum:"open,done,accepted"`
	Overdue        bool      `json:"overdue"`
	LastRemindedOn string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"version"`
	ETag           string    `json:"etag"`
}

// Convention is a version of the association's self-discipline convention
// (《行业自律公约》), city-wide policy read from etcd (pkg/policy).
type Convention = policy.Convention

// CompanyActive is the status of a member company in good standing
// (membership's statuses: applied, active, suspended, lapsed).
const CompanyActive = "active"

// Company is a member company of the district as meetings knows it: the
// projection of membership's company events (meetings never calls
// membership). Version is membership's version of the company.
type Company struct {
	ID      string
	Name    string
	Status  string
	Version int64
	// ActiveSince is when the company last became active (zero: active
	// all along, or not active); the visit plan counts it from then.
	ActiveSince time.Time
}

// Signature is a company's signature of a convention version.
type Signature struct {
	ID                string    `json:"id"`
	District          string    `json:"district"`
	CompanyID         string    `json:"company_id"`
	ConventionVersion string    `json:"convention_version"`
	SignedBy          string    `json:"signed_by"`
	SignedAt          time.Time `json:"signed_at"`
	MeetingID         string    `json:"meeting_id,omitempty"`
	// Current reports whether the signed version was the current one when
	// the company signed.
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
}

// SignatureRate is the district's signature rate of the current version
// (rates.Convention): Signed active companies with a signature of the
// current version made while it was current, over the Companies active in
// the district (meetings' projection of membership's register, the
// denominator HQ uses too). Rate is null when no company is active.
type SignatureRate struct {
	ConventionVersion string   `json:"convention_version"`
	Signed            int      `json:"signed"`
	Companies         int      `json:"companies"`
	Rate              *float64 `json:"rate" nullable:"true" doc:"signed / companies; null (not reported) when no company is active"`
}

// MeetingAttendance is a meeting's attendance: present and late count as
// attended. A rate is null when nobody of its kind was invited.
type MeetingAttendance struct {
	MeetingID         string   `json:"meeting_id"`
	InvitedCompanies  int      `json:"invited_companies"`
	AttendedCompanies int      `json:"attended_companies"`
	LateCompanies     int      `json:"late_companies"`
	AbsentCompanies   int      `json:"absent_companies"`
	CompanyRate       *float64 `json:"company_rate" nullable:"true" doc:"attended_companies / invited_companies; null when no company was invited"`
	InvitedPeople     int      `json:"invited_people"`
	AttendedPeople    int      `json:"attended_people"`
	PeopleRate        *float64 `json:"people_rate" nullable:"true" doc:"attended_people / invited_people; null when nobody was invited"`
}

// CompanyAttendance is a company's attendance over time.
type CompanyAttendance struct {
	CompanyID string                     `json:"company_id"`
	Invited   int                        `json:"invited"`
	Attended  int                        `json:"attended"`
	Late      int                        `json:"late"`
	Absent    int                        `json:"absent"`
	Rate      *float64                   `json:"rate" nullable:"true" doc:"attended / invited; null when the company was invited to no meeting held"`
	Meetings  []CompanyMeetingAttendance `json:"meetings"`
}

// CompanyMeetingAttendance is one meeting of a CompanyAttendance.
type CompanyMeetingAttendance struct {
	MeetingID string    `json:"meeting_id"`
	Title     string    `json:"title"`
	Type      string    `json:"type" enum:"council,presidents_office,district_working,district_roundtable"`
	StartsAt  time.Time `json:"starts_at"`
	// Status is the company's attendance of the meeting.
	Status string `json:"status" enum:"invited,present,late,absent"`
}

// Cadence is a district's expected roundtables per period, read from etcd
// (pkg/policy): week, month, quarter or year, count 0 to 100.
type Cadence = policy.Cadence

// CadencePeriod is one period of a CadenceReport.
type CadencePeriod struct {
	Period   string    `json:"period"` // 2025-W39, 2025-09, 2025-Q3, 2025
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Expected int       `json:"expected"`
	Held     int       `json:"held"`
	OnTrack  bool      `json:"on_track"`
}

// CadenceReport is held vs expected roundtables per period, oldest first.
type CadenceReport struct {
	Per     policy.Period   `json:"per"`
	Count   int             `json:"count"`
	Periods []CadencePeriod `json:"periods"`
}

// CreateMeetingInput is the body of a meeting creation.
type CreateMeetingInput struct {
	Type     string    `json:"type" enum:"council,presidents_office,district_working,district_roundtable" required:"true"`
	Title    string    `json:"title" required:"true"`
	StartsAt time.Time `json:"starts_at" required:"true"`
	EndsAt   time.Time `json:"ends_at" required:"true"`
	Venue    string    `json:"venue"`
	Host     string    `json:"host"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// UpdateMeetingInput holds the fields of a meeting PATCH; nil: unchanged.
type UpdateMeetingInput struct {
	Title    *string    `json:"title"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	Venue    *string    `json:"venue"`
	Host     *string    `json:"host"`
}

// MeetingStatusInput is the body of a meeting status change.
type MeetingStatusInput struct {
	Status string `json:"status" enum:"draft,scheduled,in_progress,closed" required:"true"`
}

// MeetingFilter narrows a meeting list.
type MeetingFilter struct {
	Type   string
	Status string
}

// AgendaItemInput is the body of a new agenda item.
type AgendaItemInput struct {
	Kind        string `json:"kind" enum:"briefing,speeches,deployment,signing,remarks" required:"true"`
	Title       string `json:"title" required:"true"`
	Presenter   string `json:"presenter"`
	DurationMin int    `json:"duration_minutes"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// ReorderInput is the new order of a meeting's agenda: every item id once.
type ReorderInput struct {
	ItemIDs []string `json:"item_ids" required:"true"`
}

// InviteInput invites companies (a list) and people.
type InviteInput struct {
	Companies []CompanyInvitee `json:"companies"`
	People    []PersonInvitee  `json:"people"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// CompanyInvitee is a company to invite.
type CompanyInvitee struct {
	CompanyID string `json:"company_id" required:"true" doc:"a company of the district (company.not_found otherwise)"`
	// Name is ignored: an invitation carries the company's name from the
	// register (meetings' projection of membership's events).
	Name string `json:"name" deprecated:"true" doc:"ignored: the invitation's company_name is the register's name of company_id"`
}

// PersonInvitee is a person to invite.
type PersonInvitee struct {
	Name         string `json:"name" required:"true"`
	Role         string `json:"role" enum:"officer,police,guest" required:"true"` // officer | police | guest
	Organization string `json:"organization"`
}

// CheckInInput is a check-in by code.
type CheckInInput struct {
	Code string `json:"code" required:"true"`
}

// AttendanceInput is an admin's attendance mark.
type AttendanceInput struct {
	Status string `json:"status" enum:"present,late,absent" required:"true"` // present | late | absent
}

// MinuteEntryInput is the body of a minute entry.
type MinuteEntryInput struct {
	AgendaItemID string `json:"agenda_item_id"`
	Speaker      string `json:"speaker" required:"true"`
	SpeakerRole  string `json:"speaker_role"`
	CompanyID    string `json:"company_id"`
	Kind         string `json:"kind" enum:"speech,requirements,briefing,deployment,note" required:"true"`
	Text         string `json:"text" required:"true"`
	Supersedes   string `json:"supersedes"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// UpdateMinuteEntryInput holds the fields of a minute entry PATCH.
type UpdateMinuteEntryInput struct {
	Speaker     *string `json:"speaker"`
	SpeakerRole *string `json:"speaker_role"`
	Text        *string `json:"text"`
}

// ResolutionInput is the body of a resolution with its action items.
type ResolutionInput struct {
	Title        string            `json:"title" required:"true"`
	Text         string            `json:"text"`
	AgendaItemID string            `json:"agenda_item_id"`
	ActionItems  []ActionItemInput `json:"action_items"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// ActionItemInput is one action item of a resolution.
type ActionItemInput struct {
	Title          string `json:"title" required:"true"`
	OwnerKind      string `json:"owner_kind" enum:"company,district,person" required:"true"`
	OwnerCompanyID string `json:"owner_company_id"`
	OwnerName      string `json:"owner_name"`
	DueOn          string `json:"due_on" format:"date" required:"true"`
}

// ActionItemFilter narrows an action item list.
type ActionItemFilter struct {
	Status         string
	OwnerCompanyID string
	MeetingID      string
	VisitID        string
	Overdue        bool
	// Today is the date overdue is judged against; set by the service.
	Today string
}

// ActionItemStatusInput is the body of an action item status change.
type ActionItemStatusInput struct {
	Status string `json:"status" enum:"open,done,accepted" required:"true"`
}

// SignInput is the body of a convention signature.
type SignInput struct {
	CompanyID string `json:"company_id" required:"true"`
	SignedBy  string `json:"signed_by" required:"true"`
	// SignedAt defaults to now.
	SignedAt  *time.Time `json:"signed_at"`
	MeetingID string     `json:"meeting_id"`
	// ConventionVersion defaults to the current version.
	ConventionVersion string `json:"convention_version"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// SignatureFilter narrows a signature list.
type SignatureFilter struct {
	CompanyID         string
	ConventionVersion string
}
