-- The search index moves off the questions row into a table of its own.
--
-- A question's row changes several times in its life (claimed, answered, rated, closed,
-- claimed again), and each change of an indexed column (status, expert_id, claimed_at
-- …) writes a new row version with new entries in every index on the table. The search
-- index held about fifty entries per question (its words and its time and filter tags),
-- so a claim wrote fifty GIN entries that said nothing new; on a million-question archive
-- that was most of a claim's cost in Postgres. question_search holds what the index is
-- built from; it is written when the question is indexed and when its words or tags
-- change (an answer, a follow-up, an edit, a transfer), never on a change of state.
--
-- Township, category and crop are copied here because the index's tags are made of them
-- (see 0012_search_pyramid.sql); asked_at never changes, township neither, and the store
-- changes the copies of category and crop with the question's own.
--
-- answered says an expert has answered the question: the answer writes this row anyway
-- (its words), and the earlier-answer lookup wants only answered questions. Without it,
-- an outbreak's hundreds of open questions about one pest are every lookup's first
-- matches, each read from the questions table only to be dropped (65 ms a lookup with
-- 10,000 open matches); with it they are dropped here, from this narrower row. It is not
-- a tag in the index: nearly every archived question is answered, and a tag nearly every
-- row has slows every scan that names it (91 ms for the same lookup). A question
-- reopened later keeps it; the lookup checks the status on the question anyway, so a
-- stale flag costs a read, never a wrong answer.
CREATE TABLE question_search (
    question_id bigint PRIMARY KEY,
    asked_at    timestamptz NOT NULL,
    township    text NOT NULL,
    category_id text NOT NULL,
    crop        text NOT NULL,
    answered    boolean NOT NULL DEFAULT false,
    search      tsvector NOT NULL
);
INSERT INTO question_search (question_id, asked_at, township, category_id, crop, answered, search)
    SELECT id, asked_at, township, category_id, crop,
        EXISTS (SELECT 1 FROM answers a WHERE a.question_id = questions.id), search
    FROM questions WHERE search IS NOT NULL;

CREATE INDEX question_search_in_time ON question_search
    USING gin (question_tags(asked_at, township, category_id, crop), search)
    WITH (gin_pending_list_limit = 64);

-- Questions waiting to be indexed: those archived before search existed, those written
-- straight into the archive (the demo's seed), and any whose indexing was put off. The
-- indexer (consult.IndexArchive) takes them from here; a partial index on a NULL search
-- column did this before, at the cost of a questions row version per question indexed.
CREATE TABLE search_pending (
    question_id bigint PRIMARY KEY
);
INSERT INTO search_pending (question_id) SELECT id FROM questions WHERE search IS NULL;

-- Drops questions_search_in_time and questions_unindexed with it.
ALTER TABLE questions DROP COLUMN search;
