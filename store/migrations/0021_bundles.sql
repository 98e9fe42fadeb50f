-- The questions gathered for an expert past their push allowance are a "bundle": the word
-- "digest" is the county admins' morning summary alone.
ALTER TABLE expert_digest_items RENAME TO expert_bundle_items;
ALTER INDEX expert_digest_items_user RENAME TO expert_bundle_items_user;
