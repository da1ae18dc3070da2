package policy_test

import (
	"errors"
	"reflect"
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
		{"Both fields are taken as written.", `{"remind_before_hours": 48, "reminder_interval_hours": 6}`, policy.Messaging{RemindBeforeHours: 48, ReminderIntervalHours: 6, AidVisibility: policy.AidCity}, nil},
		{"An absent field keeps its default.", `{"reminder_interval_hours": 12}`, policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 12, AidVisibility: policy.AidCity}, nil},
		{"An empty object is the default.", `{}`, policy.DefaultMessaging, nil},
		{"A zero interval is refused.", `{"reminder_interval_hours": 0}`, policy.Messaging{}, policy.ErrMessagingInterval},
		{"An interval over a week is refused.", `{"reminder_interval_hours": 169}`, policy.Messaging{}, policy.ErrMessagingInterval},
		{"A lead over 30 days is refused.", `{"remind_before_hours": 721}`, policy.Messaging{}, policy.ErrMessagingRemindBefore},
		{"A negative lead is refused.", `{"remind_before_hours": -1}`, policy.Messaging{}, policy.ErrMessagingRemindBefore},
		{"Aid requests seen by listed districts.", `{"aid_visibility": "listed_districts", "aid_districts": ["caidian"]}`,
			policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 24, AidVisibility: policy.AidListedDistricts, AidDistricts: []string{"caidian"}}, nil},
		{"Aid requests kept in their own district.", `{"aid_visibility": "own_district"}`,
			policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 24, AidVisibility: policy.AidOwnDistrict}, nil},
		{"An unknown aid visibility is refused.", `{"aid_visibility": "everyone"}`, policy.Messaging{}, policy.ErrMessagingAidVisibility},
		{"Listed districts without a list are refused.", `{"aid_visibility": "listed_districts"}`, policy.Messaging{}, policy.ErrMessagingAidDistricts},
		{"A list with the city visibility is refused.", `{"aid_districts": ["caidian"]}`, policy.Messaging{}, policy.ErrMessagingAidDistricts},
		{"A repeated or invalid district is refused.", `{"aid_visibility": "listed_districts", "aid_districts": ["caidian", "caidian"]}`, policy.Messaging{}, policy.ErrMessagingAidDistricts},
		{"An upper-case district is refused.", `{"aid_visibility": "listed_districts", "aid_districts": ["Caidian"]}`, policy.Messaging{}, policy.ErrMessagingAidDistricts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseMessaging([]byte(tc.raw))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(got, tc.want) {
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

func TestAidVisibleTo(t *testing.T) {
	if got := policy.DefaultMessaging.AidVisibleTo("jingkai"); got != nil {
		t.Fatalf("city-wide: %v, want nil (every district)", got)
	}
	own := policy.Messaging{AidVisibility: policy.AidOwnDistrict}
	if got := own.AidVisibleTo("jingkai"); !reflect.DeepEqual(got, []string{"jingkai"}) {
		t.Fatalf("own district: %v", got)
	}
	listed := policy.Messaging{AidVisibility: policy.AidListedDistricts, AidDistricts: []string{"caidian", "jingkai"}}
	if got := listed.AidVisibleTo("jingkai"); !reflect.DeepEqual(got, []string{"jingkai", "caidian"}) {
		t.Fatalf("listed: %v, want the poster first and each district once", got)
	}
}
