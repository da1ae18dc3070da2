package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/pii"
)

// Import limits.
const (
	// MaxImportBytes is the largest CSV accepted (10 MiB).
	MaxImportBytes = 10 << 20
	// MaxImportRows is the most data rows a CSV may have.
	MaxImportRows = 50000
	// ImportChunkRows is how many rows one transaction imports: big enough
	// to be fast, small enough that a restart redoes little and the writer
	// lock is never held for long.
	ImportChunkRows = 200
	// maxReportedErrors caps the per-row error report stored with a job so
	// a file of 50k bad rows does not make a 10 MB job record; Failed
	// still counts every rejected row.
	maxReportedErrors = 1000
)

// importColumns are the columns a guard import may have; name and id_number
// are required.
var importColumns = []string{"name", "id_number", "certificate_number", "certificate_issued_on", "certificate_valid_until", "certificate_authority", "hired_on", "badge_service", "volunteer_police", "party_member"}

type csvRow struct {
	line   int
	fields []string
}

type parsedCSV struct {
	col  map[string]int
	rows []csvRow
}

// parseImport checks a CSV's encoding, header and size and returns its rows
// with their line numbers.
func parseImport(data []byte) (parsedCSV, error) {
	if len(data) > MaxImportBytes {
		return parsedCSV{}, ErrImportTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return parsedCSV{}, ErrImportNotUTF8
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // a short row is that row's error, not the file's
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return parsedCSV{}, ErrImportEmpty
	}
	if err != nil {
		return parsedCSV{}, ErrImportMalformed.Wrap(err)
	}
	p := parsedCSV{col: map[string]int{}}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range importColumns {
			known = known || c == h
		}
		if _, dup := p.col[h]; !known || dup {
			// Only the column's position: a file without a header has a
			// guard's ID number where the header should be, and errors are
			// logged.
			return parsedCSV{}, ErrImportHeader.Wrap(fmt.Errorf("column %d is unknown or repeated", i+1))
		}
		p.col[h] = i
	}
	if _, ok := p.col["name"]; !ok {
		return parsedCSV{}, ErrImportHeader
	}
	if _, ok := p.col["id_number"]; !ok {
		return parsedCSV{}, ErrImportHeader
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := ErrImportMalformed.Wrap(err)
			e.Message = fmt.Sprintf("the file is not valid CSV: %v", err)
			return parsedCSV{}, e
		}
		line, _ := r.FieldPos(0)
		p.rows = append(p.rows, csvRow{line: line, fields: rec})
		if len(p.rows) > MaxImportRows {
			return parsedCSV{}, ErrImportTooManyRows
		}
	}
	if len(p.rows) == 0 {
		return parsedCSV{}, ErrImportEmpty
	}
	return p, nil
}

