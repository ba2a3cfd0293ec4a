-- Rollups: the aggregate tables the read side (aggregator/stats) answers
-- from, and the materialized views that fill them. The tables live in the
-- aggregates database ({{agg}}); the views live here, beside their sources,
-- so the aggregates database holds nothing but aggregates.
--
-- Every aggregate table is an AggregatingMergeTree. Metrics are -State
-- columns, read with -Merge:
--   visits     sum(sign)            (sessions: one row per visit version)
--   bounces    sum(sign * bounce)
--   duration   sum(sign * duration) (seconds)
--   pageviews  sum(sign * pageviews), or on events sum(sign) of pageviews
--   events     sum(sign * events),    or on events sum(sign)
--   visitors   uniqCombined(14) of visitor_id over the sign > 0 rows
-- The sessions and session_events tables are CollapsingMergeTree: the
-- sessionizer cancels (sign -1) and replaces (sign +1) a visit as it grows,
-- so every sum is sign-weighted and stays exact. Unique visitors are
-- mergeable states, so any range, filter and breakdown combines them.
-- uniqCombined(14) is exact while a state, or the merge of the states a
-- query reads, holds at most 1024 visitor ids (it keeps their 32-bit
-- hashes), and beyond that a HyperLogLog of 16384 cells: about 0.8% off
-- (one standard error), where uniq was about 1% off beyond 65536 ids.
-- Its states are a few KB at most and merge several times faster than
-- uniq's sets of up to 65536 hashes, which made long ranges slow.
--
-- Few views, few tables: an insert into sessions fires three views, and
-- one into session_events three, each writing one part (there were 18
-- and 3, into 20 tables). Whole UTC days of every breakdown come from one
-- table, dims_daily, filled by one view per source: the sessions view
-- unrolls each visit into one row per dimension (ARRAY JOIN), so an insert
-- writes one part for all of them, and a breakdown reads one run of the
-- key (site, dimension, values). Hours are kept where a range in a site's
-- time zone needs them (a whole day in Oslo is one hour of one UTC day and
-- 23 of the next): the totals, the pages, and the wide tables, which hold
-- every dimension as a key, answer any filter and combination, and give
-- the other dimensions their edge hours.
--
-- The aggregate navigator (aggregator/stats, catalog.go) picks, for each
-- query, the narrowest source that holds every dimension it groups or
-- filters by.

