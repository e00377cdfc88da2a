/*
 * fair.h - the fair policy: weighted virtual runtime (Linux's CFS idea).
 *
 * Every runnable task has a virtual runtime, vruntime: the CPU time it has
 * had, scaled by NICE_0_WEIGHT / its weight.  The policy is one sentence:
 * run the task with the smallest vruntime.  A task of weight w running for
 * t ns gains t * 1024 / w of vruntime, so over time each of n runnable
 * tasks gets w_i / sum(w) of the CPU.  Nice levels map to weights by
 * Linux's table (sched_prio_to_weight): each step is about 1.25x, so one
 * nice level is about 10% of CPU between two competing tasks.
 *
 * Time slices: a running task is preempted at a tick once it has run its
 * share of the scheduling period (sched_slice: period * w / sum(w), with
 * period = max(6 ms, nr_running * 0.75 ms)), or once it is ahead of the
 * leftmost waiting task by more than that share.  A woken task preempts
 * the current one only if it is behind by more than the wake-up
 * granularity (1 ms of CPU time converted to the woken task's vruntime,
 * as in Linux), so ping-pong wake-ups do not thrash.
 *
 * Placement: min_vruntime only moves forward and tracks the smallest
 * vruntime on the queue.  A new task starts at min_vruntime plus one
 * slice (it must not be able to starve the others by being new); a task
 * waking from sleep gets at most half a period of credit
 * (max(own vruntime, min_vruntime - period/2)), so sleeping does not bank
 * unbounded CPU time.  A task moved to another CPU keeps its lag:
 * vruntime - old min_vruntime + new min_vruntime.
 *
 * Data structure: tasks waiting to run are kept in a list sorted by
 * vruntime (Linux uses a red-black tree; with a handful of tasks per CPU a
 * list is simpler to read and to step through in GDB).  The running task
 * (curr) is not in the list, but is counted in nr_running and load.
 *
 * This file is pure logic: no locks, no current, no clock.  The caller
 * (sched/core.c) holds the run queue's lock and passes the time in.
 * tests/unit/test_fair.c exercises it on the host.
 */
#ifndef SCHED_FAIR_H
#define SCHED_FAIR_H

#include "kernel/types.h"
#include "kernel/list.h"

#define NICE_0_WEIGHT		1024
#define SCHED_LATENCY_NS	6000000ULL	/* the period for few tasks */
#define SCHED_MIN_GRAN_NS	750000ULL	/* shortest share of a period */
#define SCHED_WAKEUP_GRAN_NS	1000000ULL

struct sched_entity {
	struct list_head run_node;	/* on cfs_rq->queue while waiting */
	u64 vruntime;
	u64 exec_start;			/* ns, when it last started running */
	u64 sum_exec_runtime;		/* ns of CPU in total */
	u64 prev_sum_exec_runtime;	/* sum_exec_runtime when picked */
	u32 weight;
	bool on_rq;			/* counted on a cfs_rq */
};

struct cfs_rq {
	struct list_head queue;		/* waiting entities, by vruntime */
	struct sched_entity *curr;	/* running, not on queue */
	u64 min_vruntime;
	u64 load;			/* sum of weights, curr included */
	unsigned nr_running;		/* curr included */
};

u32 nice_to_weight(int nice);
void init_cfs_rq(struct cfs_rq *cfs);
void init_entity(struct sched_entity *se, int nice);
u64 calc_delta_fair(u64 delta_ns, u32 weight);
u64 sched_slice(const struct cfs_rq *cfs, const struct sched_entity *se);

/* Charge curr for the time since its exec_start (now in ns). */
void update_curr(struct cfs_rq *cfs, u64 now);

#define ENQUEUE_WAKEUP	0x01	/* from sleep: bounded credit */
#define ENQUEUE_NEW	0x02	/* never ran: starts a slice behind */
#define ENQUEUE_MIGRATED 0x04	/* vruntime is relative (lag), add min */
void enqueue_entity(struct cfs_rq *cfs, struct sched_entity *se, int flags);
/* Removes a waiting or the running entity; returns vruntime - min_vruntime
 * (the lag, for ENQUEUE_MIGRATED) */
s64 dequeue_entity(struct cfs_rq *cfs, struct sched_entity *se);

struct sched_entity *pick_first_entity(const struct cfs_rq *cfs);
/* curr := se (taken off the queue); se may be NULL (idle). */
void set_next_entity(struct cfs_rq *cfs, struct sched_entity *se, u64 now);
/* curr goes back on the queue (if still on_rq) and curr := NULL. */
void put_prev_entity(struct cfs_rq *cfs, struct sched_entity *prev);
/* Move curr behind every waiting entity (sched_yield). */
void yield_entity(struct cfs_rq *cfs);

bool check_preempt_tick(const struct cfs_rq *cfs);
bool check_preempt_wakeup(const struct cfs_rq *cfs, const struct sched_entity *se);
void reweight_entity(struct cfs_rq *cfs, struct sched_entity *se, u32 weight);

#endif
