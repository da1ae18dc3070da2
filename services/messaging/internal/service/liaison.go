package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Limits of the liaison channel.
const (
	MaxPostBody   = 20_000
	MaxMentions   = 50
	MaxMentionLen = 100
)

// Errors of the liaison channel.
var (
	ErrThreadTitleRequired = errs.InvalidField("liaison.title_required", "title", "a thread needs a title of at most 200 characters")
	ErrPostBodyRequired    = errs.InvalidField("liaison.body_required", "body_markdown", "a post needs a body of at most 20000 bytes")
	ErrMentionsInvalid     = errs.InvalidField("liaison.mentions_invalid", "mentions", "mentions are at most 50 distinct account subjects of at most 100 characters")
	ErrThreadNotFound      = errs.E(errs.NotFound, "liaison.thread_not_found", "no such thread")
	ErrReadSeqInvalid      = errs.InvalidField("liaison.seq_invalid", "seq", "seq is a post of the thread (1 to its post count)")
)

// Thread is a thread of the district's liaison channel, with the caller's
// unread counts.
type Thread struct {
	ID            string    `json:"id"`
	District      string    `json:"district"`
	Title         string    `json:"title"`
	CreatedBy     string    `json:"created_by"`
	CreatedByRole string    `json:"created_by_role"`
	Posts         int64     `json:"posts"`
	CreatedAt     time.Time `json:"created_at"`
	LastPostAt    time.Time `json:"last_post_at"`
	// LastRead is the caller's marker: the last post seq it read (0: none).
	LastRead int64 `json:"last_read"`
	// Unread counts the posts after the marker; UnreadMentions those of
	// them that mention the caller.
	Unread         int64 `json:"unread"`
	UnreadMentions int64 `json:"unread_mentions"`
}

// Post is one post of a thread.
type Post struct {
	ID           string    `json:"id"`
	ThreadID     string    `json:"thread_id"`
	Seq          int64     `json:"seq"`
	Author       string    `json:"author"`
	AuthorRole   string    `json:"author_role"`
	CompanyID    string    `json:"company_id,omitempty"`
	BodyMarkdown string    `json:"body_markdown"`
	BodyHTML     string    `json:"body_html"`
	Mentions     []string  `json:"mentions"`
	CreatedAt    time.Time `json:"created_at"`
}

// OpenThreadInput is the body of open_thread.
type OpenThreadInput struct {
	kitx.Idempotent
	Title        string   `json:"title"`
	BodyMarkdown string   `json:"body_markdown"`
	Mentions     []string `json:"mentions,omitempty"`
}

// PostInput is the body of add_post.
type PostInput struct {
	kitx.Idempotent
	BodyMarkdown string   `json:"body_markdown"`
	Mentions     []string `json:"mentions,omitempty"`
}

// MarkReadInput is the body of mark_read: the post read up to (0 or
// absent: the thread's last). A marker only moves forward.
type MarkReadInput struct {
	Seq int64 `json:"seq,omitempty"`
}

// Unread is the caller's unread summary over the channel.
type Unread struct {
	Threads        int64 `json:"threads_with_unread"`
	Unread         int64 `json:"unread"`
	UnreadMentions int64 `json:"unread_mentions"`
}

// Liaison is the district's liaison channel API.
type Liaison interface {
	OpenThread(ctx context.Context, in OpenThreadInput) (Thread, error)
	ListThreads(ctx context.Context, page kitx.Page) ([]Thread, string, error)
	GetThread(ctx context.Context, id string) (Thread, error)
	AddPost(ctx context.Context, threadID string, in PostInput) (Post, error)
	ListPosts(ctx context.Context, threadID string, page kitx.Page) ([]Post, string, error)
	MarkRead(ctx context.Context, threadID string, in MarkReadInput) (Thread, error)
	UnreadSummary(ctx context.Context) (Unread, error)
}

