/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http.c: /metrics over HTTP with libmicrohttpd (see metrics_http.h).
 *
 * libmicrohttpd runs without a thread of its own (MHD_USE_EPOLL, no internal
 * polling thread): its epoll descriptor is one ev_io in the daemon's loop and
 * its connection timeouts one ev_timer, so MHD_run is only ever called from
 * the loop, and the render callback reads the daemon's counters with no lock.
 * Built without libmicrohttpd, metrics_http_start refuses with a message that
 * says so; the textfile output (metrics_file) works either way.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MICROHTTPD
#include <microhttpd.h>
#endif

#include "log.h"
#include "metrics_http.h"

#define METRICS_PATH "/metrics"
#define CONNECTION_LIMIT 8
#define IDLE_SECONDS 10
#define RECHECK_SECONDS 0.5
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#ifdef HAVE_MICROHTTPD

struct metrics_http {
	struct ev_loop *loop;
	struct MHD_Daemon *mhd;
	ev_io io;		/* MHD's epoll descriptor */
	ev_timer timeout;	/* MHD's next connection timeout */
	metrics_render_fn render;
	void *ctx;
};

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_warnx("metrics endpoint: %s", text);
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result rc = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (rc == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		rc = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (rc == MHD_YES)
		rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct metrics_http *h = cls;
	static const char not_found[] = "not found: the metrics are at " METRICS_PATH "\n";
	static const char not_allowed[] = "only GET and HEAD\n";

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
		    sizeof(not_allowed) - 1);
	if (strcmp(url, METRICS_PATH) != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);

	struct buf text;
	buf_init(&text);
	h->render(h->ctx, &text);
	enum MHD_Result rc = reply(c, MHD_HTTP_OK, CONTENT_TYPE, text.data ? text.data : "",
	    text.len);
	buf_free(&text);
	return rc;
}

/*
 * Let MHD work, then wake up again when its next connection timeout is due,
 * and at least every RECHECK_SECONDS: a connection closed while MHD was at
 * its connection limit is cleaned up, and the listening socket taken back
 * into MHD's epoll set, only by a later MHD_run, and nothing may wake the
 * loop for it (the test "many connections at once" in tests/metrics.sh hung
 * without this).
 */
static void
run_mhd(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	double after = RECHECK_SECONDS;

	(void)MHD_run(h->mhd);
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES && (double)ms / 1000.0 < after)
		after = (double)ms / 1000.0;
	ev_timer_stop(h->loop, &h->timeout);
	ev_timer_set(&h->timeout, after, 0.0);
	ev_timer_start(h->loop, &h->timeout);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	run_mhd(w->data);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_mhd(w->data);
}

struct metrics_http *
metrics_http_start(struct ev_loop *loop, const struct listen_address *addr,
    metrics_render_fn render, void *ctx)
{
	struct metrics_http *h = xcalloc(1, sizeof(*h));
	unsigned flags = MHD_USE_EPOLL;

	if (addr->sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->loop = loop;
	h->render = render;
	h->ctx = ctx;
	errno = 0;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr->sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_SECONDS,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		log_warnx("metrics_listen %s: cannot listen%s%s", addr->text, errno ? ": " : "",
		    errno ? strerror(errno) : "");
		free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || info->epoll_fd < 0) {
		log_warnx("metrics_listen %s: libmicrohttpd gave no epoll descriptor", addr->text);
		MHD_stop_daemon(h->mhd);
		free(h);
		return NULL;
	}
	ev_io_init(&h->io, on_io, info->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(loop, &h->io);
	ev_init(&h->timeout, on_timeout);
	h->timeout.data = h;
	log_info("metrics: serving http://%s%s", addr->text, METRICS_PATH);
	return h;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	ev_io_stop(h->loop, &h->io);
	ev_timer_stop(h->loop, &h->timeout);
	MHD_stop_daemon(h->mhd);
	free(h);
}

#else /* !HAVE_MICROHTTPD */

struct metrics_http {
	int unused;
};

struct metrics_http *
metrics_http_start(struct ev_loop *loop, const struct listen_address *addr,
    metrics_render_fn render, void *ctx)
{
	(void)loop;
	(void)render;
	(void)ctx;
	log_warnx("metrics_listen %s: this tlslogd was built without libmicrohttpd; "
	    "use metrics_file (the node_exporter textfile collector) instead", addr->text);
	return NULL;
}

void
metrics_http_stop(struct metrics_http *h)
{
	(void)h;
}

#endif
