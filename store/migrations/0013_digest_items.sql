-- An expert's pending digest was one counter row that every question pushed past their
-- limit updated: a burst of questions to one category queued up behind those rows. Each
-- count is now a row of its own, appended without waiting for anyone; a digest is the
-- expert's rows, counted and removed when it is sent.
CREATE TABLE expert_digest_items (
    user_id  bigint NOT NULL,
    language text NOT NULL DEFAULT '',
    at       timestamptz NOT NULL
);
CREATE INDEX expert_digest_items_user ON expert_digest_items (user_id, at);

INSERT INTO expert_digest_items (user_id, language, at)
SELECT user_id, language, first_at FROM expert_digests, generate_series(1, questions);

DROP TABLE expert_digests;
