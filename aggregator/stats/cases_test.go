package stats_test

import (
	"slices"
	"testing"

	"github.com/varde/varde/aggregator/stats"
)

const all = `"site_id": "example.com", "date_range": "7d"`

func scenarioCases() []scenarioCase {
	return []scenarioCase{
		// Every metric, over the week before now (3 to 9 March).
		{name: "totals", table: "daily_dims(total)",
			query:   `{` + all + `, "metrics": ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"]}`,
			results: `[{"metrics": [16, 17, 29, 1.71, 47, 42, 30], "dimensions": []}]`},

		// Breakdowns by each dimension; groups under k = 3 fold into
		// "(other)" when that has 3 visitors or more, else drop.
		{name: "pages", table: "daily_dims(page)",
			query:      `{` + all + `, "metrics": ["visitors", "pageviews", "events"], "dimensions": ["event:page"]}`,
			results:    `[{"metrics": [9, 9, 9], "dimensions": ["/"]}, {"metrics": [9, 9, 10], "dimensions": ["/jobs"]}, {"metrics": [7, 7, 7], "dimensions": ["/jobs/1"]}, {"metrics": [4, 4, 4], "dimensions": ["(other)"]}]`,
			suppressed: 4},
		{name: "entry pages", table: "daily_dims(entry_page)",
			query:      `{` + all + `, "metrics": ["visitors", "visits", "bounce_rate"], "dimensions": ["visit:entry_page"]}`,
			results:    `[{"metrics": [9, 9, 0], "dimensions": ["/"]}, {"metrics": [4, 4, 100], "dimensions": ["/jobs/1"]}, {"metrics": [4, 4, 100], "dimensions": ["(other)"]}]`,
			suppressed: 4},
		{name: "exit pages, a cancelled exit page never shows",
			query:      `{` + all + `, "metrics": ["visitors", "visits", "visit_duration"], "dimensions": ["visit:exit_page"]}`,
			results:    `[{"metrics": [7, 7, 51], "dimensions": ["/jobs/1"]}, {"metrics": [6, 6, 60], "dimensions": ["/jobs"]}, {"metrics": [4, 4, 0], "dimensions": ["(other)"]}]`,
			suppressed: 4},
		{name: "sources", table: "daily_dims(source)",
			query:   `{` + all + `, "metrics": ["visitors", "visits"], "dimensions": ["visit:source"]}`,
			results: `[{"metrics": [7, 7], "dimensions": ["Direct / None"]}, {"metrics": [7, 7], "dimensions": ["Google"]}, {"metrics": [3, 3], "dimensions": ["Facebook"]}]`},
		{name: "referrers",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:referrer"]}`,
			results: `[{"metrics": [7], "dimensions": ["(none)"]}, {"metrics": [7], "dimensions": ["www.google.com"]}, {"metrics": [3], "dimensions": ["m.facebook.com"]}]`},
		{name: "utm", table: "daily_dims(utm)",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_content"]}`,
			results: `[{"metrics": [13], "dimensions": ["(none)", "(none)", "(none)", "(none)"]}, {"metrics": [3], "dimensions": ["fb", "social", "spring", "(none)"]}]`},
		{name: "utm term",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:utm_term"]}`,
			results: `[{"metrics": [16], "dimensions": ["(none)"]}]`},
		{name: "countries", table: "daily_dims(country)",
			query:      `{` + all + `, "metrics": ["visitors", "visits"], "dimensions": ["visit:country", "visit:country_name"]}`,
			results:    `[{"metrics": [11, 12], "dimensions": ["NO", "Norway"]}, {"metrics": [4, 4], "dimensions": ["SE", "Sweden"]}]`,
			suppressed: 1},
		{name: "regions",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:region", "visit:region_name"]}`,
			results:    `[{"metrics": [8], "dimensions": ["NO-03", "Oslo"]}, {"metrics": [4], "dimensions": ["SE-AB", "Stockholm"]}, {"metrics": [3], "dimensions": ["NO-46", "Vestland"]}]`,
			suppressed: 1},
		{name: "cities",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:city", "visit:city_name"]}`,
			results:    `[{"metrics": [8], "dimensions": ["Oslo", "Oslo"]}, {"metrics": [4], "dimensions": ["Stockholm", "Stockholm"]}, {"metrics": [3], "dimensions": ["Bergen", "Bergen"]}]`,
			suppressed: 1},
		{name: "browsers", table: "daily_dims(browser_version)",
			query:   `{` + all + `, "metrics": ["visitors", "visits"], "dimensions": ["visit:browser", "visit:browser_version"]}`,
			results: `[{"metrics": [9, 10], "dimensions": ["Chrome", "120"]}, {"metrics": [4, 4], "dimensions": ["Firefox", "121"]}, {"metrics": [3, 3], "dimensions": ["Safari", "17"]}]`},
		{name: "operating systems", table: "daily_dims(os_version)",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:os", "visit:os_version"]}`,
			results:    `[{"metrics": [8], "dimensions": ["Windows", "11"]}, {"metrics": [4], "dimensions": ["macOS", "14"]}, {"metrics": [3], "dimensions": ["iOS", "17"]}]`,
			suppressed: 1},
		{name: "devices", table: "daily_dims(device)",
			query:   `{` + all + `, "metrics": ["visitors", "visits", "views_per_visit"], "dimensions": ["visit:device"]}`,
			results: `[{"metrics": [12, 13, 1.46], "dimensions": ["desktop"]}, {"metrics": [4, 4, 2.5], "dimensions": ["mobile"]}]`},
		{name: "two dimensions read the wide table", table: "visits_wide_hourly",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:country", "visit:device"]}`,
			results:    `[{"metrics": [8], "dimensions": ["NO", "desktop"]}, {"metrics": [4], "dimensions": ["SE", "desktop"]}, {"metrics": [3], "dimensions": ["NO", "mobile"]}]`,
			suppressed: 1},

		// Time, in Oslo's days: C's visits at 23:30 UTC on 8 March count
		// on 9 March. 7 March (one visitor) is held back and reads zero.
		{name: "time:day with labels",
			query:      `{` + all + `, "metrics": ["visitors", "pageviews"], "dimensions": ["time:day"], "include": {"time_labels": true}}`,
			results:    `[{"metrics": [0, 0], "dimensions": ["2026-03-03"]}, {"metrics": [0, 0], "dimensions": ["2026-03-04"]}, {"metrics": [0, 0], "dimensions": ["2026-03-05"]}, {"metrics": [0, 0], "dimensions": ["2026-03-06"]}, {"metrics": [0, 0], "dimensions": ["2026-03-07"]}, {"metrics": [4, 4], "dimensions": ["2026-03-08"]}, {"metrics": [11, 24], "dimensions": ["2026-03-09"]}]`,
			suppressed: 1,
			check: func(t *testing.T, r stats.Result) {
				want := []string{"2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"}
				if !slices.Equal(r.Meta.TimeLabels, want) {
					t.Errorf("time_labels: got %v, want %v", r.Meta.TimeLabels, want)
				}
			}},
		{name: "midnight in Oslo is not midnight in UTC",
			query:   `{"site_id": "example.com", "date_range": ["2026-03-08", "2026-03-08"], "metrics": ["visitors", "visits"]}`,
			results: `[{"metrics": [4, 4], "dimensions": []}]`},
		{name: "time:hour",
			query:      `{"site_id": "example.com", "date_range": ["2026-03-09", "2026-03-09"], "metrics": ["visitors"], "dimensions": ["time:hour"]}`,
			results:    `[{"metrics": [3], "dimensions": ["2026-03-09 00:00:00"]}, {"metrics": [6], "dimensions": ["2026-03-09 11:00:00"]}]`,
			suppressed: 2},
		{name: "time picks days for a week",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["time"]}`,
			results:    `[{"metrics": [4], "dimensions": ["2026-03-08"]}, {"metrics": [11], "dimensions": ["2026-03-09"]}]`,
			suppressed: 1},
		{name: "time:week",
			query:   `{"site_id": "example.com", "date_range": ["2026-03-01", "2026-03-31"], "metrics": ["visitors"], "dimensions": ["time:week"], "include": {"time_labels": true}}`,
			results: `[{"metrics": [0], "dimensions": ["2026-03-01"]}, {"metrics": [5], "dimensions": ["2026-03-02"]}, {"metrics": [11], "dimensions": ["2026-03-09"]}, {"metrics": [0], "dimensions": ["2026-03-16"]}, {"metrics": [0], "dimensions": ["2026-03-23"]}, {"metrics": [0], "dimensions": ["2026-03-30"]}]`},
		{name: "time:month",
			query:   `{"site_id": "example.com", "date_range": "year", "metrics": ["visitors", "visits"], "dimensions": ["time:month"]}`,
			results: `[{"metrics": [16, 17], "dimensions": ["2026-03-01"]}]`},
		{name: "time and a dimension: small groups fold per bucket",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["time:day", "visit:country"]}`,
			results:    `[{"metrics": [4], "dimensions": ["2026-03-08", "SE"]}, {"metrics": [11], "dimensions": ["2026-03-09", "NO"]}]`,
			suppressed: 1},

		// Date ranges, at 2026-03-10 12:00 UTC.
		{name: "day: today has no visits", query: `{"site_id": "example.com", "date_range": "day", "metrics": ["visitors"]}`,
			results: `[]`, suppressed: 1, withheld: true,
			check: wantRange("2026-03-10T00:00:00+01:00", "2026-03-10T23:59:59+01:00")},
		{name: "28d", query: `{"site_id": "example.com", "date_range": "28d", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2026-02-10T00:00:00+01:00", "2026-03-09T23:59:59+01:00")},
		{name: "30d", query: `{"site_id": "example.com", "date_range": "30d", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2026-02-08T00:00:00+01:00", "2026-03-09T23:59:59+01:00")},
		{name: "91d", query: `{"site_id": "example.com", "date_range": "91d", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2025-12-09T00:00:00+01:00", "2026-03-09T23:59:59+01:00")},
		{name: "month", query: `{"site_id": "example.com", "date_range": "month", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2026-03-01T00:00:00+01:00", "2026-03-31T23:59:59+02:00")},
		{name: "6mo: the six months before this one", query: `{"site_id": "example.com", "date_range": "6mo", "metrics": ["visitors"]}`,
			results: `[]`, suppressed: 1, withheld: true, check: wantRange("2025-09-01T00:00:00+02:00", "2026-02-28T23:59:59+01:00")},
		{name: "12mo", query: `{"site_id": "example.com", "date_range": "12mo", "metrics": ["visitors"]}`,
			results: `[]`, suppressed: 1, withheld: true, check: wantRange("2025-03-01T00:00:00+01:00", "2026-02-28T23:59:59+01:00")},
		{name: "year", query: `{"site_id": "example.com", "date_range": "year", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2026-01-01T00:00:00+01:00", "2026-12-31T23:59:59+01:00")},
		{name: "all: from the first day with visits", query: `{"site_id": "example.com", "date_range": "all", "metrics": ["visitors"]}`,
			results: `[{"metrics": [16], "dimensions": []}]`, check: wantRange("2026-03-07T00:00:00+01:00", "2026-03-10T23:59:59+01:00")},
		{name: "custom range", query: `{"site_id": "example.com", "date_range": ["2026-03-09", "2026-03-10"], "metrics": ["visitors", "visits", "pageviews"]}`,
			results: `[{"metrics": [11, 12, 24], "dimensions": []}]`},
		{name: "a long range reads daily tables and edge hours", table: "daily_dims(country)",
			query:      `{"site_id": "example.com", "date_range": ["2026-03-01", "2026-03-09"], "metrics": ["visitors", "visits"], "dimensions": ["visit:country"]}`,
			results:    `[{"metrics": [11, 12], "dimensions": ["NO"]}, {"metrics": [4, 4], "dimensions": ["SE"]}]`,
			suppressed: 1},

		// Comparison with the previous period: 9 March against 8 March.
		{name: "comparison",
			query:   `{"site_id": "example.com", "date_range": ["2026-03-09", "2026-03-09"], "metrics": ["visitors", "pageviews", "bounce_rate"], "include": {"comparisons": {"mode": "previous_period"}}}`,
			results: `[{"metrics": [11, 24, 25], "dimensions": [], "comparison": {"dimensions": [], "metrics": [4, 4, 100], "change": [175, 500, -75]}}]`,
			check: func(t *testing.T, r stats.Result) {
				want := []string{"2026-03-08T00:00:00+01:00", "2026-03-08T23:59:59+01:00"}
				if !slices.Equal(r.Meta.ComparisonDateRange, want) {
					t.Errorf("comparison_date_range: got %v, want %v", r.Meta.ComparisonDateRange, want)
				}
			}},
		{name: "comparison with a period too small to show",
			query:   `{"site_id": "example.com", "date_range": ["2026-03-08", "2026-03-08"], "metrics": ["visitors"], "include": {"comparisons": {"mode": "previous_period"}}}`,
			results: `[{"metrics": [4], "dimensions": [], "comparison": {"dimensions": [], "metrics": [null], "change": [null]}}]`,
			check: func(t *testing.T, r stats.Result) {
				if r.Meta.ComparisonWithheld == "" {
					t.Error("comparison_withheld is empty, want the reason 7 March (one visitor) is not shown")
				}
			}},

		// Order and pages.
		{name: "order_by visitors ascending",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:country"], "order_by": [["visitors", "asc"]]}`,
			results:    `[{"metrics": [4], "dimensions": ["SE"]}, {"metrics": [11], "dimensions": ["NO"]}]`,
			suppressed: 1},
		{name: "order_by a dimension",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:source"], "order_by": [["visit:source", "desc"]]}`,
			results: `[{"metrics": [7], "dimensions": ["Google"]}, {"metrics": [3], "dimensions": ["Facebook"]}, {"metrics": [7], "dimensions": ["Direct / None"]}]`},
		{name: "pagination and total_rows",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:source"], "pagination": {"limit": 1, "offset": 1}, "include": {"total_rows": true}}`,
			results: `[{"metrics": [7], "dimensions": ["Google"]}]`,
			check: func(t *testing.T, r stats.Result) {
				if r.Meta.TotalRows == nil || *r.Meta.TotalRows != 3 {
					t.Errorf("total_rows: got %v, want 3", r.Meta.TotalRows)
				}
			}},

		// Each filter operator and combinator.
		{name: "is", query: `{` + all + `, "metrics": ["visitors", "visits"], "filters": [["is", "visit:country", ["NO"]]]}`,
			results: `[{"metrics": [11, 12], "dimensions": []}]`},
		{name: "is with two values", query: `{` + all + `, "metrics": ["visitors"], "filters": [["is", "visit:city", ["Oslo", "Bergen"]]]}`,
			results: `[{"metrics": [11], "dimensions": []}]`},
		{name: "is_not", query: `{` + all + `, "metrics": ["visitors"], "filters": [["is_not", "visit:country", ["SE"]]]}`,
			results: `[{"metrics": [12], "dimensions": []}]`},
		{name: "contains on pages", table: "daily_dims(page)",
			query:   `{` + all + `, "metrics": ["visitors", "pageviews"], "filters": [["contains", "event:page", ["jobs"]]]}`,
			results: `[{"metrics": [13, 16], "dimensions": []}]`},
		{name: "contains_not", query: `{` + all + `, "metrics": ["visitors"], "filters": [["contains_not", "visit:city", ["o"]]]}`,
			results: `[{"metrics": [3], "dimensions": []}]`},
		{name: "contains, case-insensitive", query: `{` + all + `, "metrics": ["visitors"], "filters": [["contains", "visit:city", ["OSLO"], {"case_sensitive": false}]]}`,
			results: `[{"metrics": [8], "dimensions": []}]`},
		{name: "and", table: "visits_wide_hourly",
			query:   `{` + all + `, "metrics": ["visitors"], "filters": [["and", [["is", "visit:country", ["NO"]], ["is", "visit:device", ["mobile"]]]]]}`,
			results: `[{"metrics": [3], "dimensions": []}]`},
		{name: "or", query: `{` + all + `, "metrics": ["visitors"], "filters": [["or", [["is", "visit:country", ["SE"]], ["is", "visit:city", ["Bergen"]]]]]}`,
			results: `[{"metrics": [7], "dimensions": []}]`},
		{name: "not", query: `{` + all + `, "metrics": ["visitors"], "filters": [["not", ["is", "visit:country", ["NO"]]]]}`,
			results: `[{"metrics": [5], "dimensions": []}]`},
		{name: "country_name", query: `{` + all + `, "metrics": ["visitors"], "filters": [["is", "visit:country_name", ["Sweden"]]]}`,
			results: `[{"metrics": [4], "dimensions": []}]`},
		{name: "(none) filters for empty values", query: `{` + all + `, "metrics": ["visitors"], "filters": [["is_not", "visit:utm_campaign", ["(none)"]]]}`,
			results: `[{"metrics": [3], "dimensions": []}]`},
		{name: "pages filtered by a visit attribute", table: "events_wide_hourly",
			query:      `{` + all + `, "metrics": ["visitors", "pageviews"], "dimensions": ["event:page"], "filters": [["is", "visit:source", ["Facebook"]]]}`,
			results:    `[{"metrics": [3, 3], "dimensions": ["/"]}, {"metrics": [3, 3], "dimensions": ["/jobs"]}, {"metrics": [3, 3], "dimensions": ["/jobs/1"]}]`,
			suppressed: 0},

		// k-anonymity and differencing.
		{name: "a filter that isolates one visitor is withheld",
			query:   `{` + all + `, "metrics": ["visitors"], "filters": [["is", "visit:country", ["DK"]]]}`,
			results: `[]`, suppressed: 1, withheld: true},
		{name: "a filter that leaves one visitor out is withheld too",
			query:   `{` + all + `, "metrics": ["visitors", "visits"], "filters": [["is_not", "visit:country", ["DK"]]]}`,
			results: `[]`, suppressed: 1, withheld: true},
		{name: "a breakdown whose filter leaves one visitor out is withheld",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:device"], "filters": [["is_not", "visit:country", ["DK"]]]}`,
			results: `[]`, suppressed: 2, withheld: true},
		{name: "a row whose complement is small is held back",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:browser"], "filters": [["is", "visit:country", ["NO"]]]}`,
			results:    `[{"metrics": [3], "dimensions": ["Safari"]}]`,
			suppressed: 1},
		{name: "rows under a filter whose complements are empty or large",
			query:   `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:device"], "filters": [["is_not", "visit:country", ["SE"]]]}`,
			results: `[{"metrics": [8], "dimensions": ["desktop"]}, {"metrics": [4], "dimensions": ["mobile"]}]`},
		{name: "an (other) row too small is dropped",
			query:      `{` + all + `, "metrics": ["visitors"], "dimensions": ["visit:os"], "filters": [["is", "visit:device", ["mobile"]]]}`,
			results:    `[{"metrics": [3], "dimensions": ["iOS"]}]`,
			suppressed: 1},
	}
}

func wantRange(from, to string) func(t *testing.T, r stats.Result) {
	return func(t *testing.T, r stats.Result) {
		if got := r.Query.DateRange; got.From != from || got.To != to {
			t.Errorf("date_range: got [%s, %s], want [%s, %s]", got.From, got.To, from, to)
		}
	}
}
