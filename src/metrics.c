/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.c: the daemon's counters in Prometheus' text format (see metrics.h).
 *
 * The exposition format (0.0.4): for each metric family a "# HELP" and a
 * "# TYPE" line, then "name{label="value",...} number" lines. Label values
 * are escaped as the format asks (backslash, double quote, line feed); a
 * source's name is a path the administrator chose and may hold any of them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "metrics.h"

static const double commit_bounds[METRICS_COMMIT_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5
};

void
metrics_init(struct metrics *m, double start_time)
{
	memset(m, 0, sizeof(*m));
	m->start_time = start_time;
}

void
metrics_free(struct metrics *m)
{
	for (size_t i = 0; i < m->ncarried; i++)
		free((char *)m->carried_counts[i].mta);
	free(m->carried_counts);
	m->carried_counts = NULL;
	m->ncarried = 0;
}

void
metrics_observe_commit(struct metrics *m, double seconds)
{
	m->commits++;
	m->commit_seconds += seconds;
	for (size_t i = 0; i < METRICS_COMMIT_BUCKETS; i++)
		if (seconds <= commit_bounds[i]) {
			m->commit_bucket[i]++;
			break;
		}
}

/*
 * Add c's committed count into the list *list of *n entries; a new entry's
 * MTA name is copied when own is set (an event's MTA name belongs to the
 * rules, which a reload frees).
 */
static void
add_count(struct batch_count **list, size_t *n, const struct batch_count *c, int own)
{
	for (size_t i = 0; i < *n; i++) {
		struct batch_count *x = &(*list)[i];
		if (x->kind == c->kind && x->direction == c->direction && strcmp(x->mta, c->mta) == 0) {
			x->stored += c->stored;
			return;
		}
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n] = *c;
	(*list)[*n].open = 0;
	if (own)
		(*list)[*n].mta = xstrdup(c->mta);
	(*n)++;
}

void
metrics_carry(struct metrics *m, const struct metrics_view *v)
{
	follow_totals_add(&m->carried, &v->totals);
	for (size_t i = 0; i < v->ncounts; i++)
		add_count(&m->carried_counts, &m->ncarried, &v->counts[i], 1);
	m->carried_limit_hits += v->match_limit_hits;
}

