package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/sheet"
)

// Import limits.
const (
	// MaxImportBytes is the largest file accepted (10 MiB).
	MaxImportBytes = 10 << 20
	// MaxImportRows is the most data rows a file may have.
	MaxImportRows = 50000
	// ImportChunkRows is how many rows one transaction imports: big enough
	// to be fast, small enough that a restart redoes little and the writer
	// lock is never held for long. The job's processed_rows moves by this
	// much while it runs.
	ImportChunkRows = 200
	// maxReportedErrors caps the per-row error report stored with a job so
	// a file of 50k bad rows does not make a 10 MB job record; Failed
	// still counts every rejected row.
	maxReportedErrors = 1000
)

// cellKind is how an import cell is read.
type cellKind int

const (
	// cellText is taken as written (trimmed).
	cellText cellKind = iota
	// cellDate is read with sheet.Date (2025/9/23, 2025年9月23日, an Excel
	// serial…) and handed on as YYYY-MM-DD; a cell it cannot read is
	// handed on as written, for the field's own validation to refuse.
	cellDate
	// cellBool is read with sheet.Bool (是/否, 1/0, true/false…); empty is
	// false.
	cellBool
)

// ImportColumn is one column of a guard import. importColumns is the one
// list that drives header matching, the downloadable template (its header
// and notes sheet) and the error report's field names: a new guard field
// becomes importable by adding a row there.
type ImportColumn struct {
	// Name is the API field name, used in the header and as the error
	// report's field.
	Name string
	// Title is the column's Chinese title, the template's header; a header
	// may use either.
	Title string
	// Required columns must be in the header.
	Required bool
	kind     cellKind
	// Note and Example describe the column on the template's notes sheet.
	Note, Example string
	// text or flag is the HireGuardInput field the cell fills.
	text func(*HireGuardInput) *string
	flag func(*HireGuardInput) *bool
}

// importColumns are the columns a guard import may have, in the template's
// order.
var importColumns = []ImportColumn{
	{Name: "name", Title: "姓名", Required: true, Note: "保安员姓名，必填，最多100字", Example: "张伟",
		text: func(in *HireGuardInput) *string { return &in.Name }},
	{Name: "id_number", Title: "身份证号", Required: true, Note: "18位居民身份证号，必填，校验位须正确；同一文件内不得重复", Example: "420106198803141236",
		text: func(in *HireGuardInput) *string { return &in.IDNumber }},
	{Name: "certificate_number", Title: "保安员证号", Note: "保安员证编号，可空；填写时须同时填写发证日期；同一文件内不得重复", Example: "鄂保2024000123",
		text: func(in *HireGuardInput) *string { return &in.CertificateNumber }},
	{Name: "certificate_issued_on", Title: "发证日期", kind: cellDate, Note: "保安员证发证日期，如 2024-01-02、2024/1/2 或 2024年1月2日", Example: "2024-01-02",
		text: func(in *HireGuardInput) *string { return &in.CertificateIssuedOn }},
	{Name: "certificate_valid_until", Title: "有效期至", kind: cellDate, Note: "保安员证有效期截止日（含当日），可空；不得早于发证日期", Example: "2029-01-01",
		text: func(in *HireGuardInput) *string { return &in.CertificateValidUntil }},
	{Name: "certificate_authority", Title: "发证机关", Note: "保安员证发证机关，可空，最多100字", Example: "武汉市公安局",
		text: func(in *HireGuardInput) *string { return &in.CertificateAuthority }},
	{Name: "hired_on", Title: "入职日期", kind: cellDate, Note: "入职日期，不得晚于今天；空则为导入当天", Example: "2024-02-01",
		text: func(in *HireGuardInput) *string { return &in.HiredOn }},
	{Name: "badge_service", Title: "挂牌服务", kind: cellBool, Note: "是/否（1/0、true/false 亦可），空为否", Example: "是",
		flag: func(in *HireGuardInput) *bool { return &in.BadgeService }},
	{Name: "volunteer_police", Title: "志愿警察", kind: cellBool, Note: "是否为志愿警察：是/否，空为否", Example: "否",
		flag: func(in *HireGuardInput) *bool { return &in.VolunteerPolice }},
	{Name: "party_member", Title: "党员", kind: cellBool, Note: "是否为中共党员：是/否，空为否", Example: "否",
		flag: func(in *HireGuardInput) *bool { return &in.PartyMember }},
}

// ImportColumns returns the columns a guard import may have, in the
// template's order.
func ImportColumns() []ImportColumn { return slices.Clone(importColumns) }

