/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * advice.c: the advice files and their placeholders (see advice.h).
 *
 * A file is a list of entries and settings:
 *
 *   # a comment
 *   set postfix_dir /etc/postfix
 *   advice tls_no_shared_cipher in postfix
 *   	text of the entry, on lines that begin with a blank, joined by one
 *   	space; %{ip_cidr} is a placeholder, %% a percent sign
 *
 * An entry without text says that there is nothing useful to say. A lookup
 * takes the last entry loaded for (kind, direction, MTA), else the last
 * generic one ("any"), so a local file overrides by repeating the key.
 *
 * Placeholders, %{name} or %{name|name...} (the first one known is used):
 *   ip           the peer's address: 198.51.100.31, 2001:db8::1
 *   ip_cidr      a Postfix cidr_table key: 198.51.100.31/32, 2001:db8::1/128
 *   ip_exim      an item of an Exim colon-separated host list: IPv6 colons
 *                doubled (2001::db8::::1)
 *   ip_sendmail  a Sendmail access map key: 198.51.100.31, IPv6:2001:db8::1
 *   ip_bracket   [198.51.100.31], [2001:db8::1] (a Postfix next hop, openssl)
 *   host         the peer's host name
 *   domain       outgoing: the recipient domain of the failed delivery
 *   a name given by "set" (paths of the distribution)
 * A value that is not known is written as a word in capitals (ADDRESS,
 * HOSTNAME, DOMAIN) that no MTA would accept as it is. Values come from
 * logs: they are used only when they parse as an address or are a
 * well-formed host name, so the text stays printable ASCII without markup.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "advice.h"
#include "log.h"
#include "util.h"

#define D_IN (1u << DIR_IN)
#define D_OUT (1u << DIR_OUT)

/* Longest line of an advice file, and longest host name kept. */
#define ADVICE_LINE_MAX 4096
#define HOST_MAX 253

struct advice_entry {
	enum event_kind kind;
	unsigned dirs;		/* D_IN, D_OUT or both */
	char *mta;		/* NULL: any MTA (the generic entry) */
	char *text;		/* NULL: nothing to say */
	char *file;		/* where it was read, for errors */
	int line;
};

struct advice_var {
	char *name, *value;
};

struct advice {
	struct advice_entry *e;
	size_t n, cap;
	struct advice_var *var;
	size_t nvar;
};

