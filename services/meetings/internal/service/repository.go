package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Repository is the storage the service needs. Reads go straight to it;
// every write goes through Tx (versioned.Update for a versioned row) so the
// change, its audit row and the events describing it commit together.
type Repository interface {
	Queries
	versioned.Transactions[Queries, Change]
}

// Queries reads and writes the meetings tables, inside or outside a
// transaction. Getters return the service's NotFound errors.
type Queries interface {
	GetMeeting(ctx context.Context, id string) (Meeting, error)
	ListMeetings(ctx context.Context, f MeetingFilter, page kitx.Page) ([]Meeting, string, error)
	InsertMeeting(ctx context.Context, m Meeting) error
	// WriteMeeting stores m over the stored meeting of version
	// m.Version-1, and is kitx.ErrEtagStale where that is not the stored
	// version. It is the Write of the meetings row: the service changes a
	// meeting through versioned (Update, In, Save), never directly.
	WriteMeeting(ctx context.Context, m Meeting) error
	// FillCounts sets m's invitation and attendance counts.
	FillCounts(ctx context.Context, m *Meeting) error
	// RoundtableStarts returns the start times of roundtables held (in
	// progress or closed) starting in [from, to).
	RoundtableStarts(ctx context.Context, from, to time.Time) ([]time.Time, error)

	ListAgenda(ctx context.Context, meetingID string) ([]AgendaItem, error)
	InsertAgendaItem(ctx context.Context, a AgendaItem) error
	UpdateAgendaItem(ctx context.Context, a AgendaItem) error

	InsertInvitation(ctx context.Context, inv Invitation) error
	GetInvitation(ctx context.Context, meetingID, id string) (Invitation, error)
	// InvitationByCode finds a meeting's invitation by its code's hash:
	// ErrInvitationNotFound if none.
	InvitationByCode(ctx context.Context, meetingID, codeHash string) (Invitation, error)
	ListInvitations(ctx context.Context, meetingID string, page kitx.Page) ([]Invitation, string, error)
	UpdateInvitation(ctx context.Context, inv Invitation) error
	// CompanyInvitations returns a company's invitations with their
	// meetings starting in [since, until), oldest first.
	CompanyInvitations(ctx context.Context, companyID string, since, until time.Time) ([]Invitation, []Meeting, error)

	GetMinuteEntry(ctx context.Context, meetingID, id string) (MinuteEntry, error)
	ListMinuteEntries(ctx context.Context, meetingID string) ([]MinuteEntry, error)
	InsertMinuteEntry(ctx context.Context, e MinuteEntry) error
	// WriteMinuteEntry is WriteMeeting for a draft minute entry (a
	// published one is never written: kitx.ErrEtagStale).
	WriteMinuteEntry(ctx context.Context, e MinuteEntry) error
	DeleteMinuteEntry(ctx context.Context, meetingID, id string) error
	// PublishDrafts marks a meeting's draft entries published in version
	// and returns how many it marked.
	PublishDrafts(ctx context.Context, meetingID string, version int) (int, error)
	InsertMinutesVersion(ctx context.Context, meetingID string, v MinutesVersion) error
	ListMinutesVersions(ctx context.Context, meetingID string) ([]MinutesVersion, error)

	GetResolution(ctx context.Context, id string) (Resolution, error)
	ListResolutions(ctx context.Context, meetingID string, page kitx.Page) ([]Resolution, string, error)
	InsertResolution(ctx context.Context, r Resolution) error

	GetActionItem(ctx context.Context, id string) (ActionItem, error)
	ListActionItems(ctx context.Context, f ActionItemFilter, page kitx.Page) ([]ActionItem, string, error)
	ActionItemsOf(ctx context.Context, resolutionID string) ([]ActionItem, error)
	InsertActionItem(ctx context.Context, a ActionItem) error
	// WriteActionItem is WriteMeeting for an action item.
	WriteActionItem(ctx context.Context, a ActionItem) error
	// DueActionItems lists open items due on or before day that were not
	// reminded on today.
	DueActionItems(ctx context.Context, day, today string, limit int) ([]ActionItem, error)
	// MarkReminded records that an item's reminder went out today; it
	// reports false if another run already did.
	MarkReminded(ctx context.Context, id, today string) (bool, error)

	InsertSignature(ctx context.Context, s Signature) error
	ListSignatures(ctx context.Context, f SignatureFilter, page kitx.Page) ([]Signature, string, error)
	// SignatureCounts returns the active companies (of the projection)
	// with a signature of version made while it was current, and the
	// active companies: the counts of rates.Convention.
	SignatureCounts(ctx context.Context, version string) (signed, companies int, err error)

	// GetCompany returns a company of the projection of membership's
	// events: ErrCompanyNotFound if the district has none of that id.
	GetCompany(ctx context.Context, id string) (Company, error)
	// PutCompany stores c unless the stored company's version is at
	// least c's (versions only move forward); it reports whether it did.
	PutCompany(ctx context.Context, c Company) (bool, error)

	// ActiveCompanies returns the projection's active companies in id order.
	ActiveCompanies(ctx context.Context) ([]Company, error)

	InsertFieldVisit(ctx context.Context, v FieldVisit) error
	GetFieldVisit(ctx context.Context, id string) (FieldVisit, error)
	ListFieldVisits(ctx context.Context, f FieldVisitFilter, page kitx.Page) ([]FieldVisit, string, error)
	// VisitsBetween returns the visits dated in [from, to) (YYYY-MM-DD),
	// without their points.
	VisitsBetween(ctx context.Context, from, to string) ([]FieldVisit, error)
	// LastVisits returns each visited company's latest visit date.
	LastVisits(ctx context.Context) (map[string]string, error)
	// ActionItemsOfVisit returns a visit's follow-ups in id order.
	ActionItemsOfVisit(ctx context.Context, visitID string) ([]ActionItem, error)

	InsertServiceItem(ctx context.Context, it ServiceItem) error
	GetServiceItem(ctx context.Context, id string) (ServiceItem, error)
	ListServiceItems(ctx context.Context, f ServiceItemFilter, page kitx.Page) ([]ServiceItem, string, error)
	// WriteServiceItem is WriteMeeting for a plan item (its milestones).
	WriteServiceItem(ctx context.Context, it ServiceItem) error
	// InsertBeneficiary is ErrBeneficiaryDuplicate for a company the item
	// already served.
	InsertBeneficiary(ctx context.Context, b Beneficiary) error
	// GetBeneficiary is ErrFeedbackNotBeneficiary for a company the item
	// did not serve.
	GetBeneficiary(ctx context.Context, itemID, companyID string) (Beneficiary, error)
	ListBeneficiaries(ctx context.Context, itemID string, f BeneficiaryFilter) ([]Beneficiary, error)
	// WriteBeneficiary stores a beneficiary's feedback over version-1.
	WriteBeneficiary(ctx context.Context, b Beneficiary) error

	audit.Queries
	idempotency.Queries
}

