-- Knowledge from the archive: full-text search, crops and lexicon terms on questions,
-- keywords learned from transfers, and outbreak alerts.

-- The question, its answers and its follow-ups as lexemes tokenised in Go (Postgres has
-- no Chinese parser): the question weighs A, answers B, follow-ups C. NULL until the
-- backfill at start reaches rows written before this column existed.
ALTER TABLE questions
    ADD COLUMN search tsvector,
    ADD COLUMN crop text NOT NULL DEFAULT '',
    ADD COLUMN terms text[] NOT NULL DEFAULT '{}';
CREATE INDEX questions_search ON questions USING gin (search);
CREATE INDEX questions_terms ON questions USING gin (terms);
CREATE INDEX questions_county_asked ON questions (county_id, asked_at DESC, id DESC);

-- Keywords a county admin added to a category from the words of questions experts
-- transferred into it; they route like the county file's own.
CREATE TABLE learned_keywords (
    county_id   text NOT NULL REFERENCES counties (id),
    category_id text NOT NULL,
    keyword     text NOT NULL,
    added_by    bigint NOT NULL,
    added_at    timestamptz NOT NULL,
    PRIMARY KEY (county_id, category_id, keyword)
);

-- One alert per township, pest and week, whatever the number of instances.
CREATE TABLE outbreak_alerts (
    id          bigserial PRIMARY KEY,
    county_id   text NOT NULL REFERENCES counties (id),
    township    text NOT NULL,
    term        text NOT NULL,
    week        date NOT NULL,
    questions   bigint[] NOT NULL,
    baseline    double precision NOT NULL,
    sent_at     timestamptz NOT NULL,
    UNIQUE (county_id, township, term, week)
);

-- The periodic jobs read these every few seconds; on a large archive each must be an index
-- range, not a scan of every question.
CREATE INDEX questions_unindexed ON questions (id) WHERE search IS NULL;
CREATE INDEX questions_asked ON questions (asked_at);
CREATE INDEX questions_claimed ON questions (claimed_at) WHERE status = 'claimed';
CREATE INDEX questions_unescalated ON questions (asked_at)
    WHERE status IN ('open', 'claimed') AND escalated_at IS NULL;
