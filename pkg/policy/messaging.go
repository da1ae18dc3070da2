package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// MessagingKey is the etcd key of the city-wide messaging policy: JSON
// {"remind_before_hours": 72, "reminder_interval_hours": 24, "aid_visibility": "city"}. Every
// district's messaging node reminds the recipients of a notice that asks
// for acknowledgement and have not given it, from remind_before_hours
// before the deadline until the deadline, at most once every
// reminder_interval_hours; an acknowledged recipient is never reminded.
const MessagingKey = CityPrefix + "messaging"

// Limits of the messaging policy, in hours.
const (
	MinRemindBeforeHours     = 1
	MaxRemindBeforeHours     = 720 // 30 days
	MinReminderIntervalHours = 1
	MaxReminderIntervalHours = 168 // a week
)

// Messaging is the value at MessagingKey. A field absent from the stored
// JSON keeps its default (DefaultMessaging), so a writer may set one.
type Messaging struct {
	// RemindBeforeHours is how long before the acknowledgement deadline
	// reminders start: 1 to 720.
	RemindBeforeHours int `json:"remind_before_hours"`
	// ReminderIntervalHours is the least time between two reminders of
	// one recipient: 1 to 168.
	ReminderIntervalHours int `json:"reminder_interval_hours"`
	// AidVisibility is who sees a district's mutual-aid requests (互助机制):
	// AidOwnDistrict, AidListedDistricts (the posting district and
	// AidDistricts) or AidCity (every district; the default).
	AidVisibility string `json:"aid_visibility"`
	// AidDistricts are the districts of AidListedDistricts (1 to 100
	// district ids; only with that visibility).
	AidDistricts []string `json:"aid_districts,omitempty"`
}

// Visibilities of mutual-aid requests.
const (
	AidOwnDistrict     = "own_district"
	AidListedDistricts = "listed_districts"
	AidCity            = "city"
)

// AidVisibleTo returns the districts that see a request posted in
// district: nil for the whole city.
func (m Messaging) AidVisibleTo(district string) []string {
	switch m.AidVisibility {
	case AidOwnDistrict:
		return []string{district}
	case AidListedDistricts:
		out := []string{district}
		for _, d := range m.AidDistricts {
			if d != district {
				out = append(out, d)
			}
		}
		return out
	}
	return nil
}

// DefaultMessaging is the policy while the key is absent: reminders in the
// last three days before the deadline, once a day.
var DefaultMessaging = Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 24, AidVisibility: AidCity}

// Stable ids of a messaging policy out of range.
var (
	ErrMessagingRemindBefore = errs.InvalidField("messaging_policy.remind_before_invalid", "remind_before_hours",
		"remind_before_hours is 1 to 720")
	ErrMessagingInterval = errs.InvalidField("messaging_policy.reminder_interval_invalid", "reminder_interval_hours",
		"reminder_interval_hours is 1 to 168")
	ErrMessagingAidVisibility = errs.InvalidField("messaging_policy.aid_visibility_invalid", "aid_visibility",
		"aid_visibility is own_district, listed_districts or city")
	ErrMessagingAidDistricts = errs.InvalidField("messaging_policy.aid_districts_invalid", "aid_districts",
		"aid_districts are 1 to 100 distinct district ids, with aid_visibility listed_districts only")
)

// Validate implements Value.
func (m Messaging) Validate() error {
	if m.RemindBeforeHours < MinRemindBeforeHours || m.RemindBeforeHours > MaxRemindBeforeHours {
		return ErrMessagingRemindBefore
	}
	if m.ReminderIntervalHours < MinReminderIntervalHours || m.ReminderIntervalHours > MaxReminderIntervalHours {
		return ErrMessagingInterval
	}
	switch m.AidVisibility {
	case "", AidOwnDistrict, AidCity:
		// "" is the city, as written by a writer of the older fields only.
		if len(m.AidDistricts) > 0 {
			return ErrMessagingAidDistricts
		}
	case AidListedDistricts:
		if len(m.AidDistricts) == 0 || len(m.AidDistricts) > 100 {
			return ErrMessagingAidDistricts
		}
		seen := map[string]bool{}
		for _, d := range m.AidDistricts {
			if !validDistrictID(d) || seen[d] {
				return ErrMessagingAidDistricts
			}
			seen[d] = true
		}
	default:
		return ErrMessagingAidVisibility
	}
	return nil
}

// validDistrictID is a district id as topics name it: lower-case letters,
// digits and dashes, starting with a letter.
func validDistrictID(d string) bool {
	if d == "" || len(d) > 63 || d[0] < 'a' || d[0] > 'z' {
		return false
	}
	for _, r := range d {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// RemindBefore is RemindBeforeHours as a duration.
func (m Messaging) RemindBefore() time.Duration {
	return time.Duration(m.RemindBeforeHours) * time.Hour
}

// ReminderInterval is ReminderIntervalHours as a duration.
func (m Messaging) ReminderInterval() time.Duration {
	return time.Duration(m.ReminderIntervalHours) * time.Hour
}

// ParseMessaging decodes the value at MessagingKey over DefaultMessaging
// (absent fields keep their defaults) and validates it.
func ParseMessaging(raw []byte) (Messaging, error) {
	m := DefaultMessaging
	if err := json.Unmarshal(raw, &m); err != nil {
		return Messaging{}, fmt.Errorf("policy: %T: %w", m, err)
	}
	if err := m.Validate(); err != nil {
		return Messaging{}, err
	}
	return m, nil
}

// EncodeMessaging returns the value to store at MessagingKey for m, after
// checking that every reader would accept it.
func EncodeMessaging(m Messaging) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}
