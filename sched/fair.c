/*
 * fair.c - the fair policy's bookkeeping (see fair.h for the policy).
 *
 * Pure logic on one cfs_rq: the caller holds the run queue lock and
 * supplies the clock.  vruntime comparisons use signed differences, so
 * they stay right if a u64 vruntime ever wraps (it would take centuries,
 * but Linux does the same and it costs nothing).
 */
#include "sched/fair.h"

/* Linux's sched_prio_to_weight[]: nice -20 .. 19, 1024 at nice 0, each
 * step about 1.25x, so a task one nice level lower gets ~10% more CPU
 * than a competitor and ~10% less than one a level higher. */
static const u32 prio_to_weight[40] = {
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */  9548,  7620,  6100,  4904,  3906,
	/*  -5 */  3121,  2501,  1991,  1586,  1277,
	/*   0 */  1024,   820,   655,   526,   423,
	/*   5 */   335,   272,   215,   172,   137,
	/*  10 */   110,    87,    70,    56,    45,
	/*  15 */    36,    29,    23,    18,    15,
};

static inline s64 entity_key(const struct cfs_rq *cfs, const struct sched_entity *se)
{
	return (s64)(se->vruntime - cfs->min_vruntime);
}

static inline bool vruntime_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

u32 nice_to_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return prio_to_weight[nice + 20];
}

void init_cfs_rq(struct cfs_rq *cfs)
{
	INIT_LIST_HEAD(&cfs->queue);
	cfs->curr = NULL;
	cfs->min_vruntime = 0;
	cfs->load = 0;
	cfs->nr_running = 0;
}

void init_entity(struct sched_entity *se, int nice)
{
	INIT_LIST_HEAD(&se->run_node);
	se->vruntime = 0;
	se->exec_start = 0;
	se->sum_exec_runtime = 0;
	se->prev_sum_exec_runtime = 0;
	se->weight = nice_to_weight(nice);
	se->on_rq = false;
}

/* delta * 1024 / weight; delta is at most seconds, so no overflow. */
u64 calc_delta_fair(u64 delta_ns, u32 weight)
{
	if (weight == NICE_0_WEIGHT)
		return delta_ns;
	return delta_ns * NICE_0_WEIGHT / weight;
}

static u64 sched_period(unsigned nr_running)
{
	u64 nr_latency = SCHED_LATENCY_NS / SCHED_MIN_GRAN_NS;	/* 8 */

	if (nr_running > nr_latency)
		return nr_running * SCHED_MIN_GRAN_NS;
	return SCHED_LATENCY_NS;
}

/* The wall-clock share of a period @se should get: period * w / load. */
u64 sched_slice(const struct cfs_rq *cfs, const struct sched_entity *se)
{
	unsigned nr = cfs->nr_running + !se->on_rq;
	u64 load = cfs->load + (se->on_rq ? 0 : se->weight);

	if (!load)
		return sched_period(1);
	return sched_period(nr) * se->weight / load;
}

static struct sched_entity *first_waiting(const struct cfs_rq *cfs)
{
	if (list_empty(&cfs->queue))
		return NULL;
	return list_entry(cfs->queue.next, struct sched_entity, run_node);
}

/* min_vruntime := the smallest vruntime of curr and the queue, never
 * moving backwards (a task placed by it must not gain from a drop). */
static void update_min_vruntime(struct cfs_rq *cfs)
{
	struct sched_entity *first = first_waiting(cfs);
	u64 v = cfs->min_vruntime;
	bool have = false;

	if (cfs->curr && cfs->curr->on_rq) {
		v = cfs->curr->vruntime;
		have = true;
	}
	if (first && (!have || vruntime_before(first->vruntime, v)))
		v = first->vruntime;
	if (vruntime_before(cfs->min_vruntime, v))
		cfs->min_vruntime = v;
}

void update_curr(struct cfs_rq *cfs, u64 now)
{
	struct sched_entity *curr = cfs->curr;
	u64 delta;

	if (!curr)
		return;
	if ((s64)(now - curr->exec_start) <= 0)
		return;
	delta = now - curr->exec_start;
	curr->exec_start = now;
	curr->sum_exec_runtime += delta;
	curr->vruntime += calc_delta_fair(delta, curr->weight);
	update_min_vruntime(cfs);
}

