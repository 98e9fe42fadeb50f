-- The earlier answered questions found like a question, kept once looked up: the
-- acknowledgement shows them to the farmer, and the expert who claims the question sees
-- them again without a second search of the archive (10 ms a claim on a million
-- questions). NULL: not looked up yet.
ALTER TABLE questions ADD COLUMN similar_ids bigint[];
