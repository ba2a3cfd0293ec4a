-- The dashboard's own records: login sessions, login attempts and shared
-- links. Sessions live in the store so that every varde node accepts a
-- session any node created, and a logout on one node ends it on all.

-- Login sessions. id is the SHA-256 of the secret in the session cookie, so
-- a copy of this table cannot be used to sign in. csrf is the session's
-- synchronizer token. A logout writes a newer version with revoked = 1.
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    id String,
    email String,
    csrf String,
    created_at DateTime('UTC'),
    expires_at DateTime('UTC'),
    version UInt64,
    revoked UInt8
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(created_at) ORDER BY id;

-- Sign-in attempts, for the per-account lockout. account is the SHA-256 of
-- the lowercased email that was tried (known or not), never the address
-- itself, and nothing about the client is kept.
CREATE TABLE IF NOT EXISTS dashboard_login_attempts (
    account String,
    time DateTime('UTC'),
    ok UInt8
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(time) ORDER BY (account, time);

-- Read-only shared links of a site's overview. Only the SHA-256 of the
-- link's token is kept; id is a short public name to revoke it by.
CREATE TABLE IF NOT EXISTS dashboard_shares (
    id String,
    token_hash String,
    site String,
    created_by String,
    created_at DateTime('UTC'),
    version UInt64,
    revoked UInt8
) ENGINE = ReplacingMergeTree(version) ORDER BY id;