// Event types the meetings service emits: the constants of the proto package
// (each names its payload message in proto/guildhall/events/v1/meetings.proto)
// under the service's own names. The service layer builds no protobuf; it
// only names the types.
const (
	EventMeetingScheduled     = eventsv1.TypeMeetingScheduled
	EventMeetingUpdated       = eventsv1.TypeMeetingUpdated
	EventMeetingStatusChanged = eventsv1.TypeMeetingStatusChanged
	EventAttendanceRecorded   = eventsv1.TypeAttendanceRecorded
	EventMinutesPublished     = eventsv1.TypeMinutesPublished
	EventResolutionAdopted    = eventsv1.TypeResolutionAdopted
	EventActionItemCreated    = eventsv1.TypeActionItemCreated
	EventActionItemStatus     = eventsv1.TypeActionItemStatusChanged
	EventActionItemReminder   = eventsv1.TypeActionItemReminder
	EventConventionSigned     = eventsv1.TypeConventionSigned

	EventFieldVisitRecorded      = eventsv1.TypeFieldVisitRecorded
	EventServiceItemCreated      = eventsv1.TypeServicePlanItemCreated
	EventServiceMilestoneDone    = eventsv1.TypeServicePlanMilestoneDone
	EventServiceBeneficiaryAdded = eventsv1.TypeServiceBeneficiaryAdded
	EventServiceFeedbackGiven    = eventsv1.TypeServiceFeedbackGiven
)

