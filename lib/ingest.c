/* ingest.c - store one webhook delivery in a single statement. */
#include "ingest.h"
#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

/* One statement, data-modifying CTEs: every part sees the same snapshot and
 * the whole is atomic. Rows are inserted in id order so that concurrent
 * deliveries of the same tweets lock in the same order; the unique index on
 * (tweet_id, zone_id) makes the second of two concurrent inserts wait and
 * then skip (ON CONFLICT DO NOTHING). The author's tweet count is kept by a
 * trigger on the rows really inserted (schema/003). */
static const char INGEST_SQL[] =
    "WITH prof AS ("
    " INSERT INTO twitter_profiles AS p (twitter_user_id, username, name, description, location,"
    "  profile_picture_url, cover_picture_url, is_verified, is_blue_verified, verified_type,"
    "  followers_count, following_count, tweets_count, media_count, favourites_count,"
    "  twitter_created_at, is_automated, automated_by, can_dm, possibly_sensitive, raw_data,"
    "  total_tweets_collected)"
    " SELECT u.*, 0"
    " FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
    "  $13::text[], $14::bool[], $15::bool[], $16::text[], $17::bigint[], $18::bigint[],"
    "  $19::bigint[], $20::bigint[], $21::bigint[], $22::timestamptz[], $23::bool[], $24::text[],"
    "  $25::bool[], $26::bool[], $27::jsonb[]) AS u(uid, username, name, description, location,"
    "  pic, cover, verified, blue, vtype, followers, following, statuses, media, favourites,"
    "  created, automated, automated_by, can_dm, sensitive, raw)"
    " ORDER BY u.uid"
    " ON CONFLICT (twitter_user_id) DO UPDATE SET username = EXCLUDED.username,"
    "  name = EXCLUDED.name,"
    "  description = COALESCE(NULLIF(EXCLUDED.description, ''), p.description),"
    "  location = EXCLUDED.location, profile_picture_url = EXCLUDED.profile_picture_url,"
    "  cover_picture_url = EXCLUDED.cover_picture_url, is_verified = EXCLUDED.is_verified,"
    "  is_blue_verified = EXCLUDED.is_blue_verified, verified_type = EXCLUDED.verified_type,"
    "  followers_count = EXCLUDED.followers_count, following_count = EXCLUDED.following_count,"
    "  tweets_count = EXCLUDED.tweets_count, media_count = EXCLUDED.media_count,"
    "  favourites_count = EXCLUDED.favourites_count,"
    "  twitter_created_at = COALESCE(EXCLUDED.twitter_created_at, p.twitter_created_at),"
    "  is_automated = EXCLUDED.is_automated, automated_by = EXCLUDED.automated_by,"
    "  can_dm = EXCLUDED.can_dm, possibly_sensitive = EXCLUDED.possibly_sensitive,"
    "  raw_data = EXCLUDED.raw_data,"
    "  last_seen_at = now(), updated_at = now()"
    " RETURNING id, twitter_user_id"
    "), src AS ("
    " SELECT * FROM unnest($28::text[], $29::text[], $30::text[], $31::text[], $32::text[],"
    "  $33::text[], $34::timestamptz[], $35::bigint[], $36::bigint[], $37::bigint[], $38::bigint[],"
    "  $39::bigint[], $40::bigint[], $41::bool[], $42::bool[], $43::bool[], $44::bool[],"
    "  $45::bool[], $46::text[], $47::text[], $48::text[], $49::text[], $50::text[], $51::jsonb[])"
    "  AS s(tweet_id, author_uid, conversation_id, body, lang, source, created, retweets, replies,"
    "  likes, quotes, views, bookmarks, has_media, has_links, has_hashtags, has_mentions,"
    "  is_reply, reply_to_id, reply_to_uid, reply_to_user, url, twitter_url, raw)"
    "), ins AS ("
    " INSERT INTO twitter_tweets (zone_id, tweet_id, author_profile_id, conversation_id, text, lang,"
    "  source, twitter_created_at, retweet_count, reply_count, like_count, quote_count, view_count,"
    "  bookmark_count, has_media, has_links, has_hashtags, has_mentions, is_reply,"
    "  in_reply_to_tweet_id, in_reply_to_user_id, in_reply_to_username, tweet_url, twitter_url,"
    "  raw_data)"
    " SELECT $1::uuid, s.tweet_id, prof.id, s.conversation_id, s.body, s.lang, s.source, s.created,"
    "  s.retweets, s.replies, s.likes, s.quotes, COALESCE(s.views, 0), s.bookmarks, s.has_media,"
    "  s.has_links, s.has_hashtags, s.has_mentions, s.is_reply, s.reply_to_id, s.reply_to_uid,"
    "  s.reply_to_user, s.url, s.twitter_url, s.raw"
    " FROM src s LEFT JOIN prof ON prof.twitter_user_id = s.author_uid"
    " ORDER BY s.tweet_id"
    " ON CONFLICT (tweet_id, zone_id) DO NOTHING"
    " RETURNING id, tweet_id, total_engagement"
    "), trk AS ("
    " INSERT INTO twitter_engagement_tracking (tweet_db_id, tier, update_count, lot_id, next_slot,"
    "  next_update_at, initial_engagement)"
    " SELECT id, 'hot', 0, $2, $3::int, now() + $4::bigint * interval '1 second', total_engagement"
    " FROM ins"
    "), ent AS ("
    " INSERT INTO twitter_entities (tweet_id, zone_id, entity_type, entity_value,"
    "  entity_normalized, start_index, end_index)"
    " SELECT ins.id, $1::uuid, e.typ, e.val, e.norm, e.si, e.ei"
    " FROM unnest($52::text[], $53::text[], $54::text[], $55::text[], $56::int[], $57::int[])"
    "  AS e(tweet_id, typ, val, norm, si, ei)"
    " JOIN ins ON ins.tweet_id = e.tweet_id"
    "), rej AS ("
    " INSERT INTO webhook_rejected_tweets (rule_id, zone_id, tweet_index, reason, raw)"
    " SELECT $6, $1::uuid, r.idx, r.reason, r.raw"
    " FROM unnest($58::int[], $59::text[], $60::text[]) AS r(idx, reason, raw)"
    "), ob AS ("
    " INSERT INTO engagement_outbox (lot_id, update_number, dedup_id, body, tweet_count,"
    "  not_before, claimed_until)"
    " SELECT $2, $3::int, $2, json_build_object('lotId', $2::text,"
    "  'tweetDbIds', json_agg(id ORDER BY id), 'updateNumber', $3::int, 'zoneId', $1::uuid)::text,"
    "  count(*), now() + $4::bigint * interval '1 second', now() + $5::bigint * interval '1 second'"
    " FROM ins HAVING count(*) > 0"
    " RETURNING id, body"
    ")"
    " SELECT (SELECT count(*) FROM ins), ob.id, ob.body FROM (SELECT 1) AS one LEFT JOIN ob ON true";

