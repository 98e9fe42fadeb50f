-- The county bureau's dashboard: people who may read a county's archive without running
-- it, one-time sign-in links sent by the bot, and the sessions they open. Tokens are kept
-- only as SHA-256 hashes: a copy of the database opens no session.
CREATE TABLE reviewers (
    county_id  text NOT NULL REFERENCES counties (id),
    user_id    bigint NOT NULL,
    granted_by bigint NOT NULL,
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (county_id, user_id)
);

CREATE TABLE dashboard_links (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL,
    county_id  text NOT NULL REFERENCES counties (id),
    role       text NOT NULL CHECK (role IN ('admin', 'reviewer')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE TABLE dashboard_sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL,
    county_id  text NOT NULL REFERENCES counties (id),
    role       text NOT NULL CHECK (role IN ('admin', 'reviewer')),
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
