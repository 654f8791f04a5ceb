// SPDX-License-Identifier: GPL-2.0
/*
 * S21: COW of PFN-mapped pages (kernel-hooks.md §2.6, the pfn class).
 *
 * A MAP_PRIVATE, writable mapping of /dev/mem over the 64 KB system BIOS
 * area (0xf0000, not RAM, so STRICT_DEVMEM allows it) is a VM_PFNMAP COW
 * mapping: remap_pfn_range() maps all 16 pages at mmap time with special,
 * read-only PTEs that have no struct page behind them (vm_normal_page()
 * returns NULL).  Each write copies the frame into a new anonymous page:
 * 16 copies of a PFN page, no reuse.  The copy holds the BIOS bytes.
 * The frames, read back through /dev/mem, are unchanged.  (smaps and
 * pagemap do not walk VM_PFNMAP VMAs on 6.1, and forking this VMA after
 * its first page was copied fails on 6.1-rt (x86 PAT tracks the VMA by
 * its first PTE), so the copies are checked by content.)
 *
 * Same on 6.1 and 6.12.  SKIP when the kernel gives no /dev/mem mapping
 * (no CONFIG_DEVMEM, or lockdown).
 */
#include <errno.h>
#include <fcntl.h>

#include "lib.h"

#define NPG 16
#define BIOS 0xf0000

static unsigned char before[NPG], before0[NPG];

int main(void)
{
	long long flt0, reuse0;
	struct cs_vma_stat sm;
	struct cs_group g;
	char *r;
	int fd, i, copied_ok = 0;
	void *p;

	cs_init("s21-pfn", 0);
	fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cs_skip("no /dev/mem (%s)", strerror(errno));
	/* probe first: cs_region() treats a failed mmap as a harness error */
	p = mmap(NULL, NPG * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		 BIOS);
	if (p == MAP_FAILED)
		cs_skip("/dev/mem at 0x%x cannot be mapped (%s)", BIOS,
			strerror(errno));
	munmap(p, NPG * PAGE);
	r = cs_region(0, NPG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, BIOS, 0);
	cs_track(&g, getpid(), r, r + NPG * PAGE);
	for (i = 0; i < NPG; i++) {
		before0[i] = r[i * PAGE];
		before[i] = r[i * PAGE + 1];
	}
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Rss kB (PFN pages are not rss)", 0, sm.rss);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, NPG, 0x42);
	CS_EQ("minflt delta", NPG, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	for (i = 0; i < NPG; i++)
		copied_ok += (unsigned char)r[i * PAGE + 1] == before[i] &&
			     r[i * PAGE] == 0x42;
	CS_EQ("pages whose copy holds the written byte and the BIOS bytes",
	      NPG, copied_ok);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_pfn", NPG }, { "wp_faults", NPG },
			{ NULL } };

		cs_expect_group("R", &g, e);
	}

	/* the frames themselves are untouched: the writes went to copies */
	for (i = 0, copied_ok = 0; i < NPG; i++) {
		unsigned char b[2];

		if (pread(fd, b, 2, BIOS + (off_t)i * PAGE) != 2)
			cs_die("pread /dev/mem");
		copied_ok += b[0] == before0[i] && b[1] == before[i];
	}
	CS_EQ("BIOS pages unchanged in /dev/mem", NPG, copied_ok);
	return cs_finish();
}
