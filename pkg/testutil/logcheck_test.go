package testutil_test

import (
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

func TestLogLineProblems(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       []string
	}{
		{"A record with distinct keys has no problem.", `{"time":"t","msg":"m","component":"relay","n":1,"ok":true,"list":[1,"a"]}`, nil},
		{"A key repeated at the top level is reported.", `{"msg":"m","component":"relay","topic":"t","component":"relay"}`, []string{`key "component" twice`}},
		{"A key repeated inside a group is reported with its path.", `{"msg":"m","req":{"id":1,"id":2}}`, []string{`key "req.id" twice`}},
		{"The same key in two different groups is no repetition.", `{"a":{"id":1},"b":{"id":1},"id":3}`, nil},
		{"A null value is reported.", `{"msg":"waiting for topic","err":null}`, []string{`key "err" is null`}},
		{"A null in a nested array is reported.", `{"msg":"m","g":{"xs":[1,null]}}`, []string{`key "g.xs[1]" is null`}},
		{"A line that is not JSON is reported.", `guildhall: ready`, []string{"not a JSON object"}},
		{"Two objects on one line are reported.", `{"a":1}{"b":2}`, []string{"more than one JSON value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testutil.LogLineProblems([]byte(tc.line))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestLogProblemsNumbersLines(t *testing.T) {
	got := testutil.LogProblems([]byte("{\"a\":1}\n\n{\"a\":1,\"a\":2}\n"))
	if len(got) != 1 || !strings.HasPrefix(got[0], "line 3: ") {
		t.Fatalf("got %q", got)
	}
}
