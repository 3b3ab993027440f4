/* log.h - one line per event on stderr:
 *   2026-12-03T16:00:00.123Z level=info msg="scheduled lot" lot=lot_1_ab tweets=3
 * The level is checked before anything is formatted. Registered secrets
 * are masked in every line as a last line of defence; the code never passes
 * them in the first place. */
#ifndef ET_LOG_H
#define ET_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;

extern log_level log_min_level;

/* "debug", "info", "warn", "error", "off". Returns 0 or -1. */
int log_level_parse(const char *s, log_level *out);
/* Register a secret value to mask (the string is copied; empty is ignored). */
void log_add_secret(const char *secret);
/* Prefix written as `app=NAME` on every line (borrowed; a string literal). */
void log_set_app(const char *name);

void log_write(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_at(lvl, ...) do { if ((lvl) >= log_min_level) log_write((lvl), __VA_ARGS__); } while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

#endif
