/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_test.c: the Prometheus text the daemon exposes (metrics.c): every
 * family announced once before its samples, label values escaped, counters
 * kept across a reload, the commit histogram cumulative; the textfile
 * replaced whole; and the listen addresses tlslogd.conf accepts
 * (listen_address.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen_address.h"
#include "metrics.h"
#include "tap.h"
#include "util.h"

/* The line of text that begins with prefix, or NULL. */
static const char *
line_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, n) == 0)
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* The number after the line that begins with prefix, or -1. */
static double
value_of(const char *text, const char *prefix)
{
	const char *l = line_of(text, prefix);

	return l != NULL ? strtod(l + strlen(prefix), NULL) : -1;
}

/* Each "# TYPE" once, before any sample of its family, and every sample after one. */
static int
well_formed(const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	char families[64][96];
	size_t n = 0;
	int ok = 1;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# TYPE ", 7) == 0) {
			char name[96];
			sscanf(l + 7, "%95s", name);
			for (size_t i = 0; i < n; i++)
				if (strcmp(families[i], name) == 0)
					ok = 0;
			if (n < 64)
				snprintf(families[n++], sizeof(families[0]), "%s", name);
			continue;
		}
		if (l[0] == '#')
			continue;
		size_t len = strcspn(l, "{ ");
		int known = 0;
		for (size_t i = 0; i < n; i++) {
			size_t f = strlen(families[i]);
			if (strncmp(l, families[i], f) == 0 && (len == f || (len > f && l[f] == '_')))
				known = 1;
		}
		if (!known)
			ok = 0;
	}
	free(copy);
	return ok;
}

static void
test_render(void)
{
	struct metrics m;
	struct metrics_view v;
	struct metrics_source src[1];
	struct batch_count counts[2];
	struct buf out;

	metrics_init(&m, 1796650000.0);
	memset(&v, 0, sizeof(v));
	v.totals.lines = 1000;
	v.totals.unknown = 3;
	counts[0] = (struct batch_count){ "postfix", KIND_AUTH_FAILED, DIR_IN, 7, 2 };
	counts[1] = (struct batch_count){ "exim", KIND_TLS_CERT_EXPIRED, DIR_OUT, 1, 0 };
	v.counts = counts;
	v.ncounts = 2;
	src[0].name = "/var/log/\"odd\"\\name\n.log";
	src[0].lag = (struct follow_lag){ 4096, 2.5, 0, 1 };
	v.sources = src;
	v.nsources = 1;
	v.match_limit_hits = 4;
	v.flags_active = 2;
	m.flags_raised = 5;
	metrics_observe_commit(&m, 0.0005);
	metrics_observe_commit(&m, 0.02);
	metrics_observe_commit(&m, 30);

	buf_init(&out);
	metrics_render(&m, &v, &out);
	buf_putc(&out, '\0');
	ok(well_formed(out.data), "every sample follows its family's one # TYPE line");
	is_int((int)value_of(out.data, "tlslogd_lines_read_total "), 1000, "lines read");
	is_int((int)value_of(out.data, "tlslogd_lines_unknown_total "), 3, "lines no rule knows");
	is_int((int)value_of(out.data,
	    "tlslogd_events_stored_total{kind=\"auth_failed\",direction=\"in\",mta=\"postfix\"} "), 7,
	    "events by kind, direction and MTA: the committed ones, not the open transaction's");
	ok(line_of(out.data, "tlslogd_events_stored_total{kind=\"tls_cert_expired\",direction=\"out\","
	    "mta=\"exim\"} 1") != NULL, "each combination its own series");
	ok(line_of(out.data, "tlslogd_source_lag_bytes{source=\"/var/log/\\\"odd\\\"\\\\name\\n.log\"} "
	    "4096") != NULL, "a source's name is escaped as a label value");
	is_int((int)(value_of(out.data, "tlslogd_source_lag_seconds{source=") >= 0), 1,
	    "lag seconds shown");
	is_int((int)value_of(out.data, "tlslogd_rule_match_limit_hits_total "), 4, "limit hits");
	is_int((int)value_of(out.data, "tlslogd_flags_active "), 2, "active flags");
	is_int((int)value_of(out.data, "tlslogd_flags_raised_total "), 5, "flags raised");
	is_int((int)value_of(out.data,
	    "tlslogd_database_commit_duration_seconds_bucket{le=\"0.001\"} "), 1, "fast commit bucket");
	is_int((int)value_of(out.data,
	    "tlslogd_database_commit_duration_seconds_bucket{le=\"0.025\"} "), 2, "buckets cumulative");
	is_int((int)value_of(out.data,
	    "tlslogd_database_commit_duration_seconds_bucket{le=\"5\"} "), 2, "30 s is above 5 s");
	is_int((int)value_of(out.data,
	    "tlslogd_database_commit_duration_seconds_bucket{le=\"+Inf\"} "), 3, "+Inf counts all");
	is_int((int)value_of(out.data, "tlslogd_database_commit_duration_seconds_count "), 3, "count");
	ok(line_of(out.data, "tlslogd_build_info{version=\"" PACKAGE_VERSION "\"} 1") != NULL,
	    "build info");

	/* A reload: the new follower and batch count from 0; the sums go on. */
	metrics_carry(&m, &v);
	v.totals.lines = 10;
	counts[0].stored = 1;
	v.ncounts = 1;
	v.match_limit_hits = 0;
	buf_reset(&out);
	metrics_render(&m, &v, &out);
	buf_putc(&out, '\0');
	is_int((int)value_of(out.data, "tlslogd_lines_read_total "), 1010,
	    "after a reload, lines read go on from where they were");
	is_int((int)value_of(out.data,
	    "tlslogd_events_stored_total{kind=\"auth_failed\",direction=\"in\",mta=\"postfix\"} "), 8,
	    "and events stored");
	ok(line_of(out.data, "tlslogd_events_stored_total{kind=\"tls_cert_expired\",direction=\"out\","
	    "mta=\"exim\"} 1") != NULL, "a series the new batch has not seen yet stays");
	is_int((int)value_of(out.data, "tlslogd_rule_match_limit_hits_total "), 4,
	    "and the old rules' limit hits");
	ok(well_formed(out.data), "still one family each");
	buf_free(&out);
	metrics_free(&m);
}

