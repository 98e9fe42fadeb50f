-- An edit of a message that is still on its way (taken by a sender, not yet recorded as
-- sent): it names the outbox row, waits for it, and edits the message that row became.
-- A claim uses it for notices in flight, so that none keeps a Claim button.
ALTER TABLE outbox ADD COLUMN edit_outbox_id bigint REFERENCES outbox (id);
