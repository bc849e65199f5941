/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * schema.h: the database schema, compiled in from sql/NNN-*.sql by
 * sql/embed.sh at build time. Migration `version` brings a database to
 * PRAGMA user_version = version; they are applied in order.
 */
#ifndef TLSLOGD_SCHEMA_H
#define TLSLOGD_SCHEMA_H

struct schema_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const int schema_migration_count;
/* PostgreSQL's (sql/pg/), to schema_version.version; built with libpq only. */
extern const struct schema_migration pg_schema_migrations[];
extern const int pg_schema_migration_count;

#endif
