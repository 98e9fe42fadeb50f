-- The outbreak counts, the only readers of questions.terms, look at a window of time and
-- are planned on questions_asked (the window's rows, then their terms); the GIN index on
-- terms was never chosen for them. It cost every new question, and every claim, answer
-- and close (each writes a new row version and so new entries in every index), for
-- nothing.
DROP INDEX questions_terms;
