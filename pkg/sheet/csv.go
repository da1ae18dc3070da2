package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText turns a CSV file's bytes into UTF-8 and says which encoding
// they were in. UTF-16 needs its byte order mark (Excel always writes
// one); text without a mark is UTF-8 when it is valid UTF-8 and GB18030
// otherwise, and GB18030 that does not decode cleanly is refused: a
// replacement character in a guard's name is worse than an error.
func decodeText(data []byte) ([]byte, Encoding, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		rest := data[len(bomUTF8):]
		if !utf8.Valid(rest) {
			return nil, "", ErrEncoding
		}
		return rest, UTF8BOM, nil
	case bytes.HasPrefix(data, bomUTF16LE):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return nil, "", ErrEncoding
		}
		return out, UTF16LE, nil
	case bytes.HasPrefix(data, bomUTF16BE):
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return nil, "", ErrEncoding
		}
		return out, UTF16BE, nil
	case utf8.Valid(data):
		return data, UTF8, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) || bytes.IndexByte(out, 0) >= 0 {
		return nil, "", ErrEncoding
	}
	return out, GB18030, nil
}

// delimiter picks the field separator from the header line: Excel's
// "Unicode text" export separates with tabs, its CSV with commas.
func delimiter(text []byte) rune {
	line := text
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		line = text[:i]
	}
	if bytes.Count(line, []byte{'\t'}) > bytes.Count(line, []byte{','}) {
		return '\t'
	}
	return ','
}

func parseCSV(data []byte, lim Limits) (Table, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return Table{}, err
	}
	if bytes.IndexByte(text, 0) >= 0 {
		// NUL never belongs in a CSV cell; it is a binary file.
		return Table{}, ErrEncoding
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = delimiter(text)
	r.FieldsPerRecord = -1 // a short row is that row's error, not the file's
	r.LazyQuotes = false
	t := Table{Format: CSV, Encoding: enc}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return Table{}, ErrEmpty
	}
	if err != nil {
		return Table{}, malformed(err)
	}
	t.Header = trimCells(header)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Table{}, malformed(err)
		}
		if len(t.Rows) >= lim.MaxRows {
			return Table{}, ErrTooMany
		}
		line, _ := r.FieldPos(0)
		row := Row{Line: line, Cells: trimCells(rec)}
		if row.Blank() {
			continue // ",,,," is what Excel saves for a row it once formatted
		}
		for i, c := range row.Cells {
			row.Cells[i] = unneutralize(c)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func malformed(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &MalformedError{Line: pe.StartLine, Err: pe.Err}
	}
	return &MalformedError{Err: err}
}
