/* db.h - one PostgreSQL connection per thread, reconnecting by itself.
 * Every statement goes through PQexecParams (text parameters, no prepared
 * statements: works behind pgbouncer in transaction mode). */
#ifndef ET_DB_H
#define ET_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct db db;

typedef enum {
    DB_OK = 0,
    DB_UNAVAILABLE,   /* cannot connect / connection lost: tell the caller to retry (503) */
    DB_RETRY,         /* serialization failure or deadlock: retry (503) */
    DB_FAILED         /* any other error: a bug or bad data (500) */
} db_status;

/* New handle; connects lazily. conninfo is a libpq string or URI (copied). */
db *db_new(const char *conninfo);
void db_free(db *d);   /* accepts NULL */

/* Run one statement with text parameters (NULL = SQL NULL). On DB_OK, *res
 * (when res is non-NULL) holds the result, which the caller PQclear()s; on
 * failure *res is NULL and db_error() says why. A lost connection is reset
 * so the next call reconnects. */
db_status db_exec(db *d, PGresult **res, const char *sql, int nparams, const char *const *params)
    __attribute__((warn_unused_result));

db_status db_begin(db *d) __attribute__((warn_unused_result));
db_status db_commit(db *d) __attribute__((warn_unused_result));
void db_rollback(db *d);   /* best effort; harmless outside a transaction */

const char *db_error(const db *d);
/* Statements sent since db_new (what the benchmarks count as round trips). */
unsigned long db_round_trips(const db *d);

/* Apply the pending migrations of dir (files NNN_*.sql, in name order), each
 * in its own transaction, recorded in schema_migrations; concurrent runs
 * serialise on an advisory lock. Returns the number applied, or -1. */
int db_migrate(db *d, const char *dir, char *err, size_t errlen);

#endif
