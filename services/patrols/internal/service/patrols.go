package service

// The Patrols type: the service of one district, its options and the
// helpers every part of it uses. Each part is a file of its own: roster.go
// (teams and their gating), areas.go, plans.go (plans, shifts,
// assignments), coverage.go, scans.go (proof of presence), tours.go
// (missed tours, patrol hours).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Local is the association's time zone (policy.Zone): a certificate's last
// valid day is an Asia/Shanghai date, whatever the server's zone.
var Local = policy.Zone

// Rules are the live patrol rules (policy.Patrols, at policy.PatrolsKey).
type Rules = policy.Patrols

// Options are the service's tunables; zero fields take the defaults.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Patrols implements Service for one district and runs its background work
// (the roster's day-rollover re-gating, missed tours).
type Patrols struct {
	// Log records the service's writes and lists them (ListAudit).
	audit.Log
	district string
	repo     Repository
	rules    func() Rules
	logger   *slog.Logger
	now      func() time.Time

	dispatchRules func() DispatchRules
	observer      DispatchObserver
}

// New returns the patrols service of district. rules returns the live
// patrol rules (config.Value.Load in production).
func New(district string, repo Repository, rules func() Rules, logger *slog.Logger, o Options) *Patrols {
	if o.Now == nil {
		o.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Patrols{Log: audit.NewLog(o.Now, repo), district: district, repo: repo, rules: rules, logger: logger, now: o.Now}
}

var _ Service = (*Patrols)(nil)

// Audit actions and resources.
const (
	ActionTeamCreate       = "team.create"
	ActionTeamJoin         = "team.join"
	ActionAreaCreate       = "area.create"
	ActionCheckpointCreate = "checkpoint.create"
	ActionPlanCreate       = "plan.create"
	ActionShiftCreate      = "shift.create"
	ActionAssign           = "shift.assign"
	ActionMemberSuspend    = "team.member_suspend"
	ActionMemberReinstate  = "team.member_reinstate"
	ActionMissedTour       = "missed_tour.raise"
	ActionWithdraw         = "shift.withdraw"
	ActionMissedWithdraw   = "missed_tour.withdraw"

	ResourceTeam       = "team"
	ResourceArea       = "key_area"
	ResourceCheckpoint = "checkpoint"
	ResourcePlan       = "plan"
	ResourceShift      = "shift"
)

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("patrols: new id: %w", err)
	}
	return id.String(), nil
}

// today is the Asia/Shanghai date of t.
func today(t time.Time) string { return t.In(Local).Format(time.DateOnly) }

// text checks a required one-line text of at most max characters.
func text(s string, max int, bad error) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > max {
		return "", bad
	}
	if err := kitx.SingleLine(fieldOf(bad), s); err != nil {
		return "", err
	}
	return s, nil
}

// fieldOf is the field an error names, for kitx.SingleLine.
func fieldOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// idLike checks an id sent in a request: 1 to 64 characters.
func idLike(s string) bool { return s != "" && len(s) <= 64 }

// IdempotencyTTL is how long an Idempotency-Key replays its first result.
const IdempotencyTTL = idempotency.TTL

// ExpireIdempotencyKeys deletes keys older than IdempotencyTTL.
func (s *Patrols) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repo.ExpireIdempotency(ctx, s.now().Add(-IdempotencyTTL))
}

// idempotent runs a create once per (scope, key) through pkg/idempotency.
func idempotent[T any](ctx context.Context, s *Patrols, scope, key string, in any, create func(q Queries) (T, []Change, error)) (T, error) {
	req := idempotency.Request{Scope: scope, Key: key, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, func(v T) any { return v })
}
