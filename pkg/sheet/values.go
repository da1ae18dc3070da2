package sheet

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// dateLayout is how every date leaves this package: ISO 8601, the form the
// API takes.
const dateLayout = "2006-01-02"

// datePattern matches the ways an office writes a calendar date in a
// spreadsheet: 2025-09-23, 2025/9/23, 2025.9.23, 2025年9月23日, each with an
// optional time after it (Excel appends one to dates it formats itself).
var datePattern = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$`)

// maxSerial is the Excel serial of 2173-10-14: beyond any date a guard
// record holds, and short of the 8-digit compact form 20250923.
const maxSerial = 100000

// Date reads a calendar date as a spreadsheet holds it and returns it as
// YYYY-MM-DD. Besides the written forms of datePattern it takes the
// compact 20250923 and an Excel serial day number (45923), which is what a
// date cell of an xlsx holds. ok is false for anything else, including
// dates that do not exist (2025-02-30).
func Date(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if m := datePattern.FindStringSubmatch(s); m != nil {
		return civil(m[1], m[2], m[3])
	}
	if len(s) == 8 && allDigits(s) {
		return civil(s[:4], s[4:6], s[6:])
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < maxSerial && !math.IsInf(f, 0) {
		t, err := excelize.ExcelDateToTime(math.Floor(f), false)
		if err != nil {
			return "", false
		}
		return t.Format(dateLayout), true
	}
	return "", false
}

func civil(y, m, d string) (string, bool) {
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Year() != yi || int(t.Month()) != mi || t.Day() != di {
		return "", false // time.Date normalises 02-30 to 03-02
	}
	return t.Format(dateLayout), true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Bool reads a yes/no cell: 是/否, 有/无, true/false, yes/no, y/n, 1/0 (what an
// xlsx boolean cell holds) and ✓/✗ marks, in any case. ok is false for
// anything else; an empty cell is the caller's to default.
func Bool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "有", "true", "yes", "y", "1", "✓", "√", "t":
		return true, true
	case "否", "无", "false", "no", "n", "0", "✗", "×", "f":
		return false, true
	}
	return false, false
}

// Timestamp writes an instant for a spreadsheet reader: wall-clock time in
// loc with the offset stated in the cell, "2025-09-23 14:05:00 +08:00", so
// a file mailed across zones still says when the thing happened. A zero
// time is an empty cell.
func Timestamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05 -07:00")
}
