-- Rollups: the aggregate tables the read side (aggregator/stats) answers
-- from, and the materialized views that fill them. The tables live in the
-- aggregates database ({{agg}}); the views live here, beside their sources,
-- so the aggregates database holds nothing but aggregates.
--
-- Every aggregate table is an AggregatingMergeTree keyed by (site, time,
-- dimensions...): a query for one site and a time range reads only that
-- slice of the key. Metrics are -State columns, read with -Merge:
--   visits     sum(sign)            (sessions: one row per visit version)
--   bounces    sum(sign * bounce)
--   duration   sum(sign * duration) (seconds)
--   pageviews  sum(sign * pageviews), or on events sum(sign) of pageviews
--   events     sum(sign * events),    or on events sum(sign)
--   visitors   uniqState(visitor_id) over the sign > 0 rows
-- The sessions and session_events tables are CollapsingMergeTree: the
-- sessionizer cancels (sign -1) and replaces (sign +1) a visit as it grows,
-- so every sum is sign-weighted and stays exact. Unique visitors are
-- mergeable uniq states, so any range, filter and breakdown combines them.
-- uniq is exact up to 65536 distinct visitors in one state (it keeps every
-- 32-bit hash until then) and an estimate within about 1% above that.
--
-- Time is kept in UTC hours, so a day in any time zone with a whole-hour
-- offset is an exact sum of hours. Daily twins (UTC days) of the narrow
-- tables let a long range read one row per day for its inner whole days
-- and hours only at its two edges.
--
-- The aggregate navigator (aggregator/stats) picks, for each query, the
-- narrowest table that holds every dimension the query groups or filters
-- by: a narrow table per dimension group for fast unfiltered breakdowns and
-- totals, and a wide table with every dimension as a key for any filter and
-- breakdown combination.

-- Visit metrics, from sessions. A visit counts in the hour it started.