// LiaisonQueries are the liaison channel's tables.
type LiaisonQueries interface {
	InsertThread(ctx context.Context, t Thread) error
	// GetThread returns a thread with reader's marker and counts.
	GetThread(ctx context.Context, id, reader string) (Thread, error)
	ListThreads(ctx context.Context, reader string, page kitx.Page) ([]Thread, string, error)
	// BumpThread records a new post: posts+1 and its time.
	BumpThread(ctx context.Context, id string, at time.Time) error
	InsertPost(ctx context.Context, p Post) error
	ListPosts(ctx context.Context, threadID string, page kitx.Page) ([]Post, string, error)
	// SetReadMarker moves reader's marker of a thread to seq if that is
	// further; it reports whether it moved.
	SetReadMarker(ctx context.Context, threadID, reader string, seq int64, at time.Time) (bool, error)
	UnreadSummary(ctx context.Context, reader string) (Unread, error)
}

func validMentions(ms []string) ([]string, error) {
	if len(ms) > MaxMentions {
		return nil, ErrMentionsInvalid
	}
	out := []string{}
	for _, m := range ms {
		m = strings.TrimPrefix(strings.TrimSpace(m), "@")
		if m == "" || utf8.RuneCountInString(m) > MaxMentionLen || slices.Contains(out, m) {
			return nil, ErrMentionsInvalid
		}
		out = append(out, m)
	}
	return out, nil
}

func validPostBody(b string) error {
	if strings.TrimSpace(b) == "" || len(b) > MaxPostBody {
		return ErrPostBodyRequired
	}
	return nil
}

// OpenThread implements Liaison.
func (s *Messaging) OpenThread(ctx context.Context, in OpenThreadInput) (Thread, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Thread{}, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || utf8.RuneCountInString(title) > MaxTitle {
		return Thread{}, ErrThreadTitleRequired
	}
	if err := validPostBody(in.BodyMarkdown); err != nil {
		return Thread{}, err
	}
	mentions, err := validMentions(in.Mentions)
	if err != nil {
		return Thread{}, err
	}
	html, err := s.md.HTML(in.BodyMarkdown)
	if err != nil {
		return Thread{}, err
	}
	return s.idempotentThread(ctx, in, func(q Queries) (Thread, []Change, error) {
		now := s.now().UTC()
		id, err := newID()
		if err != nil {
			return Thread{}, nil, err
		}
		pid, err := newID()
		if err != nil {
			return Thread{}, nil, err
		}
		t := Thread{ID: id, District: s.district, Title: title, CreatedBy: p.Subject, CreatedByRole: string(p.Role), Posts: 1, CreatedAt: now, LastPostAt: now}
		post := Post{ID: pid, ThreadID: id, Seq: 1, Author: p.Subject, AuthorRole: string(p.Role), CompanyID: p.Company,
			BodyMarkdown: in.BodyMarkdown, BodyHTML: html, Mentions: mentions, CreatedAt: now}
		if err := q.InsertThread(ctx, t); err != nil {
			return Thread{}, nil, err
		}
		if err := q.InsertPost(ctx, post); err != nil {
			return Thread{}, nil, err
		}
		// The author has read what it wrote.
		if _, err := q.SetReadMarker(ctx, id, p.Subject, 1, now); err != nil {
			return Thread{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionThreadOpen, ResourceThread, id, []string{"title", "body_markdown"}); err != nil {
			return Thread{}, nil, err
		}
		t.LastRead = 1
		return t, []Change{{Type: EventLiaisonThreadOpened, Thread: &t, Post: &post}}, nil
	})
}

// AddPost implements Liaison: a reply, which moves the author's own marker.
func (s *Messaging) AddPost(ctx context.Context, threadID string, in PostInput) (Post, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Post{}, err
	}
	if err := validPostBody(in.BodyMarkdown); err != nil {
		return Post{}, err
	}
	mentions, err := validMentions(in.Mentions)
	if err != nil {
		return Post{}, err
	}
	html, err := s.md.HTML(in.BodyMarkdown)
	if err != nil {
		return Post{}, err
	}
	return s.idempotentPost(ctx, threadID, in, func(q Queries) (Post, []Change, error) {
		t, err := q.GetThread(ctx, threadID, p.Subject)
		if err != nil {
			return Post{}, nil, err
		}
		now := s.now().UTC()
		pid, err := newID()
		if err != nil {
			return Post{}, nil, err
		}
		post := Post{ID: pid, ThreadID: t.ID, Seq: t.Posts + 1, Author: p.Subject, AuthorRole: string(p.Role), CompanyID: p.Company,
			BodyMarkdown: in.BodyMarkdown, BodyHTML: html, Mentions: mentions, CreatedAt: now}
		if err := q.InsertPost(ctx, post); err != nil {
			return Post{}, nil, err
		}
		if err := q.BumpThread(ctx, t.ID, now); err != nil {
			return Post{}, nil, err
		}
		if _, err := q.SetReadMarker(ctx, t.ID, p.Subject, post.Seq, now); err != nil {
			return Post{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionPostAdd, ResourceThread, t.ID, []string{"posts"}); err != nil {
			return Post{}, nil, err
		}
		t.Posts, t.LastPostAt, t.District = post.Seq, now, s.district
		return post, []Change{{Type: EventLiaisonPostAdded, Thread: &t, Post: &post}}, nil
	})
}

// ListThreads implements Liaison.
func (s *Messaging) ListThreads(ctx context.Context, page kitx.Page) ([]Thread, string, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return nil, "", err
	}
	ts, next, err := s.repo.ListThreads(ctx, p.Subject, page)
	for i := range ts {
		ts[i].District = s.district
	}
	return ts, next, err
}

