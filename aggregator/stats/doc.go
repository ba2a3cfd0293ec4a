// Package stats is the read side of Varde: it answers stats queries in the
// shape of Plausible's Stats API v2 from the aggregate tables, and applies
// k-anonymity to every answer. It must never read a raw table: it is given
// a store whose default database is the aggregates database, and its query
// builder knows only the aggregate tables' names (AggregateTables); on a
// server, that store connects as a user allowed no other database.
//
// # The read-only user
//
// On a server, the read side connects as a user that may read the
// aggregates database only (ClickHouse 18.16 has no per-table grants; a
// user's allow_databases is the fence). In users.xml, for the store
// clickhouse://.../varde:
//
//	<profiles><reader><readonly>2</readonly></reader></profiles>
//	<users><varde_reader>
//	  <password_sha256_hex>...</password_sha256_hex>
//	  <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
//	  <profile>reader</profile><quota>default</quota>
//	  <allow_databases><database>varde_agg</database></allow_databases>
//	</varde_reader></users>
//
// and give the read side clickhouse://varde_reader:...@host:9000/varde_agg.
// (readonly=2 still lets a query set max_execution_time, which the store
// does.) The tests start their servers with such a user.
//
// # Where numbers come from
//
// The aggregate navigator (catalog.go) picks, for each query, the
// narrowest source that holds every dimension it groups or filters by:
// whole UTC days from daily_dims (one row per site, dimension, values and
// day), and hours (a range's edge hours in the site's zone, or all of a
// range with a time dimension) from the hourly totals, the hourly pages or
// the wide tables, which hold every dimension as a key and answer any
// other combination. A query that names event:page (in dimensions or
// filters) reads page rows, fed by events: visitors, pageviews and events
// count where the page views happened, in the hour they happened. Every
// other query reads visit rows, fed by sessions: all metrics, counted in
// the hour the visit started. Unique visitors are merged uniqCombined(14)
// states: exact up to 1024 per merged state, about 0.8% off above.
//
// How it asks (batch.go): RunMany sends the statements of several queries
// together, one UNION ALL per step, and queries that read the same tables
// share one read of each (ARRAY JOIN over what each wants), so the
// dashboard's page costs a few round trips and reads each table once or
// twice: on the embedded engine, every statement and every table read has
// a fixed cost of milliseconds. An unfiltered breakdown of a dimension of
// many values (pages, cities...) by visitors sizes every group with sums
// first and merges the visitors of its largest groups only (pick, in
// batch.go); its answer is the full query's.
//
// # Valid combinations
//
//   - visits, views_per_visit, bounce_rate and visit_duration are kept per
//     visit: they cannot be asked for with event:page (split pages by
//     visit:entry_page or visit:exit_page instead).
//   - visit:exit_page cannot be combined with event:page: a page view does
//     not know how its visit ends.
//   - One time dimension at most; time:hour over at most 93 days.
//   - include.comparisons (previous_period) is for totals, without
//     dimensions; include.time_labels needs a time dimension.
//   - order_by names a queried metric or dimension.
//
// # k-anonymity
//
// What is protected, with k the site's threshold:
//
//   - Every row returned has at least k visitors: totals, each breakdown
//     row, each time bucket. A time bucket is a row like any other: in a
//     time series a bucket under k is left out (include.time_labels fills
//     it with zeros, as it does empty buckets); with other dimensions,
//     small groups fold per bucket.
//   - Groups under k fold into one "(other)" row (per time bucket), shown
//     only when it has k visitors itself, else dropped. meta.suppressed_rows
//     counts the groups held back either way.
//   - A filtered query shows nothing (meta.withheld says why) unless the
//     population its filters select has at least k visitors and the
//     population they leave out is empty or has at least k: otherwise
//     totals(all) - totals(filtered) would reveal the few left out.
//   - The same holds per row: a breakdown row under filters is held back
//     when the same group outside the filters has between 1 and k-1
//     visitors (Chrome in Norway is not shown when all Chrome minus Chrome
//     in Norway would be one Danish visitor).
//   - The visitors used for k are at most the row's visits (or events), so
//     a stale uniq entry (a visit whose exit page moved on as it grew)
//     cannot lift a small row over k.
//
// What is not protected:
//
//   - Differencing over date ranges: two overlapping ranges differ by the
//     visitors of the days between them, however few. Ranges are whole
//     local days (or hours, for time:hour), so the finest cell is an hour.
//   - The sum of what a breakdown held back: the total minus the rows shown
//     is the size of the dropped groups together (never which groups).
//   - Differencing across unrelated filters (A and B against A) beyond the
//     per-row complement check of each single query.
//   - Exit-page visitor counts can still overcount visitors whose visit
//     later ended elsewhere (bounded by the row's visits).
//
// A bucket filled with zeros by include.time_labels reads the same whether
// it was empty or held back; meta.suppressed_rows counts the latter.
package stats
