-- What the bot last saw of itself in each group, from getMe and getChatMember: whether
-- privacy mode is off (can_read_all_group_messages), its status there (member,
-- administrator…) and whether it may pin. It is what the admins were last told, so that
-- the next /bind or /guide can say the bot has been made an admin since.
CREATE TABLE group_bot_standing (
    chat_id     bigint PRIMARY KEY,
    status      text NOT NULL,
    can_pin     boolean NOT NULL DEFAULT false,
    reads_all   boolean NOT NULL DEFAULT false,
    seen_at     timestamptz NOT NULL
);

-- Each guide the bot posts in a group is remembered in bot_messages as kind 'guide' once
-- sent (so a reply to any of them, old ones too, is a question); the outbox row that
-- sends it is found by its chat and kind, to pin it and later unpin it.
CREATE INDEX outbox_guides ON outbox (chat_id, id) WHERE remember_kind = 'guide';
