package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Repository is the storage the service needs. Reads go straight to it;
// every write goes through Tx so the change, its audit row and the events
// describing it commit together.
type Repository interface {
	Queries
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
}

// Queries reads and writes the patrols tables, inside or outside a
// transaction. Getters return the service's NotFound errors.
type Queries interface {
	// GetGuard returns a guard of the projection: ErrGuardUnknown if none.
	GetGuard(ctx context.Context, id string) (Guard, error)
	// PutGuard stores g unless the stored guard's version is at least g's
	// (versions only move forward); it reports whether it did.
	PutGuard(ctx context.Context, g Guard) (bool, error)

	InsertTeam(ctx context.Context, t Team) error
	GetTeam(ctx context.Context, id string) (Team, error)
	ListTeams(ctx context.Context, page kitx.Page) ([]Team, string, error)
	// TouchTeam stores the team's new version (t.Version, over
	// t.Version-1) and member counts.
	TouchTeam(ctx context.Context, t *Team) error
	TeamMembers(ctx context.Context, teamID string) ([]Member, error)
	// PutMember inserts or replaces a membership.
	PutMember(ctx context.Context, m Member) error
	// MembershipsOf returns a guard's memberships.
	MembershipsOf(ctx context.Context, guardID string) ([]Member, error)
	// MemberGuards returns the ids of the guards with a membership.
	MemberGuards(ctx context.Context) ([]string, error)

	InsertArea(ctx context.Context, a Area) error
	GetArea(ctx context.Context, id string) (Area, error)
	ListAreas(ctx context.Context, page kitx.Page) ([]Area, string, error)
	InsertCheckpoint(ctx context.Context, c Checkpoint) error
	GetCheckpoint(ctx context.Context, id string) (Checkpoint, error)
	// CheckpointByTag returns the checkpoint of a tag: ErrScanTagUnknown
	// if none.
	CheckpointByTag(ctx context.Context, tag string) (Checkpoint, error)
	ListCheckpoints(ctx context.Context, areaID string) ([]Checkpoint, error)

	InsertPlan(ctx context.Context, p Plan) error
	GetPlan(ctx context.Context, id string) (Plan, error)
	ListPlans(ctx context.Context, page kitx.Page) ([]Plan, string, error)
	// PlansOverlapping returns the plans (of areaID, or of every area
	// when empty) whose period overlaps [from, to).
	PlansOverlapping(ctx context.Context, areaID string, from, to time.Time) ([]Plan, error)
	InsertShift(ctx context.Context, s Shift) error
	GetShift(ctx context.Context, id string) (Shift, error)
	ListShifts(ctx context.Context, planID string) ([]Shift, error)
	// ShiftsOverlapping returns the shifts (of areaID, or every area)
	// overlapping [from, to), with their assigned counts.
	ShiftsOverlapping(ctx context.Context, areaID string, from, to time.Time) ([]Shift, error)
	// TouchShift stores the shift's new version (over s.Version-1).
	TouchShift(ctx context.Context, s *Shift) error

	InsertAssignment(ctx context.Context, a Assignment) error
	// DeleteAssignment removes a guard from a shift.
	DeleteAssignment(ctx context.Context, shiftID, guardID string) error
	// GuardShiftsOverlapping returns the ids of the shifts the guard is
	// assigned to that overlap [from, to).
	GuardShiftsOverlapping(ctx context.Context, guardID string, from, to time.Time) ([]string, error)
	// GuardShiftsAfter returns the shifts the guard is assigned to that
	// start after t.
	GuardShiftsAfter(ctx context.Context, guardID string, t time.Time) ([]Shift, error)
	// GetAssignment returns a guard's assignment to a shift:
	// ErrAssignmentNotFound if none.
	GetAssignment(ctx context.Context, shiftID, guardID string) (Assignment, error)
	// PersonAssignments returns this district's assignments of the guards
	// whose id_hash is person to shifts overlapping [from, to).
	PersonAssignments(ctx context.Context, person string, from, to time.Time) ([]LocalBooking, error)
	// PutForeignBooking stores (or replaces) another district's assignment.
	PutForeignBooking(ctx context.Context, b ForeignBooking) error
	// DeleteForeignBooking forgets one.
	DeleteForeignBooking(ctx context.Context, district, shiftID, guardID string) error
	// PruneForeignBookings forgets the ones that ended before t; it
	// returns how many.
	PruneForeignBookings(ctx context.Context, t time.Time) (int, error)
	// ForeignBookingsOf returns the other districts' assignments of person
	// overlapping [from, to).
	ForeignBookingsOf(ctx context.Context, person string, from, to time.Time) ([]ForeignBooking, error)
	// InsertBookingConflict stores a double booking found unless the pair
	// of assignments has one; it reports whether it did.
	InsertBookingConflict(ctx context.Context, c BookingConflict) (bool, error)
	// ScanShifts returns the shifts whose route has the checkpoint and
	// whose [start - grace, end + grace] holds t, each with whether guardID
	// is assigned to it.
	ScanShifts(ctx context.Context, checkpointID, guardID string, t time.Time, grace time.Duration) ([]ScanShift, error)

	// ScanByDevice returns the scan a device recorded under seq, if any.
	ScanByDevice(ctx context.Context, deviceID string, seq int64) (Scan, bool, error)
	// ScanNear reports whether the guard has an accepted scan of the
	// checkpoint in the open interval (t - d, t + d).
	ScanNear(ctx context.Context, guardID, checkpointID string, t time.Time, d time.Duration) (bool, error)
	InsertScan(ctx context.Context, s Scan) error
	ShiftScans(ctx context.Context, shiftID string) ([]Scan, error)

	// TourCandidates returns the (shift, guard) assignments of shifts that
	// started by startedBy, with their first accepted scan, their accepted
	// scans counted and the anomalies they have.
	TourCandidates(ctx context.Context, startedBy time.Time) ([]TourState, error)
	// InsertMissedTour stores an anomaly unless the shift, guard and kind
	// have one; it reports whether it did.
	InsertMissedTour(ctx context.Context, m MissedTour) (bool, error)
	// ListMissedTours lists the anomalies not withdrawn.
	ListMissedTours(ctx context.Context, kind, shiftID string, page kitx.Page) ([]MissedTour, string, error)
	// LiveMissedTours returns a guard's anomalies of a shift not withdrawn.
	LiveMissedTours(ctx context.Context, shiftID, guardID string) ([]MissedTour, error)
	// WithdrawMissedTour marks an anomaly withdrawn at t.
	WithdrawMissedTour(ctx context.Context, id string, t time.Time) error
	// GuardShiftScans returns a guard's first accepted scan of a shift
	// (zero: none) and how many there are.
	GuardShiftScans(ctx context.Context, shiftID, guardID string) (time.Time, int, error)
	// WorkedShifts returns, per guard, the shifts overlapping [from, to)
	// the guard has an accepted scan in.
	WorkedShifts(ctx context.Context, from, to time.Time) ([]WorkedShift, error)

	// OnDutyTeams returns, per team with an active member on a shift
	// running at t, the shift's key area (one row per team and area).
	OnDutyTeams(ctx context.Context, t time.Time) ([]OnDuty, error)
	InsertDispatch(ctx context.Context, d Dispatch) error
	GetDispatch(ctx context.Context, id string) (Dispatch, error)
	// WriteDispatch stores d over version d.Version-1.
	WriteDispatch(ctx context.Context, d Dispatch) error
	ListDispatches(ctx context.Context, status string, page kitx.Page) ([]Dispatch, string, error)
	// OpenDispatches returns the requests not closed.
	OpenDispatches(ctx context.Context) ([]Dispatch, error)
	InsertIncident(ctx context.Context, inc Incident) error
	GetIncident(ctx context.Context, id string) (Incident, error)
	// WriteIncident stores inc over version inc.Version-1.
	WriteIncident(ctx context.Context, inc Incident) error
	ListIncidents(ctx context.Context, page kitx.Page) ([]Incident, string, error)

	audit.Queries
	idempotency.Queries
}

