package service

import (
	"context"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// ExpiryCheckInterval is how often RunCertificateExpiry looks for
// certificates entering the expiry window. The window moves once a day
// (at 00:00 Asia/Shanghai); checking hourly announces a certificate within
// an hour of the day it enters, and the notices table makes every check
// after the first of the day a no-op.
const ExpiryCheckInterval = time.Hour

// expiryBatch is how many certificates one announcement transaction takes.
const expiryBatch = 200

// WithCertificateExpiry sets where the service reads the city-wide expiry
// window (config.Value.Load of policy.CertificateExpiryKey in production);
// without it the window is policy.DefaultCertificateExpiry.
func WithCertificateExpiry(load func() policy.CertificateExpiry) Option {
	return func(m *Membership) { m.expiry = load }
}

// ExpiringFilter narrows the list of expiring certificates.
type ExpiringFilter struct {
	// CompanyID, if set, lists only that company's guards.
	CompanyID string
	// WithinDays is the window in days; 0 takes the city-wide policy.
	WithinDays int
}

// window returns the expiry window in days.
func (s *Membership) window() int {
	if s.expiry != nil {
		if w := s.expiry(); w.Validate() == nil {
			return w.WindowDays
		}
	}
	return policy.DefaultCertificateExpiry.WindowDays
}

// shanghaiDay returns the service's day (YYYY-MM-DD, Asia/Shanghai) and
// the day n days after it.
func (s *Membership) shanghaiDay(n int) (day, until string) {
	t := s.now().In(policy.Zone)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, policy.Zone)
	return d.Format(dateLayout), d.AddDate(0, 0, n).Format(dateLayout)
}

// ListExpiringCertificates implements Service: the active guards whose
// certificate's last valid day is today or within the window (f.WithinDays,
// else the city-wide policy), in id order. A lapsed certificate is not
// expiring: the guard list's certificate=none finds it.
func (s *Membership) ListExpiringCertificates(ctx context.Context, f ExpiringFilter, page kitx.Page) ([]Guard, string, error) {
	if f.WithinDays < 0 || f.WithinDays > policy.MaxCertificateExpiryDays {
		return nil, "", ErrExpiringWithinInvalid
	}
	if f.WithinDays == 0 {
		f.WithinDays = s.window()
	}
	if f.CompanyID != "" {
		if _, err := s.repo.GetCompany(ctx, f.CompanyID); err != nil {
			return nil, "", err
		}
	}
	from, to := s.shanghaiDay(f.WithinDays)
	items, next, err := s.repo.ListGuards(ctx, GuardFilter{CompanyID: f.CompanyID, EmploymentStatus: EmploymentActive,
		ValidUntilFrom: from, ValidUntilTo: to, Day: from}, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.presentFor(ctx, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// AnnounceExpiringCertificates emits one CertificateExpiring event for each
// active guard's certificate whose last valid day is within the window of
// today (Asia/Shanghai) and that has not been announced for that number and
// valid_until. The notice row and its event commit together, and a notice
// already there makes the insert a no-op, so a second run the same day, a
// restart or a second node on the database emits nothing twice; a renewal
// (a new valid_until) is announced again when it nears its end. It returns
// how many it announced. No audit row: it changes no record.
func (s *Membership) AnnounceExpiringCertificates(ctx context.Context) (int, error) {
	day, until := s.shanghaiDay(s.window())
	today, err := time.ParseInLocation(dateLayout, day, policy.Zone)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		batch, err := s.repo.UnannouncedExpiring(ctx, day, until, expiryBatch)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		n := 0
		err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			var changes []Change
			for i := range batch {
				// Re-read in the transaction: a renewal or a leaving
				// since the query is not announced with the old data.
				g, err := q.GetGuard(ctx, batch[i].ID)
				if err != nil {
					return nil, err
				}
				if g.EmploymentStatus != EmploymentActive || g.CertificateNumber != batch[i].CertificateNumber ||
					g.CertificateValidUntil != batch[i].CertificateValidUntil {
					continue
				}
				fresh, err := q.RecordExpiryNotice(ctx, g.ID, g.CertificateNumber, g.CertificateValidUntil, day)
				if err != nil {
					return nil, err
				}
				if !fresh {
					continue
				}
				end, err := time.ParseInLocation(dateLayout, g.CertificateValidUntil, policy.Zone)
				if err != nil {
					return nil, fmt.Errorf("membership: guard %s: valid_until %q: %w", g.ID, g.CertificateValidUntil, err)
				}
				changes = append(changes, Change{Type: EventCertificateExpiring, Guard: &g, ValidUntil: g.CertificateValidUntil,
					WindowDate: day, DaysLeft: int(end.Sub(today).Hours() / 24)})
			}
			n = len(changes)
			return changes, nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if len(batch) < expiryBatch {
			return total, nil
		}
	}
}

// RunCertificateExpiry announces expiring certificates now and then every
// ExpiryCheckInterval until ctx ends.
func (s *Membership) RunCertificateExpiry(ctx context.Context) {
	t := time.NewTicker(ExpiryCheckInterval)
	defer t.Stop()
	for {
		if n, err := s.AnnounceExpiringCertificates(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("membership: announcing expiring certificates failed; will retry", "err", err)
		} else if n > 0 {
			s.logger.Info("membership: expiring certificates announced", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
