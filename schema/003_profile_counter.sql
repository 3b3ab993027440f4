-- 003: count an author's collected tweets from the rows actually inserted.
-- Counting in the delivery's statement read its snapshot, so concurrent
-- redeliveries of one tweet each counted it; a statement-level trigger with
-- a transition table sees only the rows that statement really inserted.

CREATE OR REPLACE FUNCTION twitter_profiles_count_tweets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE twitter_profiles p
       SET total_tweets_collected = p.total_tweets_collected + n.cnt
      FROM (SELECT author_profile_id, count(*) AS cnt FROM inserted_tweets
             WHERE author_profile_id IS NOT NULL GROUP BY author_profile_id) n
     WHERE p.id = n.author_profile_id;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS twitter_tweets_count_per_author ON twitter_tweets;
CREATE TRIGGER twitter_tweets_count_per_author
    AFTER INSERT ON twitter_tweets
    REFERENCING NEW TABLE AS inserted_tweets
    FOR EACH STATEMENT EXECUTE FUNCTION twitter_profiles_count_tweets();
