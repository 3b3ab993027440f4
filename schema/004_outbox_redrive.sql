-- 004: a sent message is not done until its update ran. QStash gives up
-- after its retries (or a message can be lost); a flush sends such a
-- message again under a new deduplication id (`<lot>:<n>:r<k>`), and the
-- update's claim (engagement_lot_updates) keeps a late original harmless.
ALTER TABLE engagement_outbox
    ADD COLUMN IF NOT EXISTS done_at timestamptz,
    ADD COLUMN IF NOT EXISTS redrives integer NOT NULL DEFAULT 0;
-- Rows written before this migration are settled when their update ran.
UPDATE engagement_outbox o SET done_at = l.done_at
  FROM engagement_lot_updates l
 WHERE l.lot_id = o.lot_id AND l.update_number = o.update_number
   AND l.done_at IS NOT NULL AND o.done_at IS NULL;
CREATE INDEX IF NOT EXISTS engagement_outbox_unsettled_idx
    ON engagement_outbox (not_before) WHERE done_at IS NULL AND sent_at IS NOT NULL;