// GetThread implements Liaison.
func (s *Messaging) GetThread(ctx context.Context, id string) (Thread, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Thread{}, err
	}
	t, err := s.repo.GetThread(ctx, id, p.Subject)
	t.District = s.district
	return t, err
}

// ListPosts implements Liaison.
func (s *Messaging) ListPosts(ctx context.Context, threadID string, page kitx.Page) ([]Post, string, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.repo.GetThread(ctx, threadID, p.Subject); err != nil {
		return nil, "", err
	}
	return s.repo.ListPosts(ctx, threadID, page)
}

// MarkRead implements Liaison: the caller's marker moves to in.Seq (the
// thread's last post by default), never back.
func (s *Messaging) MarkRead(ctx context.Context, threadID string, in MarkReadInput) (Thread, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Thread{}, err
	}
	var out Thread
	err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
		t, err := q.GetThread(ctx, threadID, p.Subject)
		if err != nil {
			return nil, err
		}
		seq := in.Seq
		if seq == 0 {
			seq = t.Posts
		}
		if seq < 0 || seq > t.Posts {
			return nil, ErrReadSeqInvalid
		}
		moved, err := q.SetReadMarker(ctx, t.ID, p.Subject, seq, s.now().UTC())
		if err != nil || !moved {
			out = t
			return nil, err
		}
		if out, err = q.GetThread(ctx, threadID, p.Subject); err != nil {
			return nil, err
		}
		return []Change{{Type: EventLiaisonThreadRead, Thread: &out, Reader: p.Subject, ReadSeq: seq}}, nil
	})
	out.District = s.district
	return out, err
}

// UnreadSummary implements Liaison.
func (s *Messaging) UnreadSummary(ctx context.Context) (Unread, error) {
	p, err := auth.RequirePrincipal(ctx)
	if err != nil {
		return Unread{}, err
	}
	return s.repo.UnreadSummary(ctx, p.Subject)
}

func (s *Messaging) idempotentThread(ctx context.Context, in OpenThreadInput, create func(q Queries) (Thread, []Change, error)) (Thread, error) {
	req := idempotency.Request{Scope: "POST liaison/threads", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, func(t Thread) any { return t })
}

func (s *Messaging) idempotentPost(ctx context.Context, threadID string, in PostInput, create func(q Queries) (Post, []Change, error)) (Post, error) {
	req := idempotency.Request{Scope: "POST liaison/threads/" + threadID + "/posts", Key: in.IdempotencyKey, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, func(p Post) any { return p })
}
