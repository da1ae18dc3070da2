package sheet

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// csvFlushRows is how many rows a CSV writer buffers before flushing, so a
// long export reaches the client as it is produced.
const csvFlushRows = 256

// Writer writes a table to a CSV or xlsx stream: the header first, then
// one row per Write. Memory does not grow with the number of rows.
type Writer struct {
	format Format
	out    io.Writer
	buf    *bufio.Writer
	csv    *csv.Writer
	x      *xlsxWriter
	notes  []notes
	rows   int
	closed bool
}

type notes struct {
	name string
	rows [][]string
}

// NewWriter starts a table with the given header. sheetName names the xlsx
// worksheet (at most 31 characters, no []:*?/\); CSV ignores it. widths,
// when given, are xlsx column widths in characters.
func NewWriter(out io.Writer, f Format, sheetName string, header []string, widths ...float64) (*Writer, error) {
	w := &Writer{format: f, out: out}
	switch f {
	case CSV:
		w.buf = bufio.NewWriter(out)
		// The byte order mark is how Excel knows the file is UTF-8;
		// without it a Chinese Windows opens it as GBK and shows mojibake.
		if _, err := w.buf.Write(bomUTF8); err != nil {
			return nil, err
		}
		w.csv = csv.NewWriter(w.buf)
		w.csv.UseCRLF = true
	case XLSX:
		if len(widths) == 0 {
			widths = make([]float64, len(header))
			for i, h := range header {
				widths[i] = max(12, float64(len(h))+4)
			}
		}
		x, err := newXLSXWriter(sheetName, widths)
		if err != nil {
			return nil, err
		}
		w.x = x
	default:
		return nil, errors.New("sheet: unknown format " + string(f))
	}
	if err := w.write(header, true); err != nil {
		return nil, err
	}
	return w, nil
}

// Write appends one row.
func (w *Writer) Write(cells ...string) error {
	if w.closed {
		return errors.New("sheet: write after close")
	}
	w.rows++
	return w.write(cells, false)
}

// Rows is how many rows have been written after the header.
func (w *Writer) Rows() int { return w.rows }

// AddNotes adds a worksheet of notes after the table (the template's
// column descriptions). CSV has one table only and drops them.
func (w *Writer) AddNotes(name string, rows [][]string) {
	w.notes = append(w.notes, notes{name: name, rows: rows})
}

func (w *Writer) write(cells []string, header bool) error {
	if w.x != nil {
		style := w.x.text
		if header {
			style = w.x.bold
		}
		return w.x.write(cells, style)
	}
	safe := make([]string, len(cells))
	for i, c := range cells {
		safe[i] = neutralize(c)
	}
	if err := w.csv.Write(safe); err != nil {
		return err
	}
	if w.rows%csvFlushRows == 0 {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
		return w.buf.Flush()
	}
	return nil
}

// Close finishes the file: it flushes a CSV, and assembles and writes the
// xlsx zip. The Writer cannot be used after.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.x != nil {
		defer func() { _ = w.x.f.Close() }() // removes the stream's temporary file
		if err := w.x.sw.Flush(); err != nil {
			return err
		}
		for _, n := range w.notes {
			if err := w.x.addSheet(n.name, n.rows); err != nil {
				return err
			}
		}
		return w.x.f.Write(w.out)
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

// formulaStart are the first characters that make Excel read a CSV cell as
// a formula: a guard named "=HYPERLINK(…)" must open as text, not as a link
// (CSV injection). Such cells are written after an apostrophe, Excel's own
// "this is text" mark, and Parse strips it again.
const formulaStart = "=+-@\t\r"

func neutralize(c string) string {
	if c != "" && strings.ContainsRune(formulaStart, rune(c[0])) {
		return "'" + c
	}
	return c
}

// unneutralize undoes neutralize on a cell read from CSV.
func unneutralize(c string) string {
	if len(c) >= 2 && c[0] == '\'' && strings.ContainsRune(formulaStart, rune(c[1])) {
		return c[1:]
	}
	return c
}
