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

const teamNoticeCols = `id, guard_id, kind, title, body, team_id, subject_guard_id, shift_id, reasons, event_id, created_at, read_at, dispatch_id`

func scanTeamNotice(r storage.Scanner) (service.TeamNotice, error) {
	var n service.TeamNotice
	var reasons, created string
	var read sql.NullString
	err := r.Scan(&n.ID, &n.GuardID, &n.Kind, &n.Title, &n.Body, &n.TeamID, &n.SubjectGuardID, &n.ShiftID, &reasons, &n.EventID, &created, &read, &n.DispatchID)
	if errors.Is(err, sql.ErrNoRows) {
		return n, service.ErrTeamNoticeNotFound
	}
	if err != nil {
		return n, fmt.Errorf("store: scan team notice: %w", err)
	}
	if err := json.Unmarshal([]byte(reasons), &n.Reasons); err != nil {
		return n, fmt.Errorf("store: team notice reasons: %w", err)
	}
	n.CreatedAt, n.ReadAt = storage.ParseTime(created), parseOpt(read)
	n.Status = service.TeamNoticeDelivered
	if n.ReadAt != nil {
		n.Status = service.TeamNoticeRead
	}
	return n, nil
}

// InsertTeamNotice implements service.Queries: the (event, leader) key
// makes a redelivered event's insert a no-op.
func (q queries) InsertTeamNotice(ctx context.Context, n service.TeamNotice) (bool, error) {
	reasons, err := jsonOf(n.Reasons)
	if err != nil {
		return false, err
	}
	res, err := q.Exec(ctx, `INSERT INTO team_notices (`+teamNoticeCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (event_id, guard_id) DO NOTHING`,
		n.ID, n.GuardID, n.Kind, n.Title, n.Body, n.TeamID, n.SubjectGuardID, n.ShiftID, reasons, n.EventID,
		storage.FormatTime(n.CreatedAt), optTime(n.ReadAt), n.DispatchID)
	if err != nil {
		return false, fmt.Errorf("store: insert team notice: %w", err)
	}
	added, err := res.RowsAffected()
	return added > 0, err
}

// GetTeamNotice implements service.Queries.
func (q queries) GetTeamNotice(ctx context.Context, guard, id string) (service.TeamNotice, error) {
	return scanTeamNotice(q.QueryRow(ctx, `SELECT `+teamNoticeCols+` FROM team_notices WHERE id = ? AND guard_id = ?`, id, guard))
}

// ListTeamNotices implements service.Queries.
func (q queries) ListTeamNotices(ctx context.Context, guard string, p kitx.Page) ([]service.TeamNotice, string, error) {
	ns, err := all(ctx, q, `SELECT `+teamNoticeCols+` FROM team_notices WHERE (? = '' OR guard_id = ?) AND id > ? ORDER BY id LIMIT ?`,
		[]any{guard, guard, p.Cursor, p.Size + 1}, scanTeamNotice)
	if err != nil {
		return nil, "", err
	}
	items, next := page(ns, p, func(n service.TeamNotice) string { return n.ID })
	return items, next, nil
}

// MarkTeamNoticeRead implements service.Queries.
func (q queries) MarkTeamNoticeRead(ctx context.Context, id string, at time.Time) error {
	_, err := q.Exec(ctx, `UPDATE team_notices SET read_at = ? WHERE id = ? AND read_at IS NULL`, storage.FormatTime(at), id)
	if err != nil {
		return fmt.Errorf("store: read team notice: %w", err)
	}
	return nil
}
