/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON emitter: enough for one document per run, with correct
 * string escaping (comm may hold any byte) and nothing else.
 */
#ifndef COWTRACE_JSON_H
#define COWTRACE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	bool compact;		/* one line (JSON Lines): no newlines inside */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* The same, for one document on one line (a JSON Lines record). */
void json_init_compact(struct json *j, FILE *f);
/* key is NULL inside arrays and for the top-level value. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_str(struct json *j, const char *key, const char *s);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/* The escaped form of s, quotes included, to f. */
void json_write_string(FILE *f, const char *s);

#endif /* COWTRACE_JSON_H */
