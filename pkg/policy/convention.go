package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/errs"
)

// ConventionKey is the etcd key of the association's current
// self-discipline convention (《行业自律公约》), city-wide policy. Only
// SwapConvention writes it (HQ's PUT /api/v1/hq/convention, and a first
// start's demo), so two publishers never overwrite each other.
const ConventionKey = CityPrefix + "convention"

// Convention is a version of the self-discipline convention as published
// at ConventionKey: JSON {"version", "title", "text", "published_at"}.
// Every district's meetings node collects signatures of its version, and
// HQ counts the signature rate of it.
type Convention struct {
	// Version identifies the version; it travels in signature events and
	// URLs, hence the short ASCII alphabet.
	Version string `json:"version"`
	// Title is the convention's title, e.g. 武汉市保安服务行业自律公约.
	Title string `json:"title"`
	// Text is what a signing company commits to.
	Text string `json:"text"`
	// PublishedAt is when the version became current; a later publication
	// is never older.
	PublishedAt time.Time `json:"published_at"`
}

// Limits of a convention.
const (
	MaxConventionVersionLen = 32
	MaxConventionTitleRunes = 200
	MaxConventionTextBytes  = 256 << 10
	MaxConventionTextRunes  = 100000
	// conventionVersionAlphabet is every character a version may hold.
	conventionVersionAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
)

