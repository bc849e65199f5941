/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mail.c: compose a two-part MIME message and pipe it to sendmail (see
 * mail.h for what the message promises).
 *
 * Why quoted-printable for both parts: the bodies are mostly ASCII, so the
 * message stays readable in a mail queue, and its lines are short (RFC 5322
 * allows 998 bytes; some relays rewrap anything over 78). Every byte outside
 * printable ASCII is encoded, so a CR, a NUL or an invalid UTF-8 sequence in a
 * body reaches the reader's mail program as data, never as structure.
 *
 * Why the sendmail program is started by hand rather than with popen(3): no
 * shell parses its command line, its exit status is ours to report, and a
 * failure to start it (a wrong path) is told apart from a failure it reports,
 * through a close-on-exec pipe that carries the errno of execv.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mail.h"

/* Longest encoded line, without its line break (RFC 2045: 76). */
#define QP_LINE 76

static int
qp_plain(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=';
}

void
mail_qp_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		char tok[3];
		size_t n;

		if (c == '\n') {
			buf_putc(out, '\n');
			col = 0;
			continue;
		}
		int at_end = i + 1 == len || p[i + 1] == '\n';
		for (;;) {
			int encode;
			if (c == ' ' || c == '\t')
				encode = at_end;	/* trailing blanks are dropped by relays */
			else
				encode = !qp_plain(c);
			/* At the start of a line: no lone "." and no "From " (mbox). */
			if (col == 0 && (c == '.' ||
			    (c == 'F' && len - i >= 5 && memcmp(p + i, "From ", 5) == 0)))
				encode = 1;
			if (encode) {
				tok[0] = '=';
				tok[1] = hex[c >> 4];
				tok[2] = hex[c & 15];
				n = 3;
			} else {
				tok[0] = (char)c;
				n = 1;
			}
			/* Room for the token, and for a soft break "=" unless the line ends here. */
			if (col + n + (at_end ? 0 : 1) > QP_LINE) {
				buf_append(out, "=\n", 2);
				col = 0;
				continue;	/* the line-start rules apply again */
			}
			break;
		}
		buf_append(out, tok, n);
		col += n;
	}
	if (col > 0)
		buf_putc(out, '\n');
}

