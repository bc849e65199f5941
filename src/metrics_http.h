/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http.h: the daemon's /metrics endpoint for Prometheus, served by
 * GNU libmicrohttpd inside the daemon's libev loop (no thread: a scrape is
 * answered between two reads of the logs, from the counters of that moment).
 *
 * Off unless "metrics_listen" is set; "metrics_listen 9xxx" listens on the
 * loopback address only. GET or HEAD of /metrics is answered with the text
 * format (metrics.h); any other path is 404, any other method 405. At most a
 * few connections at once, each closed after a short idle time, so a stuck
 * client cannot hold the daemon's memory.
 */
#ifndef TLSLOGD_METRICS_HTTP_H
#define TLSLOGD_METRICS_HTTP_H

#include <ev.h>
#include "listen_address.h"
#include "util.h"

/* Fill out with the exposition of this moment. */
typedef void (*metrics_render_fn)(void *ctx, struct buf *out);

struct metrics_http;

/* Listen on addr, serving render's text. NULL (logged) when it cannot. */
struct metrics_http *metrics_http_start(struct ev_loop *loop, const struct listen_address *addr,
    metrics_render_fn render, void *ctx);
/* Close every connection and the listening socket. NULL is fine. */
void metrics_http_stop(struct metrics_http *h);

#endif
