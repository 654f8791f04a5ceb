// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a qemu TCG plugin that counts the guest's kernel instructions
 * by address between marks.
 *
 * Every instruction at a kernel address (top bit set) gets a counter.  A
 * mark is any execution of "movabs $INSNPROF_MAGIC, %rax" (bench.h's
 * bench_mark(), in user space); at each mark the plugin writes OUT.N (N
 * counts marks from 1): one line "ADDRESS COUNT" per instruction address
 * executed since the previous mark.  bench/insnprof/report turns two such
 * files and the guest's /proc/kallsyms into instructions per symbol.
 *
 *   qemu ... -plugin bench/.output/insnprof.so,out=PREFIX
 *
 * Written against the plugin API of qemu 7.2 (Debian 12), version 1; the
 * few declarations it needs are below, so that no qemu source is needed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op,
						void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
	void (*cb)(unsigned int, void *), enum qemu_plugin_cb_flags flags,
	void *userdata);

EXPORT int qemu_plugin_version = 1;

/* "COWSMARK", little endian, as the immediate of movabs (48 b8 imm64). */
#define INSNPROF_MAGIC 0x4b52414d53574f43ULL

struct counter {
	uint64_t vaddr;
	uint64_t n;
	uint64_t last;
};

#define CHUNK (1U << 16)
#define MAX_CHUNKS 4096U

static struct counter *chunks[MAX_CHUNKS];
static unsigned int used;	/* counters handed out */
static unsigned int marks;
static const char *out = "insnprof";

static struct counter *counter_new(uint64_t vaddr)
{
	unsigned int c = used / CHUNK;
	struct counter *k;

	if (c >= MAX_CHUNKS)
		return NULL;
	if (!chunks[c]) {
		chunks[c] = calloc(CHUNK, sizeof(*chunks[c]));
		if (!chunks[c])
			return NULL;
	}
	k = &chunks[c][used++ % CHUNK];
	k->vaddr = vaddr;
	return k;
}

static void mark(unsigned int vcpu, void *udata)
{
	char path[4096];
	unsigned int i;
	FILE *f;

	(void)vcpu;
	(void)udata;
	snprintf(path, sizeof(path), "%s.%u", out, ++marks);
	f = fopen(path, "w");
	for (i = 0; i < used; i++) {
		struct counter *k = &chunks[i / CHUNK][i % CHUNK];

		if (f && k->n != k->last)
			fprintf(f, "%llx %llu\n", (unsigned long long)k->vaddr,
				(unsigned long long)(k->n - k->last));
		k->last = k->n;
	}
	if (f)
		fclose(f);
}

static int is_mark(const struct qemu_plugin_insn *insn)
{
	const unsigned char *b = qemu_plugin_insn_data(insn);
	uint64_t imm;

	if (qemu_plugin_insn_size(insn) != 10 || b[0] != 0x48 || b[1] != 0xb8)
		return 0;
	memcpy(&imm, b + 2, sizeof(imm));
	return imm == INSNPROF_MAGIC;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		struct counter *k;

		if (!(va >> 63)) {
			if (is_mark(insn))
				qemu_plugin_register_vcpu_insn_exec_cb(insn, mark,
						QEMU_PLUGIN_CB_NO_REGS, NULL);
			continue;
		}
		k = counter_new(va);
		if (k)
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
					QEMU_PLUGIN_INLINE_ADD_U64, &k->n, 1);
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info *info,
			       int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
