package service

// The Meetings type: the service of one district, its options and the
// helpers every part of it uses. Each part of the service is a file of its
// own: meeting.go, agenda.go, attendance.go (invitations and check-in),
// minutes.go, actionitems.go (resolutions and action items), convention.go,
// cadence.go (roundtable cadence) and idempotency.go.

import (
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Local is the association's time zone (policy.Zone): due dates, "today"
// for overdue items and reminders, and roundtable periods are China
// Standard Time dates, whatever the server's zone.
var Local = policy.Zone

// Options are the service's tunables; zero fields take the defaults.
type Options struct {
	// CheckInGrace is how long after a meeting's end its check-in codes
	// still work (default 2h): a meeting may overrun.
	CheckInGrace time.Duration
	// LateAfter is how long after the start a check-in counts as late
	// (default 10 minutes).
	LateAfter time.Duration
	// ReminderLead is how many days before its due date an open action
	// item starts to be reminded (default 3).
	ReminderLead int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// VisitPlan returns the live field-visit plan (default
	// policy.DefaultVisitPlan).
	VisitPlan func() VisitPlan
}

// Meetings implements Service for one district and runs its background work
// (reminders, idempotency-key expiry).
type Meetings struct {
	// Log records the service's writes and lists them (ListAudit).
	audit.Log
	district   string
	repo       Repository
	convention func() Convention
	cadence    func() Cadence
	visitPlan  func() VisitPlan
	logger     *slog.Logger
	now        func() time.Time
	opt        Options
}

// New returns the meetings service of district. convention and cadence
// return the live city-wide convention and the district's roundtable
// cadence (config.Value.Load in production).
func New(district string, repo Repository, convention func() Convention, cadence func() Cadence, logger *slog.Logger, o Options) *Meetings {
	if o.CheckInGrace <= 0 {
		o.CheckInGrace = 2 * time.Hour
	}
	if o.LateAfter <= 0 {
		o.LateAfter = 10 * time.Minute
	}
	if o.ReminderLead <= 0 {
		o.ReminderLead = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.VisitPlan == nil {
		o.VisitPlan = func() VisitPlan { return policy.DefaultVisitPlan }
	}
	return &Meetings{Log: audit.NewLog(o.Now, repo), district: district, repo: repo, convention: convention, cadence: cadence,
		visitPlan: o.VisitPlan, logger: logger, now: o.Now, opt: o}
}

var _ Service = (*Meetings)(nil)

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("meetings: new id: %w", err)
	}
	return id.String(), nil
}

// runeLen is the length of s in characters (the limits are for Chinese text).
func runeLen(s string) int { return utf8.RuneCountInString(s) }

func today(t time.Time) string { return t.In(Local).Format(time.DateOnly) }
