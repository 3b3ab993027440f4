-- 002: what this product adds for exactly-once tracking and nothing lost.

-- Why a tweet stopped being followed, and the per-tweet schedule. The
-- policy decides in "slots" (tracking intervals after collection).
ALTER TABLE twitter_engagement_tracking
    ADD COLUMN IF NOT EXISTS stop_reason text,
    ADD COLUMN IF NOT EXISTS lot_id text,
    ADD COLUMN IF NOT EXISTS next_slot integer,
    ADD COLUMN IF NOT EXISTS missing_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS initial_engagement bigint NOT NULL DEFAULT 0;

-- One snapshot per (tweet, update): a redelivered callback cannot add a second.
ALTER TABLE twitter_engagement_history
    ADD COLUMN IF NOT EXISTS update_number integer,
    ADD COLUMN IF NOT EXISTS lot_id text;
CREATE UNIQUE INDEX IF NOT EXISTS twitter_engagement_history_tweet_update_key
    ON twitter_engagement_history (tweet_id, update_number);

-- Lots to schedule on QStash, written in the same transaction as the work
-- that produced them, marked sent once QStash accepted them.
CREATE TABLE IF NOT EXISTS engagement_outbox (
    id            bigserial PRIMARY KEY,
    lot_id        text NOT NULL,
    update_number integer NOT NULL,
    dedup_id      text NOT NULL UNIQUE,      -- Upstash-Deduplication-Id
    body          text NOT NULL,             -- exact bytes published
    tweet_count   integer NOT NULL,
    not_before    timestamptz NOT NULL,      -- when the callback is due
    created_at    timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,               -- a publisher is at it until then
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    sent_at       timestamptz,
    message_id    text
);
CREATE INDEX IF NOT EXISTS engagement_outbox_pending_idx
    ON engagement_outbox (id) WHERE sent_at IS NULL;

-- One row per processed (lot, update): the claim that makes track-lot
-- idempotent, and the summary answered to a redelivery.
CREATE TABLE IF NOT EXISTS engagement_lot_updates (
    lot_id        text NOT NULL,
    update_number integer NOT NULL,
    zone_id       uuid,
    claim_token   text NOT NULL,
    claimed_until timestamptz NOT NULL,
    attempts      integer NOT NULL DEFAULT 1,
    done_at       timestamptz,
    summary       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lot_id, update_number)
);

-- Deliveries whose rule_id maps to no zone yet: kept as they came,
-- replayed by `engagementctl replay` once the rule exists.
CREATE TABLE IF NOT EXISTS webhook_parked (
    id          bigserial PRIMARY KEY,
    rule_id     text NOT NULL,
    body        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    replay_note text
);
CREATE INDEX IF NOT EXISTS webhook_parked_pending_idx
    ON webhook_parked (rule_id) WHERE replayed_at IS NULL;

-- Single tweets rejected from otherwise good deliveries, for inspection.
CREATE TABLE IF NOT EXISTS webhook_rejected_tweets (
    id          bigserial PRIMARY KEY,
    rule_id     text,
    zone_id     uuid,
    tweet_index integer NOT NULL,
    reason      text NOT NULL,
    raw         text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
