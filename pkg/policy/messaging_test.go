package policy_test

import (
	"errors"
	"testing"

	"github.com/guildhall/guildhall/pkg/policy"
)

func TestParseMessaging(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want policy.Messaging
		err  error
	}{
		{"Both fields are taken as written.", `{"remind_before_hours": 48, "reminder_interval_hours": 6}`, policy.Messaging{RemindBeforeHours: 48, ReminderIntervalHours: 6}, nil},
		{"An absent field keeps its default.", `{"reminder_interval_hours": 12}`, policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 12}, nil},
		{"An empty object is the default.", `{}`, policy.DefaultMessaging, nil},
		{"A zero interval is refused.", `{"reminder_interval_hours": 0}`, policy.Messaging{}, policy.ErrMessagingInterval},
		{"An interval over a week is refused.", `{"reminder_interval_hours": 169}`, policy.Messaging{}, policy.ErrMessagingInterval},
		{"A lead over 30 days is refused.", `{"remind_before_hours": 721}`, policy.Messaging{}, policy.ErrMessagingRemindBefore},
		{"A negative lead is refused.", `{"remind_before_hours": -1}`, policy.Messaging{}, policy.ErrMessagingRemindBefore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseMessaging([]byte(tc.raw))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := policy.ParseMessaging([]byte(`not json`)); err == nil {
		t.Fatal("a value that is not JSON parsed")
	}
	if _, err := policy.EncodeMessaging(policy.Messaging{}); !errors.Is(err, policy.ErrMessagingRemindBefore) {
		t.Fatalf("EncodeMessaging of the zero value: %v", err)
	}
}
