/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWTRACE_KSYMS_H
#define COWTRACE_KSYMS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * /proc/kallsyms read once and indexed by name.  Each read of that file
 * costs the kernel a walk of every symbol: the BPF loader used to read it
 * once a lookup (twelve times a start, two seconds each under TCG).
 */
struct ksyms {
	char *text;		/* the file; each name NUL-terminated in place */
	size_t len;
	unsigned int *slot;	/* a line's offset + 1; 0: empty */
	unsigned int mask;	/* slots - 1 (a power of two) */
};

/* 0, or -errno (the file cannot be read, or is not kallsyms' format). */
int ksyms_load(struct ksyms *k, const char *path);
/*
 * true when name is there: as a text symbol (type t or T) when text, as
 * any symbol otherwise; *addr (when not NULL) gets that symbol's address
 * (0 when kptr_restrict hides them).
 */
bool ksyms_find(const struct ksyms *k, const char *name, bool text,
		unsigned long long *addr);
void ksyms_free(struct ksyms *k);

#endif
