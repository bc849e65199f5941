/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h: tell systemd (Type=notify) that the daemon is ready, without
 * libsystemd: the protocol is one datagram on the socket named by
 * $NOTIFY_SOCKET (see sd_notify(3)). Without that variable it does nothing.
 */
#ifndef TLSLOGD_NOTIFY_H
#define TLSLOGD_NOTIFY_H

/* Send state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."); 0, or -1 (logged). */
int notify_systemd(const char *state);
/* Started by systemd with Type=notify ($NOTIFY_SOCKET is set). */
int notify_expected(void);

#endif