enum { N_PARAMS = 60, P_PROFILES = 7, N_PROFILE = 21, P_TWEETS = 28, N_TWEET = 24,
       P_ENTITIES = 52, N_ENTITY = 6, P_REJECTS = 58, N_REJECT = 3 };

void ingest_format_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S+00", &tm);
}

static int by_tweet_id(const void *a, const void *b)
{
    const tweet *x = *(const tweet *const *)a, *y = *(const tweet *const *)b;
    /* Digit strings without leading zeros: shorter is smaller. */
    size_t lx = strlen(x->id), ly = strlen(y->id);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->index < y->index ? -1 : 1);
}

static int by_author_id(const void *a, const void *b)
{
    const tweet *x = *(const tweet *const *)a, *y = *(const tweet *const *)b;
    int c = strcmp(x->author.id, y->author.id);
    /* Later in the delivery first, so the newest profile data wins. */
    return c ? c : (x->index > y->index ? -1 : 1);
}

static const char *entity_type_name(tweet_entity_type t)
{
    return t == ENTITY_HASHTAG ? "hashtag" : t == ENTITY_MENTION ? "mention" : "url";
}

db_status ingest_delivery(db *d, const webhook_payload *p, const ingest_opts *o, ingest_result *out)
{
    pg_array arr[N_PARAMS];
    const char *params[N_PARAMS];
    const tweet **sorted = NULL, **authors = NULL;
    size_t n_unique = 0, n_authors = 0;
    char first[16], delay[32], claim[32], ts[32];
    db_status st = DB_FAILED;
    PGresult *r = NULL;

    memset(out, 0, sizeof *out);
    for (int i = 0; i < N_PARAMS; i++)
        pg_array_init(&arr[i]);
    if (p->n_tweets) {
        sorted = malloc(p->n_tweets * sizeof *sorted);
        authors = malloc(p->n_tweets * sizeof *authors);
        if (!sorted || !authors)
            goto out;
    }

    /* A tweet repeated inside the delivery is stored once. */
    for (size_t i = 0; i < p->n_tweets; i++)
        sorted[i] = &p->tweets[i];
    if (p->n_tweets)
        qsort(sorted, p->n_tweets, sizeof *sorted, by_tweet_id);
    for (size_t i = 0; i < p->n_tweets; i++)
        if (i == 0 || strcmp(sorted[i]->id, sorted[n_unique - 1]->id) != 0)
            sorted[n_unique++] = sorted[i];

    /* One profile row per author (ON CONFLICT DO UPDATE may touch a row once). */
    for (size_t i = 0; i < n_unique; i++)
        if (sorted[i]->has_author)
            authors[n_authors++] = sorted[i];
    if (n_authors)
        qsort(authors, n_authors, sizeof *authors, by_author_id);
    for (size_t i = 0; i < n_authors; i++) {
        const tweet_author *a = &authors[i]->author;
        if (i > 0 && strcmp(a->id, authors[i - 1]->author.id) == 0)
            continue;
        pg_array *pa = &arr[P_PROFILES - 1];
        pg_array_add(&pa[0], a->id);
        pg_array_add(&pa[1], a->username_lower ? a->username_lower : "");
        pg_array_add(&pa[2], a->name);
        pg_array_add(&pa[3], a->description);
        pg_array_add(&pa[4], a->location);
        pg_array_add(&pa[5], a->profile_picture_url);
        pg_array_add(&pa[6], a->cover_picture_url);
        pg_array_add_bool(&pa[7], a->is_verified);
        pg_array_add_bool(&pa[8], a->is_blue_verified);
        pg_array_add(&pa[9], a->verified_type);
        pg_array_add_ll(&pa[10], a->followers);
        pg_array_add_ll(&pa[11], a->following);
        pg_array_add_ll(&pa[12], a->statuses);
        pg_array_add_ll(&pa[13], a->media);
        pg_array_add_ll(&pa[14], a->favourites);
        if (a->has_created_at) {
            ingest_format_time(a->created_at, ts);
            pg_array_add(&pa[15], ts);
        } else {
            pg_array_add(&pa[15], NULL);
        }
        pg_array_add_bool(&pa[16], a->is_automated);
        pg_array_add(&pa[17], a->automated_by);
        pg_array_add_bool(&pa[18], a->can_dm);
        pg_array_add_bool(&pa[19], a->possibly_sensitive);
        pg_array_add(&pa[20], a->raw_json);
    }

    for (size_t i = 0; i < n_unique; i++) {
        const tweet *t = sorted[i];
        pg_array *ta = &arr[P_TWEETS - 1];
        pg_array_add(&ta[0], t->id);
        pg_array_add(&ta[1], t->has_author ? t->author.id : NULL);
        pg_array_add(&ta[2], t->conversation_id);
        pg_array_add(&ta[3], t->text);
        pg_array_add(&ta[4], t->lang);
        pg_array_add(&ta[5], t->source);
        ingest_format_time(t->created_at, ts);
        pg_array_add(&ta[6], ts);
        pg_array_add_ll(&ta[7], t->metrics.retweets);
        pg_array_add_ll(&ta[8], t->metrics.replies);
        pg_array_add_ll(&ta[9], t->metrics.likes);
        pg_array_add_ll(&ta[10], t->metrics.quotes);
        if (t->metrics.has_views)
            pg_array_add_ll(&ta[11], t->metrics.views);
        else
            pg_array_add(&ta[11], NULL);
        pg_array_add_ll(&ta[12], t->metrics.bookmarks);
        pg_array_add_bool(&ta[13], t->has_media);
        pg_array_add_bool(&ta[14], t->has_links);
        pg_array_add_bool(&ta[15], t->has_hashtags);
        pg_array_add_bool(&ta[16], t->has_mentions);
        pg_array_add_bool(&ta[17], t->is_reply);
        pg_array_add(&ta[18], t->in_reply_to_id);
        pg_array_add(&ta[19], t->in_reply_to_user_id);
        pg_array_add(&ta[20], t->in_reply_to_username);
        pg_array_add(&ta[21], t->url);
        pg_array_add(&ta[22], t->twitter_url);
        pg_array_add(&ta[23], t->raw_json);
        for (size_t k = 0; k < t->n_entities; k++) {
            const tweet_entity *e = &t->entities[k];
            pg_array *ea = &arr[P_ENTITIES - 1];
            pg_array_add(&ea[0], t->id);
            pg_array_add(&ea[1], entity_type_name(e->type));
            pg_array_add(&ea[2], e->value);
            pg_array_add(&ea[3], e->normalized);
            if (e->start >= 0)
                pg_array_add_ll(&ea[4], e->start);
            else
                pg_array_add(&ea[4], NULL);
            if (e->end >= 0)
                pg_array_add_ll(&ea[5], e->end);
            else
                pg_array_add(&ea[5], NULL);
        }
    }

    for (size_t i = 0; i < p->n_rejects; i++) {
        const webhook_reject *rj = &p->rejects[i];
        char *raw = json_dumps(rj->raw, JSON_COMPACT | JSON_ENCODE_ANY);
        pg_array *ra = &arr[P_REJECTS - 1];
        pg_array_add_ll(&ra[0], (long long)rj->index);
        pg_array_add(&ra[1], rj->reason);
        pg_array_add(&ra[2], raw ? raw : "null");
        free(raw);
    }

    snprintf(first, sizeof first, "%d", o->first_update);
    snprintf(delay, sizeof delay, "%ld", o->first_delay_s);
    snprintf(claim, sizeof claim, "%ld", o->claim_s);
    params[0] = o->zone_id;
    params[1] = o->lot_id;
    params[2] = first;
    params[3] = delay;
    params[4] = claim;
    params[5] = o->rule_id;
    for (int i = P_PROFILES - 1; i < N_PARAMS; i++)
        if (!(params[i] = pg_array_cstr(&arr[i])))
            goto out;   /* out of memory */

    st = db_exec(d, &r, INGEST_SQL, N_PARAMS, params);
    if (st != DB_OK)
        goto out;
    out->created = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    out->duplicates = p->n_tweets - out->created;
    if (!PQgetisnull(r, 0, 1)) {
        snprintf(out->outbox_id, sizeof out->outbox_id, "%s", PQgetvalue(r, 0, 1));
        if (!(out->outbox_body = strdup(PQgetvalue(r, 0, 2)))) {
            /* Stored and in the outbox: a flush publishes it. */
            out->outbox_id[0] = '\0';
        }
    }
out:
    PQclear(r);
    for (int i = 0; i < N_PARAMS; i++)
        pg_array_free(&arr[i]);
    free(sorted);
    free(authors);
    return st;
}

void ingest_result_free(ingest_result *r)
{
    if (!r)
        return;
    free(r->outbox_body);
    r->outbox_body = NULL;
}
