// Package service is the patrols service's business layer: volunteer-police
// teams (江城义警) drawn from membership's guards and gated on their
// records, key areas and checkpoints, patrol plans with shifts and
// assignments, and checkpoint scans as proof of presence. It validates
// every request before anything is written and hands each change to the
// repository with the domain change it reports, so the state change, its
// audit row and its outbox event commit together.
package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Service is the patrols API of one district.
type Service interface {
	// CreateTeam creates a volunteer team; its leader joins it as its
	// first member, gated like any member.
	CreateTeam(ctx context.Context, in CreateTeamInput) (Team, error)
	// ListTeams lists the district's teams in id order.
	ListTeams(ctx context.Context, page kitx.Page) ([]Team, string, error)
	// GetTeam returns a team with its members.
	GetTeam(ctx context.Context, id string) (Team, error)
	// JoinTeam adds a guard to a team if the roster's conditions hold.
	JoinTeam(ctx context.Context, teamID string, in JoinInput) (Member, error)
	// GuardEligibility says whether a guard may join a team today, and if
	// not, every reason.
	GuardEligibility(ctx context.Context, guardID string) (Eligibility, error)

	// CreateArea creates a key area.
	CreateArea(ctx context.Context, in AreaInput) (Area, error)
	// ListAreas lists the key areas in id order.
	ListAreas(ctx context.Context, page kitx.Page) ([]Area, string, error)
	// GetArea returns one key area.
	GetArea(ctx context.Context, id string) (Area, error)
	// CreateCheckpoint adds a checkpoint to a key area; its tag value is
	// in this answer only.
	CreateCheckpoint(ctx context.Context, areaID string, in CheckpointInput) (Checkpoint, error)
	// ListCheckpoints lists an area's checkpoints.
	ListCheckpoints(ctx context.Context, areaID string) ([]Checkpoint, error)

	// CreatePlan creates a patrol plan for a period and an area.
	CreatePlan(ctx context.Context, in PlanInput) (Plan, error)
	// ListPlans lists the plans in id order.
	ListPlans(ctx context.Context, page kitx.Page) ([]Plan, string, error)
	// GetPlan returns a plan with its fill rate.
	GetPlan(ctx context.Context, id string) (Plan, error)
	// CreateShift adds a shift to a plan.
	CreateShift(ctx context.Context, planID string, in ShiftInput) (Shift, error)
	// ListShifts lists a plan's shifts by start.
	ListShifts(ctx context.Context, planID string) ([]Shift, error)
	// Assign assigns a team member to a shift.
	Assign(ctx context.Context, shiftID string, in AssignInput) (Assignment, error)
	// Withdraw withdraws a guard's assignment to a shift by hand.
	Withdraw(ctx context.Context, shiftID, guardID string) error
	// Coverage returns the required, staffed and missing person-minutes per
	// key area and hour of [from, to).
	Coverage(ctx context.Context, areaID string, from, to time.Time) (CoverageReport, error)

	// RecordScan records one online scan.
	RecordScan(ctx context.Context, in ScanInput) (ScanResult, error)
	// UploadScans records an offline batch, each scan judged on its own.
	UploadScans(ctx context.Context, in BatchInput) (BatchResult, error)
	// ShiftReport returns a shift's scans, per guard, with its anomalies.
	ShiftReport(ctx context.Context, shiftID string) (ShiftReport, error)
	// PatrolHours sums the hours of shifts with accepted scans in [from, to).
	PatrolHours(ctx context.Context, from, to time.Time) (HoursReport, error)
	// ListMissedTours lists the missed-tour anomalies, newest first.
	ListMissedTours(ctx context.Context, kind string, page kitx.Page) ([]MissedTour, string, error)

	// ListAudit lists the service's audit log, newest first.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)
}

// Guard is the projection of a membership guard: what the roster's
// conditions read. Versions only move forward.
type Guard struct {
	ID                    string
	CompanyID             string
	EmploymentStatus      string
	VolunteerPolice       bool
	HasCertificate        bool
	CertificateValidUntil string
	BackgroundCheckStatus string
	// IDHash is membership's id_hash: the person the record stands for,
	// the same in every district ("" when membership sent none).
	IDHash  string
	Version int64
}

// Membership's values the roster reads.
const (
	EmploymentActive = "active"
	BackgroundPassed = "passed"
)

// Team member statuses.
const (
	MemberActive    = "active"
	MemberSuspended = "suspended"
)