-- Totals and time series of visit metrics: one row per site and hour.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_total_hourly (
    site String,
    hour DateTime('UTC'),
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_total_hourly TO {{agg}}.visits_total_hourly AS
SELECT site, toStartOfHour(start) AS hour,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour;

-- Top entry pages. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_entry_hourly (
    site String,
    hour DateTime('UTC'),
    entry_page String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, entry_page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_entry_hourly TO {{agg}}.visits_entry_hourly AS
SELECT site, toStartOfHour(start) AS hour, entry_page,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, entry_page;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_entry_daily (
    site String,
    day DateTime('UTC'),
    entry_page String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, entry_page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_entry_daily TO {{agg}}.visits_entry_daily AS
SELECT site, toStartOfDay(start) AS day, entry_page,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, entry_page;

-- Top exit pages. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_exit_hourly (
    site String,
    hour DateTime('UTC'),
    exit_page String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, exit_page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_exit_hourly TO {{agg}}.visits_exit_hourly AS
SELECT site, toStartOfHour(start) AS hour, exit_page,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, exit_page;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_exit_daily (
    site String,
    day DateTime('UTC'),
    exit_page String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, exit_page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_exit_daily TO {{agg}}.visits_exit_daily AS
SELECT site, toStartOfDay(start) AS day, exit_page,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, exit_page;

-- Top sources and referrers (the referrer is kept with its source, so a
-- drill-down from a source to its referrers needs no wider table). Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_source_hourly (
    site String,
    hour DateTime('UTC'),
    source String,
    referrer String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, source, referrer);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_source_hourly TO {{agg}}.visits_source_hourly AS
SELECT site, toStartOfHour(start) AS hour, source, referrer,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, source, referrer;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_source_daily (
    site String,
    day DateTime('UTC'),
    source String,
    referrer String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, source, referrer);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_source_daily TO {{agg}}.visits_source_daily AS
SELECT site, toStartOfDay(start) AS day, source, referrer,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, source, referrer;

-- UTM campaigns: the five tags together, as campaigns are read as a set. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_utm_hourly (
    site String,
    hour DateTime('UTC'),
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, utm_source, utm_medium, utm_campaign, utm_content, utm_term);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_utm_hourly TO {{agg}}.visits_utm_hourly AS
SELECT site, toStartOfHour(start) AS hour, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, utm_source, utm_medium, utm_campaign, utm_content, utm_term;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_utm_daily (
    site String,
    day DateTime('UTC'),
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, utm_source, utm_medium, utm_campaign, utm_content, utm_term);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_utm_daily TO {{agg}}.visits_utm_daily AS
SELECT site, toStartOfDay(start) AS day, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, utm_source, utm_medium, utm_campaign, utm_content, utm_term;

-- Countries, regions and cities together: the map's drill-down filters by
-- the level above and breaks down by the level below, all in this table. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_geo_hourly (
    site String,
    hour DateTime('UTC'),
    country String,
    region String,
    region_name String,
    city String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, country, region, region_name, city);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_geo_hourly TO {{agg}}.visits_geo_hourly AS
SELECT site, toStartOfHour(start) AS hour, country, region, region_name, city,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, country, region, region_name, city;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_geo_daily (
    site String,
    day DateTime('UTC'),
    country String,
    region String,
    region_name String,
    city String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, country, region, region_name, city);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_geo_daily TO {{agg}}.visits_geo_daily AS
SELECT site, toStartOfDay(start) AS day, country, region, region_name, city,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, country, region, region_name, city;

-- Browsers and their versions. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_browser_hourly (
    site String,
    hour DateTime('UTC'),
    browser String,
    browser_version String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, browser, browser_version);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_browser_hourly TO {{agg}}.visits_browser_hourly AS
SELECT site, toStartOfHour(start) AS hour, browser, browser_version,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, browser, browser_version;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_browser_daily (
    site String,
    day DateTime('UTC'),
    browser String,
    browser_version String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, browser, browser_version);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_browser_daily TO {{agg}}.visits_browser_daily AS
SELECT site, toStartOfDay(start) AS day, browser, browser_version,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, browser, browser_version;

-- Operating systems and their versions. Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_os_hourly (
    site String,
    hour DateTime('UTC'),
    os String,
    os_version String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, os, os_version);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_os_hourly TO {{agg}}.visits_os_hourly AS
SELECT site, toStartOfHour(start) AS hour, os, os_version,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, os, os_version;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_os_daily (
    site String,
    day DateTime('UTC'),
    os String,
    os_version String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, os, os_version);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_os_daily TO {{agg}}.visits_os_daily AS
SELECT site, toStartOfDay(start) AS day, os, os_version,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, os, os_version;

-- Device classes (desktop, mobile, tablet). Hourly, and daily for long ranges.
CREATE TABLE IF NOT EXISTS {{agg}}.visits_device_hourly (
    site String,
    hour DateTime('UTC'),
    device String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_device_hourly TO {{agg}}.visits_device_hourly AS
SELECT site, toStartOfHour(start) AS hour, device,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, device;

CREATE TABLE IF NOT EXISTS {{agg}}.visits_device_daily (
    site String,
    day DateTime('UTC'),
    device String,
    visits AggregateFunction(sum, Int64),
    bounces AggregateFunction(sum, Int64),
    duration AggregateFunction(sum, Int64),
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_device_daily TO {{agg}}.visits_device_daily AS
SELECT site, toStartOfDay(start) AS day, device,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, day, device;

-- Every visit dimension as a key: answers any filter and breakdown of visit
-- metrics that no narrow table holds. About one row per visit, so it is
-- read only when a query needs it.
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
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_visits_wide_hourly TO {{agg}}.visits_wide_hourly AS
SELECT site, toStartOfHour(start) AS hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device,
    sumState(toInt64(sign)) AS visits,
    sumState(toInt64(sign) * bounce) AS bounces,
    sumState(toInt64(sign) * duration) AS duration,
    sumState(toInt64(sign) * pageviews) AS pageviews,
    sumState(toInt64(sign) * events) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM sessions
GROUP BY site, hour, entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device;

-- Page metrics, from session_events: an event counts in its own hour, and
-- carries its visit's attributes (source, location, device...), so pages
-- can be filtered by them. The exit page is not known per event: a visit
-- ends later. Top pages, hourly and daily:
CREATE TABLE IF NOT EXISTS {{agg}}.events_page_hourly (
    site String,
    hour DateTime('UTC'),
    page String,
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_events_page_hourly TO {{agg}}.events_page_hourly AS
SELECT site, toStartOfHour(time) AS hour, path AS page,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, hour, page;

CREATE TABLE IF NOT EXISTS {{agg}}.events_page_daily (
    site String,
    day DateTime('UTC'),
    page String,
    pageviews AggregateFunction(sum, Int64),
    events AggregateFunction(sum, Int64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, day, page);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_events_page_daily TO {{agg}}.events_page_daily AS
SELECT site, toStartOfDay(time) AS day, path AS page,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, day, page;

-- Pages with every visit attribute an event carries, for filtered page breakdowns.
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
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (site, hour, page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_events_wide_hourly TO {{agg}}.events_wide_hourly AS
SELECT site, toStartOfHour(time) AS hour, path AS page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqStateIf(visitor_id, sign > 0) AS visitors
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
