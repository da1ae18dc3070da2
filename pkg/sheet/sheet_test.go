package sheet_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/guildhall/guildhall/pkg/sheet"
)

const guardsCSV = "name,id_number,hired_on\r\n张三,110101199003074514,2024/3/1\r\n\"李\n四\",11010119900307451X,2024年3月2日\r\n,,\r\n王五,110101199003074530,20240303\r\n"

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16le(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReadsEveryEncodingExcelSavesACSVIn(t *testing.T) {
	tabbed := strings.NewReplacer(",", "\t").Replace(guardsCSV)
	cases := []struct {
		name string
		data []byte
		enc  sheet.Encoding
	}{
		{"UTF-8 without a byte order mark is read as UTF-8.", []byte(guardsCSV), sheet.UTF8},
		{"UTF-8 with the byte order mark Excel's 'CSV UTF-8' writes is read without the mark.", append([]byte("\xef\xbb\xbf"), guardsCSV...), sheet.UTF8BOM},
		{"GBK, what Excel on a Chinese Windows saves by default, is decoded.", gbk(t, guardsCSV), sheet.GB18030},
		{"UTF-16 with tabs, Excel's 'Unicode text', is decoded and split on tabs.", utf16le(t, tabbed), sheet.UTF16LE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := sheet.Parse(c.data, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tab.Encoding != c.enc || tab.Format != sheet.CSV {
				t.Fatalf("format %s encoding %s, want csv %s", tab.Format, tab.Encoding, c.enc)
			}
			if got := strings.Join(tab.Header, "|"); got != "name|id_number|hired_on" {
				t.Fatalf("header %q", got)
			}
			// The blank ",," row is skipped; the quoted cell spanning two
			// lines keeps its starting line, so line numbers stay the
			// user's.
			want := []struct {
				line int
				name string
			}{{2, "张三"}, {3, "李\n四"}, {6, "王五"}}
			if len(tab.Rows) != len(want) {
				t.Fatalf("%d rows, want %d: %+v", len(tab.Rows), len(want), tab.Rows)
			}
			for i, w := range want {
				if tab.Rows[i].Line != w.line || tab.Rows[i].Cells[0] != w.name {
					t.Errorf("row %d = line %d %q, want line %d %q", i, tab.Rows[i].Line, tab.Rows[i].Cells[0], w.line, w.name)
				}
			}
		})
	}
}

func TestParseRefusesWhatItCannotReadFaithfully(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		lim  sheet.Limits
		want error
	}{
		{"Bytes that are neither UTF-8 nor GB18030 are an encoding error, not mojibake.", []byte("name\n\xff\xfe\xfd\x80\n")[1:], sheet.Limits{}, sheet.ErrEncoding},
		{"UTF-8 after a byte order mark must be valid UTF-8.", []byte("\xef\xbb\xbfname\n\xc3\x28\n"), sheet.Limits{}, sheet.ErrEncoding},
		{"A binary file with NUL bytes is not a CSV.", []byte("name\nab\x00cd\n"), sheet.Limits{}, sheet.ErrEncoding},
		{"An empty file has no header.", []byte(" \n "), sheet.Limits{}, sheet.ErrEmpty},
		{"A file over the byte limit is refused before it is read.", []byte(guardsCSV), sheet.Limits{MaxBytes: 10}, sheet.ErrTooLarge},
		{"A file over the row limit is refused.", []byte(guardsCSV), sheet.Limits{MaxRows: 2}, sheet.ErrTooMany},
		{"An old .xls compound file is refused with advice.", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), sheet.Limits{}, sheet.ErrLegacyXLS},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sheet.Parse(c.data, c.lim)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("A workbook that inflates past the limit is not unpacked.", func(t *testing.T) {
		f := excelize.NewFile()
		sw, _ := f.NewStreamWriter("Sheet1")
		cell := strings.Repeat("a", 1000)
		for r := 1; r <= 4000; r++ {
			name, _ := excelize.CoordinatesToCellName(1, r)
			_ = sw.SetRow(name, []any{cell})
		}
		_ = sw.Flush()
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if buf.Len() > 1<<20 {
			t.Fatalf("the test workbook is %d bytes zipped; it should be small", buf.Len())
		}
		if _, err := sheet.Parse(buf.Bytes(), sheet.Limits{}); err != nil {
			t.Fatalf("within the default limit: %v", err)
		}
		if _, err := sheet.Parse(buf.Bytes(), sheet.Limits{MaxUnzippedBytes: 1 << 20}); err == nil {
			t.Fatal("a 4 MB sheet unpacked under a 1 MiB limit")
		}
	})
	t.Run("An unbalanced quote is malformed and says on which line.", func(t *testing.T) {
		_, err := sheet.Parse([]byte("name,id\nok,1\n\"broken,2\n"), sheet.Limits{})
		var me *sheet.MalformedError
		if !errors.As(err, &me) || me.Line != 3 {
			t.Fatalf("err = %v, want a MalformedError at line 3", err)
		}
	})
}