// columnByHeader finds the column a header cell names: its API name in any
// case, or its Chinese title (a trailing "*", which a template may use to
// mark a required column, is ignored).
func columnByHeader(h string) (int, bool) {
	h = strings.TrimSuffix(strings.TrimSpace(h), "*")
	for i, c := range importColumns {
		if strings.EqualFold(h, c.Name) || h == c.Title {
			return i, true
		}
	}
	return 0, false
}

// parsedImport is an accepted file: which cell of a row holds which column
// (col[i] is the cell index of importColumns[i], or -1), and its rows.
type parsedImport struct {
	format sheet.Format
	width  int
	col    []int
	rows   []sheet.Row
}

// importLimits are the file limits of an import, in pkg/sheet's terms.
var importLimits = sheet.Limits{MaxBytes: MaxImportBytes, MaxRows: MaxImportRows}

// parseImport reads an uploaded .xlsx or CSV (UTF-8, UTF-8 with a byte
// order mark, UTF-16 or GB18030/GBK) with pkg/sheet, checks its header and
// size and returns its rows with their line numbers.
func parseImport(data []byte) (parsedImport, error) {
	t, err := sheet.Parse(data, importLimits)
	if err != nil {
		return parsedImport{}, importFileError(err)
	}
	p := parsedImport{format: t.Format, width: len(t.Header), col: make([]int, len(importColumns)), rows: t.Rows}
	for i := range p.col {
		p.col[i] = -1
	}
	for i, h := range t.Header {
		c, known := columnByHeader(h)
		if !known || p.col[c] >= 0 {
			// Only the column's position: a file without a header has a
			// guard's ID number where the header should be, and errors are
			// logged.
			return parsedImport{}, ErrImportHeader.Wrap(fmt.Errorf("column %d is unknown or repeated", i+1))
		}
		p.col[c] = i
	}
	for i, c := range importColumns {
		if c.Required && p.col[i] < 0 {
			return parsedImport{}, ErrImportHeader.Wrap(fmt.Errorf("column %s is missing", c.Name))
		}
	}
	if len(p.rows) == 0 {
		return parsedImport{}, ErrImportEmpty
	}
	return p, nil
}

// importFileError maps pkg/sheet's plain errors to the import.* ids.
func importFileError(err error) error {
	var m *sheet.MalformedError
	switch {
	case errors.Is(err, sheet.ErrTooLarge):
		return ErrImportTooLarge
	case errors.Is(err, sheet.ErrTooMany):
		return ErrImportTooManyRows
	case errors.Is(err, sheet.ErrEmpty):
		return ErrImportEmpty
	case errors.Is(err, sheet.ErrEncoding):
		return ErrImportNotUTF8.Wrap(err)
	case errors.Is(err, sheet.ErrLegacyXLS):
		return ErrImportLegacyFormat.Wrap(err)
	case errors.As(err, &m):
		e := ErrImportMalformed.Wrap(err)
		if m.Line > 0 {
			e.Message = fmt.Sprintf("%s (line %d: %v)", ErrImportMalformed.Message, m.Line, m.Err)
		}
		return e
	}
	return ErrImportMalformed.Wrap(err)
}

// columns lists the file's columns in importColumns order, for the audit
// log (the names of the guard fields an import writes).
func (p parsedImport) columns() []string {
	var out []string
	for i, c := range importColumns {
		if p.col[i] >= 0 {
			out = append(out, c.Name)
		}
	}
	return out
}

// cell returns column i's cell of row ("" when the row is short).
func (p parsedImport) cell(row sheet.Row, i int) string {
	if j := p.col[i]; j >= 0 && j < len(row.Cells) {
		return row.Cells[j]
	}
	return ""
}

// hireInput turns a row into a hire, or reports the field at fault.
func (p parsedImport) hireInput(companyID string, row sheet.Row) (HireGuardInput, error) {
	// A CSV row has every field of the header; a worksheet row may stop
	// early (Excel drops trailing blank cells) but never run past it.
	if len(row.Cells) > p.width || (p.format == sheet.CSV && len(row.Cells) != p.width) {
		return HireGuardInput{}, ErrImportRowMalformed
	}
	in := HireGuardInput{CompanyID: companyID}
	for i, c := range importColumns {
		v := p.cell(row, i)
		// A cell is one line of text: a control character is refused with
		// the same id as in a JSON body, naming its column.
		if err := kitx.SingleLine(c.Name, v); err != nil {
			return HireGuardInput{}, err
		}
		switch c.kind {
		case cellBool:
			if v == "" {
				continue
			}
			b, ok := sheet.Bool(v)
			if !ok {
				return HireGuardInput{}, ErrGuardFlagInvalid.WithField(c.Name)
			}
			*c.flag(&in) = b
		case cellDate:
			if d, ok := sheet.Date(v); ok {
				v = d
			}
			*c.text(&in) = v
		case cellText:
			*c.text(&in) = v
		}
	}
	return in, nil
}

