"""The state store's schema, as forward migrations: migration N takes a store from version N-1 to N.

A store records its version in `PRAGMA user_version`. Migrations only ever go forward and each runs
in the same transaction as the version bump, so a store is always at exactly one version. Never edit
a released migration: add the next one.

Times are ISO 8601 UTC text (`2026-11-22T08:15:00Z`), which sorts like time; lists and maps are JSON.
"""

from __future__ import annotations

V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE connections (
    id                     TEXT PRIMARY KEY,   -- stable; the token's key is "token:<id>"
    name                   TEXT NOT NULL UNIQUE,
    provider               TEXT NOT NULL,      -- facebook | instagram
    kind                   TEXT NOT NULL DEFAULT 'user',  -- user | system_user
    user_id                TEXT NOT NULL DEFAULT '',
    user_name              TEXT NOT NULL DEFAULT '',
    scopes_granted         TEXT NOT NULL DEFAULT '[]',
    scopes_declined        TEXT NOT NULL DEFAULT '[]',
    granular_scopes        TEXT NOT NULL DEFAULT '{}',  -- permission -> the ids it was limited to
    token_expires_at       TEXT,               -- NULL: never, or not known
    data_access_expires_at TEXT,
    created_at             TEXT NOT NULL,
    renewed_at             TEXT,
    status                 TEXT NOT NULL DEFAULT 'ok',  -- ok | broken
    broken_reason          TEXT,
    broken_at              TEXT,
    checked_at             TEXT                -- when Meta last confirmed the status
);
CREATE INDEX connections_by_user ON connections (provider, user_id);

-- The Instagram accounts each connection reaches (Facebook: through a Page).
CREATE TABLE accounts (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    username      TEXT NOT NULL,
    page_id       TEXT,
    page_name     TEXT,
    account_type  TEXT,
    PRIMARY KEY (connection_id, account_id)
) WITHOUT ROWID;
CREATE INDEX accounts_by_username ON accounts (username COLLATE NOCASE);
CREATE INDEX accounts_by_id ON accounts (account_id);

-- The Facebook Pages a connection was granted, with or without a linked Instagram account.
CREATE TABLE pages (
    connection_id        TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    page_id              TEXT NOT NULL,
    name                 TEXT NOT NULL,
    tasks                TEXT NOT NULL DEFAULT '[]',
    instagram_account_id TEXT,
    PRIMARY KEY (connection_id, page_id)
) WITHOUT ROWID;

CREATE TABLE trackers (
    key                TEXT PRIMARY KEY,       -- "@username" or "#hashtag", lower-case
    kind               TEXT NOT NULL,          -- account | hashtag
    target             TEXT NOT NULL,          -- the username or hashtag without its sign
    connection_id      TEXT REFERENCES connections (id) ON DELETE SET NULL,
    volume             TEXT NOT NULL DEFAULT 'normal',   -- normal | high
    volume_source      TEXT NOT NULL DEFAULT 'default',  -- default | manual | measured
    volume_measured_at TEXT,
    measured_posts     INTEGER,
    measured_likes     INTEGER,
    account_id         TEXT,                   -- the Instagram user id, once known
    created_at         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX trackers_by_connection ON trackers (connection_id, kind);

-- The last rate-limit usage Meta reported, per connection and scope ('app' or an account id).
CREATE TABLE usage (
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    observed_at    TEXT NOT NULL,
    percent        REAL NOT NULL,
    regain_minutes REAL NOT NULL DEFAULT 0,
    detail         TEXT NOT NULL,
    PRIMARY KEY (connection_id, scope)
) WITHOUT ROWID;
"""

# MIGRATIONS[n - 1] takes the store to version n.
MIGRATIONS: tuple[str, ...] = (V1,)
SCHEMA_VERSION = len(MIGRATIONS)
