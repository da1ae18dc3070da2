package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

const postCols = `id, district, version, title, body_markdown, body_html, red_shield_post, company_id, author, author_role, status, reason,
	submitted_at, updated_at, published_version, published_at, author_name`

func scanPublicity(s storage.Scanner) (service.PublicityPost, error) {
	var p service.PublicityPost
	var sub, up string
	var pub sql.NullString
	err := s.Scan(&p.ID, &p.District, &p.Version, &p.Title, &p.BodyMarkdown, &p.BodyHTML, &p.RedShieldPost, &p.CompanyID, &p.Author, &p.AuthorRole,
		&p.Status, &p.Reason, &sub, &up, &p.PublishedVersion, &pub, &p.AuthorName)
	if errors.Is(err, sql.ErrNoRows) {
		return p, service.ErrPublicityNotFound
	}
	if err != nil {
		return p, fmt.Errorf("store: scan post: %w", err)
	}
	p.SubmittedAt, p.UpdatedAt, p.PublishedAt = storage.ParseTime(sub), storage.ParseTime(up), parseOpt(pub)
	return p, nil
}

// GetPublicityPost implements service.Queries.
func (q queries) GetPublicityPost(ctx context.Context, id string) (service.PublicityPost, error) {
	return scanPublicity(q.QueryRow(ctx, `SELECT `+postCols+` FROM publicity_posts WHERE id = ?`, id))
}

// PutPublicityPost implements service.Queries.
func (q queries) PutPublicityPost(ctx context.Context, p service.PublicityPost) error {
	_, err := q.Exec(ctx, `INSERT INTO publicity_posts (`+postCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, version = excluded.version, title = excluded.title,
			body_markdown = excluded.body_markdown, body_html = excluded.body_html, red_shield_post = excluded.red_shield_post,
			company_id = excluded.company_id, author = excluded.author, author_role = excluded.author_role, status = excluded.status,
			reason = excluded.reason, submitted_at = excluded.submitted_at, updated_at = excluded.updated_at,
			published_version = excluded.published_version, published_at = excluded.published_at, author_name = excluded.author_name`,
		p.ID, p.District, p.Version, p.Title, p.BodyMarkdown, p.BodyHTML, p.RedShieldPost, p.CompanyID, p.Author, p.AuthorRole, p.Status, p.Reason,
		storage.FormatTime(p.SubmittedAt), storage.FormatTime(p.UpdatedAt), p.PublishedVersion, optTime(p.PublishedAt), p.AuthorName)
	if err != nil {
		return fmt.Errorf("store: put post: %w", err)
	}
	return nil
}

// ListPublicityPosts implements service.Queries.
func (q queries) ListPublicityPosts(ctx context.Context, f service.PostFilter, p kitx.Page) ([]service.PublicityPost, string, error) {
	query, args := `SELECT `+postCols+` FROM publicity_posts WHERE id > ?`, []any{p.Cursor}
	if f.Status != "" {
		query, args = query+` AND status = ?`, append(args, f.Status)
	}
	if f.CompanyID != "" {
		query, args = query+` AND company_id = ?`, append(args, f.CompanyID)
	}
	ps, err := all(ctx, q, query+` ORDER BY id LIMIT ?`, append(args, p.Size+1), scanPublicity)
	if err != nil {
		return nil, "", err
	}
	items, next := page(ps, p, func(x service.PublicityPost) string { return x.ID })
	return items, next, nil
}

// PutPublished implements service.Queries.
func (q queries) PutPublished(ctx context.Context, p service.PublishedPost) error {
	_, err := q.Exec(ctx, `INSERT INTO published_posts (id, district, version, title, body_html, red_shield_post, company_id, author, published_at, author_name)
		VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, title = excluded.title, body_html = excluded.body_html,
			red_shield_post = excluded.red_shield_post, published_at = excluded.published_at, author = excluded.author,
			author_name = excluded.author_name
		WHERE excluded.version > published_posts.version`,
		p.ID, p.District, p.Version, p.Title, p.BodyHTML, p.RedShieldPost, p.CompanyID, p.Author, storage.FormatTime(p.PublishedAt), p.AuthorName)
	if err != nil {
		return fmt.Errorf("store: put published post: %w", err)
	}
	return nil
}

// ListPublished implements service.Queries: newest first would need a
// second cursor; the feed is in id (writing) order like every list.
func (q queries) ListPublished(ctx context.Context, p kitx.Page) ([]service.PublishedPost, string, error) {
	ps, err := all(ctx, q, `SELECT id, district, version, title, body_html, red_shield_post, company_id, author, published_at, author_name
		FROM published_posts WHERE id > ? ORDER BY id LIMIT ?`, []any{p.Cursor, p.Size + 1}, func(s storage.Scanner) (service.PublishedPost, error) {
		var x service.PublishedPost
		var at string
		if err := s.Scan(&x.ID, &x.District, &x.Version, &x.Title, &x.BodyHTML, &x.RedShieldPost, &x.CompanyID, &x.Author, &at, &x.AuthorName); err != nil {
			return x, fmt.Errorf("store: scan published post: %w", err)
		}
		x.PublishedAt = storage.ParseTime(at)
		return x, nil
	})
	if err != nil {
		return nil, "", err
	}
	items, next := page(ps, p, func(x service.PublishedPost) string { return x.ID })
	return items, next, nil
}
