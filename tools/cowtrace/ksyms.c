// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kallsyms, read once.  A line is "ADDRESS TYPE NAME\n", or
 * "ADDRESS TYPE NAME\t[MODULE]\n" for a module's symbol; a name can be
 * there more than once (static functions of several files), so a lookup
 * walks every entry of its name.  The index is an open-addressed table of
 * line offsets, twice as many slots as lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksyms.h"

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static int read_all(const char *path, char **text, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1), *nbuf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf) {
		r = fd < 0 ? -errno : -ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		return r;
	}
	/* Large reads: the kernel fills each from where the last one ended. */
	for (;;) {
		if (n == cap) {
			cap *= 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				r = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	free(buf);
	return r;
}

/* Parse the line at p: its type and its name's start; NULL if malformed. */
static char *parse_line(char *p, char *type)
{
	char *e;

	strtoull(p, &e, 16);
	if (e == p || e[0] != ' ' || !e[1] || e[2] != ' ')
		return NULL;
	*type = e[1];
	return e + 3;
}

int ksyms_load(struct ksyms *k, const char *path)
{
	size_t lines = 0, slots = 64, off;
	char *p, *name, *end, type;
	int err;

	memset(k, 0, sizeof(*k));
	err = read_all(path, &k->text, &k->len);
	if (err)
		return err;
	for (p = k->text; (p = memchr(p, '\n', k->text + k->len - p)); p++)
		lines++;
	while (slots < 2 * lines + 2)
		slots *= 2;
	if (slots > UINT32_MAX || k->len >= UINT32_MAX) {
		ksyms_free(k);
		return -EFBIG;
	}
	k->slot = calloc(slots, sizeof(*k->slot));
	if (!k->slot) {
		ksyms_free(k);
		return -ENOMEM;
	}
	k->mask = slots - 1;
	for (off = 0; off < k->len; off = end - k->text + 1) {
		uint32_t i;

		end = memchr(k->text + off, '\n', k->len - off);
		if (!end)
			end = k->text + k->len;
		*end = '\0';
		name = parse_line(k->text + off, &type);
		if (!name || !*name) {
			ksyms_free(k);
			return -EINVAL;
		}
		name[strcspn(name, "\t ")] = '\0';
		for (i = name_hash(name) & k->mask; k->slot[i]; i = (i + 1) & k->mask)
			;
		k->slot[i] = off + 1;
	}
	return 0;
}

bool ksyms_find(const struct ksyms *k, const char *name, bool text,
		unsigned long long *addr)
{
	uint32_t i;

	if (!k->slot)
		return false;
	for (i = name_hash(name) & k->mask; k->slot[i]; i = (i + 1) & k->mask) {
		char *line = k->text + k->slot[i] - 1, *n, type = 0;

		n = parse_line(line, &type);
		if (!n || strcmp(n, name))
			continue;
		if (text && type != 't' && type != 'T')
			continue;
		if (addr)
			*addr = strtoull(line, NULL, 16);
		return true;
	}
	return false;
}

void ksyms_free(struct ksyms *k)
{
	free(k->text);
	free(k->slot);
	memset(k, 0, sizeof(*k));
}
