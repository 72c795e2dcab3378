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

# 2: how each connection's token came (browser, invite, stdin); pending invites; failover.
V2 = """
-- browser: a login in this machine's browser; invite: a link the client completed on their own
-- device; stdin: a token handed over (a Business Manager system user's).
ALTER TABLE connections ADD COLUMN origin TEXT NOT NULL DEFAULT 'browser';

-- Logins waiting for a client to complete them (`igconnect login --invite`). The state and the PKCE
-- verifier live in the secret store under "invite:<id>"; only a hash of the state is kept here, to
-- recognise an address sent back without keeping what would let anyone forge one.
CREATE TABLE invites (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,      -- the connection it creates (or renews)
    provider      TEXT NOT NULL,      -- facebook | instagram
    reconnect_id  TEXT REFERENCES connections (id) ON DELETE CASCADE,  -- set: renews that one
    redirect_uri  TEXT NOT NULL,
    state_hash    TEXT NOT NULL UNIQUE,  -- sha256 of the state, hex
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,               -- set once completed (or while being completed)
    connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL  -- what it made
) WITHOUT ROWID;
CREATE INDEX invites_by_name ON invites (name);

-- Failover: a tracker moved off a broken connection remembers where it came from, and goes back
-- once that connection works again; any other change of its connection forgets it.
ALTER TABLE trackers ADD COLUMN failover_from TEXT REFERENCES connections (id) ON DELETE SET NULL;
ALTER TABLE trackers ADD COLUMN failover_at TEXT;
CREATE INDEX trackers_by_failover ON trackers (failover_from) WHERE failover_from IS NOT NULL;
"""

# 3: how an account tracker is read (managed or public), and trackers kept while nothing reads them.
V3 = """
-- managed: a connection reaches the account (its own node, its own budget); public: business
-- discovery finds it (the token's platform budget); NULL for hashtags and for account trackers not
-- placed yet.
ALTER TABLE trackers ADD COLUMN access TEXT;
-- 1: kept with `trackers add --pending` although no connection reaches it and business discovery
-- does not find it; it collects nothing until one does.
ALTER TABLE trackers ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
UPDATE trackers SET access = 'managed'
 WHERE kind = 'account' AND EXISTS (
    SELECT 1 FROM accounts a
     WHERE a.username = trackers.target COLLATE NOCASE OR a.account_id = trackers.account_id);
-- What earlier versions accepted without anything to read it through: kept, and now said so.
UPDATE trackers SET pending = 1
 WHERE kind = 'account' AND access IS NULL AND connection_id IS NULL;
CREATE INDEX trackers_waiting ON trackers (key) WHERE connection_id IS NULL OR pending = 1;
"""

# MIGRATIONS[n - 1] takes the store to version n.
MIGRATIONS: tuple[str, ...] = (V1, V2, V3)
SCHEMA_VERSION = len(MIGRATIONS)
