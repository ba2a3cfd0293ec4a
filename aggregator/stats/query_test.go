package stats_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varde/varde/aggregator/stats"
)

// TestQueryErrors: every message a bad query gets, exactly.
func TestQueryErrors(t *testing.T) {
	const ok = `"site_id": "example.com", "date_range": "7d"`
	for _, c := range []struct{ body, want string }{
		{`{` + ok + `, "metrics": ["visitorz"]}`, "Unknown metric `visitorz`; the metrics are visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration, events."},
		{`{` + ok + `, "metrics": ["visitors", "visitors"]}`, "Metric `visitors` is asked for twice."},
		{`{` + ok + `}`, "Missing `metrics`: ask for at least one of visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration, events."},
		{`{"date_range": "7d", "metrics": ["visitors"]}`, "Missing `site_id`: the domain of the site, like example.com."},
		{`{"site_id": "example.com", "metrics": ["visitors"]}`, `Missing ` + "`date_range`" + `: one of day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all, or two dates like ["2026-01-01","2026-01-31"].`},
		{`{"site_id": "example.com", "date_range": ["2026-13-01", "2026-12-31"], "metrics": ["visitors"]}`, `Invalid date range "2026-13-01": a date reads YYYY-MM-DD, like 2026-01-31.`},
		{`{"site_id": "example.com", "date_range": ["2026-02-01", "2026-01-01"], "metrics": ["visitors"]}`, `Invalid date range ["2026-02-01", "2026-01-01"]: the first date is after the last.`},
		{`{"site_id": "example.com", "date_range": "8d", "metrics": ["visitors"]}`, `Invalid date range "8d": use one of day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all, or two dates like ["2026-01-01","2026-01-31"].`},
		{`{"site_id": "example.com", "date_range": 7, "metrics": ["visitors"]}`, `Invalid date range 7: use one of day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all, or two dates like ["2026-01-01","2026-01-31"].`},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["visit:planet"]}`, "Unknown dimension `visit:planet`; the dimensions are event:page, visit:entry_page, visit:exit_page, visit:source, visit:referrer, visit:utm_source, visit:utm_medium, visit:utm_campaign, visit:utm_content, visit:utm_term, visit:country, visit:country_name, visit:region, visit:region_name, visit:city, visit:city_name, visit:browser, visit:browser_version, visit:os, visit:os_version, visit:device, and time, time:hour, time:day, time:week, time:month."},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["time:day", "time:hour"]}`, "Only one time dimension can be asked for; `time:hour` is the second."},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["visit:os", "visit:os"]}`, "Dimension `visit:os` is asked for twice."},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["visit:os", "visit:device", "visit:browser", "visit:city", "visit:region"]}`, "Too many dimensions: at most 4."},
		{`{` + ok + `, "metrics": ["bounce_rate"], "dimensions": ["event:page"]}`, "Metric `bounce_rate` cannot be queried with `event:page` in dimensions or filters: it is kept per visit, not per page; use visit:entry_page or visit:exit_page, or the metrics visitors, pageviews and events."},
		{`{` + ok + `, "metrics": ["visits"], "filters": [["is", "event:page", ["/"]]]}`, "Metric `visits` cannot be queried with `event:page` in dimensions or filters: it is kept per visit, not per page; use visit:entry_page or visit:exit_page, or the metrics visitors, pageviews and events."},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["event:page"], "filters": [["is", "visit:exit_page", ["/"]]]}`, "`visit:exit_page` cannot be combined with `event:page`: a page view does not know where its visit ends."},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["equals", "visit:country", ["NO"]]]}`, `Unknown filter operator "equals" in filter ["equals","visit:country",["NO"]]; the operators are is, is_not, contains, contains_not, and, or, not.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "visit:planet", ["Mars"]]]}`, "Invalid filter [\"is\",\"visit:planet\",[\"Mars\"]]: unknown dimension `visit:planet`."},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "visit:country", ["Norway"]]]}`, `Invalid filter ["is","visit:country",["Norway"]]: visit:country takes 2-letter country codes like "NO"; use visit:country_name for names.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "visit:country", []]]}`, `Invalid filter ["is","visit:country",[]]: give at least one value.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "visit:country", "NO"]]}`, `Invalid filter ["is","visit:country","NO"]: the values are a list of strings.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "visit:country"]]}`, `Invalid filter ["is","visit:country"]: write ["is", "visit:country", ["NO"]].`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["is", "time:day", ["2026-01-01"]]]}`, `Invalid filter ["is","time:day",["2026-01-01"]]: time is chosen with date_range, not with a filter.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["and", [["is", "visit:country", ["NO"]]]]]}`, `Invalid filter ["and",[["is","visit:country",["NO"]]]]: "and" needs two filters or more.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["not"]]}`, `Invalid filter ["not"]: write ["not", filter].`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": [["contains", "visit:city", ["o"], {"case": 1}]]}`, `Invalid filter ["contains","visit:city",["o"],{"case":1}]: the only modifier is {"case_sensitive": false}.`},
		{`{` + ok + `, "metrics": ["visitors"], "filters": ["NO"]}`, `Invalid filter "NO": a filter is a list like ["is", "visit:country", ["NO"]].`},
		{`{` + ok + `, "metrics": ["visitors"], "order_by": [["visits", "desc"]]}`, "Invalid order_by entry [\"visits\", \"desc\"]: `visits` is not a queried metric or dimension."},
		{`{` + ok + `, "metrics": ["visitors"], "order_by": [["visitors", "up"]]}`, `Invalid order_by entry ["visitors", "up"]: the direction is "asc" or "desc".`},
		{`{` + ok + `, "metrics": ["visitors"], "order_by": ["visitors"]}`, `Invalid order_by entry "visitors": write ["visitors", "desc"].`},
		{`{` + ok + `, "metrics": ["visitors"], "include": {"time_labels": true}}`, "Invalid include.time_labels: it needs a time dimension."},
		{`{` + ok + `, "metrics": ["visitors"], "include": {"comparisons": {"mode": "year_over_year"}}}`, `Invalid include.comparisons mode "year_over_year": only "previous_period" is supported.`},
		{`{` + ok + `, "metrics": ["visitors"], "dimensions": ["visit:os"], "include": {"comparisons": {"mode": "previous_period"}}}`, "Invalid include.comparisons: comparisons are for totals, a query without dimensions."},
		{`{` + ok + `, "metrics": ["visitors"], "include": {"everything": true}}`, "Unknown field `everything` in `include`."},
		{`{` + ok + `, "metrics": ["visitors"], "pagination": {"limit": 100000}}`, `Invalid pagination {"limit": 100000, "offset": 0}: the limit is 1 to 10000, the offset 0 or more.`},
		{`{` + ok + `, "metrics": ["visitors"], "pagination": {"limit": "ten"}}`, "Invalid `pagination`: `limit` cannot be a string."},
		{`{` + ok + `, "metrics": "visitors"}`, "Invalid `metrics`: it cannot be a string."},
		{`{` + ok + `, "metrics": ["visitors"], "period": "7d"}`, "Unknown field `period` in the query; the fields are site_id, metrics, date_range, dimensions, filters, order_by, include, pagination."},
		{`{` + ok + `, "metrics": ["visitors"]} {}`, "The query is not valid JSON: there is more after the object."},
		{`{` + ok + `, "metrics": ["visitors"]`, "The query is not valid JSON: it ends too early."},
		{`{"site_id": 1}`, "Invalid `site_id`: it cannot be a number."},
		{`null`, `The query must be a JSON object like {"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d"}.`},
		{`{,}`, "The query is not valid JSON: invalid character ',' looking for beginning of object key string (at byte 2)."},
		{`{"site_id": "example.com", "date_range": "7d", "metrics": ["visitors"], "filters": [` + strings.Repeat(`["is", "visit:os", ["x"]],`, 50) + `["is", "visit:os", ["x"]]]}`, "Too many filters: at most 50 in all."},
		{strings.Repeat(" ", stats.MaxQueryBytes+1), "The query is larger than 64 KB."},
	} {
		_, err := stats.ParseQuery([]byte(c.body))
		var qe *stats.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseQuery(%.80s): got %v, want a QueryError", c.body, err)
			continue
		}
		if qe.Msg != c.want {
			t.Errorf("ParseQuery(%.80s):\n got %s\nwant %s", c.body, qe.Msg, c.want)
		}
	}
}