// Change is a domain change the repository publishes as an event: the
// aggregate's snapshot after the change plus what the event type needs.
type Change struct {
	Type       string
	Meeting    *Meeting
	Invitation *Invitation
	Resolution *Resolution
	ActionItem *ActionItem
	Signature  *Signature
	// Visit, ServiceItem and Beneficiary are the field-visit and
	// practical-services changes' aggregates (issue 17).
	Visit       *FieldVisit
	ServiceItem *ServiceItem
	Beneficiary *Beneficiary

	FromStatus, ToStatus string   // MeetingStatusChanged, ActionItemStatusChanged
	By                   string   // ActionItemStatusChanged
	Fields               []string // MeetingUpdated
	MinutesVersion       int      // MinutesPublished
	Entries              int      // MinutesPublished
	Overdue              bool     // ActionItemReminder
	Days                 int      // ActionItemReminder
	Milestone            int      // ServicePlanMilestoneDone (1-based)
	Changed              bool     // ServiceFeedbackGiven: a change of earlier feedback
}

// Edit is what an update's closure reports: the change's audit row and
// events, or nothing (the zero Edit) when it changed nothing.
type Edit = versioned.Edit[Change]

// The versioned rows of the service: how versioned reads, writes and
// versions each kind. Every write that changes one of them (every PATCH,
// every status change, every change to a meeting's parts) goes through
// versioned, so a version is checked, bumped and written in one place.
var (
	meetings = versioned.Row[Queries, Meeting]{
		Get: Queries.GetMeeting, Write: Queries.WriteMeeting,
		Version:   func(m *Meeting) *int64 { return &m.Version },
		UpdatedAt: func(m *Meeting) *time.Time { return &m.UpdatedAt },
	}
	actionItems = versioned.Row[Queries, ActionItem]{
		Get: Queries.GetActionItem, Write: Queries.WriteActionItem,
		Version:   func(a *ActionItem) *int64 { return &a.Version },
		UpdatedAt: func(a *ActionItem) *time.Time { return &a.UpdatedAt },
	}
	serviceItems = versioned.Row[Queries, ServiceItem]{
		Get: Queries.GetServiceItem, Write: Queries.WriteServiceItem,
		Version:   func(it *ServiceItem) *int64 { return &it.Version },
		UpdatedAt: func(it *ServiceItem) *time.Time { return &it.UpdatedAt },
	}
)

// draftEntries is the versioned row of meeting meetingID's minute entries.
// It refuses a published entry (ErrMinuteEntryPublished) as it reads it,
// whatever the If-Match: a published entry never changes, and no version
// a client could send would make it.
func draftEntries(meetingID string) versioned.Row[Queries, MinuteEntry] {
	return versioned.Row[Queries, MinuteEntry]{
		Get: func(q Queries, ctx context.Context, id string) (MinuteEntry, error) {
			e, err := q.GetMinuteEntry(ctx, meetingID, id)
			if err == nil && e.PublishedIn > 0 {
				return MinuteEntry{}, ErrMinuteEntryPublished
			}
			return e, err
		},
		Write:     Queries.WriteMinuteEntry,
		Version:   func(e *MinuteEntry) *int64 { return &e.Version },
		UpdatedAt: func(e *MinuteEntry) *time.Time { return &e.UpdatedAt },
	}
}