// duplicateKeys are the columns whose value no two rows of one file may
// share: the person, and the certificate.
var duplicateKeys = []string{"id_number", "certificate_number"}

// duplicates finds the rows that repeat an earlier row's ID number or
// certificate number: row index → the error naming the earlier line. ID
// numbers compare in their normal form (a lower-case x, spaces), so a
// repeat is caught however it was typed; a number that does not validate
// is left to the row's own validation. It reads the whole file, so a
// resumed job finds the same duplicates.
func (s *Membership) duplicates(p parsedImport) map[int]error {
	out := map[int]error{}
	for _, key := range duplicateKeys {
		ci := slices.IndexFunc(importColumns, func(c ImportColumn) bool { return c.Name == key })
		if ci < 0 || p.col[ci] < 0 {
			continue
		}
		first := map[string]int{}
		for i, row := range p.rows {
			v := p.cell(row, ci)
			if key == "id_number" {
				n, err := s.ids.NormalizeResidentID(v)
				if err != nil {
					continue
				}
				v = n
			} else {
				v = strings.ToUpper(v)
			}
			if v == "" {
				continue
			}
			line, seen := first[v]
			if !seen {
				first[v] = row.Line
				continue
			}
			if _, already := out[i]; !already {
				e := ErrImportRowDuplicate.WithField(key)
				e.Message = fmt.Sprintf("duplicate of line %d in this file (the same %s)", line, key)
				out[i] = e
			}
		}
	}
	return out
}

// WriteImportTemplate writes the guard import template: a header of the
// columns' Chinese titles, which the import accepts, and (in xlsx) a notes
// sheet describing each column. Every xlsx cell is text, so an 18-digit ID
// number typed into it stays a number's digits, not 4.2E+17; the CSV has a
// UTF-8 byte order mark so that Excel opens it as UTF-8.
func WriteImportTemplate(w io.Writer, f sheet.Format) error {
	header := make([]string, len(importColumns))
	widths := make([]float64, len(importColumns))
	notes := [][]string{{"列名", "字段", "必填", "说明", "示例"}}
	for i, c := range importColumns {
		header[i] = c.Title
		widths[i] = 16
		if c.Name == "id_number" {
			widths[i] = 22
		}
		required := "否"
		if c.Required {
			required = "是"
		}
		notes = append(notes, []string{c.Title, c.Name, required, c.Note, c.Example})
	}
	notes = append(notes, []string{}, []string{"说明", "", "", "表头可用中文列名或英文字段名；日期可写作 2024-01-02、2024/1/2、2024年1月2日；每行一名保安员，空行忽略。", ""})
	sw, err := sheet.NewWriter(w, f, "保安员", header, widths...)
	if err != nil {
		return err
	}
	sw.AddNotes("填写说明", notes)
	return sw.Close()
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
	var p parsedImport
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
	dups := s.duplicates(p)
	for chunks := 0; job.ProcessedRows < len(p.rows); chunks++ {
		if ctx.Err() != nil || (maxChunks > 0 && chunks == maxChunks) {
			return nil
		}
		end := min(job.ProcessedRows+ImportChunkRows, len(p.rows))
		next := job
		next.Errors = append([]ImportError(nil), job.Errors...)
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			var changes []Change
			for i := job.ProcessedRows; i < end; i++ {
				row := p.rows[i]
				g, err := s.importRow(ctx, q, p, job.CompanyID, row, dups[i])
				switch {
				case err == nil:
					next.Succeeded++
					changes = append(changes, Change{Type: EventGuardHired, Guard: &g})
				case errs.KindOf(err) != errs.Internal:
					next.Failed++
					if len(next.Errors) < maxReportedErrors {
						next.Errors = append(next.Errors, rowError(row.Line, err))
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

func (s *Membership) importRow(ctx context.Context, q Queries, p parsedImport, companyID string, row sheet.Row, dup error) (Guard, error) {
	in, err := p.hireInput(companyID, row)
	if err == nil && dup != nil {
		err = dup
	}
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
