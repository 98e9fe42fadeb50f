-- The consultation loop: counties and their categories (upserted from the county file),
-- township groups, experts, questions and answers, and the bot messages that point at them.

CREATE TABLE counties (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL,
    admins      bigint[] NOT NULL DEFAULT '{}',
    townships   text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    county_id   text NOT NULL REFERENCES counties (id),
    id          text NOT NULL,
    name        text NOT NULL,
    name_en     text NOT NULL,
    keywords    text[] NOT NULL DEFAULT '{}',
    position    int NOT NULL,
    PRIMARY KEY (county_id, id)
);

-- A Telegram group bound to one township of one county. A group that becomes a supergroup
-- gets a new chat id; the row follows it (see MigrateGroup).
CREATE TABLE groups (
    chat_id     bigint PRIMARY KEY,
    county_id   text NOT NULL REFERENCES counties (id),
    township    text NOT NULL,
    title       text NOT NULL DEFAULT '',
    bound_by    bigint NOT NULL,
    bound_at    timestamptz NOT NULL
);

-- Every /expert request, kept as a log; the experts table holds the decided state.
CREATE TABLE expert_requests (
    id          bigserial PRIMARY KEY,
    county_id   text NOT NULL REFERENCES counties (id),
    user_id     bigint NOT NULL,
    name        text NOT NULL,
    username    text NOT NULL DEFAULT '',
    language    text NOT NULL DEFAULT '',
    categories  text[] NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    update_id   bigint UNIQUE,
    requested_at timestamptz NOT NULL,
    decided_by  bigint,
    decided_at  timestamptz
);
CREATE INDEX expert_requests_pending ON expert_requests (county_id, user_id) WHERE status = 'pending';

CREATE TABLE experts (
    county_id   text NOT NULL REFERENCES counties (id),
    user_id     bigint NOT NULL,
    name        text NOT NULL,
    username    text NOT NULL DEFAULT '',
    language    text NOT NULL DEFAULT '',
    categories  text[] NOT NULL,
    on_duty     boolean NOT NULL DEFAULT true,
    approved_by bigint NOT NULL,
    approved_at timestamptz NOT NULL,
    PRIMARY KEY (county_id, user_id)
);
CREATE INDEX experts_categories ON experts USING gin (categories);

CREATE TABLE questions (
    id           bigserial PRIMARY KEY,
    county_id    text NOT NULL REFERENCES counties (id),
    township     text NOT NULL,
    chat_id      bigint NOT NULL,
    message_id   bigint NOT NULL,
    farmer_id    bigint NOT NULL,
    farmer_name  text NOT NULL,
    category_id  text NOT NULL,
    text         text NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'answered')),
    expert_id    bigint,
    update_id    bigint UNIQUE,
    asked_at     timestamptz NOT NULL,
    claimed_at   timestamptz,
    answered_at  timestamptz,
    FOREIGN KEY (county_id, category_id) REFERENCES categories (county_id, id)
);
CREATE INDEX questions_open ON questions (county_id, category_id, asked_at) WHERE status = 'open';
CREATE INDEX questions_expert ON questions (expert_id, status);

CREATE TABLE answers (
    id           bigserial PRIMARY KEY,
    question_id  bigint NOT NULL REFERENCES questions (id),
    expert_id    bigint NOT NULL,
    expert_name  text NOT NULL,
    text         text NOT NULL,
    update_id    bigint UNIQUE,
    group_message_id bigint,
    answered_at  timestamptz NOT NULL
);
CREATE INDEX answers_question ON answers (question_id);

-- Messages the bot sent that a later update may point at: a reply to a question notice is an
-- answer, a press on an admin's request message decides it, and after a claim every other
-- expert's notice is edited to say who took the question.
CREATE TABLE bot_messages (
    chat_id     bigint NOT NULL,
    message_id  bigint NOT NULL,
    kind        text NOT NULL,
    ref_id      bigint NOT NULL,
    user_id     bigint NOT NULL DEFAULT 0,
    language    text NOT NULL DEFAULT '',
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX bot_messages_ref ON bot_messages (kind, ref_id);
