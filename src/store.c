/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.c: the database behind one interface (see store.h), whatever its
 * engine: the engine is chosen once, when the database is opened, from how
 * it is named, and every call goes to it through its table of operations
 * (store_backend.h). Nothing here knows SQL.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "util.h"

struct store {
	const struct store_ops *ops;
	void *impl;		/* the engine's own state */
};

int
store_is_postgresql(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

char *
store_name(const char *uri)
{
	struct buf b;
	const char *scheme = strstr(uri, "://");
	const char *p = uri;

	buf_init(&b);
	if (scheme != NULL) {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?");
		const char *at = NULL, *colon;

		for (const char *q = auth; q < auth + alen; q++)
			if (*q == '@')
				at = q;
		if (at != NULL && (colon = memchr(auth, ':', (size_t)(at - auth))) != NULL) {
			buf_append(&b, uri, (size_t)(colon + 1 - uri));
			buf_puts(&b, "***");
			p = at;
		}
	}
	while (*p != '\0') {
		const char *kw = strstr(p, "password=");
		if (kw == NULL) {
			buf_puts(&b, p);
			break;
		}
		kw += strlen("password=");
		buf_append(&b, p, (size_t)(kw - p));
		buf_puts(&b, "***");
		p = kw + strcspn(kw, "& ");
	}
	buf_putc(&b, '\0');
	return b.data;
}

/* This host's name, for a shared database; "localhost" when it has none. */
static void
host_name(char *out, size_t size)
{
	if (gethostname(out, size) < 0 || out[0] == '\0')
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
}

/* PostgreSQL, or why not. */
static void *
open_postgresql(const char *uri, enum store_mode mode, const char *server,
    const struct store_ops **ops)
{
#ifdef HAVE_LIBPQ
	char name[HOST_NAME_MAX + 1];

	if (mode != STORE_READ_WRITE) {
		log_warnx("a PostgreSQL database is read by the report commands, not opened "
		    "read-only here");
		return NULL;
	}
	if (server == NULL || server[0] == '\0') {
		host_name(name, sizeof(name));
		server = name;
	}
	*ops = &store_pg_ops;
	return store_pg_open(uri, server);
#else
	char *name = store_name(uri);

	(void)mode;
	(void)server;
	(void)ops;
	(void)host_name;
	log_warnx("%s: this tlslogd was built without PostgreSQL (configure --with-postgresql, "
	    "with libpq-dev installed)", name);
	free(name);
	return NULL;
#endif
}

struct store *
store_open_server(const char *where, enum store_mode mode, const char *server)
{
	const struct store_ops *ops = &store_sqlite_ops;
	void *impl;

	if (store_is_postgresql(where))
		impl = open_postgresql(where, mode, server, &ops);
	else
		impl = store_sqlite_open(where, mode);
	if (impl == NULL)
		return NULL;
	struct store *st = xcalloc(1, sizeof(*st));
	st->ops = ops;
	st->impl = impl;
	return st;
}

struct store *
store_open(const char *where, enum store_mode mode)
{
	return store_open_server(where, mode, NULL);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->impl);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->ops->name(st->impl);
}

enum store_engine
store_engine(const struct store *st)
{
	return st->ops->engine;
}

const char *
store_server(const struct store *st)
{
	return st->ops->server(st->impl);
}

struct domain_cache *
store_domain_cache(struct store *st)
{
	return st->ops->domain_cache(st->impl);
}

struct sqlite3 *
store_db(struct store *st)
{
	return st->ops->engine == STORE_SQLITE ? store_sqlite_db(st->impl) : NULL;
}

struct pgstore *
store_pg(struct store *st)
{
	return st->ops->engine == STORE_POSTGRESQL ? st->impl : NULL;
}

int
store_backfill_step(struct store *st)
{
	return st->ops->backfill_step(st->impl);
}

int
store_backfill(struct store *st)
{
	int rc;

	while ((rc = store_backfill_step(st)) > 0)
		;
	return rc;
}

