-- Schedules the bot runs on cron: recurring clinic sessions (坐诊) and recurring visit
-- plans. Their next run times live here, so a restart neither forgets nor repeats them.
CREATE TABLE schedules (
    id          bigserial PRIMARY KEY,
    county_id   text NOT NULL REFERENCES counties (id),
    kind        text NOT NULL CHECK (kind IN ('clinic', 'visit_plan')),
    -- Five-field cron expression in the county's time zone.
    spec        text NOT NULL,
    duration    interval NOT NULL DEFAULT '0',
    category_id text NOT NULL DEFAULT '',
    experts     bigint[] NOT NULL DEFAULT '{}',
    township    text NOT NULL DEFAULT '',
    topic       text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT false,
    next_run_at timestamptz,
    created_by  bigint NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE active;

-- One row per piece of scheduled work done (a session started, a reminder sent…): the
-- key names the firing, so two instances, or a restart at that minute, do it once.
CREATE TABLE firings (
    key      text PRIMARY KEY,
    fired_at timestamptz NOT NULL
);

-- A clinic session held: numbered per county ("the 5th sit-and-diagnose service").
CREATE TABLE clinic_sessions (
    id          bigserial PRIMARY KEY,
    schedule_id bigint NOT NULL REFERENCES schedules (id),
    county_id   text NOT NULL REFERENCES counties (id),
    number      int NOT NULL,
    category_id text NOT NULL,
    experts     bigint[] NOT NULL,
    -- Experts who were off duty before the session, put back off at its end.
    were_off    bigint[] NOT NULL DEFAULT '{}',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    ended_at    timestamptz,
    answered    int,
    UNIQUE (schedule_id, starts_at),
    UNIQUE (county_id, number)
);
CREATE INDEX clinic_sessions_open ON clinic_sessions (ends_at) WHERE ended_at IS NULL;
