package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Convention is a version of the association's self-discipline convention
// (《行业自律公约》) as published city-wide in etcd: JSON {"version",
// "title", "text", "published_at"} (pkg/policy). HQ's figures use only its
// version: a company's signature counts for the signature rate when it
// names the current version.
type Convention = policy.Convention

// ConventionDraft is what the association submits to publish a version;
// the publication time is the service's, never the caller's.
type ConventionDraft struct {
	Version string `json:"version" required:"true"`
	Title   string `json:"title" required:"true"`
	Text    string `json:"text" required:"true"`
}

// Limits of a published convention: pkg/policy's, which every district's
// meetings node applies to what it reads, so a version HQ publishes is
// never one the districts refuse (and keep collecting signatures of the
// old one).
const (
	MaxConventionVersionLen = policy.MaxConventionVersionLen
	MaxConventionTitleRunes = policy.MaxConventionTitleRunes
	MaxConventionTextBytes  = policy.MaxConventionTextBytes
	MaxConventionTextRunes  = policy.MaxConventionTextRunes
)

// Stable error ids of the convention endpoints. The validation ids are
// pkg/policy's.
var (
	ErrConventionVersionRequired = policy.ErrConventionVersionRequired
	ErrConventionVersionInvalid  = policy.ErrConventionVersionInvalid
	ErrConventionTitleRequired   = policy.ErrConventionTitleRequired
	ErrConventionTitleTooLong    = policy.ErrConventionTitleTooLong
	ErrConventionTextRequired    = policy.ErrConventionTextRequired
	ErrConventionTextTooLong     = policy.ErrConventionTextTooLong
	// ErrConventionVersionExists: the version is already the current one
	// with another title or text. A published version is what companies
	// sign, so its wording never changes; publish a new version instead.
	ErrConventionVersionExists = errs.E(errs.Conflict, "convention.version_exists",
		"this version is already published with another title or text; publish a new version")
	// ErrConventionNotNewer: the current convention was published later
	// than now by this node's clock; publishing would move published_at
	// back in time (a skewed HQ replica), so it is refused.
	ErrConventionNotNewer = errs.E(errs.Conflict, "convention.not_newer",
		"the current convention was published later than now; check this node's clock")
	// ErrConventionNotPublished: no convention has been published yet
	// (the same id at every service).
	ErrConventionNotPublished = policy.ErrConventionNotPublished
	// ErrConventionUnavailable: the node has no etcd, or etcd does not answer.
	ErrConventionUnavailable = errs.E(errs.Unavailable, "convention.unavailable", "the convention policy store is not available")
	// ErrConventionStoredInvalid: the value in etcd is not a convention
	// HQ can read; publishing a new version repairs it.
	ErrConventionStoredInvalid = errs.E(errs.Internal, "convention.stored_invalid", "the stored convention cannot be read")
)

// ConventionStore is where the current convention lives (etcd, at
// hq.ConventionKey); the Node implements it. Errors of either method that
// are not *errs.Error are the store's own (unreachable).
type ConventionStore interface {
	// Current returns the current convention; nil when none is published.
	Current(ctx context.Context) (*Convention, error)
	// Swap replaces the current convention atomically. It calls decide
	// with the current one (nil when none, or when the stored value is
	// unreadable) and, when decide says write, stores next only if the
	// current value is still the one decide saw; if it changed meanwhile
	// it reads again and calls decide again. It returns what is stored
	// afterwards (next, or the current one when decide did not write) or
	// decide's error.
	Swap(ctx context.Context, decide func(current *Convention) (next Convention, write bool, err error)) (Convention, error)
}

// ValidateConventionDraft checks d with policy's rules and returns the
// convention it would publish (without PublishedAt, title trimmed), or the
// first violated rule's error.
func ValidateConventionDraft(d ConventionDraft) (Convention, error) {
	c := Convention{Version: d.Version, Title: strings.TrimSpace(d.Title), Text: d.Text}
	if err := c.ValidateContent(); err != nil {
		return Convention{}, err
	}
	return c, nil
}

// Convention returns the current convention.
func (s *hqService) Convention(ctx context.Context) (Convention, error) {
	if s.cfg.Conventions == nil {
		return Convention{}, ErrConventionUnavailable
	}
	c, err := s.cfg.Conventions.Current(ctx)
	if err != nil {
		return Convention{}, storeError(err)
	}
	if c == nil {
		return Convention{}, ErrConventionNotPublished
	}
	return *c, nil
}

// PublishConvention validates d and makes it the current convention,
// published now. Re-submitting the current version with the same title and
// text is answered with the stored convention and writes nothing (a retried
// request); the same version with other wording is ErrConventionVersionExists.
//
// HQ has no audit table, so the publication is recorded in the log: who
// (subject, role) published which version, never the text.
func (s *hqService) PublishConvention(ctx context.Context, d ConventionDraft) (Convention, error) {
	if s.cfg.Conventions == nil {
		return Convention{}, ErrConventionUnavailable
	}
	c, err := ValidateConventionDraft(d)
	if err != nil {
		return Convention{}, err
	}
	wrote := false
	stored, err := s.cfg.Conventions.Swap(ctx, func(cur *Convention) (Convention, bool, error) {
		// The clock is read again on every attempt: when another publisher
		// won the race, this attempt comes after its write, so by the same
		// clock it is not older and only a really skewed clock is refused.
		now := s.cfg.Now().UTC()
		wrote = false
		if cur != nil && cur.Version == c.Version {
			if cur.Title == c.Title && cur.Text == c.Text {
				return *cur, false, nil
			}
			return Convention{}, false, ErrConventionVersionExists
		}
		if cur != nil && now.Before(cur.PublishedAt) {
			return Convention{}, false, ErrConventionNotNewer
		}
		next := c
		next.PublishedAt = now
		wrote = true
		return next, true, nil
	})
	if err != nil {
		return Convention{}, storeError(err)
	}
	p, _ := auth.FromContext(ctx)
	msg := "hq: convention published"
	if !wrote {
		msg = "hq: convention already current, nothing written"
	}
	s.logger().InfoContext(ctx, msg, "subject", p.Subject, "role", string(p.Role),
		"version", stored.Version, "published_at", stored.PublishedAt)
	return stored, nil
}

func (s *hqService) logger() *slog.Logger {
	if s.cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.cfg.Logger
}

// storeError keeps the service's own errors and turns anything else the
// store returns (etcd unreachable, deadline) into ErrConventionUnavailable,
// with the cause kept for the logs but never shown to the caller.
func storeError(err error) error {
	if e := (*errs.Error)(nil); errors.As(err, &e) {
		return err
	}
	return ErrConventionUnavailable.Wrap(err)
}
