-- 001: the tables of the original system, with the names and types its
-- operators' dashboards query. Upstream ids are TEXT, internal ids UUID.

CREATE TABLE IF NOT EXISTS zones (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS twitter_rules (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    zone_id          uuid NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
    tag              text,
    query            text,
    external_rule_id text,
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- The webhook looks its rule_id up here on every delivery.
CREATE INDEX IF NOT EXISTS twitter_rules_external_rule_id_idx ON twitter_rules (external_rule_id);

CREATE TABLE IF NOT EXISTS twitter_profiles (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    twitter_user_id        text NOT NULL UNIQUE,
    username               text NOT NULL,
    name                   text,
    description            text,
    location               text,
    profile_picture_url    text,
    cover_picture_url      text,
    is_verified            boolean NOT NULL DEFAULT false,
    is_blue_verified       boolean NOT NULL DEFAULT false,
    verified_type          text,
    followers_count        bigint NOT NULL DEFAULT 0,
    following_count        bigint NOT NULL DEFAULT 0,
    tweets_count           bigint NOT NULL DEFAULT 0,
    media_count            bigint NOT NULL DEFAULT 0,
    favourites_count       bigint NOT NULL DEFAULT 0,
    twitter_created_at     timestamptz,
    is_automated           boolean NOT NULL DEFAULT false,
    automated_by           text,
    can_dm                 boolean NOT NULL DEFAULT false,
    possibly_sensitive     boolean NOT NULL DEFAULT false,
    raw_data               jsonb,
    first_seen_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at           timestamptz NOT NULL DEFAULT now(),
    total_tweets_collected integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS twitter_tweets (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    zone_id               uuid NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
    tweet_id              text NOT NULL,
    author_profile_id     uuid REFERENCES twitter_profiles(id) ON DELETE SET NULL,
    conversation_id       text,
    text                  text,
    lang                  text,
    source                text,
    twitter_created_at    timestamptz NOT NULL,
    collected_at          timestamptz NOT NULL DEFAULT now(),
    retweet_count         bigint NOT NULL DEFAULT 0,
    reply_count           bigint NOT NULL DEFAULT 0,
    like_count            bigint NOT NULL DEFAULT 0,
    quote_count           bigint NOT NULL DEFAULT 0,
    view_count            bigint NOT NULL DEFAULT 0,
    bookmark_count        bigint NOT NULL DEFAULT 0,
    total_engagement      bigint GENERATED ALWAYS AS
                          (retweet_count + reply_count + like_count + quote_count) STORED,
    has_media             boolean NOT NULL DEFAULT false,
    has_links             boolean NOT NULL DEFAULT false,
    has_hashtags          boolean NOT NULL DEFAULT false,
    has_mentions          boolean NOT NULL DEFAULT false,
    is_reply              boolean NOT NULL DEFAULT false,
    in_reply_to_tweet_id  text,
    in_reply_to_user_id   text,
    in_reply_to_username  text,
    tweet_url             text,
    twitter_url           text,
    raw_data              jsonb NOT NULL,
    predictions           jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- The same tweet may live once in each zone; concurrent inserts of one
    -- (tweet, zone) are serialised by this index (ON CONFLICT DO NOTHING).
    CONSTRAINT twitter_tweets_tweet_zone_key UNIQUE (tweet_id, zone_id)
);
-- Zone threshold: P25 over the zone's tweets of the last 24 h.
CREATE INDEX IF NOT EXISTS twitter_tweets_zone_created_idx
    ON twitter_tweets (zone_id, twitter_created_at) INCLUDE (total_engagement);

CREATE TABLE IF NOT EXISTS twitter_entities (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tweet_id          uuid NOT NULL REFERENCES twitter_tweets(id) ON DELETE CASCADE,
    zone_id           uuid NOT NULL,
    entity_type       text NOT NULL CHECK (entity_type IN ('hashtag', 'mention', 'url')),
    entity_value      text NOT NULL,
    entity_normalized text NOT NULL,
    start_index       integer,
    end_index         integer,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS twitter_entities_tweet_idx ON twitter_entities (tweet_id);
CREATE INDEX IF NOT EXISTS twitter_entities_zone_value_idx
    ON twitter_entities (zone_id, entity_type, entity_normalized);

CREATE TABLE IF NOT EXISTS twitter_engagement_tracking (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tweet_db_id     uuid NOT NULL UNIQUE REFERENCES twitter_tweets(id) ON DELETE CASCADE,
    tier            text NOT NULL DEFAULT 'hot'
                    CHECK (tier IN ('ultra_hot', 'hot', 'warm', 'cold')),
    last_updated_at timestamptz,
    next_update_at  timestamptz,
    update_count    integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS twitter_engagement_tracking_tier_idx
    ON twitter_engagement_tracking (tier, update_count);

CREATE TABLE IF NOT EXISTS twitter_engagement_history (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tweet_id            uuid NOT NULL REFERENCES twitter_tweets(id) ON DELETE CASCADE,
    retweet_count       bigint NOT NULL DEFAULT 0,
    reply_count         bigint NOT NULL DEFAULT 0,
    like_count          bigint NOT NULL DEFAULT 0,
    quote_count         bigint NOT NULL DEFAULT 0,
    view_count          bigint NOT NULL DEFAULT 0,
    bookmark_count      bigint NOT NULL DEFAULT 0,
    total_engagement    bigint GENERATED ALWAYS AS
                        (retweet_count + reply_count + like_count + quote_count) STORED,
    delta_retweets      bigint NOT NULL DEFAULT 0,
    delta_replies       bigint NOT NULL DEFAULT 0,
    delta_likes         bigint NOT NULL DEFAULT 0,
    delta_quotes        bigint NOT NULL DEFAULT 0,
    delta_views         bigint NOT NULL DEFAULT 0,
    engagement_velocity numeric,
    snapshot_at         timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS twitter_engagement_history_snapshot_idx
    ON twitter_engagement_history (snapshot_at);
