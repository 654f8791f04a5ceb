// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution: every event is charged to the mm whose page tables changed
 * (vma->vm_mm), never assumed to be current->mm.  The task that caused it
 * (the initiator) is local when it runs on that mm as a user task, remote
 * otherwise: another process (process_vm_writev, /proc/pid/mem, ptrace),
 * or a kernel thread (ksmd, a kworker with a borrowed mm).
 */

#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "glue.h"

void cowstat_ident_of(struct task_struct *t, struct cowstat_ident *id)
{
	struct task_struct *parent;

	id->tgid = task_tgid_nr(t);
	id->pid = task_pid_nr(t);
	rcu_read_lock();
	parent = rcu_dereference(t->real_parent);
	id->ppid = parent ? task_tgid_nr(parent) : 0;
	rcu_read_unlock();
	id->start_ns = t->start_boottime;
	/* get_task_comm() takes task_lock, a sleeping lock on PREEMPT_RT. */
	strscpy(id->comm, t->comm, sizeof(id->comm));
}

u64 cowstat_gen_now(void)
{
	return atomic64_read(&cowstat_state.next_gen);
}

/* Whom to name a record after when it is first met at an event. */
static bool cowstat_owner_ident(struct mm_struct *mm, struct cowstat_ident *id)
{
	bool found = false;

	if (current->mm == mm && !(current->flags & PF_KTHREAD)) {
		cowstat_ident_of(current, id);
		return true;
	}
#ifdef CONFIG_MEMCG
	{
		struct task_struct *owner;

		/* mm->owner is RCU-protected and may be NULL or moving. */
		rcu_read_lock();
		owner = rcu_dereference(mm->owner);
		if (owner) {
			cowstat_ident_of(owner, id);
			found = true;
		}
		rcu_read_unlock();
	}
#endif
	return found;
}

DEFINE_PER_CPU(struct cowstat_rec *, cowstat_rec_hot);

/*
 * @mm's record, created if need be, and remembered as this CPU's hint
 * (cowstat_rec_of_mm() tries the hint first).
 */
struct cowstat_rec *cowstat_rec_of_mm_slow(struct mm_struct *mm)
{
	struct cowstat_ident id;
	struct cowstat_rec *rec;

	if (!cowstat_records_enabled)
		return NULL;
	rec = cowstat_rec_find(&cowstat_state, mm);
	if (!rec) {
		memset(&id, 0, sizeof(id));
		rec = cowstat_rec_get(&cowstat_state, mm, COWSTAT_BIRTH_SEEN,
				      cowstat_owner_ident(mm, &id) ? &id : NULL,
				      NULL);
	}
	if (rec)
		this_cpu_write(cowstat_rec_hot, rec);
	return rec;
}

struct cowstat_rec *cowstat_rec_fresh(struct mm_struct *mm,
				      enum cowstat_birth birth,
				      const struct cowstat_ident *id,
				      const struct cowstat_rec *inherit,
				      u64 gen0)
{
	struct cowstat_rec *rec;

	if (!cowstat_records_enabled)
		return NULL;
	rec = cowstat_rec_find(&cowstat_state, mm);
	/*
	 * A record older than the mm it is keyed by belongs to an earlier mm
	 * at the same address whose exit we missed (it predates the exit
	 * probe): replace it rather than merge two lives.
	 */
	if (rec && gen0 && rec->gen <= gen0) {
		cowstat_rec_retire(&cowstat_state, mm, ktime_get_boot_fast_ns());
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_records_stale_replaced);
		rec = NULL;
	}
	if (rec)
		return rec;
	return cowstat_rec_get(&cowstat_state, mm, birth, id, inherit);
}

/* Charges @incs for a fault on @mm at @address; returns the record. */
struct cowstat_rec *cowstat_charge_fault(struct mm_struct *mm,
					 unsigned long address,
					 struct cowstat_incs *incs)
{
	struct cowstat_event ev = {
		.has_addr = true,
		.start = address,
		.end = address + 1,
	};
	struct cowstat_rec *rec = cowstat_rec_of_mm(mm);

	if (current->mm != mm || (current->flags & PF_KTHREAD)) {
		ev.remote = true;
		ev.initiator = task_tgid_nr(current);
		cowstat_incs_add(incs, COWSTAT_remote_events, 1);
	}
	ev.incs = *incs;
	cowstat_account(&cowstat_state, rec, &ev);
	return rec;
}

/*
 * cowstat_charge_fault_ones() for a remote initiator: the increments are
 * built so that cowstat_charge_fault() adds remote_events and names it.
 */
struct cowstat_rec *cowstat_charge_remote_ones(struct mm_struct *mm,
					       unsigned long address,
					       struct cowstat_ones o)
{
	struct cowstat_incs incs = { };
	unsigned int k;

	for (k = 0; k < o.n; k++)
		cowstat_incs_add(&incs, cowstat_ones_id(&o, k), 1);
	return cowstat_charge_fault(mm, address, &incs);
}