/* The placeholders every entry may use, and what stands for an unknown value. */
static const struct {
	const char *name, *unknown;
} builtins[] = {
	{ "ip", "ADDRESS" }, { "ip_cidr", "ADDRESS" }, { "ip_exim", "ADDRESS" },
	{ "ip_sendmail", "ADDRESS" }, { "ip_bracket", "[ADDRESS]" },
	{ "host", "HOSTNAME" }, { "domain", "DOMAIN" },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static const char *const mtas[] = { "postfix", "exim", "sendmail", "dovecot", NULL };

/* ---- loading ---- */

struct parse {
	struct advice *a;
	const char *file;
	int line;
	int errors;
	struct advice_entry *cur;	/* the entry text lines are added to */
	int bad_entry;			/* its header was wrong: its text is not reported again */
};

static void __attribute__((format(printf, 2, 3)))
perr(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", p->file, p->line, msg);
	p->errors++;
}

static void
set_var(struct advice *a, const char *name, const char *value)
{
	for (size_t i = 0; i < a->nvar; i++) {
		if (strcmp(a->var[i].name, name) == 0) {
			free(a->var[i].value);
			a->var[i].value = xstrdup(value);
			return;
		}
	}
	a->var = xreallocarray(a->var, a->nvar + 1, sizeof(*a->var));
	a->var[a->nvar].name = xstrdup(name);
	a->var[a->nvar++].value = xstrdup(value);
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* "set NAME VALUE": VALUE is the rest of the line, printable ASCII. */
static void
parse_set(struct parse *p, char *rest)
{
	char *name = strtok(rest, " \t");
	char *value = name ? strtok(NULL, "") : NULL;

	while (value && (*value == ' ' || *value == '\t'))
		value++;
	if (name == NULL || value == NULL || *value == '\0') {
		perr(p, "\"set\" needs a name and a value");
		return;
	}
	if (!valid_name(name)) {
		perr(p, "\"%s\": a name is lower-case letters, digits and _", name);
		return;
	}
	for (size_t i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0) {
			perr(p, "\"%s\" is filled from the event, it cannot be set", name);
			return;
		}
	set_var(p->a, name, value);
}

/* "in", "out" or "in,out" (either order). */
static unsigned
parse_dirs(const char *s)
{
	if (strcmp(s, "in") == 0)
		return D_IN;
	if (strcmp(s, "out") == 0)
		return D_OUT;
	if (strcmp(s, "in,out") == 0 || strcmp(s, "out,in") == 0)
		return D_IN | D_OUT;
	return 0;
}

/* "advice KIND DIRS MTA" starts an entry. */
static void
parse_entry(struct parse *p, char *rest)
{
	char *kind = strtok(rest, " \t"), *dirs = strtok(NULL, " \t"), *mta = strtok(NULL, " \t");
	int k;
	unsigned d;

	p->cur = NULL;
	p->bad_entry = 1;
	if (kind == NULL || dirs == NULL || mta == NULL || strtok(NULL, " \t") != NULL) {
		perr(p, "expected \"advice KIND in|out|in,out MTA\"");
		return;
	}
	if ((k = event_kind_from_name(kind, strlen(kind))) < 0) {
		perr(p, "unknown kind \"%s\" (see tlslogd.rules(5))", kind);
		return;
	}
	if ((d = parse_dirs(dirs)) == 0) {
		perr(p, "unknown direction \"%s\": in, out or in,out", dirs);
		return;
	}
	size_t m = 0;
	while (mtas[m] != NULL && strcmp(mtas[m], mta) != 0)
		m++;
	if (mtas[m] == NULL && strcmp(mta, "any") != 0) {
		perr(p, "unknown MTA \"%s\": postfix, exim, sendmail, dovecot or any", mta);
		return;
	}
	struct advice *a = p->a;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->e = xreallocarray(a->e, a->cap, sizeof(*a->e));
	}
	p->cur = &a->e[a->n++];
	memset(p->cur, 0, sizeof(*p->cur));
	p->cur->kind = (enum event_kind)k;
	p->cur->dirs = d;
	p->cur->mta = mtas[m] ? xstrdup(mtas[m]) : NULL;
	p->cur->file = xstrdup(p->file);
	p->cur->line = p->line;
	p->bad_entry = 0;
}

/* A text line: appended to the current entry with one space. */
static void
parse_text(struct parse *p, const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
			perr(p, "the text must be printable ASCII");
			return;
		}
	if (p->cur == NULL && p->bad_entry)
		return;
	if (p->cur == NULL) {
		perr(p, "text outside an entry (an entry begins with \"advice KIND DIRS MTA\")");
		return;
	}
	if (p->cur->text == NULL) {
		p->cur->text = xstrdup(s);
	} else {
		char *t = xasprintf("%s %s", p->cur->text, s);
		free(p->cur->text);
		p->cur->text = t;
	}
}

static void
parse_line(struct parse *p, char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
	    line[len - 1] == '\t'))
		line[--len] = '\0';
	if (line[0] == ' ' || line[0] == '\t') {
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '\0' && *s != '#')
			parse_text(p, s);
		return;
	}
	if (line[0] == '\0' || line[0] == '#')
		return;
	if (strncmp(line, "advice", 6) == 0 && (line[6] == ' ' || line[6] == '\t'))
		parse_entry(p, line + 7);
	else if (strncmp(line, "set", 3) == 0 && (line[3] == ' ' || line[3] == '\t')) {
		p->cur = NULL;
		p->bad_entry = 0;
		parse_set(p, line + 4);
	}
	else
		perr(p, "expected \"advice KIND DIRS MTA\", \"set NAME VALUE\", text indented, "
		    "or a # comment");
}

