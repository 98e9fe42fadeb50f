-- A group's shared acknowledgement of a burst of questions (a clinic session, a village
-- meeting): one message lists the questions' numbers and farmers' names and is edited as
-- more come, instead of one message each (Telegram allows a bot about 20 messages a
-- minute in a group, edits included). The message is an outbox row written in the asking
-- transaction; its edits are outbox rows too, at most one waiting at a time, rewritten in
-- place while no sender has taken it. A restart loses nothing: what it lists is here.
CREATE TABLE group_acks (
    id             bigserial PRIMARY KEY,
    chat_id        bigint NOT NULL,
    thread_id      bigint NOT NULL DEFAULT 0,
    -- The send that posts it (its message_id is the Telegram message, once sent) and its
    -- latest edit. No foreign keys, here or below: a table that references the outbox
    -- stops `TRUNCATE outbox` (the benchmarks clear it so), and a reference to questions
    -- makes every DELETE of questions check this table; the rows are written together in
    -- one transaction, which is what keeps them consistent.
    outbox_id      bigint,
    edit_outbox_id bigint,
    opened_at      timestamptz NOT NULL,
    last_at        timestamptz NOT NULL
);
CREATE INDEX group_acks_chat ON group_acks (chat_id, thread_id, id DESC);

-- The questions each lists, with their place in the queue as it was when they arrived.
CREATE TABLE group_ack_questions (
    question_id bigint PRIMARY KEY,
    ack_id      bigint NOT NULL,
    ahead       int NOT NULL DEFAULT 0,
    on_duty     int NOT NULL DEFAULT 0,
    next_open   timestamptz
);
CREATE INDEX group_ack_questions_ack ON group_ack_questions (ack_id, question_id);

-- How many questions a group got lately decides whether a new one is part of a burst.
CREATE INDEX questions_chat_asked ON questions (chat_id, asked_at);
