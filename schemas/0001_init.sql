-- Sites, their settings and banner. A change writes a new version; the
-- newest version of a domain wins (ReplacingMergeTree, read with FINAL).
CREATE TABLE IF NOT EXISTS sites (
    domain String,
    name String,
    timezone String,
    k UInt16,
    retention_days UInt16,
    consent_retention_days UInt16,
    geo String,
    query_allow Array(String),
    banner String,
    created_at DateTime('UTC'),
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version) ORDER BY domain;

-- Dashboard accounts. password_hash is an argon2id PHC string.
CREATE TABLE IF NOT EXISTS users (
    email String,
    password_hash String,
    role String,
    sites Array(String),
    created_at DateTime('UTC'),
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version) ORDER BY email;

-- Stats API keys: only a SHA-256 of the secret part is kept.
CREATE TABLE IF NOT EXISTS api_keys (
    id String,
    site String,
    name String,
    secret_hash String,
    created_at DateTime('UTC'),
    version UInt64,
    revoked UInt8
) ENGINE = ReplacingMergeTree(version) ORDER BY id;

-- Daily salts of the visitor hash. Every node uses the smallest salt stored
-- for a day; a day's partition is dropped once its sessions are over.
CREATE TABLE IF NOT EXISTS salts (
    day Date,
    salt String,
    created_at DateTime('UTC')
) ENGINE = MergeTree() PARTITION BY day ORDER BY salt;

-- Signing keys for consent tokens, generated when none are configured.
CREATE TABLE IF NOT EXISTS consent_keys (
    kid String,
    secret String,
    created_at DateTime('UTC'),
    version UInt64,
    retired UInt8
) ENGINE = ReplacingMergeTree(version) ORDER BY kid;

-- Proof of consent: one row per version of a visitor's choice. No IP
-- address, no user agent: country and browser family at most.
CREATE TABLE IF NOT EXISTS consent_records (
    consent_id String,
    version UInt32,
    site String,
    time DateTime('UTC'),
    revision UInt32,
    lang String,
    granted Array(String),
    refused Array(String),
    action String,
    gpc UInt8,
    page_path String,
    country String,
    browser String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(time) ORDER BY (site, consent_id, version);

-- Tokens of a consent below a version stop working (a change revokes the
-- older versions; a withdrawal revokes all). Every node polls this table.
CREATE TABLE IF NOT EXISTS consent_revocations (
    consent_id String,
    below_version UInt32,
    time DateTime('UTC')
) ENGINE = MergeTree() PARTITION BY toYYYYMM(time) ORDER BY (time, consent_id);

-- Raw events, kept for each site's retention in whole (site, day)
-- partitions. The IP address and the user agent are never stored: the
-- visitor ids are keyed hashes under daily salts; prev_visitor_id is the
-- id under the previous day's salt, for a session that spans midnight.
-- batch_id is the spool batch the event came in (so a retried insert never
-- counts twice); insert_id is the insert that stored it (so the sessionizer
-- knows what it has seen).
CREATE TABLE IF NOT EXISTS events (
    site String,
    time DateTime('UTC'),
    ms UInt16,
    event_id UInt64,
    batch_id UInt64,
    insert_id UInt64,
    visitor_id UInt64,
    prev_visitor_id UInt64,
    name String,
    hostname String,
    path String,
    query String,
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
    screen_width UInt16,
    props_keys Array(String),
    props_values Array(String)
) ENGINE = MergeTree() PARTITION BY (site, toYYYYMMDD(time)) ORDER BY (site, visitor_id, time);
