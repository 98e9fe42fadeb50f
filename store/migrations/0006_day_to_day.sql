-- Day-to-day consultation: questions with photos and voice, follow-ups, edits, feedback,
-- closing, transfers, forum topics, and a timeline of what happened to each question.

-- A question is closed once the farmer says it is solved, or by itself some time after
-- its answer when no feedback came.
ALTER TABLE questions DROP CONSTRAINT questions_status_check;
ALTER TABLE questions ADD CONSTRAINT questions_status_check
    CHECK (status IN ('open', 'claimed', 'answered', 'closed'));
ALTER TABLE questions
    -- The forum topic the farmer wrote in; every reply in the group goes to it (0: none).
    ADD COLUMN thread_id bigint NOT NULL DEFAULT 0,
    -- An album becomes one question: its items share media_group_id.
    ADD COLUMN media_group_id text,
    -- An edited question keeps the words first asked.
    ADD COLUMN original_text text,
    ADD COLUMN edited_at timestamptz,
    -- solved / unsolved (pressed by the farmer), archive (closed from a similar answer),
    -- none (closed by itself).
    ADD COLUMN feedback text CHECK (feedback IN ('solved', 'unsolved', 'archive', 'none')),
    ADD COLUMN feedback_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    -- Set when the question goes back to the head of its queue (not solved, a claim that
    -- expired, a transfer); the queue orders these before everything asked.
    ADD COLUMN priority_at timestamptz,
    -- When the question was escalated to the county admins (SLA_ESCALATE).
    ADD COLUMN escalated_at timestamptz;
CREATE UNIQUE INDEX questions_album ON questions (chat_id, media_group_id) WHERE media_group_id IS NOT NULL;
CREATE INDEX questions_message ON questions (chat_id, message_id);
CREATE INDEX questions_answered ON questions (answered_at) WHERE status = 'answered';

-- The photos, voice, video, documents and locations a question came with, in the order
-- the farmer sent them (message id).
CREATE TABLE question_media (
    question_id    bigint NOT NULL REFERENCES questions (id),
    chat_id        bigint NOT NULL,
    message_id     bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('photo', 'voice', 'video', 'video_note', 'audio', 'document', 'animation', 'location')),
    file_id        text NOT NULL DEFAULT '',
    file_unique_id text NOT NULL DEFAULT '',
    latitude       double precision,
    longitude      double precision,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX question_media_question ON question_media (question_id, message_id);

-- Album items wait here until the album is complete (Telegram sends each item as its own
-- update, in any order); then they become one question.
CREATE TABLE album_items (
    chat_id        bigint NOT NULL,
    message_id     bigint NOT NULL,
    media_group_id text NOT NULL,
    update_id      bigint NOT NULL UNIQUE,
    from_id        bigint NOT NULL,
    from_name      text NOT NULL,
    from_username  text NOT NULL DEFAULT '',
    from_language  text NOT NULL DEFAULT '',
    thread_id      bigint NOT NULL DEFAULT 0,
    kind           text NOT NULL,
    file_id        text NOT NULL DEFAULT '',
    file_unique_id text NOT NULL DEFAULT '',
    caption        text NOT NULL DEFAULT '',
    -- The item was addressed to the bot (/ask, a mention, a reply to the bot).
    addressed      boolean NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX album_items_group ON album_items (chat_id, media_group_id);

-- What a farmer added to a question after asking, and what the expert said besides the
-- answer: the thread after the question.
CREATE TABLE followups (
    id           bigserial PRIMARY KEY,
    question_id  bigint NOT NULL REFERENCES questions (id),
    author_id    bigint NOT NULL,
    author_name  text NOT NULL,
    text         text NOT NULL DEFAULT '',
    kind         text NOT NULL DEFAULT '',
    file_id      text NOT NULL DEFAULT '',
    chat_id      bigint NOT NULL,
    message_id   bigint NOT NULL,
    update_id    bigint UNIQUE,
    created_at   timestamptz NOT NULL
);
CREATE INDEX followups_question ON followups (question_id, id);

-- An expert may answer with a photo, voice or document.
ALTER TABLE answers
    ADD COLUMN kind text NOT NULL DEFAULT '',
    ADD COLUMN file_id text NOT NULL DEFAULT '';

-- Everything that happened to a question, for its timeline: asked, claimed, released,
-- expired, transferred, answered, followup, edited, reopened, closed, escalated, assigned.
CREATE TABLE question_events (
    id           bigserial PRIMARY KEY,
    question_id  bigint NOT NULL REFERENCES questions (id),
    kind         text NOT NULL,
    actor_id     bigint NOT NULL DEFAULT 0,
    detail       jsonb NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL
);
CREATE INDEX question_events_question ON question_events (question_id, id);
CREATE INDEX question_events_kind ON question_events (kind, at);

-- A group's mode: 'ask' takes only /ask, mentions and replies; 'open' also takes messages
-- that look like questions (the bot must be an admin to see them).
ALTER TABLE groups ADD COLUMN mode text NOT NULL DEFAULT 'ask' CHECK (mode IN ('ask', 'open'));

-- Outgoing media and other calls: method 'call' names a Bot API method and its
-- parameters; thread_id keeps a reply in its forum topic.
ALTER TABLE outbox DROP CONSTRAINT outbox_method_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_method_check CHECK (method IN ('send', 'edit', 'call'));
ALTER TABLE outbox
    ADD COLUMN api_method text NOT NULL DEFAULT '',
    ADD COLUMN params jsonb,
    ADD COLUMN thread_id bigint NOT NULL DEFAULT 0;

-- When many questions arrive at once, an expert gets one digest instead of a push each.
CREATE TABLE expert_digests (
    user_id     bigint PRIMARY KEY,
    language    text NOT NULL DEFAULT '',
    questions   int NOT NULL,
    first_at    timestamptz NOT NULL
);

-- Each county's morning digest is sent once a day, whatever the number of instances.
CREATE TABLE admin_digests (
    county_id   text NOT NULL REFERENCES counties (id),
    day         date NOT NULL,
    sent_at     timestamptz NOT NULL,
    PRIMARY KEY (county_id, day)
);
