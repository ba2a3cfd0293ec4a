-- Visits, derived from raw events by the sessionizer (aggregator/sessions),
-- which reads every node's events from the store, so a visit is exact
-- however a visitor's requests are spread over collector nodes. A visit
-- ends after 30 minutes without events.
--
-- Both tables are CollapsingMergeTree: when a visit grows, the sessionizer
-- cancels its old row (sign -1) and writes the new one (sign +1), so the
-- rollups fed from them sum sign-weighted values and stay exact. Kept for
-- the site's retention, like raw events.
CREATE TABLE IF NOT EXISTS sessions (
    site String,
    visitor_id UInt64,
    session_id UInt64,
    sign Int8,
    start DateTime('UTC'),
    end DateTime('UTC'),
    duration UInt32,
    pageviews UInt32,
    events UInt32,
    bounce UInt8,
    hostname String,
    entry_page String,
    exit_page String,
    referrer String,
    source String,
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
    device String
) ENGINE = CollapsingMergeTree(sign) PARTITION BY (site, toYYYYMMDD(start)) ORDER BY (site, visitor_id, session_id);

-- Every event with the attributes of the visit it belongs to (where the
-- visit came from, where it entered), so a breakdown of pages can be
-- filtered by source and the other way round.
CREATE TABLE IF NOT EXISTS session_events (
    site String,
    visitor_id UInt64,
    session_id UInt64,
    event_id UInt64,
    sign Int8,
    time DateTime('UTC'),
    name String,
    hostname String,
    path String,
    entry_page String,
    referrer String,
    source String,
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
    props_keys Array(String),
    props_values Array(String)
) ENGINE = CollapsingMergeTree(sign) PARTITION BY (site, toYYYYMMDD(time)) ORDER BY (site, visitor_id, session_id, event_id);

-- Every insert of raw events, registered by the writer just before it runs:
-- how many rows and which times it holds. The sessionizer finds new inserts
-- here instead of scanning the raw events.
CREATE TABLE IF NOT EXISTS raw_inserts (
    insert_id UInt64,
    rows UInt64,
    first DateTime('UTC'),
    last DateTime('UTC'),
    time DateTime('UTC')
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(time) ORDER BY insert_id;

-- The inserts of raw events the sessionizer has folded in.
CREATE TABLE IF NOT EXISTS sessionized_inserts (
    insert_id UInt64,
    time DateTime('UTC')
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(time) ORDER BY insert_id;

-- Leases for jobs that must run on one node at a time (the sessionizer,
-- retention). The newest version of a name holds it.
CREATE TABLE IF NOT EXISTS leases (
    name String,
    holder String,
    expires DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY name;
