-- A person's or a group's chosen language (/lang), over Telegram's app language.
CREATE TABLE language_prefs (
    chat_id  bigint PRIMARY KEY,
    lang     text NOT NULL CHECK (lang IN ('zh', 'en')),
    set_at   timestamptz NOT NULL DEFAULT now()
);
