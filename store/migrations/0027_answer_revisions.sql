-- Corrections of an answer after it was sent (/correct, or the expert editing their answer
-- message): every revision of the answer's text, who made it, when and why. The first
-- correction also records the answer as first sent (revision 1, source 'answer'), so the
-- revisions read in order are the answer's whole history; answers.text holds the current
-- one, which search and the earlier-answer lookups read.
CREATE TABLE answer_revisions (
    id          bigserial PRIMARY KEY,
    answer_id   bigint NOT NULL REFERENCES answers (id),
    question_id bigint NOT NULL REFERENCES questions (id),
    revision    int NOT NULL,
    text        text NOT NULL,
    by_id       bigint NOT NULL,
    by_name     text NOT NULL,
    why         text NOT NULL DEFAULT '',
    source      text NOT NULL CHECK (source IN ('answer', 'command', 'edit')),
    update_id   bigint UNIQUE,
    at          timestamptz NOT NULL,
    UNIQUE (answer_id, revision)
);
CREATE INDEX answer_revisions_question ON answer_revisions (question_id, revision);
