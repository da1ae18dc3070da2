package testutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// LogLineProblems parses line as one JSON log record and lists what makes
// it hard to read: a key that appears twice in one object (the JSON
// handler writes repeated slog keys as they come, and most JSON parsers
// then keep only one of them silently), and a null value. It returns a
// single problem if line is not one JSON object. Paths name nested keys
// as group.key.
func LogLineProblems(line []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var problems []string
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return []string{fmt.Sprintf("not a JSON object: %.80q", line)}
	}
	if err := checkObject(dec, "", &problems); err != nil {
		return append(problems, fmt.Sprintf("not a JSON object: %v: %.80q", err, line))
	}
	if _, err := dec.Token(); err != io.EOF {
		problems = append(problems, fmt.Sprintf("more than one JSON value on the line: %.80q", line))
	}
	return problems
}

// checkObject reads the rest of an object whose '{' was read.
func checkObject(dec *json.Decoder, path string, problems *[]string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("key %v is not a string", tok)
		}
		full := key
		if path != "" {
			full = path + "." + key
		}
		if seen[key] {
			*problems = append(*problems, fmt.Sprintf("key %q twice", full))
		}
		seen[key] = true
		if err := checkValue(dec, full, problems); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func checkValue(dec *json.Decoder, path string, problems *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case nil:
		*problems = append(*problems, fmt.Sprintf("key %q is null", path))
	case json.Delim('{'):
		return checkObject(dec, path, problems)
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, fmt.Sprintf("%s[%d]", path, i), problems); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// LogProblems runs LogLineProblems over every non-empty line of out (a
// process's JSON log), each problem prefixed with its line number.
func LogProblems(out []byte) []string {
	var problems []string
	for i, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		for _, p := range LogLineProblems(line) {
			problems = append(problems, fmt.Sprintf("line %d: %s", i+1, p))
		}
	}
	return problems
}

// summarize joins problems for a test failure, at most max of them.
func summarize(problems []string, max int) string {
	if len(problems) > max {
		return strings.Join(problems[:max], "\n") + fmt.Sprintf("\n… and %d more", len(problems)-max)
	}
	return strings.Join(problems, "\n")
}

// CheckLog fails t for every problem LogProblems finds in out.
func CheckLog(t testing.TB, out []byte) {
	t.Helper()
	if problems := LogProblems(out); len(problems) > 0 {
		t.Errorf("%d problems in the log:\n%s", len(problems), summarize(problems, 20))
	}
}
