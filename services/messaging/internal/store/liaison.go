package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// threadSelect reads a thread with reader's marker and unread counts: the
// posts after the marker (the index on (thread_id, seq)) and the mentions
// of reader after it (the primary key of liaison_mentions).
const threadSelect = `SELECT t.id, t.title, t.created_by, t.created_by_role, t.posts, t.created_at, t.last_post_at,
	coalesce(m.seq, 0),
	t.posts - coalesce(m.seq, 0),
	(SELECT count(*) FROM liaison_mentions x WHERE x.subject = ? AND x.thread_id = t.id AND x.seq > coalesce(m.seq, 0))
	FROM liaison_threads t LEFT JOIN liaison_read_markers m ON m.thread_id = t.id AND m.reader = ?`

func scanThread(r storage.Scanner) (service.Thread, error) {
	var t service.Thread
	var cr, last string
	err := r.Scan(&t.ID, &t.Title, &t.CreatedBy, &t.CreatedByRole, &t.Posts, &cr, &last, &t.LastRead, &t.Unread, &t.UnreadMentions)
	if errors.Is(err, sql.ErrNoRows) {
		return t, service.ErrThreadNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: scan thread: %w", err)
	}
	t.CreatedAt, t.LastPostAt = storage.ParseTime(cr), storage.ParseTime(last)
	return t, nil
}

// InsertThread implements service.Queries.
func (q queries) InsertThread(ctx context.Context, t service.Thread) error {
	_, err := q.Exec(ctx, `INSERT INTO liaison_threads (id, title, created_by, created_by_role, posts, created_at, last_post_at) VALUES (?,?,?,?,?,?,?)`,
		t.ID, t.Title, t.CreatedBy, t.CreatedByRole, t.Posts, storage.FormatTime(t.CreatedAt), storage.FormatTime(t.LastPostAt))
	if err != nil {
		return fmt.Errorf("store: insert thread: %w", err)
	}
	return nil
}

// GetThread implements service.Queries.
func (q queries) GetThread(ctx context.Context, id, reader string) (service.Thread, error) {
	return scanThread(q.QueryRow(ctx, threadSelect+` WHERE t.id = ?`, reader, reader, id))
}

// ListThreads implements service.Queries.
func (q queries) ListThreads(ctx context.Context, reader string, p kitx.Page) ([]service.Thread, string, error) {
	ts, err := all(ctx, q, threadSelect+` WHERE t.id > ? ORDER BY t.id LIMIT ?`, []any{reader, reader, p.Cursor, p.Size + 1}, scanThread)
	if err != nil {
		return nil, "", err
	}
	items, next := page(ts, p, func(t service.Thread) string { return t.ID })
	return items, next, nil
}

// BumpThread implements service.Queries.
func (q queries) BumpThread(ctx context.Context, id string, at time.Time) error {
	_, err := q.Exec(ctx, `UPDATE liaison_threads SET posts = posts + 1, last_post_at = ? WHERE id = ?`, storage.FormatTime(at), id)
	if err != nil {
		return fmt.Errorf("store: bump thread: %w", err)
	}
	return nil
}

// InsertPost implements service.Queries, with its mentions.
func (q queries) InsertPost(ctx context.Context, p service.Post) error {
	ms, err := jsonOf(p.Mentions)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO liaison_posts (id, thread_id, seq, author, author_role, company_id, body_markdown, body_html, mentions, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, p.ID, p.ThreadID, p.Seq, p.Author, p.AuthorRole, p.CompanyID, p.BodyMarkdown, p.BodyHTML, ms,
		storage.FormatTime(p.CreatedAt)); err != nil {
		return fmt.Errorf("store: insert post: %w", err)
	}
	for _, m := range p.Mentions {
		if _, err := q.Exec(ctx, `INSERT INTO liaison_mentions (subject, thread_id, seq) VALUES (?,?,?)`, m, p.ThreadID, p.Seq); err != nil {
			return fmt.Errorf("store: insert mention: %w", err)
		}
	}
	return nil
}

// ListPosts implements service.Queries: in thread order, paged by seq.
func (q queries) ListPosts(ctx context.Context, threadID string, p kitx.Page) ([]service.Post, string, error) {
	after := int64(0)
	if p.Cursor != "" {
		if _, err := fmt.Sscan(p.Cursor, &after); err != nil {
			return nil, "", kitx.ErrPageToken
		}
	}
	ps, err := all(ctx, q, `SELECT id, thread_id, seq, author, author_role, company_id, body_markdown, body_html, mentions, created_at
		FROM liaison_posts WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?`, []any{threadID, after, p.Size + 1},
		func(s storage.Scanner) (service.Post, error) {
			var x service.Post
			var ms, cr string
			if err := s.Scan(&x.ID, &x.ThreadID, &x.Seq, &x.Author, &x.AuthorRole, &x.CompanyID, &x.BodyMarkdown, &x.BodyHTML, &ms, &cr); err != nil {
				return x, fmt.Errorf("store: scan post: %w", err)
			}
			x.CreatedAt = storage.ParseTime(cr)
			if err := json.Unmarshal([]byte(ms), &x.Mentions); err != nil {
				return x, fmt.Errorf("store: post mentions: %w", err)
			}
			return x, nil
		})
	if err != nil {
		return nil, "", err
	}
	items, next := page(ps, p, func(x service.Post) string { return fmt.Sprint(x.Seq) })
	return items, next, nil
}

// SetReadMarker implements service.Queries.
func (q queries) SetReadMarker(ctx context.Context, threadID, reader string, seq int64, at time.Time) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO liaison_read_markers (thread_id, reader, seq, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (thread_id, reader) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
		WHERE excluded.seq > liaison_read_markers.seq`, threadID, reader, seq, storage.FormatTime(at))
	if err != nil {
		return false, fmt.Errorf("store: read marker: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// UnreadSummary implements service.Queries.
func (q queries) UnreadSummary(ctx context.Context, reader string) (service.Unread, error) {
	var u service.Unread
	err := q.QueryRow(ctx, `SELECT count(CASE WHEN t.posts - coalesce(m.seq, 0) > 0 THEN 1 END), coalesce(sum(t.posts - coalesce(m.seq, 0)), 0),
		(SELECT count(*) FROM liaison_mentions x LEFT JOIN liaison_read_markers mm ON mm.thread_id = x.thread_id AND mm.reader = ?
			WHERE x.subject = ? AND x.seq > coalesce(mm.seq, 0))
		FROM liaison_threads t LEFT JOIN liaison_read_markers m ON m.thread_id = t.id AND m.reader = ?`, reader, reader, reader).
		Scan(&u.Threads, &u.Unread, &u.UnreadMentions)
	if err != nil {
		return u, fmt.Errorf("store: unread: %w", err)
	}
	return u, nil
}
