-- Township ordering (乡镇点单) end to end: who may order a visit besides the county admins
-- (township coordinators), the guided forms that take an order, a report or a reason one
-- message at a time, an admin's choices while deciding, the report of a visit done, and
-- each visit's timeline.

-- A township coordinator (乡镇联络员), granted by a county admin in the township's group.
-- A person may coordinate several townships.
CREATE TABLE coordinators (
    county_id   text NOT NULL REFERENCES counties (id),
    township    text NOT NULL,
    user_id     bigint NOT NULL,
    name        text NOT NULL DEFAULT '',
    username    text NOT NULL DEFAULT '',
    -- Telegram's app language when granted, for messages to them (/lang overrides it).
    language    text NOT NULL DEFAULT '',
    granted_by  bigint NOT NULL,
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (county_id, township, user_id)
);
CREATE INDEX coordinators_user ON coordinators (user_id);

ALTER TABLE visits
    -- The category whose experts are offered (the topic chosen, or routed from its words).
    ADD COLUMN category_id text NOT NULL DEFAULT '',
    ADD COLUMN ordered_by_name text NOT NULL DEFAULT '',
    -- The orderer's app language when ordering, for messages to them (/lang overrides it).
    ADD COLUMN orderer_language text NOT NULL DEFAULT '',
    -- The forum topic of the group it was ordered in (0: none).
    ADD COLUMN thread_id bigint NOT NULL DEFAULT 0,
    -- Another time an admin proposed, waiting for the township to accept it.
    ADD COLUMN proposed_at timestamptz,
    ADD COLUMN done_at timestamptz;
CREATE INDEX visits_township ON visits (county_id, township, status);
-- A question leads to at most one visit at a time; after one is declined or done, another
-- may be ordered.
CREATE UNIQUE INDEX visits_question_open ON visits (question_id)
    WHERE question_id IS NOT NULL AND status IN ('ordered', 'proposed', 'approved');

ALTER TABLE visit_experts
    ADD COLUMN assigned_by bigint NOT NULL DEFAULT 0,
    ADD COLUMN assigned_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX visit_experts_user ON visit_experts (user_id);

-- What an admin has picked so far while approving with buttons (time, experts); each
-- admin has their own, and the first to press Done decides.
CREATE TABLE visit_drafts (
    visit_id     bigint NOT NULL REFERENCES visits (id),
    admin_id     bigint NOT NULL,
    scheduled_at timestamptz NOT NULL,
    experts      bigint[] NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (visit_id, admin_id)
);

-- What the experts found and did on the visit, archived with it and, when the visit came
-- from a question, with that question.
CREATE TABLE visit_reports (
    visit_id     bigint PRIMARY KEY REFERENCES visits (id),
    question_id  bigint REFERENCES questions (id),
    expert_id    bigint NOT NULL,
    expert_name  text NOT NULL,
    found        text NOT NULL,
    advice       text NOT NULL,
    households   int NOT NULL DEFAULT 0,
    -- Telegram file ids of the photos, in the order sent.
    photos       text[] NOT NULL DEFAULT '{}',
    reported_at  timestamptz NOT NULL
);
CREATE INDEX visit_reports_question ON visit_reports (question_id) WHERE question_id IS NOT NULL;

-- Everything that happened to a visit: ordered, approved, proposed, accepted, rejected
-- (the township turned a proposed time down), declined, assigned, reported.
CREATE TABLE visit_events (
    id        bigserial PRIMARY KEY,
    visit_id  bigint NOT NULL REFERENCES visits (id),
    kind      text NOT NULL,
    actor_id  bigint NOT NULL DEFAULT 0,
    detail    jsonb NOT NULL DEFAULT '{}',
    at        timestamptz NOT NULL
);
CREATE INDEX visit_events_visit ON visit_events (visit_id, id);

-- A guided form in progress: one per person and chat, so it survives restarts and the
-- person's next message (in a group: their reply to one of its prompts) answers its step.
-- A new form replaces the old one with a new id, which makes the old prompts' buttons stale.
CREATE TABLE forms (
    id           bigserial NOT NULL UNIQUE,
    chat_id      bigint NOT NULL,
    user_id      bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('visit', 'report', 'decline')),
    step         text NOT NULL,
    -- The visit reported on or declined (0 for a new order).
    ref_id       bigint NOT NULL DEFAULT 0,
    county_id    text NOT NULL DEFAULT '',
    township     text NOT NULL DEFAULT '',
    thread_id    bigint NOT NULL DEFAULT 0,
    answers      jsonb NOT NULL DEFAULT '{}',
    -- Photos sent so far (Telegram file ids).
    files        text[] NOT NULL DEFAULT '{}',
    -- The last update that answered a step: a redelivered update answers nothing twice.
    last_update  bigint NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
