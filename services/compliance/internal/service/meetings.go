package service

// The meetings service's events that compliance reads (gh.<district>.meetings.v1):
// the meetings, each company's attendance and the convention signatures,
// projected here so an evaluation and the roundtable timeliness never call
// meetings (rule 3 of the design), each kept with the id of its event so a
// rating's evidence can name it.

import (
	"context"
	"time"
)

// RoundtableType is the meetings service's type of a district roundtable
// (片区行业圆桌会).
const RoundtableType = "district_roundtable"

// Meeting is the projection of a meeting snapshot.
type Meeting struct {
	ID       string
	Type     string
	Status   string
	StartsAt time.Time
	Version  int64
	EventID  string
}

// Attendance is a company invitee's latest attendance of a meeting.
type Attendance struct {
	MeetingID  string
	CompanyID  string
	Status     string // invited | present | late | absent
	RecordedAt time.Time
	EventID    string
}

// Attended reports whether the company was there (present or late).
func (a Attendance) Attended() bool { return a.Status == "present" || a.Status == "late" }

// CompanyAttendance is an attendance with its meeting.
type CompanyAttendance struct {
	Attendance
	Meeting Meeting
}

// Signature is a company's signature of a convention version.
type Signature struct {
	ID                string
	CompanyID         string
	ConventionVersion string
	Current           bool
	SignedAt          time.Time
	EventID           string
}

// MeetingsEvent is one decoded event of the meetings topic: a meeting
// snapshot, with a company's attendance (AttendanceRecorded), or a
// signature (ConventionSigned).
type MeetingsEvent struct {
	Meeting    *Meeting
	Attendance *Attendance
	Signature  *Signature
}

// ApplyMeetings applies a meetings event in the consumer's transaction. A
// meeting snapshot replaces the stored one only if its version is higher;
// an attendance replaces the company's earlier one for the meeting (the
// topic keeps a meeting's events in order); a signature is recorded once.
func ApplyMeetings(ctx context.Context, q Queries, ev MeetingsEvent) error {
	if ev.Meeting != nil {
		if err := q.PutMeeting(ctx, *ev.Meeting); err != nil {
			return err
		}
	}
	if ev.Attendance != nil {
		if err := q.PutAttendance(ctx, *ev.Attendance); err != nil {
			return err
		}
	}
	if ev.Signature != nil {
		return q.PutSignature(ctx, *ev.Signature)
	}
	return nil
}