// ScanShift is a shift a scan may count for.
type ScanShift struct {
	Shift
	GuardAssigned bool
}

// TourState is an assignment the missed-tour sweep judges.
type TourState struct {
	Shift         Shift
	GuardID       string
	FirstScan     time.Time // the first accepted scan's time; zero: none
	Scans         int       // every accepted scan
	HasNotStarted bool
	HasNotFinish  bool
}

// WorkedShift is a guard's shift with at least one accepted scan.
type WorkedShift struct {
	GuardID  string
	ShiftID  string
	StartsAt time.Time
	EndsAt   time.Time
}

// Event types the patrols service emits: the constants of the proto package
// (each names its payload message in proto/guildhall/events/v1/patrols.proto).
const (
	EventTeamCreated              = eventsv1.TypeTeamCreated
	EventTeamMemberJoined         = eventsv1.TypeTeamMemberJoined
	EventTeamMemberSuspended      = eventsv1.TypeTeamMemberSuspended
	EventTeamMemberReinstated     = eventsv1.TypeTeamMemberReinstated
	EventKeyAreaCreated           = eventsv1.TypeKeyAreaCreated
	EventCheckpointCreated        = eventsv1.TypeCheckpointCreated
	EventPatrolPlanCreated        = eventsv1.TypePatrolPlanCreated
	EventPatrolShiftCreated       = eventsv1.TypePatrolShiftCreated
	EventShiftAssigned            = eventsv1.TypeShiftAssigned
	EventShiftAssignmentCancelled = eventsv1.TypeShiftAssignmentCancelled
	EventCheckpointScanned        = eventsv1.TypeCheckpointScanned
	EventMissedTour               = eventsv1.TypeMissedTour
	EventDispatchRaised           = eventsv1.TypeDispatchRaised
	EventDispatchOffered          = eventsv1.TypeDispatchOffered
	EventDispatchStep             = eventsv1.TypeDispatchStep
	EventDispatchEscalated        = eventsv1.TypeDispatchEscalated
	EventDispatchTargetBreached   = eventsv1.TypeDispatchTargetBreached
	EventIncidentReported         = eventsv1.TypeIncidentReported
	EventIncidentUpdated          = eventsv1.TypeIncidentUpdated
	EventDoubleBookingResolved    = eventsv1.TypeDoubleBookingResolved
	EventMissedTourWithdrawn      = eventsv1.TypeMissedTourWithdrawn
)
