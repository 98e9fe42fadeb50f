-- The bot's privacy mode as it was when the bot joined each group. Telegram applies
-- BotFather's /setprivacy to a group only from when the bot joins it (removing the bot and
-- adding it back re-applies it), while getMe's can_read_all_group_messages changes at
-- once; no Bot API method tells which mode a group has. So the bot reads getMe when it
-- joins a group (a my_chat_member update) and keeps the answer here: reads_all is true
-- when privacy was off then, and every message of the group reaches the bot.
--
-- The groups table holds bound groups only, and the bot joins a group before anyone binds
-- it, hence a table of its own, keyed by chat like group_bot_standing.
--
-- joined_at is the join's date (Telegram's); NULL marks a group the bot had no join of and
-- first looked at while privacy was on (reads_all false): whatever mode the group has, it
-- is no safer to assume more. A group with no row at all is one the bot joined before
-- this table, or while privacy was off without the join reaching it: unknown. A removal
-- deletes the row, so that a missed re-adding reads as unknown, never as the old mode.
CREATE TABLE group_joins (
    chat_id    bigint PRIMARY KEY,
    reads_all  boolean NOT NULL,
    joined_at  timestamptz,
    noted_at   timestamptz NOT NULL
);