-- Visit totals per site and hour: time series, and the edge hours of a
-- range. A visit counts in the hour it started.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_total_hourly (
    site String,
    hour DateTime('UTC'),
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniqCombined(14), UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_total_hourly TO {{agg}}.visits_total_hourly AS
SELECT site, toStartOfHour(start) AS hour,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour;

-- Breakdowns by whole UTC days: one row per site, dimension, values and
-- day. dim names the dimension; v1..v4 are its columns:
--   total            (none: the site's totals)
--   entry_page       entry_page
--   exit_page        exit_page
--   source           source
--   referrer         source, referrer
--   utm              utm_source, utm_medium, utm_campaign, utm_content,
--                    utm_term
--   country          country
--   geo              country, region, region_name, city
--   browser          browser
--   browser_version  browser, browser_version
--   os               os
--   os_version       os, os_version
--   device           device
--   page             page (from session_events: pageviews, events and
--                    visitors where the page views happened, in their day)
-- The key starts with the dimension and its values, so the rows of a few
-- values over any range are few granules (small ones: 256 rows), and a
-- range of one dimension is one run of the key.
CREATE TABLE IF NOT EXISTS {{agg}}.dims_daily (
    site String,
    dim String,
    v1 String,
    v2 String,
    v3 String,
    v4 String,
    v5 String,
    day Date,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniqCombined(14), UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, dim, v1, v2, v3, v4, v5, day) SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_dims_daily TO {{agg}}.dims_daily AS
SELECT site, d.1 AS dim, d.2 AS v1, d.3 AS v2, d.4 AS v3, d.5 AS v4, d.6 AS v5, toDate(start) AS day,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM sessions
ARRAY JOIN [
    ('total', '', '', '', '', ''),
    ('entry_page', entry_page, '', '', '', ''),
    ('exit_page', exit_page, '', '', '', ''),
    ('source', source, '', '', '', ''),
    ('referrer', source, referrer, '', '', ''),
    ('utm', utm_source, utm_medium, utm_campaign, utm_content, utm_term),
    ('country', country, '', '', '', ''),
    ('geo', country, region, region_name, city, ''),
    ('browser', browser, '', '', '', ''),
    ('browser_version', browser, browser_version, '', '', ''),
    ('os', os, '', '', '', ''),
    ('os_version', os, os_version, '', '', ''),
    ('device', device, '', '', '', '')
] AS d
GROUP BY site, dim, v1, v2, v3, v4, v5, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_dims_daily_pages TO {{agg}}.dims_daily AS
SELECT site, 'page' AS dim, path AS v1, '' AS v2, '' AS v3, '' AS v4, '' AS v5, toDate(time) AS day,
    sumState(toInt64(0)) AS visits,
    sumState(toInt64(0)) AS bounces,
    sumState(toInt64(0)) AS duration,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, dim, v1, v2, v3, v4, v5, day;

-- Pages by hour, for the edge hours of a range in a site's time zone (a
-- whole day in Oslo is one hour of one UTC day and 23 of the next). The
-- visit dimensions take their edge hours from visits_wide_hourly: a day's
-- hour of visits is a few thousand rows at most, each holding a visitor
-- or two, cheaper to read than hourly states per dimension.
CREATE TABLE IF NOT EXISTS {{agg}}.events_page_hourly (
    site String,
    hour DateTime('UTC'),
    page String,
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniqCombined(14), UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_events_page_hourly TO {{agg}}.events_page_hourly AS
SELECT site, toStartOfHour(time) AS hour, path AS page,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, hour, page;

-- Every visit dimension as a key: answers any filter and breakdown of visit
-- metrics that no narrower source holds, and the edge hours of the others.
-- About one row per visit, so it is read only when a query needs it.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_wide_hourly (
    site String,
    hour DateTime('UTC'),
    entry_page String,
    exit_page String,
    source String,
    referrer String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    country String,
    region String,
    region_name String,
    city String,
    browser String,
    browser_version String,
    os String,
    os_version String,
    device String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniqCombined(14), UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_wide_hourly TO {{agg}}.visits_wide_hourly AS
SELECT site, toStartOfHour(start) AS hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device;

-- Pages with every visit attribute an event carries, for filtered page
-- breakdowns: an event counts in its own hour, and carries its visit's
-- attributes (source, location, device...). The exit page is not known
-- per event: a visit ends later.
CREATE TABLE IF NOT EXISTS {{agg}}.events_wide_hourly (
    site String,
    hour DateTime('UTC'),
    page String,
    entry_page String,
    source String,
    referrer String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    country String,
    region String,
    region_name String,
    city String,
    browser String,
    browser_version String,
    os String,
    os_version String,
    device String,
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniqCombined(14), UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_events_wide_hourly TO {{agg}}.events_wide_hourly AS
SELECT site, toStartOfHour(time) AS hour, path AS page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, hour, page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device;

-- Realtime: unique visitors per minute, straight from raw events (the
-- sessionizer runs behind them), for the dashboard's "visitors in the last
-- 5 minutes". One row per site and minute; the read side still reads only
-- this aggregate.
CREATE TABLE IF NOT EXISTS {{agg}}.realtime_minutely (
    site String,
    minute DateTime('UTC'),
    pageviews AggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMMDD(minute) ORDER BY (site, minute);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_realtime_minutely TO {{agg}}.realtime_minutely AS
SELECT site, toStartOfMinute(time) AS minute,
    sumState(toUInt64(name = 'pageview')) AS pageviews,
    uniqState(visitor_id) AS visitors
FROM events
GROUP BY site, minute;

-- Consent decisions per site, hour, action (accept-all, reject-all, custom,
-- withdraw) and GPC, for the dashboard's consent panel. Plain counts: a
-- SummingMergeTree adds them up on merge. The records themselves are proof
-- of consent and are erased on request; these counts name nobody and stay.
CREATE TABLE IF NOT EXISTS {{agg}}.consent_hourly (
    site String,
    hour DateTime('UTC'),
    action String,
    gpc UInt8,
    records UInt64
) ENGINE = SummingMergeTree(records) PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, action, gpc);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_consent_hourly TO {{agg}}.consent_hourly AS
SELECT site, toStartOfHour(time) AS hour, action, gpc, count() AS records
FROM consent_records
GROUP BY site, hour, action, gpc;
