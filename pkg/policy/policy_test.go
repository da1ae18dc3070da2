package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/policy"
)

func TestKeysAreWhereEveryServiceLooks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, got, want string }{
		{"The convention is city-wide policy.", policy.ConventionKey, "/guildhall/policy/convention"},
		{"A cadence is a setting of the district's meetings service.", policy.CadenceKey("jingkai"), "/guildhall/config/jingkai/meetings/roundtable-cadence"},
		{"A new city-wide policy goes under the policy prefix.", policy.CityKey("patrol-rules"), "/guildhall/policy/patrol-rules"},
		{"A new district setting goes under its service.", policy.DistrictKey("caidian", "compliance", "certificate-expiry"), "/guildhall/config/caidian/compliance/certificate-expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("key = %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestParseCadence(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      policy.Cadence
		err       error // nil: valid
	}{
		{"One roundtable a month is valid.", `{"per":"month","count":1}`, policy.Cadence{Per: policy.Month, Count: 1}, nil},
		{"A weekly cadence is valid.", `{"per":"week","count":1}`, policy.Cadence{Per: policy.Week, Count: 1}, nil},
		{"A quarterly cadence is valid.", `{"per":"quarter","count":2}`, policy.Cadence{Per: policy.Quarter, Count: 2}, nil},
		{"A yearly cadence is valid.", `{"per":"year","count":4}`, policy.Cadence{Per: policy.Year, Count: 4}, nil},
		{"A count of 0 means no roundtable is expected.", `{"per":"month","count":0}`, policy.Cadence{Per: policy.Month}, nil},
		{"A count of 100 is the most.", `{"per":"year","count":100}`, policy.Cadence{Per: policy.Year, Count: 100}, nil},
		{"A field the reader does not know is ignored.", `{"per":"month","count":1,"note":"set by the lead"}`, policy.Cadence{Per: policy.Month, Count: 1}, nil},
		{"A count over 100 is refused.", `{"per":"month","count":101}`, policy.Cadence{}, policy.ErrCadenceCount},
		{"A negative count is refused.", `{"per":"month","count":-1}`, policy.Cadence{}, policy.ErrCadenceCount},
		{"An unknown period is refused.", `{"per":"fortnight","count":1}`, policy.Cadence{}, policy.ErrCadencePer},
		{"A period in capitals is refused.", `{"per":"Month","count":1}`, policy.Cadence{}, policy.ErrCadencePer},
		{"A missing period is refused.", `{"count":1}`, policy.Cadence{}, policy.ErrCadencePer},
		{"JSON null is refused.", `null`, policy.Cadence{}, policy.ErrCadencePer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseCadence([]byte(tc.raw))
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("ParseCadence(%s) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || got != (policy.Cadence{}) {
				t.Fatalf("ParseCadence(%s) = %+v, %v; want %v", tc.raw, got, err, tc.err)
			}
		})
	}
	for _, raw := range []string{``, `{`, `{"per":1}`, `{"per":"month","count":"1"}`, `[]`} {
		t.Run("Text that is not a cadence object is refused: "+raw, func(t *testing.T) {
			if c, err := policy.ParseCadence([]byte(raw)); err == nil {
				t.Fatalf("ParseCadence(%q) = %+v, want an error", raw, c)
			}
		})
	}
}