/* Sorted insert; equal keys go after existing ones (FIFO among equals). */
static void __enqueue_entity(struct cfs_rq *cfs, struct sched_entity *se)
{
	struct list_head *pos;

	list_for_each(pos, &cfs->queue) {
		struct sched_entity *e = list_entry(pos, struct sched_entity, run_node);

		if (entity_key(cfs, se) < entity_key(cfs, e))
			break;
	}
	list_add_tail(&se->run_node, pos);	/* i.e. just before pos */
}

static void place_entity(struct cfs_rq *cfs, struct sched_entity *se, int flags)
{
	u64 v = cfs->min_vruntime;

	if (flags & ENQUEUE_NEW) {
		/* start a slice behind: being new must not mean being first */
		se->vruntime = v + calc_delta_fair(sched_slice(cfs, se), se->weight);
		return;
	}
	if (flags & ENQUEUE_WAKEUP) {
		/* credit for having slept, but at most half a period */
		u64 floor = v - SCHED_LATENCY_NS / 2;

		if (vruntime_before(se->vruntime, floor))
			se->vruntime = floor;
	}
}

void enqueue_entity(struct cfs_rq *cfs, struct sched_entity *se, int flags)
{
	if (flags & ENQUEUE_MIGRATED)
		se->vruntime += cfs->min_vruntime;	/* lag back to absolute */
	place_entity(cfs, se, flags);
	if (se != cfs->curr)
		__enqueue_entity(cfs, se);
	se->on_rq = true;
	cfs->load += se->weight;
	cfs->nr_running++;
	update_min_vruntime(cfs);
}

s64 dequeue_entity(struct cfs_rq *cfs, struct sched_entity *se)
{
	s64 lag = entity_key(cfs, se);

	if (se != cfs->curr)
		list_del_init(&se->run_node);
	se->on_rq = false;
	cfs->load -= se->weight;
	cfs->nr_running--;
	update_min_vruntime(cfs);
	return lag;
}

struct sched_entity *pick_first_entity(const struct cfs_rq *cfs)
{
	return first_waiting(cfs);
}

void set_next_entity(struct cfs_rq *cfs, struct sched_entity *se, u64 now)
{
	if (se) {
		list_del_init(&se->run_node);	/* the running task is not queued */
		se->exec_start = now;
		se->prev_sum_exec_runtime = se->sum_exec_runtime;
	}
	cfs->curr = se;
}

void put_prev_entity(struct cfs_rq *cfs, struct sched_entity *prev)
{
	if (prev && prev->on_rq)
		__enqueue_entity(cfs, prev);
	cfs->curr = NULL;
}

/* sched_yield: "let everyone else waiting here run first" - curr's
 * vruntime moves just past the last waiting task's (Linux's old
 * sched_compat_yield).  Nobody waiting: nothing changes. */
void yield_entity(struct cfs_rq *cfs)
{
	struct sched_entity *curr = cfs->curr, *last;

	if (!curr || list_empty(&cfs->queue))
		return;
	last = list_entry(cfs->queue.prev, struct sched_entity, run_node);
	if (vruntime_before(curr->vruntime, last->vruntime + 1))
		curr->vruntime = last->vruntime + 1;
}

/* At a tick: has curr used its share, or run too far ahead? */
bool check_preempt_tick(const struct cfs_rq *cfs)
{
	struct sched_entity *curr = cfs->curr, *first = first_waiting(cfs);
	u64 ideal, ran;
	s64 ahead;

	if (!curr || !first)
		return false;
	ideal = sched_slice(cfs, curr);
	ran = curr->sum_exec_runtime - curr->prev_sum_exec_runtime;
	if (ran > ideal)
		return true;
	if (ran < SCHED_MIN_GRAN_NS)	/* let it run a little at least */
		return false;
	ahead = (s64)(curr->vruntime - first->vruntime);
	return ahead > (s64)ideal;
}

/* At a wake-up: is the woken @se far enough behind curr to run now? */
bool check_preempt_wakeup(const struct cfs_rq *cfs, const struct sched_entity *se)
{
	struct sched_entity *curr = cfs->curr;

	if (!curr)
		return true;
	return (s64)(curr->vruntime - se->vruntime) >
	       (s64)calc_delta_fair(SCHED_WAKEUP_GRAN_NS, se->weight);
}

void reweight_entity(struct cfs_rq *cfs, struct sched_entity *se, u32 weight)
{
	if (se->on_rq)
		cfs->load = cfs->load - se->weight + weight;
	se->weight = weight;
}