/* A label value, escaped as the text format asks. */
static void
put_label_value(struct buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			buf_puts(out, "\\\\");
		else if (*v == '"')
			buf_puts(out, "\\\"");
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
put_u64(struct buf *out, const char *name, uint64_t v)
{
	buf_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

static void
counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
	family(out, name, "counter", help);
	put_u64(out, name, v);
}

static void
render_lines(const struct metrics *m, const struct metrics_view *v, struct buf *out)
{
	struct follow_totals all = m->carried;
	const struct follow_totals *t = &all;

	follow_totals_add(&all, &v->totals);
	counter(out, "tlslogd_lines_read_total", "Log lines read.", t->lines);
	counter(out, "tlslogd_read_bytes_total", "Log bytes read.", t->bytes);
	counter(out, "tlslogd_lines_matched_total", "Log lines a rule matched.", t->matched);
	counter(out, "tlslogd_lines_unknown_total",
	    "Log lines about TLS or AUTH that no rule knows (see tlslogd test-rules).", t->unknown);
	counter(out, "tlslogd_lines_without_header_total",
	    "Log lines whose header (time, host, program) could not be read.", t->no_header);
	counter(out, "tlslogd_lines_cut_total", "Log lines longer than max_line, cut.",
	    t->cut_lines);
	counter(out, "tlslogd_rule_match_limit_hits_total",
	    "Lines a pattern gave up on at the PCRE2 match limit.",
	    m->carried_limit_hits + v->match_limit_hits);
}

static void
render_events(const struct metrics *m, const struct metrics_view *v, struct buf *out)
{
	struct batch_count *all = NULL;
	size_t n = 0;

	for (size_t i = 0; i < m->ncarried; i++)
		add_count(&all, &n, &m->carried_counts[i], 0);
	for (size_t i = 0; i < v->ncounts; i++)
		add_count(&all, &n, &v->counts[i], 0);
	family(out, "tlslogd_events_stored_total", "counter",
	    "Failures stored (committed), by kind, direction and MTA.");
	for (size_t i = 0; i < n; i++) {
		const struct batch_count *c = &all[i];

		buf_puts(out, "tlslogd_events_stored_total{kind=\"");
		put_label_value(out, event_kind_name(c->kind));
		buf_puts(out, "\",direction=\"");
		put_label_value(out, event_direction_name(c->direction));
		buf_puts(out, "\",mta=\"");
		put_label_value(out, c->mta);
		buf_printf(out, "\"} %llu\n", (unsigned long long)c->stored);
	}
	free(all);
}

static void
render_flags(const struct metrics *m, const struct metrics_view *v, struct buf *out)
{
	counter(out, "tlslogd_flags_raised_total", "Peers flagged.", m->flags_raised);
	counter(out, "tlslogd_flags_cleared_total", "Flags cleared.", m->flags_cleared);
	family(out, "tlslogd_flags_active", "gauge", "Flags active now.");
	put_u64(out, "tlslogd_flags_active", v->flags_active);
}

/* One "NAME{source="..."} VALUE" line. */
static void
source_line(struct buf *out, const char *name, const char *source, const char *value)
{
	buf_printf(out, "%s{source=\"", name);
	put_label_value(out, source);
	buf_printf(out, "\"} %s\n", value);
}

static void
render_sources(const struct metrics_view *v, struct buf *out)
{
	char num[64];

	family(out, "tlslogd_source_open", "gauge",
	    "1 when the source's file (or journal) is open, 0 while it is waited for.");
	for (size_t i = 0; i < v->nsources; i++)
		source_line(out, "tlslogd_source_open", v->sources[i].name,
		    v->sources[i].lag.open ? "1" : "0");
	family(out, "tlslogd_source_lag_bytes", "gauge",
	    "Bytes of the source's files not read yet (0 for a journal).");
	for (size_t i = 0; i < v->nsources; i++) {
		snprintf(num, sizeof(num), "%lld", (long long)v->sources[i].lag.bytes);
		source_line(out, "tlslogd_source_lag_bytes", v->sources[i].name, num);
	}
	family(out, "tlslogd_source_lag_seconds", "gauge",
	    "Seconds since the source last had nothing left to read (0 when caught up).");
	for (size_t i = 0; i < v->nsources; i++) {
		snprintf(num, sizeof(num), "%.3f", v->sources[i].lag.seconds);
		source_line(out, "tlslogd_source_lag_seconds", v->sources[i].name, num);
	}
}

static void
render_database(const struct metrics *m, struct buf *out)
{
	uint64_t cumulative = 0;

	counter(out, "tlslogd_database_errors_total",
	    "Database commits or writes that failed (the daemon retries).", m->database_errors);
	family(out, "tlslogd_database_failing", "gauge",
	    "1 while the database fails and ingestion waits for it.");
	put_u64(out, "tlslogd_database_failing", m->database_failing ? 1 : 0);
	family(out, "tlslogd_database_commit_duration_seconds", "histogram",
	    "Time a commit of events and read positions took.");
	for (size_t i = 0; i < METRICS_COMMIT_BUCKETS; i++) {
		cumulative += m->commit_bucket[i];
		buf_printf(out, "tlslogd_database_commit_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    commit_bounds[i], (unsigned long long)cumulative);
	}
	buf_printf(out, "tlslogd_database_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)m->commits);
	buf_printf(out, "tlslogd_database_commit_duration_seconds_sum %.6f\n", m->commit_seconds);
	put_u64(out, "tlslogd_database_commit_duration_seconds_count", m->commits);
}

void
metrics_render(const struct metrics *m, const struct metrics_view *v, struct buf *out)
{
	family(out, "tlslogd_build_info", "gauge", "The running tlslogd's version (always 1).");
	buf_puts(out, "tlslogd_build_info{version=\"");
	put_label_value(out, PACKAGE_VERSION);
	buf_puts(out, "\"} 1\n");
	family(out, "tlslogd_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the Unix epoch.");
	buf_printf(out, "tlslogd_start_time_seconds %.3f\n", m->start_time);
	render_lines(m, v, out);
	render_events(m, v, out);
	render_flags(m, v, out);
	render_sources(v, out);
	render_database(m, out);
}

int
metrics_write_file(const char *path, const char *text, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	struct buf tmp;
	int fd, saved;

	/* Hidden and without the .prom ending: the collector never reads it half written. */
	buf_init(&tmp);
	buf_append(&tmp, path, dirlen);
	buf_printf(&tmp, ".%s.XXXXXX", path + dirlen);
	buf_putc(&tmp, '\0');
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		saved = errno;
		buf_free(&tmp);
		errno = saved;
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.data, path) < 0)
		goto fail;
	buf_free(&tmp);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp.data);
	buf_free(&tmp);
	errno = saved;
	return -1;
}
