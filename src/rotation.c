/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rotation.c: the files a log was rotated into (see rotation.h).
 *
 * The folder is listed with readdir, not glob: a log's name may hold glob
 * characters ('[', '*'), which glob would take as a pattern.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"
#include "rotation.h"
#include "util.h"

static const char *const compressed_ext[] = { ".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z" };

/* The length of name without a compression suffix; *ext: the suffix's index or -1. */
static size_t
strip_compression(const char *name, size_t len, int *ext)
{
	*ext = -1;
	for (size_t i = 0; i < sizeof(compressed_ext) / sizeof(compressed_ext[0]); i++) {
		size_t e = strlen(compressed_ext[i]);
		if (len > e && memcmp(name + len - e, compressed_ext[i], e) == 0) {
			*ext = (int)i;
			return len - e;
		}
	}
	return len;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The length of name without one rotation suffix: ".N", or "-" followed by
 * digits, dashes and underscores that start and end with a digit (dateext:
 * "-20261207", "-2026-12-07", "-2026120712"). *number: N for ".N", else -1.
 */
static size_t
strip_rotation(const char *name, size_t len, long *number)
{
	size_t i = len;

	*number = -1;
	while (i > 0 && is_digit(name[i - 1]))
		i--;
	if (i == len || i == 0)
		return len;
	if (name[i - 1] == '.') {
		if (len - i < 10)
			*number = strtol(name + i, NULL, 10);
		return i - 1;
	}
	while (i > 0 && (is_digit(name[i - 1]) || name[i - 1] == '-' || name[i - 1] == '_'))
		i--;
	/* i is now at the first byte of the suffix's run: it must start "-" then a digit. */
	while (i < len && name[i] != '-')
		i++;
	if (i == 0 || i >= len - 1 || !is_digit(name[i + 1]))
		return len;
	return i;
}

static int64_t
mtime_of(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The length of base's log name; *number: its rotation number or -1. */
static size_t
log_name_len(const char *base, long *number)
{
	int ext;
	size_t len = strip_compression(base, strlen(base), &ext);
	size_t stripped = strip_rotation(base, len, number);

	return stripped > 0 ? stripped : len;
}

void
rotation_log_name(const char *path, char *out, size_t size)
{
	const char *base = base_name(path);
	long number;
	size_t len = log_name_len(base, &number);

	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(out, base, len);
	out[len] = '\0';
}

int
rotation_unreadable(const char *path)
{
	int ext;
	const char *base = base_name(path);

	strip_compression(base, strlen(base), &ext);
	return ext > 0;		/* 0 is ".gz": zlib reads it */
}

struct sortable {
	struct rotated_file f;
	long number;
};

static int
older_first(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;

	if (x->f.mtime_ns != y->f.mtime_ns)
		return x->f.mtime_ns < y->f.mtime_ns ? -1 : 1;
	if (x->number != y->number)
		return x->number > y->number ? -1 : 1;	/* NAME.2 is older than NAME.1 */
	return strcmp(x->f.path, y->f.path);
}

size_t
rotation_list(const char *path, struct rotated_file **out)
{
	char want[ROTATION_NAME_MAX], dir[4096];
	const char *base = base_name(path);
	struct sortable *found = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	rotation_log_name(path, want, sizeof(want));
	size_t dirlen = (size_t)(base - path);
	if (dirlen == 0)
		strcpy(dir, ".");
	else if (dirlen >= sizeof(dir))
		return 0;
	else {
		memcpy(dir, path, dirlen);
		dir[dirlen] = '\0';
	}
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char name[ROTATION_NAME_MAX];
		long number;
		struct stat sb;

		if (strcmp(de->d_name, base) == 0)
			continue;
		rotation_log_name(de->d_name, name, sizeof(name));
		if (strcmp(name, want) != 0)
			continue;
		char *full = dirlen == 0 ? xstrdup(de->d_name) : xasprintf("%s%s", dir, de->d_name);
		if (stat(full, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			found = xreallocarray(found, cap, sizeof(*found));
		}
		log_name_len(de->d_name, &number);
		found[n].f.path = full;
		found[n].f.mtime_ns = mtime_of(&sb);
		found[n].f.size = (int64_t)sb.st_size;
		found[n].f.dev = sb.st_dev;
		found[n].f.ino = sb.st_ino;
		found[n].number = number;
		n++;
	}
	closedir(d);
	if (n == 0)
		return 0;
	qsort(found, n, sizeof(*found), older_first);
	*out = xcalloc(n, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = found[i].f;
	free(found);
	return n;
}

void
rotation_free(struct rotated_file *files, size_t n)
{
	if (files == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}

int
rotation_has_text(const char *path, const struct rotation_text *want)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || want->head_len == 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct logfile *lf = logfile_fdopen(fd, path, want->head_len);
	if (lf == NULL) {
		close(fd);
		return 0;
	}
	size_t len;
	int whole;
	const char *head = logfile_head(lf, &len, &whole);
	/* logfile_head stops at the first newline, which is at head_len or later. */
	int same = len == want->head_len && util_fnv1a(head, len) == want->head_hash;
	logfile_close(lf);
	return same;
}

int
rotation_find_text(const char *path, int with_self, const struct rotation_text *want,
    char **found, int64_t *found_mtime_ns, size_t *unreadable)
{
	struct rotated_file *files;
	size_t n = rotation_list(path, &files);
	int best = -1, best_rank = 0;

	*found = NULL;
	if (unreadable != NULL)
		*unreadable = 0;
	if (with_self) {
		struct stat sb;
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && rotation_has_text(path, want)) {
			*found = xstrdup(path);
			if (found_mtime_ns != NULL)
				*found_mtime_ns = mtime_of(&sb);
			rotation_free(files, n);
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (rotation_unreadable(files[i].path)) {
			if (unreadable != NULL)
				(*unreadable)++;
			continue;
		}
		if (!rotation_has_text(files[i].path, want))
			continue;
		int ext;
		const char *p = files[i].path;
		int plain = strip_compression(p, strlen(p), &ext) == strlen(p);
		int rank = files[i].dev == want->dev && files[i].ino == want->ino ? 3 : plain ? 2 : 1;
		if (rank > best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	if (best >= 0) {
		*found = xstrdup(files[best].path);
		if (found_mtime_ns != NULL)
			*found_mtime_ns = files[best].mtime_ns;
	}
	rotation_free(files, n);
	return best >= 0;
}

/* What a name says of its place in its rotated set. */
struct place {
	char *path;
	char *set;		/* folder and log name */
	int kind;		/* 0: the live file, 1: NAME.N, 2: NAME-DATE */
	char digits[32];	/* N, or the date's digits */
	time_t mtime;
};

static void
place_of(struct place *p, char *path)
{
	const char *base = base_name(path);
	int ext;
	size_t len = strip_compression(base, strlen(base), &ext);
	long number;
	size_t stripped = strip_rotation(base, len, &number);
	struct stat sb;

	memset(p, 0, sizeof(*p));
	p->path = path;
	p->mtime = stat(path, &sb) == 0 ? sb.st_mtime : 0;
	p->set = xstrndup(path, (size_t)(base - path) + (stripped > 0 ? stripped : len));
	if (stripped == len || stripped == 0)
		return;
	p->kind = base[stripped] == '.' ? 1 : 2;
	size_t k = 0;
	for (size_t i = stripped + 1; i < len && k + 1 < sizeof(p->digits); i++)
		if (is_digit(base[i]))
			p->digits[k++] = base[i];
	p->digits[k] = '\0';
}

/* Digit strings as numbers: < 0 when a is smaller. */
static int
compare_digits(const char *a, const char *b)
{
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* < 0 when a is older than b. */
static int
place_older(const struct place *a, const struct place *b)
{
	if (a->kind == 0 || b->kind == 0)
		return (a->kind == 0) - (b->kind == 0);
	if (a->kind == b->kind)
		return a->kind == 1 ? -compare_digits(a->digits, b->digits) :
		    compare_digits(a->digits, b->digits);
	return a->mtime < b->mtime ? -1 : a->mtime > b->mtime;
}

void
rotation_sort_paths(char **paths, int n)
{
	if (n < 2)
		return;
	struct place *pl = xcalloc((size_t)n, sizeof(*pl));
	int *slots = xcalloc((size_t)n, sizeof(*slots));
	char *done = xcalloc((size_t)n, 1);
	struct place *set = xcalloc((size_t)n, sizeof(*set));

	for (int i = 0; i < n; i++)
		place_of(&pl[i], paths[i]);
	for (int i = 0; i < n; i++) {
		if (done[i] || strcmp(paths[i], "-") == 0)
			continue;
		int m = 0;
		for (int j = i; j < n; j++)
			if (!done[j] && strcmp(pl[j].set, pl[i].set) == 0 && strcmp(paths[j], "-") != 0) {
				slots[m++] = j;
				done[j] = 1;
			}
		/* Insertion sort of the set's members (a handful), stable. */
		for (int k = 0; k < m; k++) {
			int p = k;
			for (; p > 0 && place_older(&pl[slots[k]], &set[p - 1]) < 0; p--)
				set[p] = set[p - 1];
			set[p] = pl[slots[k]];
		}
		for (int k = 0; k < m; k++)
			paths[slots[k]] = set[k].path;
	}
	for (int i = 0; i < n; i++)
		free(pl[i].set);
	free(pl);
	free(slots);
	free(done);
	free(set);
}
