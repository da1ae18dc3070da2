package patrols_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/guildhall/guildhall/pkg/errs"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	_ "github.com/guildhall/guildhall/services/patrols"
)

// TestErrorRegistry holds the patrols ids (and the kit's they link) to the
// registry's rules: one declaration per id, one kind per id, one id per
// meaning (the README's table, make errors-doc, checks the whole binary).
func TestErrorRegistry(t *testing.T) {
	for _, p := range errs.Problems() {
		t.Error(p)
	}
}

// TestEveryPatrolsEventHasItsTypeConstant holds eventsv1.PatrolsTypes to
// the event messages of patrols.proto (its top-level messages no message
// of the file uses as a field: the others are snapshots), so a new event
// without its constant, or a constant without its message, fails.
func TestEveryPatrolsEventHasItsTypeConstant(t *testing.T) {
	file := eventsv1.File_guildhall_events_v1_patrols_proto
	msgs := file.Messages()
	used := map[protoreflect.FullName]bool{}
	for i := range msgs.Len() {
		fields := msgs.Get(i).Fields()
		for j := range fields.Len() {
			if m := fields.Get(j).Message(); m != nil {
				used[m.FullName()] = true
			}
		}
	}
	var want []string
	for i := range msgs.Len() {
		if m := msgs.Get(i); !used[m.FullName()] {
			want = append(want, string(m.Name()))
		}
	}
	got := eventsv1.PatrolsTypes()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("PatrolsTypes %v, event messages of patrols.proto %v", got, want)
	}
}