static void
test_write_file(void)
{
	char dir[] = "/tmp/metrics_test.XXXXXX";
	struct stat sb;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	char *path = xasprintf("%s/tlslogd.prom", dir);
	is_int(metrics_write_file(path, "a 1\n", 4), 0, "the file is written");
	is_int(metrics_write_file(path, "b 2\n", 4), 0, "and replaced");
	FILE *f = fopen(path, "r");
	char text[16] = "";
	if (f != NULL) {
		if (fgets(text, sizeof(text), f) == NULL)
			text[0] = '\0';
		fclose(f);
	}
	is_str(text, "b 2\n", "it holds the last text whole");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644, "readable by node_exporter (0644)");
	DIR *d = opendir(dir);
	int entries = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0))
			entries++;
	if (d != NULL)
		closedir(d);
	is_int(entries, 1, "no temporary file is left beside it");
	char *missing = xasprintf("%s/no/such/folder/x.prom", dir);
	is_int(metrics_write_file(missing, "a 1\n", 4), -1, "a folder that is not there: -1");
	unlink(path);
	rmdir(dir);
	free(path);
	free(missing);
}

static void
test_addresses(void)
{
	struct listen_address a;
	const char *why = NULL;

	is_int(listen_address_parse("9809", &a, &why), 0, "a port alone");
	is_str(a.text, "127.0.0.1:9809", "listens on the loopback address only");
	ok(a.sa.ss_family == AF_INET &&
	    ntohs(((struct sockaddr_in *)&a.sa)->sin_port) == 9809, "as a sockaddr");
	is_int(listen_address_parse("0.0.0.0:9809", &a, &why), 0, "an address named");
	is_str(a.text, "0.0.0.0:9809", "kept");
	is_int(listen_address_parse("[::1]:9809", &a, &why), 0, "IPv6 in brackets");
	ok(a.sa.ss_family == AF_INET6 && a.len == sizeof(struct sockaddr_in6), "as an IPv6 sockaddr");
	is_str(a.text, "[::1]:9809", "written back in brackets");
	is_int(listen_address_parse("::1:9809", &a, &why), -1, "IPv6 without brackets is ambiguous");
	is_int(listen_address_parse("localhost:9809", &a, &why), -1, "names are refused");
	is_int(listen_address_parse("0", &a, &why), -1, "port 0");
	is_int(listen_address_parse("65536", &a, &why), -1, "port 65536");
	is_int(listen_address_parse("127.0.0.1:", &a, &why), -1, "no port");
	is_int(listen_address_parse("9809x", &a, &why), -1, "not a number");
	is_int(listen_address_parse("[::1]9809", &a, &why), -1, "no colon after the bracket");
	is_int(listen_address_parse("[]:9809", &a, &why), -1, "empty brackets");
	ok(why != NULL && why[0] != '\0', "each refusal says why");
}

int
main(void)
{
	test_render();
	test_write_file();
	test_addresses();
	return done_testing();
}
