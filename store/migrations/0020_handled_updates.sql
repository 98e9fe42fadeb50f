-- Each Telegram update handled, and updates set aside because handling them kept failing.
--
-- Telegram delivers an update again until the bot confirms it, and the poller confirms up to
-- the first update of a batch that failed: the ones after it come again. Step 0 of an update
-- says it was handled to the end, so a redelivery is skipped. Steps 1, 2, … are the
-- update's writes to the outbox, each recorded in the transaction that writes its messages
-- (store.WithUpdate): an update handled again after it failed half-way does not send what
-- its first try already stored.
CREATE TABLE handled_updates (
    update_id  bigint NOT NULL,
    step       int NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (update_id, step)
);
CREATE INDEX handled_updates_age ON handled_updates (handled_at);

-- An update whose handling failed while Postgres and Redis were both up. After a few such
-- failures it is set aside (set_aside_at), so that it no longer holds back the updates
-- after it; an admin may hand it back to the handler from the dashboard (retried_at).
CREATE TABLE dead_updates (
    update_id    bigint PRIMARY KEY,
    raw          text NOT NULL,
    kind         text NOT NULL DEFAULT '',
    chat_id      bigint NOT NULL DEFAULT 0,
    county_id    text NOT NULL DEFAULT '',
    last_error   text NOT NULL DEFAULT '',
    tries        int NOT NULL DEFAULT 0,
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    set_aside_at timestamptz,
    notified_at  timestamptz,
    resolved_at  timestamptz
);
CREATE INDEX dead_updates_set_aside ON dead_updates (county_id, set_aside_at) WHERE set_aside_at IS NOT NULL AND resolved_at IS NULL;
