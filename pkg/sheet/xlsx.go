package sheet

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// parseXLSX reads the workbook's first worksheet. Cells come raw (a date
// is its Excel serial number, a boolean 1 or 0), not as the sheet's number
// format renders them: "3/1/24" is ambiguous, the serial 45352 is not, and
// ParseDate reads both.
func parseXLSX(data []byte, lim Limits) (Table, error) {
	opts := excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    lim.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(lim.MaxUnzippedBytes, excelize.StreamChunkSize),
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return Table{}, ErrLegacyXLS
		}
		return Table{}, &MalformedError{Err: err}
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Table{}, ErrEmpty
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return Table{}, &MalformedError{Err: err}
	}
	defer func() { _ = rows.Close() }()
	t := Table{Format: XLSX, Encoding: Binary}
	line, seen := 0, 0
	for rows.Next() {
		line++
		cols, err := rows.Columns(opts)
		if err != nil {
			return Table{}, &MalformedError{Line: line, Err: err}
		}
		r := Row{Line: line, Cells: trimCells(cols)}
		if t.Header == nil {
			if r.Blank() {
				continue // a title-less sheet may start lower down
			}
			t.Header = r.Cells
			continue
		}
		if r.Blank() {
			continue
		}
		seen++
		if seen > lim.MaxRows {
			return Table{}, ErrTooMany
		}
		t.Rows = append(t.Rows, r)
	}
	if err := rows.Error(); err != nil {
		return Table{}, &MalformedError{Line: line, Err: err}
	}
	if t.Header == nil {
		return Table{}, ErrEmpty
	}
	return t, nil
}

// xlsxWriter streams rows into a worksheet. excelize's stream writer keeps
// at most StreamChunkSize of sheet XML in memory and spills the rest to a
// temporary file, so memory stays flat however many rows are written; the
// zip is assembled on Close.
type xlsxWriter struct {
	f     *excelize.File
	sw    *excelize.StreamWriter
	sheet string
	row   int
	bold  int
	text  int
}

func newXLSXWriter(sheet string, widths []float64) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sheet: name %q: %w", sheet, err)
	}
	// Every cell is text ("@"): an 18-digit ID number typed over a
	// number-formatted cell turns into 4.2E+17 and cannot be recovered.
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	if len(widths) > 0 {
		if err := sw.SetColStyle(1, len(widths), text); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return &xlsxWriter{f: f, sw: sw, sheet: sheet, bold: bold, text: text}, nil
}

func (x *xlsxWriter) write(cells []string, style int) error {
	x.row++
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = excelize.Cell{StyleID: style, Value: c}
	}
	name, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(name, vals)
}

// addSheet appends a second, small worksheet (the template's notes) after
// the streamed one; it is written with the ordinary, in-memory API.
func (x *xlsxWriter) addSheet(name string, rows [][]string) error {
	if _, err := x.f.NewSheet(name); err != nil {
		return err
	}
	for r, row := range rows {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return err
			}
			if err := x.f.SetCellStr(name, cell, v); err != nil {
				return err
			}
		}
	}
	return x.f.SetColWidth(name, "A", "C", 40)
}
