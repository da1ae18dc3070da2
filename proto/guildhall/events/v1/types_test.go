package eventsv1_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// eventMessages returns the names of the event messages of file: its
// top-level messages that no message of the file uses as a field type. The
// others (Company, Guard, Meeting, …) are the snapshots events carry.
func eventMessages(file protoreflect.FileDescriptor) []string {
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
	var out []string
	for i := range msgs.Len() {
		if m := msgs.Get(i); !used[m.FullName()] {
			out = append(out, string(m.Name()))
		}
	}
	slices.Sort(out)
	return out
}

func TestEveryEventMessageHasItsTypeConstantAndNoConstantNamesAnythingElse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  protoreflect.FileDescriptor
		types []string
	}{
		{"The membership events are the membership types.", eventsv1.File_guildhall_events_v1_membership_proto, eventsv1.MembershipTypes()},
		{"The meetings events are the meetings types.", eventsv1.File_guildhall_events_v1_meetings_proto, eventsv1.MeetingsTypes()},
		{"The compliance events are the compliance types.", eventsv1.File_guildhall_events_v1_compliance_proto, eventsv1.ComplianceTypes()},
		{"The node topic carries only heartbeats.", eventsv1.File_guildhall_events_v1_node_proto, []string{eventsv1.TypeHeartbeat}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := eventMessages(tc.file)
			got := slices.Clone(tc.types)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("type constants %v, event messages of %s %v", got, tc.file.Path(), want)
			}
		})
	}
}

func TestTheTypeListsReturnFreshSlices(t *testing.T) {
	a := eventsv1.MeetingsTypes()
	a[0] = "changed"
	if eventsv1.MeetingsTypes()[0] == "changed" {
		t.Fatal("MeetingsTypes shares its backing array with its callers")
	}
}

func TestTypesOfNamesEachServicesOwnList(t *testing.T) {
	if got := eventsv1.TypesOf("membership"); !slices.Equal(got, eventsv1.MembershipTypes()) {
		t.Errorf("TypesOf(membership) = %v", got)
	}
	if got := eventsv1.TypesOf("meetings"); !slices.Equal(got, eventsv1.MeetingsTypes()) {
		t.Errorf("TypesOf(meetings) = %v", got)
	}
	if got := eventsv1.TypesOf("compliance"); !slices.Equal(got, eventsv1.ComplianceTypes()) {
		t.Errorf("TypesOf(compliance) = %v", got)
	}
	if got := eventsv1.TypesOf("nonesuch"); got != nil {
		t.Errorf("TypesOf(nonesuch) = %v, want nil", got)
	}
}