void
store_checkpoint_in_background(struct store *st)
{
	st->ops->checkpoint_in_background(st->impl);
}

int
store_begin(struct store *st)
{
	return st->ops->begin(st->impl);
}

int
store_in_txn(const struct store *st)
{
	return st->ops->in_txn(st->impl);
}

int
store_commit(struct store *st)
{
	return st->ops->commit(st->impl);
}

void
store_rollback(struct store *st)
{
	st->ops->rollback(st->impl);
}

int
store_add_events(struct store *st, struct event *const *evs, size_t n, int64_t *ids)
{
	return st->ops->add_events(st->impl, evs, n, ids);
}

int
store_add_peer_days(struct store *st, const struct store_peer_day *rows, size_t n)
{
	return st->ops->add_peer_days(st->impl, rows, n);
}

int
store_file_resume(struct store *st, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	return st->ops->file_resume(st->impl, key, size, file_id, offset);
}

int
store_file_find(struct store *st, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	return st->ops->file_find(st->impl, key, size, file_id, offset);
}

int
store_file_find_head(struct store *st, const char *head, size_t head_len, int64_t *file_id)
{
	return st->ops->file_find_head(st->impl, head, head_len, file_id);
}

int
store_file_active(struct store *st, dev_t dev, ino_t ino, int64_t since, int64_t *offset)
{
	return st->ops->file_active(st->impl, dev, ino, since, offset);
}

int
store_file_adopt(struct store *st, int64_t file_id, const struct store_file_key *key)
{
	return st->ops->file_adopt(st->impl, file_id, key);
}

int
store_file_set_offset(struct store *st, int64_t file_id, int64_t offset, int64_t counted,
    int64_t size)
{
	return st->ops->file_set_offset(st->impl, file_id, offset, counted, size);
}

int
store_file_counted(struct store *st, int64_t file_id, int64_t *counted)
{
	return st->ops->file_counted(st->impl, file_id, counted);
}

int
store_source_get(struct store *st, const char *name, int64_t *file_id, int64_t *current_id,
    char **cursor)
{
	return st->ops->source_get(st->impl, name, file_id, current_id, cursor);
}

int
store_source_set(struct store *st, const char *name, int64_t file_id, int64_t current_id,
    const char *cursor, int64_t lines, int64_t cut, int64_t unknown)
{
	return st->ops->source_set(st->impl, name, file_id, current_id, cursor, lines, cut,
	    unknown);
}

int
store_file_get(struct store *st, int64_t file_id, struct store_file_record *rec)
{
	return st->ops->file_get(st->impl, file_id, rec);
}

int
store_file_set_head(struct store *st, int64_t file_id, const char *head, size_t head_len,
    int whole)
{
	return st->ops->file_set_head(st->impl, file_id, head, head_len, whole);
}

int
store_loss_add(struct store *st, int64_t file_id, const char *path, int64_t from, int64_t to,
    const char *reason)
{
	return st->ops->loss_add(st->impl, file_id, path, from, to, reason);
}

int
store_delete_events_before(struct store *st, int64_t time, int limit, int *deleted)
{
	return st->ops->delete_events_before(st->impl, time, limit, deleted);
}

int
store_delete_days_before(struct store *st, int64_t day, int limit, int *deleted)
{
	return st->ops->delete_days_before(st->impl, day, limit, deleted);
}

int
store_used_bytes(struct store *st, int64_t *bytes)
{
	return st->ops->used_bytes(st->impl, bytes);
}

void
store_reclaim(struct store *st)
{
	st->ops->reclaim(st->impl);
}

int
store_claim_server(struct store *st)
{
	return st->ops->claim_server(st->impl);
}

int
store_check_file(struct store *st)
{
	return st->ops->check_file(st->impl);
}

int
store_abandon(struct store *st)
{
	return st->ops->abandon(st->impl);
}
