/* db.c - per-thread PostgreSQL connection with automatic reconnect. */
#include "db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
    char *conninfo;
    PGconn *conn;
    char err[512];
    unsigned long round_trips;
};

db *db_new(const char *conninfo)
{
    db *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (!(d->conninfo = strdup(conninfo))) {
        free(d);
        return NULL;
    }
    return d;
}

void db_free(db *d)
{
    if (!d)
        return;
    if (d->conn)
        PQfinish(d->conn);
    free(d->conninfo);
    free(d);
}

const char *db_error(const db *d) { return d->err; }
unsigned long db_round_trips(const db *d) { return d->round_trips; }

static void set_err(db *d, const char *what, const char *detail)
{
    snprintf(d->err, sizeof d->err, "%s: %s", what, detail ? detail : "");
    /* libpq messages end with a newline; logs want one line. */
    for (char *p = d->err; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    for (size_t n = strlen(d->err); n > 0 && d->err[n - 1] == ' ';)
        d->err[--n] = '\0';
}

/* A usable connection, or NULL with d->err set. The conninfo goes in as an
 * expanded dbname so that a URI or a keyword string both work, after a
 * default connect timeout that the conninfo itself may override. */
static PGconn *connection(db *d)
{
    if (d->conn && PQstatus(d->conn) == CONNECTION_OK)
        return d->conn;
    if (d->conn) {
        PQfinish(d->conn);
        d->conn = NULL;
    }
    const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
    const char *vals[] = { "5", "engagement-tracker", d->conninfo, NULL };
    d->conn = PQconnectdbParams(keys, vals, 1);
    if (!d->conn) {
        set_err(d, "connect", "out of memory");
        return NULL;
    }
    if (PQstatus(d->conn) != CONNECTION_OK) {
        set_err(d, "connect", PQerrorMessage(d->conn));
        PQfinish(d->conn);
        d->conn = NULL;
        return NULL;
    }
    return d->conn;
}

db_status db_exec(db *d, PGresult **res, const char *sql, int nparams, const char *const *params)
{
    if (res)
        *res = NULL;
    for (int attempt = 0;; attempt++) {
        bool had_conn = d->conn != NULL;
        PGconn *c = connection(d);
        if (!c)
            return DB_UNAVAILABLE;
        /* Outside a transaction a statement on a connection that died while
         * idle (server restarted, idle timeout) never ran: it is safe to send
         * it again once on a fresh connection. Inside one, the transaction is
         * gone and the caller must start over. */
        bool retryable = had_conn && attempt == 0 && PQtransactionStatus(c) == PQTRANS_IDLE;
        d->round_trips++;
        PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (res)
                *res = r;
            else
                PQclear(r);
            return DB_OK;
        }
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        set_err(d, state ? state : "query", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
        bool conn_error = PQstatus(c) != CONNECTION_OK ||
                          (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0));
        bool retry_state = state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0);
        bool resources = state && strncmp(state, "53", 2) == 0;
        PQclear(r);
        if (conn_error) {
            /* Drop it so the next call (or the retry) reconnects. */
            PQfinish(d->conn);
            d->conn = NULL;
            if (retryable)
                continue;
            return DB_UNAVAILABLE;
        }
        if (resources)
            return DB_UNAVAILABLE;
        return retry_state ? DB_RETRY : DB_FAILED;
    }
}

db_status db_begin(db *d) { return db_exec(d, NULL, "BEGIN", 0, NULL); }
db_status db_commit(db *d) { return db_exec(d, NULL, "COMMIT", 0, NULL); }

void db_rollback(db *d)
{
    if (d->conn && PQstatus(d->conn) == CONNECTION_OK &&
        PQtransactionStatus(d->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(d->conn, "ROLLBACK");
        d->round_trips++;
        PQclear(r);
    }
}

/* A migration file holds several statements, so it goes through the simple
 * protocol. It is the project's own file, never request data. */
static db_status exec_script(db *d, const char *sql)
{
    PGconn *c = connection(d);
    if (!c)
        return DB_UNAVAILABLE;
    d->round_trips++;
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    db_status rc = DB_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        set_err(d, "migration", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
        rc = DB_FAILED;
    }
    PQclear(r);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
            }
        }
    }
    fclose(f);
    return buf;
}

int db_migrate(db *d, const char *dir, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int applied = 0, rc = -1;
    PGresult *r = NULL;
    char *sql = NULL;
    DIR *dh = opendir(dir);

    if (!dh) {
        snprintf(err, errlen, "cannot open schema directory %s", dir);
        return -1;
    }
    for (struct dirent *e; (e = readdir(dh)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **tmp = realloc(names, cap * sizeof *names);
            if (!tmp)
                goto oom;
            names = tmp;
        }
        if (!(names[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    qsort(names, n, sizeof *names, name_cmp);

    if (db_exec(d, NULL,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                0, NULL) != DB_OK)
        goto dberr;
    for (size_t i = 0; i < n; i++) {
        if (db_begin(d) != DB_OK)
            goto dberr;
        /* Serialise concurrent migrators; released at commit. */
        if (db_exec(d, NULL, "SELECT pg_advisory_xact_lock(7423010)", 0, NULL) != DB_OK)
            goto dberr;
        const char *p[] = { names[i] };
        if (db_exec(d, &r, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p) != DB_OK)
            goto dberr;
        bool done = PQntuples(r) > 0;
        PQclear(r);
        r = NULL;
        if (!done) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (!(sql = read_file(path))) {
                snprintf(err, errlen, "cannot read %s", path);
                goto fail;
            }
            if (exec_script(d, sql) != DB_OK) {
                snprintf(err, errlen, "%s: %s", names[i], db_error(d));
                goto fail;
            }
            free(sql);
            sql = NULL;
            applied++;
        }
        if (db_exec(d, NULL, "INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT DO NOTHING",
                    1, p) != DB_OK || db_commit(d) != DB_OK)
            goto dberr;
    }
    rc = applied;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
    goto fail;
dberr:
    snprintf(err, errlen, "%s", db_error(d));
fail:
    db_rollback(d);
out:
    if (dh)
        closedir(dh);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(sql);
    PQclear(r);
    return rc;
}
