-- A batch of questions pushed past an expert's limit added one digest row per question
-- per expert: a burst of a hundred questions to a category of twenty experts wrote two
-- thousand rows. Each row now carries how many questions it counts, so a batch writes one
-- row per expert.
ALTER TABLE expert_digest_items ADD COLUMN questions int NOT NULL DEFAULT 1;