// TestRunErrors: what Run refuses before it asks the store.
func TestRunErrors(t *testing.T) {
	eng := stats.New(nil)
	for _, c := range []struct {
		q    stats.Query
		want string
	}{
		{stats.Query{SiteID: "other.example", Metrics: []string{"visitors"}, DateRange: stats.DateRange{Period: "7d"}},
			"The query is for site `other.example`, not `example.com`."},
		{stats.Query{SiteID: "example.com", Metrics: []string{"visitors"}, DateRange: stats.DateRange{From: "2026-01-01", To: "2026-06-30"}, Dimensions: []string{"time:hour"}},
			`Dimension ` + "`time:hour`" + ` covers at most 93 days; ask for time:day over ["2026-01-01","2026-06-30"].`},
		{stats.Query{SiteID: "example.com", Metrics: []string{"visitorz"}, DateRange: stats.DateRange{Period: "7d"}},
			"Unknown metric `visitorz`; the metrics are visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration, events."},
	} {
		_, err := eng.Run(ctx(t), scenarioSite, c.q, scenarioNow)
		if !hasError(err, c.want) {
			t.Errorf("Run(%s): got %v, want %s", c.q, err, c.want)
		}
	}
}

// TestParseQueryRoundTrip: a parsed query marshals back to what it read.
func TestParseQueryRoundTrip(t *testing.T) {
	body := `{"site_id":"example.com","metrics":["visitors","bounce_rate"],"date_range":["2026-01-01","2026-01-31"],"dimensions":["time:day","visit:country"],"filters":[["or",[["is","visit:country",["NO","SE"]],["not",["contains","event:page",["/jobs"],{"case_sensitive":false}]]]]],"order_by":[["visitors","desc"]],"include":{"time_labels":true,"total_rows":true},"pagination":{"limit":5,"offset":10}}`
	q, err := stats.ParseQuery([]byte(body))
	if err == nil {
		t.Fatal("bounce_rate with event:page in filters: want an error")
	}
	body = strings.Replace(body, `"bounce_rate"`, `"pageviews"`, 1)
	if q, err = stats.ParseQuery([]byte(body)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(q)
	if string(b) != body {
		t.Errorf("round trip:\n got %s\nwant %s", b, body)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		`{"site_id":"example.com","metrics":["visitors"],"date_range":"7d"}`,
		`{"site_id":"example.com","metrics":["visitors","visits"],"date_range":["2026-01-01","2026-01-31"],"dimensions":["visit:country"],"filters":[["is","visit:country",["NO"]]]}`,
		`{"site_id":"a","metrics":["pageviews"],"date_range":"all","filters":[["and",[["not",["contains","event:page",["x"]]],["or",[["is_not","visit:os",["iOS"]],["contains_not","visit:city",["o"],{"case_sensitive":false}]]]]]]}`,
		`{"site_id":"a","metrics":["visitors"],"date_range":"day","dimensions":["time:hour"],"include":{"time_labels":true,"total_rows":true},"order_by":[["time:hour","asc"]],"pagination":{"limit":1,"offset":2}}`,
		`{"site_id":"a","metrics":["visitors"],"date_range":"month","include":{"comparisons":{"mode":"previous_period"}}}`,
		`[]`, `null`, `{"filters":[["not",["not",["not"]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := stats.ParseQuery(body)
		if err != nil {
			var qe *stats.QueryError
			if !errors.As(err, &qe) || qe.Msg == "" {
				t.Fatalf("ParseQuery: got %T %v, want a QueryError with a message", err, err)
			}
			return
		}
		// A query that parses marshals to one that parses the same.
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q2, err := stats.ParseQuery(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if b2, _ := json.Marshal(q2); string(b2) != string(b) {
			t.Fatalf("round trip differs:\n%s\n%s", b, b2)
		}
	})
}

// TestFuzzCorpusCommitted keeps the seed corpus in the repository.
func TestFuzzCorpusCommitted(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseQuery", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed corpus under testdata/fuzz/FuzzParseQuery (%v)", err)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
