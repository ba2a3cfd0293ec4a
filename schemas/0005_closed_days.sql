-- Closed days: breakdowns of UTC days that are over, with their visitors
-- as plain counts. Reading a month of a breakdown from dims_daily decodes
-- a visitors state per value and day, and the hours at a range's edges
-- (a day in Oslo is 23 hours of one UTC day and one of the day before)
-- a state per visit: most of the cost of a dashboard page. Once a day is
-- over and none of its visits can change, aggregator/rollup (Closer)
-- writes its rows here once, from the raw visits and page views, and the
-- read side adds them up.
--
-- That is exact because visitor ids change every UTC day (the daily
-- salt): a visit counts in the day it started, so the visitors of a range
-- of days are the sum of each day's. Per hour:
--   first_hour[h]  visitors whose first visit (page view) of the day
--                  started in hour h: the sum of hours [0, b) is the
--                  visitors of those hours;
--   last_hour[h]   by their last hour: the sum of [a, 24) is the visitors
--                  of the hours from a;
--   *_h            the sums per hour.
-- A range's edge days are such a prefix or suffix.
--
-- Pages count in the hour they were viewed, and a visit that runs over
-- midnight keeps its visitor id for the views after it (for SaltGrace at
-- most). carried[h + 1] counts the page's visitors of the day who viewed
-- it the day before, from hour h on, with the same id: the read side
-- takes them out where it also reads those hours. carried_next counts
-- those who view it again the next day, taken out where a range goes on
-- past the closed days into hours read from their states.
--
-- Days whose raw rows were gone when they were closed (an upgrade) have
-- no hours: empty arrays, and closed_days.hourly = 0.
--
-- Each close of a day writes its rows with a new version and records the
-- version in closed_days last; readers read the rows of the newest version
-- recorded. So a close that stopped half way, or two nodes closing the
-- same day, never count twice (a plain MergeTree: reading FINAL cost more
-- than the rest of the read on ClickHouse 18.16). Versions before the
-- previous one are deleted when a day is closed again.
CREATE TABLE IF NOT EXISTS {{agg}}.dims_closed (
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
    first_hour Array(UInt64),
    last_hour Array(UInt64),
    visits_h Array(Int64),
    bounces_h Array(Int64),
    duration_h Array(Int64),
    pageviews_h Array(Int64),
    events_h Array(Int64),
    carried Array(UInt64),
    carried_next UInt64,
    version UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site, dim, v1, v2, v3, v4, v5, day) SETTINGS index_granularity = 256;

-- The days of a site that are closed: always every day from its first up
-- to the newest here, so the read side needs only the newest. visit_events
-- and page_events are the day's events (of its visits, and of its page
-- views) when it was closed: a day whose count has changed since is
-- closed again.
CREATE TABLE IF NOT EXISTS {{agg}}.closed_days (
    site String,
    day Date,
    hourly UInt8,
    visit_events Int64,
    page_events Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (site, day);
