/*
 * action.c: build and start the flag/clear commands (see action.h). The
 * caller (the daemon's event loop) waits for them and enforces the timeout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "log.h"
#include "timeparse.h"
#include "util.h"

/* The value of one placeholder (without its %), or NULL if it is not one. */
static const char *
placeholder(const char *name, size_t len, const struct flag_notice *n, char *tmp, size_t size)
{
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	int is_domain = strcmp(n->peer_kind, "domain") == 0;

	if (IS("ip"))
		return is_domain ? "" : n->peer;
	if (IS("domain"))
		return is_domain ? n->peer + 1 : "";
	if (IS("peer"))
		return n->peer;
	if (IS("host"))
		return n->host ? n->host : "";
	if (IS("kind"))
		return n->main_kind ? n->main_kind : "";
	if (IS("threshold"))
		return n->threshold;
	if (IS("why"))
		return n->why;
	if (IS("event"))
		return n->raised ? "flagged" : "cleared";
	if (IS("count")) {
		snprintf(tmp, size, "%lld", (long long)n->count);
		return tmp;
	}
	if (IS("first")) {
		timeparse_format_iso(n->first_event, tmp, size);
		return tmp;
	}
	if (IS("last")) {
		timeparse_format_iso(n->last_event, tmp, size);
		return tmp;
	}
	return NULL;
#undef IS
}

static char *
expand(const char *arg, const struct flag_notice *n)
{
	struct buf out;

	buf_init(&out);
	for (const char *p = arg; *p;) {
		const char *end;
		char tmp[64];
		const char *v;

		if (*p == '%' && (end = strchr(p + 1, '%')) != NULL &&
		    (v = placeholder(p + 1, (size_t)(end - p - 1), n, tmp, sizeof(tmp))) != NULL) {
			for (; *v; v++)
				buf_putc(&out, ((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f ?
				    '?' : *v);
			p = end + 1;
		} else {
			buf_putc(&out, *p++);
		}
	}
	buf_putc(&out, '\0');
	return out.data;
}

char **
action_argv(char *const *template, const struct flag_notice *n)
{
	size_t count = 0;

	while (template[count] != NULL)
		count++;
	char **argv = xcalloc(count + 1, sizeof(*argv));
	for (size_t i = 0; i < count; i++)
		argv[i] = i == 0 ? xstrdup(template[0]) : expand(template[i], n);
	return argv;
}

void
action_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

pid_t
action_spawn(char *const *argv)
{
	static char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C", NULL };
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("cannot start %s", argv[0]);
		return -1;
	}
	if (pid == 0) {
		/* The child: only async-signal-safe calls until execve. */
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, env);
		_exit(127);
	}
	setpgid(pid, pid);	/* also from here: no race with a kill of the group */
	return pid;
}