// Team is a volunteer-police team (江城义警).
type Team struct {
	ID               string    `json:"id"`
	District         string    `json:"district"`
	Name             string    `json:"name"`
	CompanyID        string    `json:"company_id" doc:"the company whose team it is; empty for a district team pooling every company's volunteers"`
	LeaderGuardID    string    `json:"leader_guard_id"`
	ActiveMembers    int       `json:"active_members"`
	SuspendedMembers int       `json:"suspended_members"`
	Members          []Member  `json:"members,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int64     `json:"version"`
}

// Member is a guard's membership of a team.
type Member struct {
	TeamID    string    `json:"team_id"`
	GuardID   string    `json:"guard_id"`
	CompanyID string    `json:"company_id"`
	Status    string    `json:"status" enum:"active,suspended"`
	Reasons   []string  `json:"reasons" doc:"while suspended: the error ids of the conditions the guard fails"`
	JoinedAt  time.Time `json:"joined_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Eligibility is a guard's standing against the roster's conditions.
type Eligibility struct {
	GuardID  string   `json:"guard_id"`
	Eligible bool     `json:"eligible"`
	Reasons  []string `json:"reasons" doc:"the error ids of every condition the guard fails, in a fixed order"`
	AsOf     string   `json:"as_of" format:"date" doc:"the Asia/Shanghai date the certificate was judged on"`
}

// CreateTeamInput creates a team.
type CreateTeamInput struct {
	Name          string `json:"name" required:"true"`
	CompanyID     string `json:"company_id" doc:"empty: a district team"`
	LeaderGuardID string `json:"leader_guard_id" required:"true"`
	kitx.Idempotent
}

// JoinInput adds a guard to a team.
type JoinInput struct {
	GuardID string `json:"guard_id" required:"true"`
}

// Area shapes.
const (
	ShapePolygon = "polygon"
	ShapeCircle  = "circle"
)

// Area is a key area (重点区域). Coordinates are WGS-84; the *_gcj02 fields
// are the same points in GCJ-02 for drawing on Chinese map tiles.
type Area struct {
	ID            string    `json:"id"`
	District      string    `json:"district"`
	Name          string    `json:"name"`
	Shape         string    `json:"shape" enum:"polygon,circle"`
	Polygon       []LatLng  `json:"polygon,omitempty"`
	PolygonGCJ02  []LatLng  `json:"polygon_gcj02,omitempty"`
	Center        *LatLng   `json:"center,omitempty"`
	CenterGCJ02   *LatLng   `json:"center_gcj02,omitempty"`
	RadiusM       float64   `json:"radius_m,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	CheckpointIDs []string  `json:"checkpoint_ids"`
}

// AreaInput creates a key area, in the coordinates of CRS.
type AreaInput struct {
	Name    string   `json:"name" required:"true"`
	Shape   string   `json:"shape" enum:"polygon,circle" required:"true"`
	CRS     string   `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of the points sent: wgs84 (GPS; the default) or gcj02 (picked on AMap/Tencent tiles), converted to WGS-84 before they are stored"`
	Polygon []LatLng `json:"polygon"`
	Center  *LatLng  `json:"center"`
	RadiusM float64  `json:"radius_m"`
	kitx.Idempotent
}

// Checkpoint tag kinds.
const (
	TagQR  = "qr"
	TagNFC = "nfc"
)

// Checkpoint is a place in a key area a guard scans.
type Checkpoint struct {
	ID            string    `json:"id"`
	District      string    `json:"district"`
	AreaID        string    `json:"area_id"`
	Name          string    `json:"name"`
	TagKind       string    `json:"tag_kind" enum:"qr,nfc"`
	TagValue      string    `json:"tag_value,omitempty" doc:"the tag's value, in the create's answer only: it is what a scan proves presence with"`
	Location      LatLng    `json:"location"`
	LocationGCJ02 LatLng    `json:"location_gcj02"`
	CreatedAt     time.Time `json:"created_at"`
}

// CheckpointInput creates a checkpoint.
type CheckpointInput struct {
	Name     string `json:"name" required:"true"`
	TagKind  string `json:"tag_kind" enum:"qr,nfc" required:"true"`
	TagValue string `json:"tag_value" required:"true"`
	CRS      string `json:"crs" enum:"wgs84,gcj02" doc:"the coordinate system of location (default wgs84)"`
	Location LatLng `json:"location" required:"true"`
	kitx.Idempotent
}

// Plan is a patrol plan for a period and a key area (节假日巡防).
type Plan struct {
	ID        string    `json:"id"`
	District  string    `json:"district"`
	Name      string    `json:"name"`
	AreaID    string    `json:"area_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Shifts    int       `json:"shifts"`
	Required  int       `json:"required" doc:"the headcount the shifts require, summed"`
	Staffed   int       `json:"staffed" doc:"assignments up to each shift's required headcount, summed"`
	FillRate  *float64  `json:"fill_rate" nullable:"true" doc:"staffed / required; null for a plan without shifts"`
	CreatedAt time.Time `json:"created_at"`
}

// PlanInput creates a plan.
type PlanInput struct {
	Name     string    `json:"name" required:"true"`
	AreaID   string    `json:"area_id" required:"true"`
	StartsAt time.Time `json:"starts_at" required:"true"`
	EndsAt   time.Time `json:"ends_at" required:"true"`
	kitx.Idempotent
}

// Shift is a shift of a plan.
type Shift struct {
	ID            string    `json:"id"`
	PlanID        string    `json:"plan_id"`
	AreaID        string    `json:"area_id"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Required      int       `json:"required"`
	Assigned      int       `json:"assigned"`
	Route         []string  `json:"route" doc:"the checkpoint ids of the tour, in order"`
	ExpectedScans int       `json:"expected_scans" doc:"accepted scans each assigned guard should make; fewer by end + grace is a missed tour"`
	GuardIDs      []string  `json:"guard_ids"`
	Version       int64     `json:"version"`
}

// ShiftInput creates a shift.
type ShiftInput struct {
	StartsAt      time.Time `json:"starts_at" required:"true"`
	EndsAt        time.Time `json:"ends_at" required:"true"`
	Required      int       `json:"required" required:"true"`
	Route         []string  `json:"route" required:"true"`
	ExpectedScans int       `json:"expected_scans"`
	kitx.Idempotent
}

// Assignment is a guard on a shift.
type Assignment struct {
	ShiftID    string    `json:"shift_id"`
	GuardID    string    `json:"guard_id"`
	TeamID     string    `json:"team_id"`
	AssignedAt time.Time `json:"assigned_at"`
	Shift      Shift     `json:"shift"`
}

// AssignInput assigns a guard to a shift.
type AssignInput struct {
	GuardID string `json:"guard_id" required:"true"`
	TeamID  string `json:"team_id" doc:"the team the guard serves with; empty: the first team the guard is an active member of"`
}

// Missed-tour kinds.
const (
	TourNotStarted  = "not_started"
	TourNotFinished = "not_finished"
)

// MissedTour is a missed-tour anomaly.
type MissedTour struct {
	ID            string    `json:"id"`
	ShiftID       string    `json:"shift_id"`
	PlanID        string    `json:"plan_id"`
	GuardID       string    `json:"guard_id"`
	Kind          string    `json:"kind" enum:"not_started,not_finished"`
	Scans         int       `json:"scans"`
	ExpectedScans int       `json:"expected_scans"`
	RaisedAt      time.Time `json:"raised_at"`
}

// Change is one domain change the store turns into an outbox event.
type Change struct {
	Type       string
	Team       *Team
	GuardID    string
	CompanyID  string
	Reasons    []string
	Notify     string
	Dropped    int
	Area       *Area
	Checkpoint *Checkpoint
	Plan       *Plan
	Shift      *Shift
	TeamID     string
	Reason     string
	Scan       *Scan
	Missed     *MissedTour
	Dispatch   *Dispatch
	Incident   *Incident
	Offer      *Offer
	OfferNo    int
	By         string
	Note       string
	TargetS    int64
	// Person and AssignedAt describe an assignment to other districts
	// (ShiftAssigned, ShiftAssignmentCancelled).
	Person     string
	AssignedAt time.Time
	// Conflict is a cross-district double booking found
	// (DoubleBookingResolved); ConflictDistrict and ConflictShiftID name
	// the other assignment of a ShiftAssignmentCancelled it caused.
	Conflict         *BookingConflict
	ConflictDistrict string
	ConflictShiftID  string
	// Withdrawn is a missed tour withdrawn (MissedTourWithdrawn) at At,
	// the guard having Scans accepted scans of the shift now.
	Withdrawn *MissedTour
	At        time.Time
	Scans     int
}
