// Package sheet reads and writes the tables an association office exchanges
// with Excel: .xlsx workbooks and CSV files in UTF-8 (with or without a byte
// order mark), UTF-16 (Excel's "Unicode text") or GB18030/GBK, the encoding
// Excel on a Chinese-language Windows saves a CSV in by default.
//
// A reader never guesses silently: the file's format and encoding are
// reported with its rows, and a file that is none of them is refused with a
// stable error rather than imported as mojibake.
package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Format is a file format a table is read from or written to.
type Format string

// The formats this package reads and writes.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType is the media type a response carrying the format declares.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// ParseFormat reads a format name as a client sends it ("csv", "xlsx", in
// any case); ok is false for any other name.
func ParseFormat(s string) (Format, bool) {
	switch Format(strings.ToLower(strings.TrimSpace(s))) {
	case CSV:
		return CSV, true
	case XLSX:
		return XLSX, true
	}
	return "", false
}

// Encoding names the text encoding a CSV file was decoded from.
type Encoding string

// The encodings a CSV may arrive in.
const (
	UTF8    Encoding = "utf-8"
	UTF8BOM Encoding = "utf-8-bom"
	UTF16LE Encoding = "utf-16le"
	UTF16BE Encoding = "utf-16be"
	GB18030 Encoding = "gb18030"
	// Binary is the "encoding" of an xlsx workbook, whose strings are
	// UTF-8 inside the zip.
	Binary Encoding = "binary"
)

// Row is one line of a table after its header.
type Row struct {
	// Line is the row's number as the user sees it: the line of a CSV file
	// (counting the header as line 1; a quoted cell spanning lines counts
	// where the row starts) or the row number in the worksheet.
	Line int
	// Cells are the row's values, trimmed of surrounding space. A row may
	// have fewer cells than the header (Excel drops trailing blanks).
	Cells []string
}

// Blank reports whether every cell of the row is empty: such rows (the
// blank lines Excel leaves at the end of a sheet) are skipped, not errors.
func (r Row) Blank() bool {
	for _, c := range r.Cells {
		if c != "" {
			return false
		}
	}
	return true
}

// Table is a parsed file: its header row and data rows.
type Table struct {
	Format   Format
	Encoding Encoding
	// Header holds the first row's cells, trimmed.
	Header []string
	Rows   []Row
}

// Limits bound what Parse accepts; a zero field means the default.
type Limits struct {
	// MaxBytes is the largest file accepted (default 10 MiB).
	MaxBytes int
	// MaxRows is the most data rows (default 50,000); blank rows count.
	MaxRows int
	// MaxUnzippedBytes bounds an xlsx workbook's uncompressed size, so a
	// small zip bomb cannot exhaust memory (default 200 MiB).
	MaxUnzippedBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 10 << 20
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 50000
	}
	if l.MaxUnzippedBytes <= 0 {
		l.MaxUnzippedBytes = 200 << 20
	}
	return l
}

// Errors of Parse. They are plain errors, not API errors: each caller maps
// them to its own stable ids (membership's import.* ids), so one file-format
// package never decides a service's API.
var (
	ErrEmpty    = errors.New("sheet: the file has no header row")
	ErrTooLarge = errors.New("sheet: the file is too large")
	ErrTooMany  = errors.New("sheet: the file has too many rows")
	ErrEncoding = errors.New("sheet: the file is not text in UTF-8, UTF-16 or GB18030/GBK")
	// ErrLegacyXLS is the pre-2007 .xls format, or an encrypted workbook,
	// which shares its container.
	ErrLegacyXLS = errors.New("sheet: an old .xls or a password-protected workbook")
)

// MalformedError is a file that is not a well-formed CSV or workbook; Line
// is where the reader gave up (0 when it cannot say).
type MalformedError struct {
	Line int
	Err  error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("sheet: malformed file at line %d: %v", e.Line, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// zipMagic starts every xlsx workbook (it is a zip archive); oleMagic
// starts the legacy .xls (and password-protected .xlsx) compound file.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Parse reads a table from a file's bytes, detecting xlsx by its zip
// signature and otherwise decoding CSV text.
func Parse(data []byte, lim Limits) (Table, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return Table{}, ErrTooLarge
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Table{}, ErrEmpty
	}
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return parseXLSX(data, lim)
	case bytes.HasPrefix(data, oleMagic):
		return Table{}, ErrLegacyXLS
	}
	return parseCSV(data, lim)
}

func trimCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(c)
	}
	return out
}