void
mail_random(unsigned char *buf, size_t size)
{
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		while (got < size) {
			ssize_t r = read(fd, buf + got, size - got);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				break;
			}
			got += (size_t)r;
		}
		close(fd);
	}
	if (got < size) {
		/* Unique enough for a boundary (which is checked anyway) and a Message-ID. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16);
		for (size_t i = got; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char)(x >> 24);
		}
	}
}

static void
random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	mail_random(r, nbytes);
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

void
mail_host_name(char *out, size_t size)
{
	char name[256];

	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		int ok = name[0] != '\0' && name[0] != '.' && name[0] != '-';
		for (const char *p = name; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
		if (ok) {
			util_strlcpy(out, name, size);
			return;
		}
	}
	util_strlcpy(out, "localhost", size);
}

/* A header field's value: not empty, printable ASCII and blanks only. */
static int
header_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/*
 * "Name: value", folded before a blank where a line would pass 78 columns
 * (RFC 5322 2.2.3: unfolding gives the value back, runs of blanks as one).
 */
static void
put_header(struct buf *out, const char *name, const char *value)
{
	size_t col = strlen(name) + 1;
	int first = 1;

	buf_printf(out, "%s:", name);
	for (const char *p = value; *p;) {
		size_t n;
		while (*p == ' ')
			p++;
		if ((n = strcspn(p, " ")) == 0)
			break;
		if (!first && col + 1 + n > 78) {
			buf_putc(out, '\n');
			col = 0;
		}
		buf_putc(out, ' ');
		buf_append(out, p, n);
		col += 1 + n;
		first = 0;
		p += n;
	}
	buf_putc(out, '\n');
}

static void
put_date(struct buf *out, int64_t t)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
mail_compose(struct buf *out, const struct mail_message *m)
{
	char hexid[33], boundary[64];
	struct buf text, html;
	int ok = header_safe(m->from) && header_safe(m->subject) && header_safe(m->host) &&
	    m->to != NULL && m->to[0] != NULL;

	for (char *const *to = m->to; ok && to && *to; to++)
		ok = header_safe(*to);
	if (!ok) {
		log_warnx("mail: a header field is empty or not printable ASCII");
		return -1;
	}
	buf_init(&text);
	buf_init(&html);
	buf_reserve(&text, 0);	/* data never NULL, even for an empty body */
	buf_reserve(&html, 0);
	mail_qp_encode(&text, m->text, m->text_len);
	mail_qp_encode(&html, m->html, m->html_len);
	do {
		random_hex(hexid, 16);
		snprintf(boundary, sizeof(boundary), "=_tlslogd_%s", hexid);
	} while (util_memmem(text.data, text.len, boundary, strlen(boundary)) != NULL ||
	    util_memmem(html.data, html.len, boundary, strlen(boundary)) != NULL);

	buf_puts(out, "Date: ");
	put_date(out, m->date);
	buf_printf(out, "\nFrom: tlslogd <%s>\n", m->from);
	struct buf list;
	buf_init(&list);
	for (char *const *to = m->to; *to; to++)
		buf_printf(&list, "%s%s", to == m->to ? "" : ", ", *to);
	put_header(out, "To", list.data);
	buf_free(&list);
	put_header(out, "Subject", m->subject);
	random_hex(hexid, 8);
	buf_puts(out, "Message-ID: <");
	time_t tt = (time_t)m->date;
	struct tm tm;
	gmtime_r(&tt, &tm);
	buf_printf(out, "%04d%02d%02d%02d%02d%02d.%ld.%s@%s>\n", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)getpid(), hexid, m->host);
	buf_puts(out, "MIME-Version: 1.0\n"
	    "Auto-Submitted: auto-generated\n");
	buf_printf(out, "Content-Type: multipart/alternative;\n boundary=\"%s\"\n\n", boundary);
	buf_puts(out, "This is a MIME message in two parts, plain text and HTML.\n\n");
	buf_printf(out, "--%s\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", boundary);
	buf_append(out, text.data, text.len);
	buf_printf(out, "\n--%s\nContent-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", boundary);
	buf_append(out, html.data, html.len);
	buf_printf(out, "\n--%s--\n", boundary);
	buf_free(&text);
	buf_free(&html);
	return 0;
}

/* Write all of len bytes to fd; -1 with errno on failure (EPIPE: the reader left). */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int
mail_send(char *const *argv, const char *msg, size_t len)
{
	int in[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct sigaction ign, old;
	pid_t pid;

	if (pipe(in) < 0 || pipe(err) < 0 || set_cloexec(in[1]) < 0 || set_cloexec(err[0]) < 0 ||
	    set_cloexec(err[1]) < 0) {
		log_warn("cannot run %s", argv[0]);
		goto fail;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_warn("cannot run %s", argv[0]);
		goto fail;
	}
	if (pid == 0) {
		/* The child: only async-signal-safe calls until execv. */
		int e;
		close(err[0]);
		if (in[0] != STDIN_FILENO) {
			if (dup2(in[0], STDIN_FILENO) < 0)
				goto child_fail;
			close(in[0]);
		}
		/* Its chatter is a diagnostic: to our standard error, not into our output. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
child_fail:
		e = errno;
		(void)!write(err[1], &e, sizeof(e));
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	in[0] = err[1] = -1;

	/* Did execv succeed? The pipe closes on exec (0 bytes) or carries its errno. */
	int child_errno = 0;
	ssize_t r;
	while ((r = read(err[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(err[0]);
	err[0] = -1;
	int started = r == 0;
	int write_errno = 0;
	if (started) {
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, &old);
		if (write_all(in[1], msg, len) < 0)
			write_errno = errno;
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;

	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_warn("%s: cannot wait for it", argv[0]);
			return -1;
		}
	}
	if (!started) {
		errno = r > 0 ? child_errno : EIO;
		log_warn("cannot run %s", argv[0]);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		log_warnx("%s was killed by signal %d; the mail was not sent", argv[0],
		    WTERMSIG(status));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		log_warnx("%s exited with status %d; the mail was not sent", argv[0],
		    WEXITSTATUS(status));
		return -1;
	}
	if (write_errno != 0) {
		/* It exited 0 without reading all: it may have sent half a message. */
		errno = write_errno;
		log_warn("%s did not read the whole message", argv[0]);
		return -1;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return -1;
}
