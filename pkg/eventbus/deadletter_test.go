package eventbus

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docTable returns the rows (cells trimmed) of the first Markdown table in
// the file whose header row starts with header, below its separator row.
func docTable(t *testing.T, path, header string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	in := false
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case !in && strings.HasPrefix(line, header):
			in = true
		case in && strings.HasPrefix(line, "| ---"):
		case in && strings.HasPrefix(line, "|"):
			var cells []string
			for c := range strings.SplitSeq(strings.Trim(line, "|"), " | ") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows = append(rows, cells)
		case in:
			return rows
		}
	}
	if !in {
		t.Fatalf("%s has no table headed %q", path, header)
	}
	return rows
}

// docs is the repository's docs/ directory (this package is pkg/eventbus).
var docs = filepath.Join("..", "..", "docs")

func TestTheEventCatalogueListsEveryDeadLetterReasonWithItsMeaning(t *testing.T) {
	var want [][2]string
	for _, r := range Reasons() {
		if r.Meaning == "" {
			t.Errorf("reason %q has no meaning", r.Reason)
		}
		want = append(want, [2]string{"`" + string(r.Reason) + "`", r.Meaning})
	}
	var got [][2]string
	for _, row := range docTable(t, filepath.Join(docs, "events.md"), "| `dlq_reason` | Decided by | Meaning |") {
		if len(row) != 3 {
			t.Fatalf("row %q of the reason table has %d cells, want 3", row, len(row))
		}
		got = append(got, [2]string{row[0], row[2]})
	}
	if !slices.Equal(got, want) {
		t.Errorf("docs/events.md lists the reasons and meanings\n%q\nwant (eventbus.Reasons, in order)\n%q", got, want)
	}
}

func TestTheOperationsGuideSaysWhatToDoForEveryDeadLetterReason(t *testing.T) {
	var listed []string
	for _, row := range docTable(t, filepath.Join(docs, "operations.md"), "| Reason | Usual cause | What to do |") {
		for r := range strings.SplitSeq(row[0], ", ") {
			listed = append(listed, strings.Trim(r, "`"))
		}
	}
	for _, r := range Reasons() {
		if !slices.Contains(listed, string(r.Reason)) {
			t.Errorf("docs/operations.md says nothing about dead letters of reason %q", r.Reason)
		}
	}
	for _, r := range listed {
		if Reason(r).Meaning() == "" {
			t.Errorf("docs/operations.md lists reason %q, which eventbus does not declare", r)
		}
	}
}

func TestRejectWithoutAReasonIsTheDeclaredRejected(t *testing.T) {
	reason, ok := IsRejected(Reject("", nil))
	if !ok || reason != ReasonRejected || reason.Meaning() == "" {
		t.Errorf("Reject(\"\") reason %q (%v), want the declared %q", reason, ok, ReasonRejected)
	}
}
