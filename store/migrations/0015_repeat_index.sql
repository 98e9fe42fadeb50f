-- Whether a farmer just asked the same thing is checked for every question. With only
-- (chat_id, message_id) and asked_at to go by, the check of a batch of 100 read each
-- chat's questions, or every recent one, and took 110 ms on the benchmark; this index
-- finds the farmer's recent questions in the chat directly.
CREATE INDEX questions_repeat ON questions (chat_id, farmer_id, asked_at DESC);
