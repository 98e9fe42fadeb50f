-- Answers held before they reach the group (issue 22, senior review 复核): one named a
-- banned pesticide, or one restricted on the question's crop, or the county reviews this
-- kind of answer (review: new, all). The row is the truth of the hold: it survives a
-- restart and a Redis flush, and a senior's decision is one conditional UPDATE of it
-- (state 'review' → 'approved' or 'returned'), so exactly one senior decides.
--
-- state: 'waiting' (banned: the expert rewrites, or sends it to review), 'review' (with
-- the seniors), 'replaced' (a newer answer took its place), 'approved', 'returned'.
-- reason: why it was held: banned, negated, restricted, new, all. findings: what the
-- pesticide check found (JSON). The columns say enough to count, per expert and county,
-- what was held, returned, decided by whom and how long it waited.
CREATE TABLE held_answers (
    id               bigserial PRIMARY KEY,
    question_id      bigint NOT NULL REFERENCES questions (id),
    county_id        text NOT NULL,
    expert_id        bigint NOT NULL,
    expert_name      text NOT NULL,
    text             text NOT NULL,
    kind             text NOT NULL DEFAULT '',
    file_id          text NOT NULL DEFAULT '',
    update_id        bigint UNIQUE,
    reason           text NOT NULL CHECK (reason IN ('banned', 'negated', 'restricted', 'new', 'all')),
    findings         jsonb NOT NULL DEFAULT '[]',
    state            text NOT NULL CHECK (state IN ('waiting', 'review', 'replaced', 'approved', 'returned')),
    held_at          timestamptz NOT NULL,
    review_at        timestamptz,
    pushes           int NOT NULL DEFAULT 0,
    pushed_at        timestamptz,
    decided_by       bigint,
    decided_name     text NOT NULL DEFAULT '',
    decided_at       timestamptz,
    corrected_text   text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    answer_id        bigint REFERENCES answers (id)
);
-- At most one answer of a question is held at a time.
CREATE UNIQUE INDEX held_answers_open ON held_answers (question_id) WHERE state IN ('waiting', 'review');
CREATE INDEX held_answers_review ON held_answers (review_at) WHERE state = 'review';
CREATE INDEX held_answers_expert ON held_answers (expert_id, held_at);
