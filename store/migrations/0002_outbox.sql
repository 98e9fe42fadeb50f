-- Every message the bot sends because something changed is written here in the same
-- transaction as the change, and a sender delivers it: a crash between "answer stored" and
-- "answer posted" ends with the answer posted, once.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    chat_id         bigint NOT NULL,
    method          text NOT NULL CHECK (method IN ('send', 'edit')),
    text            text NOT NULL,
    reply_to        bigint NOT NULL DEFAULT 0,
    edit_message_id bigint NOT NULL DEFAULT 0,
    markup          jsonb,
    -- What to remember once sent: the sent message is recorded in bot_messages with this
    -- kind and reference, so replies and button presses can find it.
    remember_kind   text NOT NULL DEFAULT '',
    remember_ref    bigint NOT NULL DEFAULT 0,
    remember_user   bigint NOT NULL DEFAULT 0,
    language        text NOT NULL DEFAULT '',
    -- An answer posted in a group records where it landed.
    answer_id       bigint NOT NULL DEFAULT 0,
    -- A message that must not go before another one has (in another chat), e.g. "your
    -- answer is posted" waits for the answer to be posted.
    after_id        bigint REFERENCES outbox (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    sent_at         timestamptz,
    failed_at       timestamptz,
    message_id      bigint,
    last_error      text NOT NULL DEFAULT ''
);
-- The sender's work: the pending messages, oldest first per chat.
CREATE INDEX outbox_pending ON outbox (chat_id, id) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('agriclinic_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