static int
parse_file(struct advice *a, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[ADVICE_LINE_MAX];
	struct parse p = { .a = a, .file = path };

	if (f == NULL) {
		log_warn("%s", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		p.line++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			perr(&p, "line longer than %d bytes", ADVICE_LINE_MAX - 1);
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		parse_line(&p, line);
	}
	if (ferror(f)) {
		log_warn("%s", path);
		p.errors++;
	}
	fclose(f);
	return p.errors;
}

static int
name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Parse the *.advice files of dir in name order; the number of errors (a missing dir when must). */
static int
load_dir(struct advice *a, const char *dir, int must)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int errors = 0;
	struct dirent *de;

	if (d == NULL) {
		if (!must && errno == ENOENT)
			return 0;
		log_warn("%s", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 7 || de->d_name[0] == '.' || strcmp(de->d_name + len - 7, ".advice") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		errors += parse_file(a, path);
		free(path);
		free(names[i]);
	}
	free(names);
	if (n == 0 && must) {
		log_warnx("%s: no *.advice files", dir);
		errors++;
	}
	return errors;
}

static const char *
var_value(const struct advice *a, const char *name, size_t len)
{
	for (size_t i = 0; i < a->nvar; i++)
		if (strlen(a->var[i].name) == len && strncmp(a->var[i].name, name, len) == 0)
			return a->var[i].value;
	return NULL;
}

static int
builtin_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NBUILTINS; i++)
		if (strlen(builtins[i].name) == len && strncmp(builtins[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Every placeholder of every entry names a value: the errors, logged at the entry. */
static int
check_placeholders(const struct advice *a)
{
	int errors = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct advice_entry *e = &a->e[i];
		for (const char *s = e->text; s != NULL && (s = strchr(s, '%')) != NULL;) {
			if (s[1] == '%') {
				s += 2;
				continue;
			}
			const char *end = s[1] == '{' ? strchr(s, '}') : NULL;
			if (end == NULL) {
				log_warnx("%s:%d: a %% not followed by {name} (write %%%% for a percent sign)",
				    e->file, e->line);
				errors++;
				break;
			}
			for (const char *n = s + 2; n <= end;) {
				size_t len = strcspn(n, "|}");
				if (builtin_index(n, len) < 0 && var_value(a, n, len) == NULL) {
					log_warnx("%s:%d: unknown placeholder \"%.*s\" (not filled from the "
					    "event, nor given by \"set\")", e->file, e->line, (int)len, n);
					errors++;
				}
				n += len + 1;
			}
			s = end + 1;
		}
	}
	return errors;
}

struct advice *
advice_load(const char *dir, const char *local_dir)
{
	struct advice *a = xcalloc(1, sizeof(*a));
	int errors = load_dir(a, dir, 1);

	if (local_dir != NULL && *local_dir != '\0')
		errors += load_dir(a, local_dir, 0);
	errors += check_placeholders(a);
	if (errors > 0) {
		advice_free(a);
		return NULL;
	}
	return a;
}

void
advice_free(struct advice *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->e[i].mta);
		free(a->e[i].text);
		free(a->e[i].file);
	}
	for (size_t i = 0; i < a->nvar; i++) {
		free(a->var[i].name);
		free(a->var[i].value);
	}
	free(a->e);
	free(a->var);
	free(a);
}

size_t
advice_count(const struct advice *a)
{
	return a ? a->n : 0;
}

/* ---- values ---- */

/* A host name we dare to print: letters, digits, '-', '.', '_' in labels, at most 253 bytes. */
static int
valid_host(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len > HOST_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return strstr(s, "..") == NULL;
}

/* The address in canonical form into out (IPv4-mapped IPv6 as IPv4); 4, 6, or 0 if none. */
static int
canonical_ip(const char *ip, char *out, size_t size)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (ip == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, &v4) == 1)
		return inet_ntop(AF_INET, &v4, out, (socklen_t)size) ? 4 : 0;
	if (inet_pton(AF_INET6, ip, &v6) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&v6)) {
		memcpy(&v4, &v6.s6_addr[12], 4);
		return inet_ntop(AF_INET, &v4, out, (socklen_t)size) ? 4 : 0;
	}
	return inet_ntop(AF_INET6, &v6, out, (socklen_t)size) ? 6 : 0;
}

