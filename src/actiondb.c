/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * actiondb.c: the record of due actions on the engine of its store (see
 * actiondb.h): picks the engine's statements and passes each call on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "actiondb.h"
#include "actiondb_engine.h"
#include "util.h"

struct actiondb {
	const struct actiondb_ops *ops;
	void *impl;
};

struct actiondb *
actiondb_open(struct store *st)
{
	const struct actiondb_ops *ops = &actiondb_sqlite_ops;
	void *impl;

#ifdef HAVE_LIBPQ
	if (store_engine(st) == STORE_POSTGRESQL) {
		ops = &actiondb_pg_ops;
		impl = actiondb_pg_open(st);
	} else
#endif
		impl = actiondb_sqlite_open(st);
	if (impl == NULL)
		return NULL;
	struct actiondb *db = xcalloc(1, sizeof(*db));
	db->ops = ops;
	db->impl = impl;
	return db;
}

void
actiondb_close(struct actiondb *db)
{
	if (db == NULL)
		return;
	db->ops->close(db->impl);
	free(db);
}

int
actiondb_due(struct actiondb *db, int64_t now, struct actiondb_row *rows, size_t max,
    int quiet)
{
	return db->ops->due(db->impl, now, rows, max, quiet);
}

int
actiondb_start(struct actiondb *db, const struct actiondb_row *row, int64_t lease_until)
{
	return db->ops->start(db->impl, row, lease_until);
}

void
actiondb_release_own(struct actiondb *db, int64_t now)
{
	if (db->ops->release_own != NULL)
		db->ops->release_own(db->impl, now);
}

void
actiondb_done(struct actiondb *db, int64_t id, int64_t t)
{
	db->ops->done(db->impl, id, t);
}

void
actiondb_retry(struct actiondb *db, int64_t id, int64_t next_try)
{
	db->ops->retry(db->impl, id, next_try);
}

void
actiondb_give_up(struct actiondb *db, int64_t id, int64_t t, const char *why, int pair)
{
	db->ops->give_up(db->impl, id, t, why, pair);
}

void
actiondb_row_strings(struct actiondb_row *row, const char *event, const char *peer,
    const char *peer_kind, const char *threshold, const char *why, const char *main_kind,
    const char *host)
{
	const char *in[7] = { event, peer, peer_kind, threshold, why, main_kind, host };

	for (int i = 0; i < 7; i++)
		row->strings[i] = in[i] != NULL ? xstrdup(in[i]) : NULL;
	row->raised = event != NULL && strcmp(event, "flagged") == 0;
	row->n.raised = row->raised;
	row->n.peer = row->strings[1] != NULL ? row->strings[1] : "";
	row->n.peer_kind = row->strings[2] != NULL ? row->strings[2] : "ip";
	row->n.threshold = row->strings[3] != NULL ? row->strings[3] : "";
	row->n.why = row->strings[4] != NULL ? row->strings[4] : "";
	row->n.main_kind = row->strings[5];
	row->n.host = row->strings[6];
}

void
actiondb_row_free(struct actiondb_row *row)
{
	for (int i = 0; i < 7; i++)
		free(row->strings[i]);
	memset(row, 0, sizeof(*row));
}
