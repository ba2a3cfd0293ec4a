-- Day-major order for the per-day breakdowns. dims_daily and dims_closed
-- were ordered by (site, dim, values..., day): a granule held a few values
-- with all their days, so reading one day of a dimension (today, or the
-- edge days of a range) read the states or hour arrays of every day of
-- it. Measured at 10 million events: today's pages from dims_daily read
-- 180,000 states to merge 2,000 of them. daily_dims and closed_dims hold
-- the same rows ordered by (site, dim, day, values...): a range of days is
-- as many rows as before, a day is only its own.
--
-- closed_dims keeps its per-hour arrays as 32-bit integers (a value's
-- events in one hour), halving what an edge day decodes; duration_h stays
-- 64-bit.
--
-- The rows are copied once. Nothing else writes to the new tables before
-- their views exist, so a copy that stopped half way is emptied and made
-- again when the migration runs again. The old tables are dropped by the
-- next migration, once this one is recorded. (Varde runs migrations
-- before it takes events, on every node; visits that another node folded
-- while a node migrated are repaired by `varde rollup rebuild`.)
CREATE TABLE IF NOT EXISTS {{agg}}.daily_dims (
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
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, dim, day, v1, v2, v3, v4, v5) SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS {{agg}}.closed_dims (
    site String,
    dim String,
    v1 String,
    v2 String,
    v3 String,
    v4 String,
    v5 String,
    day Date,
    visits Int64,
    bounces Int64,
    duration Int64,
    pageviews Int64,
    events Int64,
    visitors UInt64,
    first_hour Array(UInt32),
    last_hour Array(UInt32),
    visits_h Array(Int32),
    bounces_h Array(Int32),
    duration_h Array(Int64),
    pageviews_h Array(Int32),
    events_h Array(Int32),
    carried Array(UInt32),
    carried_next UInt64,
    version UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, dim, day, v1, v2, v3, v4, v5) SETTINGS index_granularity = 256;

DROP TABLE IF EXISTS mv_dims_daily;

DROP TABLE IF EXISTS mv_dims_daily_pages;

TRUNCATE TABLE {{agg}}.daily_dims;

INSERT INTO {{agg}}.daily_dims SELECT * FROM {{agg}}.dims_daily;

TRUNCATE TABLE {{agg}}.closed_dims;

INSERT INTO {{agg}}.closed_dims SELECT * FROM {{agg}}.dims_closed;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_daily_dims TO {{agg}}.daily_dims AS
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

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_daily_dims_pages TO {{agg}}.daily_dims AS
SELECT site, 'page' AS dim, path AS v1, '' AS v2, '' AS v3, '' AS v4, '' AS v5, toDate(time) AS day,
    sumState(toInt64(0)) AS visits,
    sumState(toInt64(0)) AS bounces,
    sumState(toInt64(0)) AS duration,
    sumState(toInt64(sign) * (name = 'pageview')) AS pageviews,
    sumState(toInt64(sign)) AS events,
    uniqCombinedStateIf(14)(visitor_id, sign > 0) AS visitors
FROM session_events
GROUP BY site, dim, v1, v2, v3, v4, v5, day;