// Stable error ids of a convention that is not valid. HQ's publish
// endpoint answers them (400, with the field); a reader logs them.
var (
	ErrConventionVersionRequired = errs.InvalidField("convention.version_required", "version", "version is required")
	ErrConventionVersionInvalid  = errs.InvalidField("convention.version_invalid", "version",
		"version is at most 32 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
	ErrConventionTitleRequired = errs.InvalidField("convention.title_required", "title", "title is required")
	ErrConventionTitleTooLong  = errs.InvalidField("convention.title_too_long", "title", "title is at most 200 characters")
	ErrConventionTextRequired  = errs.InvalidField("convention.text_required", "text", "text is required")
	ErrConventionTextTooLong   = errs.InvalidField("convention.text_too_long", "text",
		"text is at most 256 KiB and 100000 characters")
	ErrConventionPublishedAtRequired = errs.InvalidField("convention.published_at_required", "published_at",
		"published_at is required")
)

// ErrConventionNotPublished is every service's answer (404) when the
// association has published no convention yet.
var ErrConventionNotPublished = errs.E(errs.NotFound, "convention.not_published", "no convention has been published yet")

// ErrConventionNonePublished is the id the meetings service answered for
// ErrConventionNotPublished.
//
// Deprecated: since issue 8 every service answers convention.not_published;
// errors.Is still matches this alias with it.
var ErrConventionNonePublished = errs.Alias("convention.none_published", ErrConventionNotPublished)

// ValidateContent checks everything of c that its publisher submits: the
// version, title and text, not the publication time, which the publisher
// sets. It does not trim: a title of spaces is refused, not emptied.
func (c Convention) ValidateContent() error {
	switch {
	case c.Version == "":
		return ErrConventionVersionRequired
	case len(c.Version) > MaxConventionVersionLen || strings.Trim(c.Version, conventionVersionAlphabet) != "":
		return ErrConventionVersionInvalid
	case strings.TrimSpace(c.Title) == "":
		return ErrConventionTitleRequired
	case utf8.RuneCountInString(c.Title) > MaxConventionTitleRunes:
		return ErrConventionTitleTooLong
	case strings.TrimSpace(c.Text) == "":
		return ErrConventionTextRequired
	case len(c.Text) > MaxConventionTextBytes || utf8.RuneCountInString(c.Text) > MaxConventionTextRunes:
		return ErrConventionTextTooLong
	}
	return nil
}

// Validate implements Value: the content and a publication time.
func (c Convention) Validate() error {
	if err := c.ValidateContent(); err != nil {
		return err
	}
	if c.PublishedAt.IsZero() {
		return ErrConventionPublishedAtRequired
	}
	return nil
}

// ParseConvention decodes and validates the value at ConventionKey.
func ParseConvention(raw []byte) (Convention, error) { return Parse[Convention](raw) }

// ErrConventionUnreadable wraps the reason the value at ConventionKey does
// not parse, when ReadConvention or SwapConvention finds one there.
var ErrConventionUnreadable = errors.New("policy: the stored convention cannot be read")

// ErrConventionContended is SwapConvention's answer when the key kept
// changing under it for maxSwapAttempts reads.
var ErrConventionContended = errors.New("policy: the convention kept changing while publishing")

// maxSwapAttempts bounds how often SwapConvention reads again after
// another publisher changed the key between its read and its write. Two
// admins publishing in the same instant settle in one retry; more than a
// handful means something is writing the key in a loop.
const maxSwapAttempts = 8

// ReadConvention returns the current convention (nil when none is
// published) and the key's ModRevision (0 when absent), the revision
// SwapConvention's transaction compares. An unparsable value is
// ErrConventionUnreadable, with its revision.
func ReadConvention(ctx context.Context, cli *clientv3.Client) (*Convention, int64, error) {
	resp, err := cli.Get(ctx, ConventionKey)
	if err != nil {
		return nil, 0, fmt.Errorf("policy: read %s: %w", ConventionKey, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, nil
	}
	kv := resp.Kvs[0]
	c, err := ParseConvention(kv.Value)
	if err != nil {
		return nil, kv.ModRevision, fmt.Errorf("%w: %w", ErrConventionUnreadable, err)
	}
	return &c, kv.ModRevision, nil
}

// SwapConvention is the one way to publish the convention: it replaces the
// value at ConventionKey atomically. It calls decide with the current
// convention (nil when none, or when the stored value is unreadable, which
// a valid publication repairs; logger is told) and, when decide says
// write, stores next only if the key's ModRevision is still the one read,
// so the checks decide made against the current value hold at the moment
// of the write, whoever publishes concurrently. If the key changed
// meanwhile it reads again and calls decide again. It returns what is
// stored afterwards (next, or the current one when decide did not write),
// decide's error, or a Validate error of next: what is written, every
// reader accepts.
func SwapConvention(ctx context.Context, cli *clientv3.Client, logger *slog.Logger,
	decide func(current *Convention) (next Convention, write bool, err error)) (Convention, error) {
	for range maxSwapAttempts {
		cur, rev, err := ReadConvention(ctx, cli)
		switch {
		case errors.Is(err, ErrConventionUnreadable):
			if logger != nil {
				logger.WarnContext(ctx, "policy: replacing an unreadable convention", "key", ConventionKey, "err", err)
			}
		case err != nil:
			return Convention{}, err
		}
		next, write, err := decide(cur)
		if err != nil {
			return Convention{}, err
		}
		if !write {
			return next, nil
		}
		if err := next.Validate(); err != nil {
			return Convention{}, err
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return Convention{}, fmt.Errorf("policy: encode convention: %w", err)
		}
		resp, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(ConventionKey), "=", rev)).
			Then(clientv3.OpPut(ConventionKey, string(raw))).
			Commit()
		if err != nil {
			return Convention{}, fmt.Errorf("policy: write %s: %w", ConventionKey, err)
		}
		if resp.Succeeded {
			return next, nil
		}
	}
	return Convention{}, fmt.Errorf("%w: %s changed %d times", ErrConventionContended, ConventionKey, maxSwapAttempts)
}

// PublishConventionIfAbsent publishes c through SwapConvention unless a
// convention is already published. An unreadable value is left for an
// operator to repair (ErrConventionUnreadable): a default never overwrites
// what someone wrote. It reports whether it wrote.
func PublishConventionIfAbsent(ctx context.Context, cli *clientv3.Client, c Convention) (bool, error) {
	if _, _, err := ReadConvention(ctx, cli); err != nil {
		return false, err
	}
	wrote := false
	_, err := SwapConvention(ctx, cli, nil, func(cur *Convention) (Convention, bool, error) {
		wrote = cur == nil
		if cur != nil {
			return *cur, false, nil
		}
		return c, true, nil
	})
	return wrote, err
}