// columns lists the file's columns in importColumns order, for the audit
// log (the names of the guard fields an import writes).
func (p parsedCSV) columns() []string {
	var out []string
	for _, c := range importColumns {
		if _, ok := p.col[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// hireInput turns a CSV row into a hire, or reports the field at fault.
func (p parsedCSV) hireInput(companyID string, row csvRow) (HireGuardInput, error) {
	if len(row.fields) != len(p.col) {
		return HireGuardInput{}, ErrImportRowMalformed
	}
	get := func(c string) string {
		if i, ok := p.col[c]; ok {
			return strings.TrimSpace(row.fields[i])
		}
		return ""
	}
	// A cell is one line of text: a NUL or control character is refused
	// with the same id as in a JSON body, naming its column.
	for _, c := range importColumns {
		if err := kitx.SingleLine(c, get(c)); err != nil {
			return HireGuardInput{}, err
		}
	}
	in := HireGuardInput{
		CompanyID: companyID, Name: get("name"), IDNumber: get("id_number"),
		CertificateNumber: get("certificate_number"), CertificateIssuedOn: get("certificate_issued_on"),
		CertificateValidUntil: get("certificate_valid_until"), CertificateAuthority: get("certificate_authority"),
		HiredOn: get("hired_on"),
	}
	for _, b := range []struct {
		col string
		dst *bool
	}{{"badge_service", &in.BadgeService}, {"volunteer_police", &in.VolunteerPolice}, {"party_member", &in.PartyMember}} {
		v, ok := parseFlag(get(b.col))
		if !ok {
			return HireGuardInput{}, ErrGuardFlagInvalid.WithField(b.col)
		}
		*b.dst = v
	}
	return in, nil
}

// parseFlag reads a spreadsheet yes/no cell, in English or Chinese.
func parseFlag(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "n", "否":
		return false, true
	case "1", "true", "yes", "y", "是":
		return true, true
	}
	return false, false
}

// StartGuardImport implements Service.
func (s *Membership) StartGuardImport(ctx context.Context, in StartImportInput) (ImportJob, error) {
	p, err := parseImport(in.CSV)
	if err != nil {
		return ImportJob{}, err
	}
	// The idempotency record keeps a hash of the request; a plain SHA-256
	// of a short file of known layout could be brute-forced back to its ID
	// numbers, so it is keyed like the ID hash.
	sum := sha256.Sum256(in.CSV)
	hashed := in
	hashed.CSV = []byte(s.ids.HashResidentID(hex.EncodeToString(sum[:])))
	sealed, err := s.sealer.Seal(string(in.CSV))
	if err != nil {
		return ImportJob{}, fmt.Errorf("membership: seal import: %w", err)
	}
	actor := audit.ActorFromContext(ctx)
	job, err := idempotent(ctx, s, "POST companies/"+in.CompanyID+"/guards/imports", in.IdempotencyKey, hashed, func(q Queries) (ImportJob, []Change, error) {
		c, err := q.GetCompany(ctx, in.CompanyID)
		if err != nil {
			return ImportJob{}, nil, err
		}
		if !AcceptsGuards(c.Status) {
			return ImportJob{}, nil, ErrCompanyNotAcceptingGuards
		}
		id, err := newID()
		if err != nil {
			return ImportJob{}, nil, err
		}
		now := s.now().UTC()
		j := ImportJob{
			ID: id, CompanyID: c.ID, Status: ImportQueued, TotalRows: len(p.rows),
			Errors: []ImportError{}, CreatedAt: now, UpdatedAt: now, CSVSealed: sealed, StartedBy: actor,
		}
		if err := q.InsertImport(ctx, j); err != nil {
			return ImportJob{}, nil, err
		}
		if err := s.AuditAs(ctx, q, actor, ActionImportStart, ResourceImport, j.ID, p.columns()); err != nil {
			return ImportJob{}, nil, err
		}
		return j, nil, nil
	})
	if err != nil {
		return ImportJob{}, err
	}
	s.WakeImports()
	return job, nil
}

// GetImport implements Service.
func (s *Membership) GetImport(ctx context.Context, id string) (ImportJob, error) {
	j, err := s.repo.GetImport(ctx, id)
	if err != nil {
		return ImportJob{}, err
	}
	if j.Errors == nil {
		j.Errors = []ImportError{}
	}
	return j, nil
}

// WakeImports tells the import worker a job is waiting.
func (s *Membership) WakeImports() {
	select {
	case s.importWake <- struct{}{}:
	default:
	}
}

// Run does the service's background work until ctx ends: it runs queued
// import jobs (resuming any a restart interrupted), expires idempotency
// keys and re-seals ID numbers sealed with an old key. It returns nil when
// ctx ends.
func (s *Membership) Run(ctx context.Context) error {
	// Polling as well as waking covers jobs queued by another replica
	// sharing the database.
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	expire := time.NewTicker(time.Hour)
	defer expire.Stop()
	s.expireKeys(ctx)
	s.reseal(ctx)
	for {
		if err := s.ProcessImports(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("guard import failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.importWake:
		case <-poll.C:
		case <-expire.C:
			s.expireKeys(ctx)
			s.reseal(ctx)
		}
	}
}

func (s *Membership) reseal(ctx context.Context) {
	n, err := s.ResealIDNumbers(ctx)
	if err != nil && ctx.Err() == nil {
		s.logger.Error("re-sealing ID numbers failed; will retry", "err", err)
	} else if n > 0 {
		s.logger.Info("ID numbers re-sealed with the current key", "count", n, "key_id", s.sealer.CurrentKeyID())
	}
}

func (s *Membership) expireKeys(ctx context.Context) {
	n, err := s.ExpireIdempotencyKeys(ctx)
	if err != nil && ctx.Err() == nil {
		s.logger.Error("idempotency key expiry failed", "err", err)
	} else if n > 0 {
		s.logger.Info("idempotency keys expired", "count", n)
	}
}

// ProcessImports runs every queued or interrupted import job to the end.
func (s *Membership) ProcessImports(ctx context.Context) error {
	ids, err := s.repo.PendingImports(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.processImport(ctx, id, 0); err != nil {
			return fmt.Errorf("membership: import %s: %w", id, err)
		}
	}
	return nil
}

// processImport imports a job's remaining rows chunk by chunk; each chunk's
// guards, their GuardHired events and the job's progress commit together,
// so a restart resumes at the first row not yet committed. maxChunks > 0
// stops after that many chunks (tests use it to interrupt a job).
func (s *Membership) processImport(ctx context.Context, id string, maxChunks int) error {
	job, err := s.repo.GetImport(ctx, id)
	if err != nil {
		return err
	}
	raw, err := s.sealer.Open(job.CSVSealed)
	if errors.Is(err, pii.ErrUnknownKeyID) {
		// A keyring missing an old key is a configuration error an
		// operator can fix: keep the job for a retry after the fix.
		return fmt.Errorf("membership: open import file: %w", err)
	}
	var p parsedCSV
	if err == nil {
		p, err = parseImport([]byte(raw))
	}
	if err != nil {
		// The file was accepted once; if it no longer opens or parses the
		// job cannot finish.
		job.Status = ImportFailed
		job.Errors = append(job.Errors, rowError(0, err))
		job.UpdatedAt = s.now().UTC()
		return s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			return nil, s.endImport(ctx, q, job, ActionImportFail, nil)
		})
	}
	for chunks := 0; job.ProcessedRows < len(p.rows); chunks++ {
		if ctx.Err() != nil || (maxChunks > 0 && chunks == maxChunks) {
			return nil
		}
		end := min(job.ProcessedRows+ImportChunkRows, len(p.rows))
		next := job
		next.Errors = append([]ImportError(nil), job.Errors...)
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			var changes []Change
			for _, row := range p.rows[job.ProcessedRows:end] {
				g, err := s.importRow(ctx, q, p, job.CompanyID, row)
				switch {
				case err == nil:
					next.Succeeded++
					changes = append(changes, Change{Type: EventGuardHired, Guard: &g})
				case errs.KindOf(err) != errs.Internal:
					next.Failed++
					if len(next.Errors) < maxReportedErrors {
						next.Errors = append(next.Errors, rowError(row.line, err))
					}
				default:
					return nil, err
				}
			}
			next.ProcessedRows = end
			next.Status = ImportRunning
			next.UpdatedAt = s.now().UTC()
			if end == len(p.rows) {
				next.Status = ImportDone
				return changes, s.endImport(ctx, q, next, ActionImportChunk, p.columns())
			}
			if err := q.UpdateImportProgress(ctx, next); err != nil {
				return nil, err
			}
			return changes, s.AuditAs(ctx, q, job.StartedBy, ActionImportChunk, ResourceImport, job.ID, p.columns())
		})
		if err != nil {
			return err
		}
		job = next
	}
	if job.Status != ImportDone {
		// The last chunk marks its job done in its own transaction, so
		// this only finishes a job stored with every row processed but a
		// pending status: end it properly (file emptied, audited) rather
		// than pick it up again forever.
		job.Status = ImportDone
		job.UpdatedAt = s.now().UTC()
		return s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			return nil, s.endImport(ctx, q, job, ActionImportChunk, p.columns())
		})
	}
	return nil
}

// endImport stores a finished job's progress, empties its stored file and
// writes its audit row, in q's transaction.
func (s *Membership) endImport(ctx context.Context, q Queries, job ImportJob, action string, fields []string) error {
	if err := q.UpdateImportProgress(ctx, job); err != nil {
		return err
	}
	if err := q.ScrubImportCSV(ctx, job.ID); err != nil {
		return err
	}
	return s.AuditAs(ctx, q, job.StartedBy, action, ResourceImport, job.ID, fields)
}

func (s *Membership) importRow(ctx context.Context, q Queries, p parsedCSV, companyID string, row csvRow) (Guard, error) {
	in, err := p.hireInput(companyID, row)
	if err != nil {
		return Guard{}, err
	}
	if err := s.validateHire(&in); err != nil {
		return Guard{}, err
	}
	return s.hire(ctx, q, in)
}

func rowError(line int, err error) ImportError {
	var e *errs.Error
	if errors.As(err, &e) {
		return ImportError{Line: line, Field: e.Field, ErrorID: e.ID, Message: e.Message}
	}
	return ImportError{Line: line, ErrorID: "internal", Message: "internal error"}
}