func TestAWorkbookWrittenByWriterReadsBackTheSameCells(t *testing.T) {
	rows := [][]string{
		{"张三", "110101199003074514", "2024-03-01", "=HYPERLINK(\"http://x\")"},
		{"李四", "11010119900307451X", "", "-5"},
	}
	for _, f := range []sheet.Format{sheet.XLSX, sheet.CSV} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := sheet.NewWriter(&buf, f, "保安员", []string{"name", "id_number", "hired_on", "note"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if err := w.Write(r...); err != nil {
					t.Fatal(err)
				}
			}
			w.AddNotes("说明", [][]string{{"name", "姓名"}})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if f == sheet.CSV && !bytes.Contains(buf.Bytes(), []byte(`'=HYPERLINK`)) {
				t.Fatalf("a formula-looking cell left live in CSV: %q", buf.String())
			}
			tab, err := sheet.Parse(buf.Bytes(), sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tab.Format != f {
				t.Fatalf("format %s, want %s", tab.Format, f)
			}
			for i, r := range rows {
				got := tab.Rows[i].Cells
				for len(got) < len(r) {
					got = append(got, "") // xlsx drops trailing blanks
				}
				if strings.Join(got, "|") != strings.Join(r, "|") {
					t.Errorf("row %d = %q, want %q", i, got, r)
				}
			}
		})
	}
}

func TestAnXLSXDateCellReadsAsItsISODate(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"name", "hired_on", "volunteer_police"})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"张三", time.Date(2025, 9, 23, 0, 0, 0, 0, time.UTC), true})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	tab, err := sheet.Parse(buf.Bytes(), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 || tab.Rows[0].Line != 3 {
		t.Fatalf("rows %+v: want one row, at line 3 (the blank row 2 skipped)", tab.Rows)
	}
	if d, ok := sheet.Date(tab.Rows[0].Cells[1]); !ok || d != "2025-09-23" {
		t.Fatalf("date cell %q read as %q %v", tab.Rows[0].Cells[1], d, ok)
	}
	if v, ok := sheet.Bool(tab.Rows[0].Cells[2]); !ok || !v {
		t.Fatalf("boolean cell %q read as %v %v", tab.Rows[0].Cells[2], v, ok)
	}
}

func TestDateReadsTheFormsAnOfficeWrites(t *testing.T) {
	cases := map[string]string{
		"2025-09-23": "2025-09-23", "2025/9/23": "2025-09-23", "2025.9.3": "2025-09-03",
		"2025年9月23日": "2025-09-23", "20250923": "2025-09-23", "45923": "2025-09-23",
		"45923.5": "2025-09-23", "2025-09-23 00:00:00": "2025-09-23", "2024-02-29": "2024-02-29",
	}
	for in, want := range cases {
		if got, ok := sheet.Date(in); !ok || got != want {
			t.Errorf("Date(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2025-02-30", "2023-02-29", "9/23/2025", "23.9.2025", "2025-13-01", "0", "-3", "1e300", "NaN", "昨天"} {
		if got, ok := sheet.Date(bad); ok {
			t.Errorf("Date(%q) = %q, want refused", bad, got)
		}
	}
}

func TestBoolReadsYesAndNoAndNothingElse(t *testing.T) {
	for in, want := range map[string]bool{"是": true, "否": false, "TRUE": true, "false": false, "1": true, "0": false, "Y": true, "无": false} {
		if got, ok := sheet.Bool(in); !ok || got != want {
			t.Errorf("Bool(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "maybe", "2", "是的吧"} {
		if _, ok := sheet.Bool(bad); ok {
			t.Errorf("Bool(%q) accepted", bad)
		}
	}
}

func TestTimestampStatesTheZone(t *testing.T) {
	at := time.Date(2025, 9, 23, 6, 5, 0, 0, time.UTC)
	if got := sheet.Timestamp(at, time.FixedZone("CST", 8*3600)); got != "2025-09-23 14:05:00 +08:00" {
		t.Fatalf("got %q", got)
	}
	if got := sheet.Timestamp(time.Time{}, time.UTC); got != "" {
		t.Fatalf("zero time = %q, want empty", got)
	}
}

// countingWriter records how many bytes reached it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func TestACSVExportReachesTheClientBeforeItEnds(t *testing.T) {
	out := &countingWriter{}
	w, err := sheet.NewWriter(out, sheet.CSV, "", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := w.Write(fmt.Sprint(i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	if out.n == 0 {
		t.Fatal("1,000 rows written and nothing flushed: the export is buffered whole")
	}
}

// liveHeap is the heap in use after a collection: what the writer retains.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestAnXLSXExportDoesNotHoldItsRowsInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 120,000 rows")
	}
	w, err := sheet.NewWriter(&countingWriter{}, sheet.XLSX, "guards", []string{"a", "b", "c", "d", "e", "f"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cell := strings.Repeat("保安", 20)
	write := func(n int) {
		for i := range n {
			c := cell + strconv.Itoa(i) // distinct cells: retaining them would cost memory
			if err := w.Write(c, c, c, c, c, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 30,000 rows of ~1.5 KB sheet XML each is past excelize's 16 MiB
	// in-memory chunk; 90,000 more rows held in memory would add over 20 MiB.
	write(30000)
	before := liveHeap()
	write(90000)
	after := liveHeap()
	t.Logf("live heap %d KiB -> %d KiB", before>>10, after>>10)
	if after > before+8<<20 {
		t.Fatalf("live heap grew from %d MiB to %d MiB over 90,000 rows", before>>20, after>>20)
	}
}
