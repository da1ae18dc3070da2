package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Positive publicity (正面宣传): a post about a good deed (a 红盾先锋
// post's act, say) by a company or the district lead, reviewed by the
// district lead and then by HQ before it is published city-wide:
//
//	pending_district ──approve──▶ pending_hq ──approve (HQ)──▶ published
//	        └──reject──▶ rejected        └──reject (HQ)──▶ rejected
//
// An edit (of any status) is the post's next version, back to
// pending_district; the version published before stays published until
// HQ publishes the new one. The district's node owns the post; HQ's
// messaging reads the district's topic for the posts the lead approved and
// publishes on gh.hq.directives.v1, which every node reads into its feed.

// Statuses of a post.
const (
	PostPendingDistrict = "pending_district"
	PostPendingHQ       = "pending_hq"
	PostPublished       = "published"
	PostRejected        = "rejected"
)

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Limits of a post.
const (
	MaxPublicityBody   = 50_000
	MaxRedShieldPost   = 200
	MaxRejectionReason = 1000
)

// Errors of positive publicity.
var (
	ErrPublicityTitle      = errs.InvalidField("publicity.title_required", "title", "a post needs a title of at most 200 characters")
	ErrPublicityBody       = errs.InvalidField("publicity.body_required", "body_markdown", "a post needs a body of at most 50000 bytes")
	ErrPublicityRedShield  = errs.InvalidField("publicity.red_shield_post_too_long", "red_shield_post", "red_shield_post is at most 200 characters")
	ErrPublicityDecision   = errs.InvalidField("publicity.decision_invalid", "decision", "decision is approve or reject")
	ErrPublicityReason     = errs.InvalidField("publicity.reason_required", "reason", "a rejection gives its reason (at most 1000 characters); an approval none")
	ErrPublicityVersion    = errs.InvalidField("publicity.version_required", "version", "name the version of the post reviewed")
	ErrPublicityStale      = errs.EField(errs.Conflict, "publicity.version_stale", "version", "the post was edited since: review its current version")
	ErrPublicityNotPending = errs.E(errs.Conflict, "publicity.not_pending", "the post is not awaiting this review")
	ErrPublicityNotFound   = errs.E(errs.NotFound, "publicity.post_not_found", "no such post")
	ErrPublicityEditDenied = errs.E(errs.Forbidden, "publicity.edit_forbidden", "only the post's company (or, for the lead's post, the district lead) edits it")
	ErrPublicityAuthor     = errs.E(errs.Forbidden, "publicity.author_forbidden", "a company-admin writes for its own company")
	ErrPublicityStatus     = errs.InvalidField("publicity.status_invalid", "status", "status is pending_district, pending_hq, published or rejected")
)

// PublicityPost is a post at its district's node (and, from the lead's
// approval on, at HQ).
type PublicityPost struct {
	ID       string `json:"id"`
	District string `json:"district"`
	// Version is 1 when written, +1 per edit; the ETag.
	Version      int64  `json:"version"`
	Title        string `json:"title"`
	BodyMarkdown string `json:"body_markdown"`
	// BodyHTML is the body rendered and sanitised like a notice's.
	BodyHTML      string `json:"body_html"`
	RedShieldPost string `json:"red_shield_post,omitempty"`
	CompanyID     string `json:"company_id,omitempty"`
	// Author is the account that wrote the version (the token's subject).
	Author     string `json:"author"`
	AuthorRole string `json:"author_role"`
	// AuthorName is the author a reader sees (an account id means nothing
	// to one): for a company's post the company's name as registered when
	// the version was written; empty for the district lead's post, whose
	// author is the district's lead (author_role district-admin).
	AuthorName string `json:"author_name"`
	// Status is pending_district, pending_hq, published or rejected (of
	// Version).
	Status string `json:"status"`
	// Reason is a rejection's.
	Reason      string    `json:"reason,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// PublishedVersion is the version the city sees (0: none yet).
	PublishedVersion int64      `json:"published_version"`
	PublishedAt      *time.Time `json:"published_at,omitempty"`
	ETag             string     `json:"-"`
}

// PublishedPost is a post as the city sees it: its published version.
type PublishedPost struct {
	ID            string `json:"id"`
	District      string `json:"district"`
	Version       int64  `json:"version"`
	Title         string `json:"title"`
	BodyHTML      string `json:"body_html"`
	RedShieldPost string `json:"red_shield_post,omitempty"`
	CompanyID     string `json:"company_id,omitempty"`
	Author        string `json:"author"`
	// AuthorName is the published version's (see PublicityPost).
	AuthorName  string    `json:"author_name"`
	PublishedAt time.Time `json:"published_at"`
}

// WritePostInput is the body of submit_post.
type WritePostInput struct {
	kitx.Idempotent
	Title         string `json:"title"`
	BodyMarkdown  string `json:"body_markdown"`
	RedShieldPost string `json:"red_shield_post,omitempty"`
}

// RevisePostInput is the body of revise_post: fields absent stay.
type RevisePostInput struct {
	Title         *string `json:"title,omitempty"`
	BodyMarkdown  *string `json:"body_markdown,omitempty"`
	RedShieldPost *string `json:"red_shield_post,omitempty"`
}

// ReviewInput is the body of a review (the lead's or HQ's).
type ReviewInput struct {
	// Version is the version reviewed: the current one.
	Version  int64  `json:"version"`
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
}

// PostFilter filters the lists of posts.
type PostFilter struct {
	Status string
	// CompanyID keeps one company's posts (a company-admin sees its own:
	// a post is not public before HQ publishes it).
	CompanyID string
}

// Publicity is the positive-publicity API of a district node.
type Publicity interface {
	SubmitPost(ctx context.Context, in WritePostInput) (PublicityPost, error)
	RevisePost(ctx context.Context, id string, pre kitx.Precondition, in RevisePostInput) (PublicityPost, error)
	ReviewPost(ctx context.Context, id string, in ReviewInput) (PublicityPost, error)
	GetPublicityPost(ctx context.Context, id string) (PublicityPost, error)
	ListPublicityPosts(ctx context.Context, f PostFilter, page kitx.Page) ([]PublicityPost, string, error)
	ListPublished(ctx context.Context, page kitx.Page) ([]PublishedPost, string, error)
}

// PublicityQueries are the publicity tables.
type PublicityQueries interface {
	GetPublicityPost(ctx context.Context, id string) (PublicityPost, error)
	// PutPublicityPost inserts or replaces a post.
	PutPublicityPost(ctx context.Context, p PublicityPost) error
	ListPublicityPosts(ctx context.Context, f PostFilter, page kitx.Page) ([]PublicityPost, string, error)
	// PutPublished stores the published version of a post unless the
	// stored one's version is at least its.
	PutPublished(ctx context.Context, p PublishedPost) error
	ListPublished(ctx context.Context, page kitx.Page) ([]PublishedPost, string, error)
}

var postStatuses = []string{PostPendingDistrict, PostPendingHQ, PostPublished, PostRejected}

func validPost(title, body, red string) error {
	switch {
	case strings.TrimSpace(title) == "" || utf8.RuneCountInString(title) > MaxTitle:
		return ErrPublicityTitle
	case strings.TrimSpace(body) == "" || len(body) > MaxPublicityBody:
		return ErrPublicityBody
	case utf8.RuneCountInString(red) > MaxRedShieldPost:
		return ErrPublicityRedShield
	}
	return nil
}

// authorName is the name of the company writing a post, from the
// membership projection; "" when the node has not heard of it yet (a post
// is not refused for a lagging projection: the reader sees its id).
func authorName(ctx context.Context, q Queries, company string) (string, error) {
	c, err := q.GetCompany(ctx, company)
	if errors.Is(err, ErrCompanyNotFound) {
		return "", nil
	}
	return c.Name, err
}

func validReview(in ReviewInput) error {
	switch {
	case in.Version < 1:
		return ErrPublicityVersion
	case in.Decision != DecisionApprove && in.Decision != DecisionReject:
		return ErrPublicityDecision
	case in.Decision == DecisionReject && (strings.TrimSpace(in.Reason) == "" || utf8.RuneCountInString(in.Reason) > MaxRejectionReason):
		return ErrPublicityReason
	case in.Decision == DecisionApprove && in.Reason != "":
		return ErrPublicityReason
	}
	return nil
}

// SubmitPost implements Publicity: a company-admin for its company, the
// district lead for the district; the post awaits the lead's review.
func (s *Messaging) SubmitPost(ctx context.Context, in WritePostInput) (PublicityPost, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return PublicityPost{}, err
	}
	in.Title, in.RedShieldPost = strings.TrimSpace(in.Title), strings.TrimSpace(in.RedShieldPost)
	if err := validPost(in.Title, in.BodyMarkdown, in.RedShieldPost); err != nil {
		return PublicityPost{}, err
	}
	if p.Role == auth.RoleCompanyAdmin && p.Company == "" {
		return PublicityPost{}, ErrPublicityAuthor
	}
	html, err := s.md.HTML(in.BodyMarkdown)
	if err != nil {
		return PublicityPost{}, err
	}
	req := idempotency.Request{Scope: "POST publicity/posts", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, func(q Queries) (PublicityPost, []Change, error) {
		id, err := newID()
		if err != nil {
			return PublicityPost{}, nil, err
		}
		now := s.now().UTC()
		post := PublicityPost{ID: id, District: s.district, Version: 1, Title: in.Title, BodyMarkdown: in.BodyMarkdown, BodyHTML: html,
			RedShieldPost: in.RedShieldPost, Author: p.Subject, AuthorRole: string(p.Role), Status: PostPendingDistrict,
			SubmittedAt: now, UpdatedAt: now}
		if p.Role == auth.RoleCompanyAdmin {
			post.CompanyID = p.Company
			if post.AuthorName, err = authorName(ctx, q, p.Company); err != nil {
				return PublicityPost{}, nil, err
			}
		}
		if err := q.PutPublicityPost(ctx, post); err != nil {
			return PublicityPost{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionPostSubmit, ResourcePost, id, []string{"title", "body_markdown"}); err != nil {
			return PublicityPost{}, nil, err
		}
		post.ETag = kitx.ETag(post.Version)
		return post, []Change{{Type: EventPublicityPostSubmitted, Publicity: &post}}, nil
	}, func(p PublicityPost) any { return p })
}

// RevisePost implements Publicity: the post's next version, reviewed
// again from the lead on; what was published stays until HQ publishes the
// new version.
func (s *Messaging) RevisePost(ctx context.Context, id string, pre kitx.Precondition, in RevisePostInput) (PublicityPost, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return PublicityPost{}, err
	}
	var out PublicityPost
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		post, err := q.GetPublicityPost(ctx, id)
		if err != nil {
			return nil, err
		}
		if post.CompanyID != "" && !(p.Role == auth.RoleCompanyAdmin && p.Company == post.CompanyID) ||
			post.CompanyID == "" && p.Role != auth.RoleDistrictAdmin {
			return nil, ErrPublicityEditDenied
		}
		if err := pre.Check(post.Version); err != nil {
			return nil, err
		}
		var fields []string
		if in.Title != nil && strings.TrimSpace(*in.Title) != post.Title {
			post.Title, fields = strings.TrimSpace(*in.Title), append(fields, "title")
		}
		if in.BodyMarkdown != nil && *in.BodyMarkdown != post.BodyMarkdown {
			post.BodyMarkdown, fields = *in.BodyMarkdown, append(fields, "body_markdown")
		}
		if in.RedShieldPost != nil && strings.TrimSpace(*in.RedShieldPost) != post.RedShieldPost {
			post.RedShieldPost, fields = strings.TrimSpace(*in.RedShieldPost), append(fields, "red_shield_post")
		}
		if len(fields) == 0 {
			out = post
			return nil, nil
		}
		if err := validPost(post.Title, post.BodyMarkdown, post.RedShieldPost); err != nil {
			return nil, err
		}
		if post.BodyHTML, err = s.md.HTML(post.BodyMarkdown); err != nil {
			return nil, err
		}
		if post.CompanyID != "" {
			// The name as registered now: the version a reader sees
			// carries its own company's name.
			if post.AuthorName, err = authorName(ctx, q, post.CompanyID); err != nil {
				return nil, err
			}
		}
		now := s.now().UTC()
		post.Version, post.Status, post.Reason, post.SubmittedAt, post.UpdatedAt = post.Version+1, PostPendingDistrict, "", now, now
		if err := q.PutPublicityPost(ctx, post); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionPostRevise, ResourcePost, id, fields); err != nil {
			return nil, err
		}
		out = post
		return []Change{{Type: EventPublicityPostSubmitted, Publicity: &post, Fields: fields}}, nil
	})
	out.ETag = kitx.ETag(out.Version)
	return out, err
}

// ReviewPost implements Publicity: the district lead's review of the
// current version; an approval sends it on to HQ.
func (s *Messaging) ReviewPost(ctx context.Context, id string, in ReviewInput) (PublicityPost, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return PublicityPost{}, err
	}
	if err := validReview(in); err != nil {
		return PublicityPost{}, err
	}
	var out PublicityPost
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		post, err := q.GetPublicityPost(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Version != post.Version:
			return nil, ErrPublicityStale
		case post.Status != PostPendingDistrict:
			return nil, ErrPublicityNotPending
		}
		post.UpdatedAt = s.now().UTC()
		if in.Decision == DecisionApprove {
			post.Status = PostPendingHQ
		} else {
			post.Status, post.Reason = PostRejected, strings.TrimSpace(in.Reason)
		}
		if err := q.PutPublicityPost(ctx, post); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionPostReview, ResourcePost, id, []string{"status"}); err != nil {
			return nil, err
		}
		out = post
		return []Change{{Type: EventPublicityPostReviewed, Publicity: &post, Decision: in.Decision, Reason: post.Reason, Reviewer: p.Subject}}, nil
	})
	out.ETag = kitx.ETag(out.Version)
	return out, err
}

// GetPublicityPost implements Publicity: a company-admin reads its own
// company's posts only (the city's feed has the published ones).
func (s *Messaging) GetPublicityPost(ctx context.Context, id string) (PublicityPost, error) {
	pr, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return PublicityPost{}, err
	}
	p, err := s.repo.GetPublicityPost(ctx, id)
	if err == nil && pr.Role == auth.RoleCompanyAdmin && p.CompanyID != pr.Company {
		return PublicityPost{}, ErrPublicityNotFound
	}
	p.ETag = kitx.ETag(p.Version)
	return p, err
}

// ListPublicityPosts implements Publicity: the district's posts in id
// order; a company-admin's own company's.
func (s *Messaging) ListPublicityPosts(ctx context.Context, f PostFilter, page kitx.Page) ([]PublicityPost, string, error) {
	pr, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" && !slices.Contains(postStatuses, f.Status) {
		return nil, "", ErrPublicityStatus
	}
	f.CompanyID = ""
	if pr.Role == auth.RoleCompanyAdmin {
		if pr.Company == "" {
			return nil, "", ErrPublicityAuthor
		}
		f.CompanyID = pr.Company
	}
	return s.repo.ListPublicityPosts(ctx, f, page)
}

// ListPublished implements Publicity: every district's published posts.
func (s *Messaging) ListPublished(ctx context.Context, page kitx.Page) ([]PublishedPost, string, error) {
	return s.repo.ListPublished(ctx, page)
}

// stage orders a post's statuses for a reader of its events: a snapshot of
// a later stage of the same version wins.
func stage(status string) int {
	switch status {
	case PostPendingDistrict:
		return 1
	case PostPendingHQ:
		return 2
	}
	return 3
}

// newer reports whether snapshot p is newer than the stored cur.
func newer(p, cur PublicityPost) bool {
	return p.Version > cur.Version || p.Version == cur.Version && stage(p.Status) > stage(cur.Status)
}

// ApplyHQPublicity applies, in a district node's consumer transaction,
// HQ's decision on a post (on gh.hq.directives.v1): a published version
// enters every node's feed; the post's own node marks the version
// published or rejected (unless it was edited since).
func (s *Messaging) ApplyHQPublicity(ctx context.Context, q Queries, typ string, post PublicityPost, reason string) error {
	now := s.now().UTC()
	if typ == EventPublicityPostPublished {
		at := now
		if post.PublishedAt != nil {
			at = *post.PublishedAt
		}
		html, err := s.md.HTML(post.BodyMarkdown)
		if err != nil {
			return err
		}
		if err := q.PutPublished(ctx, PublishedPost{ID: post.ID, District: post.District, Version: post.Version, Title: post.Title,
			BodyHTML: html, RedShieldPost: post.RedShieldPost, CompanyID: post.CompanyID, Author: post.Author, AuthorName: post.AuthorName, PublishedAt: at}); err != nil {
			return err
		}
	}
	if post.District != s.district {
		return nil
	}
	cur, err := q.GetPublicityPost(ctx, post.ID)
	if isNotFound(err) {
		return nil
	}
	if err != nil || cur.Version != post.Version || cur.Status != PostPendingHQ {
		return err
	}
	cur.UpdatedAt = now
	if typ == EventPublicityPostPublished {
		cur.Status, cur.PublishedVersion, cur.PublishedAt = PostPublished, cur.Version, post.PublishedAt
	} else {
		cur.Status, cur.Reason = PostRejected, reason
	}
	return q.PutPublicityPost(ctx, cur)
}

// ApplyDistrictPublicity records, in the HQ role's consumer transaction, a
// district's post event: from the lead's approval on, the newest snapshot
// of each post (a later version, or a later stage of the same one), so HQ
// reviews what the lead approved and sees a later version go back to the
// district.
func (s *Directives) ApplyDistrictPublicity(ctx context.Context, q Queries, post PublicityPost) error {
	html, err := s.md.HTML(post.BodyMarkdown)
	if err != nil {
		return err
	}
	post.BodyHTML = html
	cur, err := q.GetPublicityPost(ctx, post.ID)
	if err != nil && !isNotFound(err) {
		return err
	}
	if err != nil && post.Status != PostPendingHQ {
		// HQ first holds a post when the lead approved it: what the
		// district has not reviewed is not HQ's to see.
		return nil
	}
	if err == nil && !newer(post, cur) {
		return nil
	}
	if err == nil {
		post.PublishedVersion, post.PublishedAt = cur.PublishedVersion, cur.PublishedAt
	}
	return q.PutPublicityPost(ctx, post)
}

// HQPublicity is the HQ role's review of positive publicity.
type HQPublicity interface {
	ListHQPosts(ctx context.Context, f PostFilter, page kitx.Page) ([]PublicityPost, string, error)
	GetHQPost(ctx context.Context, id string) (PublicityPost, error)
	ReviewHQPost(ctx context.Context, id string, in ReviewInput) (PublicityPost, error)
	ListHQPublished(ctx context.Context, page kitx.Page) ([]PublishedPost, string, error)
}

// ListHQPosts implements HQPublicity: the posts HQ knows (from the lead's
// approval on, and their later versions).
func (s *Directives) ListHQPosts(ctx context.Context, f PostFilter, page kitx.Page) ([]PublicityPost, string, error) {
	if f.Status != "" && !slices.Contains(postStatuses, f.Status) {
		return nil, "", ErrPublicityStatus
	}
	return s.repo.ListPublicityPosts(ctx, f, page)
}

// GetHQPost implements HQPublicity.
func (s *Directives) GetHQPost(ctx context.Context, id string) (PublicityPost, error) {
	p, err := s.repo.GetPublicityPost(ctx, id)
	p.ETag = kitx.ETag(p.Version)
	return p, err
}

// ListHQPublished implements HQPublicity.
func (s *Directives) ListHQPublished(ctx context.Context, page kitx.Page) ([]PublishedPost, string, error) {
	return s.repo.ListPublished(ctx, page)
}

// ReviewHQPost implements HQPublicity: HQ's review of a version the lead
// approved; an approval publishes it city-wide on gh.hq.directives.v1.
func (s *Directives) ReviewHQPost(ctx context.Context, id string, in ReviewInput) (PublicityPost, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return PublicityPost{}, err
	}
	if err := validReview(in); err != nil {
		return PublicityPost{}, err
	}
	var out PublicityPost
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		post, err := q.GetPublicityPost(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Version != post.Version:
			return nil, ErrPublicityStale
		case post.Status != PostPendingHQ:
			return nil, ErrPublicityNotPending
		}
		now := s.now().UTC()
		post.UpdatedAt = now
		change := Change{Publicity: &post, Reviewer: p.Subject}
		if in.Decision == DecisionApprove {
			post.Status, post.PublishedVersion, post.PublishedAt = PostPublished, post.Version, &now
			change.Type = EventPublicityPostPublished
			if err := q.PutPublished(ctx, PublishedPost{ID: post.ID, District: post.District, Version: post.Version, Title: post.Title,
				BodyHTML: post.BodyHTML, RedShieldPost: post.RedShieldPost, CompanyID: post.CompanyID, Author: post.Author, AuthorName: post.AuthorName, PublishedAt: now}); err != nil {
				return nil, err
			}
		} else {
			post.Status, post.Reason = PostRejected, strings.TrimSpace(in.Reason)
			change.Type, change.Reason = EventPublicityPostRejected, post.Reason
		}
		if err := q.PutPublicityPost(ctx, post); err != nil {
			return nil, err
		}
		if err := s.Audit(ctx, q, ActionPostReview, ResourcePost, id, []string{"status"}); err != nil {
			return nil, err
		}
		out = post
		return []Change{change}, nil
	})
	out.ETag = kitx.ETag(out.Version)
	return out, err
}