/* Builtin i's value for v into out; 0, or -1 when it is not known. */
static int
builtin_value(size_t i, const struct advice_values *v, struct buf *out)
{
	const char *name = builtins[i].name;
	char ip[INET6_ADDRSTRLEN];
	int family;

	if (strcmp(name, "host") == 0 || strcmp(name, "domain") == 0) {
		const char *s = v ? (name[0] == 'h' ? v->host : v->domain) : NULL;
		if (!valid_host(s))
			return -1;
		for (; *s; s++)
			buf_putc(out, (char)tolower((unsigned char)*s));
		return 0;
	}
	if ((family = canonical_ip(v ? v->ip : NULL, ip, sizeof(ip))) == 0)
		return -1;
	if (strcmp(name, "ip_cidr") == 0) {
		buf_printf(out, "%s/%d", ip, family == 4 ? 32 : 128);
	} else if (strcmp(name, "ip_exim") == 0) {
		for (const char *c = ip; *c; c++) {
			if (*c == ':')
				buf_putc(out, ':');
			buf_putc(out, *c);
		}
	} else if (strcmp(name, "ip_sendmail") == 0) {
		buf_printf(out, "%s%s", family == 6 ? "IPv6:" : "", ip);
	} else if (strcmp(name, "ip_bracket") == 0) {
		buf_printf(out, "[%s]", ip);
	} else {
		buf_puts(out, ip);
	}
	return 0;
}

/* The placeholder's names s..end (without braces): the first known value, or the first's marker. */
static void
fill(const struct advice *a, const char *s, const char *end, const struct advice_values *v,
    struct buf *out)
{
	const char *first = s;
	size_t first_len = strcspn(s, "|}");

	while (s < end) {
		size_t len = strcspn(s, "|}");
		int b = builtin_index(s, len);
		const char *var;
		if (b >= 0 && builtin_value((size_t)b, v, out) == 0)
			return;
		if (b < 0 && (var = var_value(a, s, len)) != NULL) {
			buf_puts(out, var);
			return;
		}
		s += len + 1;
	}
	int b = builtin_index(first, first_len);
	buf_puts(out, b >= 0 ? builtins[b].unknown : "UNKNOWN");
}

static const struct advice_entry *
lookup(const struct advice *a, enum event_kind kind, enum event_direction dir, const char *mta)
{
	const struct advice_entry *generic = NULL;

	for (size_t i = a->n; i-- > 0;) {
		const struct advice_entry *e = &a->e[i];
		if (e->kind != kind || !(e->dirs & (1u << dir)))
			continue;
		if (e->mta == NULL) {
			if (generic == NULL)
				generic = e;
		} else if (mta != NULL && strcasecmp(e->mta, mta) == 0) {
			return e;
		}
	}
	return generic;
}

char *
advice_render(const struct advice *a, enum event_kind kind, enum event_direction dir,
    const char *mta, const struct advice_values *v)
{
	const struct advice_entry *e;
	struct buf out;

	if (a == NULL || (unsigned)kind >= KIND_COUNT || (unsigned)dir >= DIR_COUNT)
		return NULL;
	if ((e = lookup(a, kind, dir, mta)) == NULL || e->text == NULL)
		return NULL;
	buf_init(&out);
	for (const char *s = e->text; *s;) {
		const char *end;
		if (s[0] == '%' && s[1] == '%') {
			buf_putc(&out, '%');
			s += 2;
		} else if (s[0] == '%' && s[1] == '{' && (end = strchr(s, '}')) != NULL) {
			fill(a, s + 2, end, v, &out);
			s = end + 1;
		} else {
			buf_putc(&out, *s++);
		}
	}
	buf_putc(&out, '\0');
	return out.data;
}
