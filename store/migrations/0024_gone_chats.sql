-- Chats the bot can no longer reach, and outbox rows that end in failure.
--
-- A group that removed or banned the bot stays bound (removed_at): its questions stay in
-- the archive and open, and when the bot is added again the group is active again.
ALTER TABLE groups
    ADD COLUMN removed_at timestamptz,
    ADD COLUMN removed_reason text NOT NULL DEFAULT '';

-- The private chat between a person and the bot. The bot may write to a person only after
-- they started it (Telegram answers 403 otherwise), and not while they block it: started_at
-- says it was started (a /start, or a message the bot delivered there), blocked_at that a
-- send was refused since, or Telegram said the person blocked the bot. An expert with
-- blocked_at is unreachable and gets no pushes; their next /start clears it.
CREATE TABLE private_chats (
    user_id        bigint PRIMARY KEY,
    started_at     timestamptz,
    blocked_at     timestamptz,
    blocked_reason text NOT NULL DEFAULT ''
);
-- What the archive knew before: a message delivered in a private chat proves it was started.
INSERT INTO private_chats (user_id, started_at)
    SELECT chat_id, min(sent_at) FROM outbox WHERE chat_id > 0 AND sent_at IS NOT NULL GROUP BY chat_id;

-- When a message first failed and was put back for another attempt: a message that keeps
-- failing is given up (failed_at, with its reason) a while after, never retried forever.
ALTER TABLE outbox ADD COLUMN first_failed_at timestamptz;

-- The dashboard lists the messages given up on, newest first; those superseded by a newer
-- version (a notice edited before it was sent) are not failures and are left out.
CREATE INDEX outbox_failed ON outbox (failed_at DESC, id DESC)
    WHERE failed_at IS NOT NULL AND last_error <> 'superseded before delivery';
