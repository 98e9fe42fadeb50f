-- When an unclaimed question was pushed to the experts a second time (SLA_CLAIM), so it
-- is pushed again only once.
ALTER TABLE questions ADD COLUMN repushed_at timestamptz;
