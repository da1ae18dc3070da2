package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
)

// Convention is a version of the association's self-discipline convention
// (《行业自律公约》) as published city-wide in etcd: JSON {"version",
// "title", "text", "published_at"}. HQ's figures use only its version: a
// company's signature counts for the signature rate when it names the
// current version.
type Convention struct {
	Version     string    `json:"version"`
	Title       string    `json:"title"`
	Text        string    `json:"text"`
	PublishedAt time.Time `json:"published_at"`
}

// ConventionDraft is what the association submits to publish a version;
// the publication time is the service's, never the caller's.
type ConventionDraft struct {
	Version string `json:"version" required:"true"`
	Title   string `json:"title" required:"true"`
	Text    string `json:"text" required:"true"`
}

// Limits of a published convention. The version is an identifier that
// travels in every district's signature events and URLs, hence the short
// ASCII alphabet. The title and text limits also keep under what the
// meetings service accepts from etcd (title ≤ 200 characters, text ≤
// 100000 characters): a version that every district node refused would be
// "published" at HQ while the districts kept collecting signatures of the
// old one.
const (
	MaxConventionVersionLen   = 32
	MaxConventionTitleRunes   = 200
	MaxConventionTextBytes    = 256 << 10
	MaxConventionTextRunes    = 100000
	conventionVersionAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
)

// Stable error ids of the convention endpoints.
var (
	ErrConventionVersionRequired = errs.InvalidField("convention.version_required", "version", "version is required")
	ErrConventionVersionInvalid  = errs.InvalidField("convention.version_invalid", "version",
		"version is at most 32 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
	ErrConventionTitleRequired = errs.InvalidField("convention.title_required", "title", "title is required")
	ErrConventionTitleTooLong  = errs.InvalidField("convention.title_too_long", "title", "title is at most 200 characters")
	ErrConventionTextRequired  = errs.InvalidField("convention.text_required", "text", "text is required")
	ErrConventionTextTooLong   = errs.InvalidField("convention.text_too_long", "text",
		"text is at most 256 KiB and 100000 characters")
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
	// ErrConventionNotPublished: no convention has been published yet.
	ErrConventionNotPublished = errs.E(errs.NotFound, "convention.not_published", "no convention has been published yet")
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

// ValidateConventionDraft checks d and returns the convention it would
// publish (without PublishedAt), or the first violated rule's error.
func ValidateConventionDraft(d ConventionDraft) (Convention, error) {
	c := Convention{Version: d.Version, Title: strings.TrimSpace(d.Title), Text: d.Text}
	switch {
	case c.Version == "":
		return Convention{}, ErrConventionVersionRequired
	case len(c.Version) > MaxConventionVersionLen || strings.Trim(c.Version, conventionVersionAlphabet) != "":
		return Convention{}, ErrConventionVersionInvalid
	case c.Title == "":
		return Convention{}, ErrConventionTitleRequired
	case utf8.RuneCountInString(c.Title) > MaxConventionTitleRunes:
		return Convention{}, ErrConventionTitleTooLong
	case strings.TrimSpace(c.Text) == "":
		return Convention{}, ErrConventionTextRequired
	case len(c.Text) > MaxConventionTextBytes || utf8.RuneCountInString(c.Text) > MaxConventionTextRunes:
		return Convention{}, ErrConventionTextTooLong
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