func TestTheDefaultCadenceIsValidAndEncodesToWhatParses(t *testing.T) {
	t.Parallel()
	raw, err := policy.EncodeCadence(policy.DefaultCadence)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"per":"month","count":1}` {
		t.Errorf("encoded default = %s", raw)
	}
	if c, err := policy.ParseCadence(raw); err != nil || c != policy.DefaultCadence {
		t.Fatalf("ParseCadence(EncodeCadence(default)) = %+v, %v", c, err)
	}
	if _, err := policy.EncodeCadence(policy.Cadence{Per: "fortnight", Count: 1}); !errors.Is(err, policy.ErrCadencePer) {
		t.Fatalf("EncodeCadence of an invalid cadence = %v, want %v", err, policy.ErrCadencePer)
	}
}

func TestACadenceErrorNamesItsField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		c     policy.Cadence
		field string
	}{
		{"A bad period names per.", policy.Cadence{Per: "day", Count: 1}, "per"},
		{"A bad count names count.", policy.Cadence{Per: policy.Month, Count: 1000}, "count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *errs.Error
			if err := tc.c.Validate(); !errors.As(err, &e) || e.Field != tc.field || e.Kind != errs.Invalid {
				t.Fatalf("Validate(%+v) = %v, want an invalid-field error naming %s", tc.c, err, tc.field)
			}
		})
	}
}

func TestOnTrackMeansHeldAtLeastTheCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		count int
		held  int64
		want  bool
	}{
		{"Fewer held than expected is behind.", 2, 1, false},
		{"As many held as expected is on track.", 2, 2, true},
		{"More held than expected is on track.", 1, 3, true},
		{"With none expected, a period without roundtables is on track.", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := policy.Cadence{Per: policy.Month, Count: tc.count}
			if got := c.OnTrack(tc.held); got != tc.want {
				t.Fatalf("OnTrack(%d) with count %d = %v", tc.held, tc.count, got)
			}
		})
	}
}

// sh is midnight of a date in the association's zone.
func sh(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, policy.Zone) }

func TestPeriodsStartAndEndInShanghai(t *testing.T) {
	t.Parallel()
	// 2025-10-01 01:00 in Shanghai is still September 30 in UTC: the period
	// must follow Shanghai.
	oct1 := time.Date(2025, 9, 30, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		per        policy.Period
		at         time.Time
		start, end time.Time
		label      string
	}{
		{"A week starts on the Monday before.", policy.Week, oct1, sh(2025, 9, 29), sh(2025, 10, 6), "2025-W40"},
		{"A Sunday late at night is in the week that began six days before.", policy.Week, sh(2025, 10, 5).Add(23 * time.Hour), sh(2025, 9, 29), sh(2025, 10, 6), "2025-W40"},
		{"A Monday starts its own week.", policy.Week, sh(2025, 9, 29), sh(2025, 9, 29), sh(2025, 10, 6), "2025-W40"},
		{"A week over the new year has its ISO year.", policy.Week, sh(2025, 1, 1), sh(2024, 12, 30), sh(2025, 1, 6), "2025-W01"},
		{"A month follows Shanghai's date, not UTC's.", policy.Month, oct1, sh(2025, 10, 1), sh(2025, 11, 1), "2025-10"},
		{"A month ends at the next month's start, even after a short month.", policy.Month, sh(2025, 2, 28), sh(2025, 2, 1), sh(2025, 3, 1), "2025-02"},
		{"A quarter starts in October.", policy.Quarter, oct1, sh(2025, 10, 1), sh(2026, 1, 1), "2025-Q4"},
		{"A quarter starts in July for August.", policy.Quarter, sh(2025, 8, 15), sh(2025, 7, 1), sh(2025, 10, 1), "2025-Q3"},
		{"A year starts on January 1.", policy.Year, oct1, sh(2025, 1, 1), sh(2026, 1, 1), "2025"},
		{"An invalid period counts as a month.", policy.Period("fortnight"), oct1, sh(2025, 10, 1), sh(2025, 11, 1), "2025-10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, end := tc.per.Bounds(tc.at)
			if !start.Equal(tc.start) || !end.Equal(tc.end) {
				t.Fatalf("Bounds(%s, %v) = %v..%v, want %v..%v", tc.per, tc.at, start, end, tc.start, tc.end)
			}
			if got := tc.per.Label(start); got != tc.label {
				t.Errorf("Label = %q, want %q", got, tc.label)
			}
			if got := tc.per.Start(end.Add(-time.Nanosecond)); !got.Equal(start) {
				t.Errorf("the last instant of the period starts %v, want %v", got, start)
			}
		})
	}
}

func TestShiftWalksWholePeriods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		per   policy.Period
		from  time.Time
		n     int
		want  time.Time
		label string
	}{
		{"Three weeks back.", policy.Week, sh(2025, 9, 29), -3, sh(2025, 9, 8), "2025-W37"},
		{"Two months back over a year end.", policy.Month, sh(2025, 1, 1), -2, sh(2024, 11, 1), "2024-11"},
		{"Five quarters ahead.", policy.Quarter, sh(2025, 10, 1), 5, sh(2027, 1, 1), "2027-Q1"},
		{"A year back.", policy.Year, sh(2025, 1, 1), -1, sh(2024, 1, 1), "2024"},
		{"Zero periods is the same start.", policy.Month, sh(2025, 3, 1), 0, sh(2025, 3, 1), "2025-03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.per.Shift(tc.from, tc.n)
			if !got.Equal(tc.want) || tc.per.Label(got) != tc.label {
				t.Fatalf("Shift(%v, %d) = %v %s, want %v %s", tc.from, tc.n, got, tc.per.Label(got), tc.want, tc.label)
			}
		})
	}
}

func TestEveryPeriodIsValidAndNoOtherIs(t *testing.T) {
	t.Parallel()
	for _, p := range policy.Periods() {
		if !p.Valid() || (policy.Cadence{Per: p, Count: 1}).Validate() != nil {
			t.Errorf("period %q is not valid", p)
		}
	}
	for _, p := range []policy.Period{"", "day", "weekly", "months"} {
		if p.Valid() {
			t.Errorf("period %q is valid", p)
		}
	}
}

// convention is a valid convention; edit changes a copy of it.
func convention(edit func(*policy.Convention)) string {
	c := policy.Convention{Version: "2025", Title: "武汉市保安服务行业自律公约", Text: "合法依规经营。",
		PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}
	if edit != nil {
		edit(&c)
	}
	b := `{"version":` + quote(c.Version) + `,"title":` + quote(c.Title) + `,"text":` + quote(c.Text)
	if !c.PublishedAt.IsZero() {
		b += `,"published_at":"` + c.PublishedAt.Format(time.RFC3339Nano) + `"`
	}
	return b + "}"
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestParseConvention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		raw  string
		err  error // nil: valid
	}{
		{"A convention with a version, title, text and publication time is valid.", convention(nil), nil},
		{"A version of 32 characters of the alphabet is valid.", convention(func(c *policy.Convention) { c.Version = "2025.v2_rev-" + strings.Repeat("a", 20) }), nil},
		{"A title of 200 Chinese characters is valid.", convention(func(c *policy.Convention) { c.Title = strings.Repeat("公", 200) }), nil},
		{"A text of 100000 ASCII characters is valid.", convention(func(c *policy.Convention) { c.Text = strings.Repeat("a", 100000) }), nil},
		{"A field the reader does not know is ignored.", strings.TrimSuffix(convention(nil), "}") + `,"signed_by_hq":true}`, nil},
		{"A convention without a version is refused.", convention(func(c *policy.Convention) { c.Version = "" }), policy.ErrConventionVersionRequired},
		{"A version of 33 characters is refused.", convention(func(c *policy.Convention) { c.Version = strings.Repeat("1", 33) }), policy.ErrConventionVersionInvalid},
		{"A version with a space is refused.", convention(func(c *policy.Convention) { c.Version = "2025 rev" }), policy.ErrConventionVersionInvalid},
		{"A version in Chinese is refused: it travels in URLs and events.", convention(func(c *policy.Convention) { c.Version = "二〇二五" }), policy.ErrConventionVersionInvalid},
		{"A version with a slash is refused.", convention(func(c *policy.Convention) { c.Version = "2025/1" }), policy.ErrConventionVersionInvalid},
		{"A blank title is refused.", convention(func(c *policy.Convention) { c.Title = "  " }), policy.ErrConventionTitleRequired},
		{"A title of 201 characters is refused.", convention(func(c *policy.Convention) { c.Title = strings.Repeat("公", 201) }), policy.ErrConventionTitleTooLong},
		{"A blank text is refused.", convention(func(c *policy.Convention) { c.Text = "\n" }), policy.ErrConventionTextRequired},
		{"A text of 100001 characters is refused.", convention(func(c *policy.Convention) { c.Text = strings.Repeat("a", 100001) }), policy.ErrConventionTextTooLong},
		{"A text over 256 KiB is refused even under 100000 characters.", convention(func(c *policy.Convention) { c.Text = strings.Repeat("公", 90000) }), policy.ErrConventionTextTooLong},
		{"A convention without a publication time is refused.", convention(func(c *policy.Convention) { c.PublishedAt = time.Time{} }), policy.ErrConventionPublishedAtRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policy.ParseConvention([]byte(tc.raw))
			if tc.err == nil {
				if err != nil || got.Version == "" || got.PublishedAt.IsZero() {
					t.Fatalf("ParseConvention = %+v, %v; want it valid", got, err)
				}
				return
			}
			if !errors.Is(err, tc.err) || got != (policy.Convention{}) {
				t.Fatalf("ParseConvention = %+v, %v; want %v", got, err, tc.err)
			}
		})
	}
	if _, err := policy.ParseConvention([]byte(`{"version":`)); err == nil {
		t.Error("ParseConvention of a truncated object succeeded")
	}
}

func TestValidateContentIgnoresOnlyThePublicationTime(t *testing.T) {
	t.Parallel()
	c := policy.Convention{Version: "2026", Title: "公约", Text: "文本"}
	if err := c.ValidateContent(); err != nil {
		t.Fatalf("ValidateContent of a draft = %v", err)
	}
	if err := c.Validate(); !errors.Is(err, policy.ErrConventionPublishedAtRequired) {
		t.Fatalf("Validate of a draft = %v, want %v", err, policy.ErrConventionPublishedAtRequired)
	}
	c.Version = ""
	if err := c.ValidateContent(); !errors.Is(err, policy.ErrConventionVersionRequired) {
		t.Fatalf("ValidateContent without a version = %v", err)
	}
}

func TestTheDeprecatedNonePublishedIDMatchesNotPublished(t *testing.T) {
	t.Parallel()
	if !errors.Is(policy.ErrConventionNotPublished, policy.ErrConventionNonePublished) ||
		!errors.Is(policy.ErrConventionNonePublished, policy.ErrConventionNotPublished) {
		t.Fatal("the alias and the id it names do not match")
	}
	if _, body := errs.HTTP(policy.ErrConventionNonePublished); body.Error.ID != "convention.not_published" {
		t.Fatalf("the alias is answered as %q", body.Error.ID)
	}
}
