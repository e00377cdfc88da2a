/*
 * test_fair.c - host tests for sched/fair.c, the fair policy's bookkeeping.
 *
 * fair.c is pure logic on one cfs_rq, so the tests drive it the way
 * sched/core.c does: a fake clock `now` in ns, update_curr() before every
 * decision, check_preempt_tick() at each tick, and on preemption the
 * switch: put_prev_entity(curr), pick_first_entity(), set_next_entity().
 * The simulations check the policy's promises (equal weights share
 * equally, weights share by weight); the randomized test runs every
 * operation against a reference model of what should be on the queue and
 * checks the invariants after every single call into fair.c.
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "sched/fair.h"

#define MS	1000000ULL
#define SEC	(1000 * MS)

/* a - b for vruntimes, as fair.c compares them (signed, wrap-safe) */
static s64 vdiff(u64 a, u64 b)
{
	return (s64)(a - b);
}

static unsigned queue_len(const struct cfs_rq *cfs)
{
	struct list_head *pos;
	unsigned n = 0;

	list_for_each(pos, &cfs->queue)
		n++;
	return n;
}

static struct sched_entity *last_waiting(const struct cfs_rq *cfs)
{
	if (list_empty(&cfs->queue))
		return NULL;
	return list_entry(cfs->queue.prev, struct sched_entity, run_node);
}

/* The switch in schedule(): charge curr, put it back, run the leftmost. */
static void resched(struct cfs_rq *cfs, u64 now)
{
	update_curr(cfs, now);
	if (cfs->curr)
		put_prev_entity(cfs, cfs->curr);
	set_next_entity(cfs, pick_first_entity(cfs), now);
}

/*
 * Run @cfs for @duration ns of fake time: the clock advances by @step,
 * curr is charged at every step, and preemption is checked only at ticks
 * (every @tick ns), as the timer interrupt does.  Returns the number of
 * switches; *idle_with_work is set if a step ran with curr NULL while
 * something was runnable.
 */
static long simulate(struct cfs_rq *cfs, u64 *now, u64 duration, u64 step,
		     u64 tick, bool *idle_with_work)
{
	u64 end = *now + duration, steps_per_tick = tick / step, n = 0;
	long switches = 0;

	if (!cfs->curr)
		resched(cfs, *now);
	while (*now < end) {
		if (!cfs->curr && cfs->nr_running)
			*idle_with_work = true;
		*now += step;
		update_curr(cfs, *now);
		if (++n % steps_per_tick == 0 && check_preempt_tick(cfs)) {
			struct sched_entity *prev = cfs->curr;

			resched(cfs, *now);
			switches += cfs->curr != prev;
		}
	}
	update_curr(cfs, *now);
	return switches;
}

/* Within @pct percent of @want? */
static bool near(double got, double want, double pct)
{
	double d = got - want;

	if (d < 0)
		d = -d;
	return d <= want * pct / 100.0;
}

/* ------------------------------------------------------------- weights */

UNIT_TEST(nice_to_weight_table)
{
	CHECK_EQ(nice_to_weight(0), 1024);
	CHECK_EQ(nice_to_weight(0), NICE_0_WEIGHT);
	CHECK_EQ(nice_to_weight(-20), 88761);
	CHECK_EQ(nice_to_weight(19), 15);
	CHECK_EQ(nice_to_weight(-5), 3121);
	CHECK_EQ(nice_to_weight(5), 335);

	/* out of range clamps to the ends */
	CHECK_EQ(nice_to_weight(-21), 88761);
	CHECK_EQ(nice_to_weight(-1000), 88761);
	CHECK_EQ(nice_to_weight(-2147483647 - 1), 88761);
	CHECK_EQ(nice_to_weight(20), 15);
	CHECK_EQ(nice_to_weight(1000), 15);
	CHECK_EQ(nice_to_weight(2147483647), 15);

	/* each nice step is ~1.25x: w(n) / w(n+1) in [1.2, 1.3] */
	for (int nice = -20; nice < 19; nice++) {
		u64 hi = nice_to_weight(nice), lo = nice_to_weight(nice + 1);

		if (hi * 10 < lo * 12 || hi * 10 > lo * 13) {
			printf("    # nice %d -> %d: %llu / %llu out of [1.2, 1.3]\n",
			       nice, nice + 1, (unsigned long long)hi,
			       (unsigned long long)lo);
			CHECK(0);
		}
	}
}

UNIT_TEST(init_entity_and_calc_delta_fair)
{
	struct sched_entity se;
	struct cfs_rq cfs;

	memset(&se, 0xa5, sizeof(se));		/* init must set every field */
	init_entity(&se, -5);
	CHECK_EQ(se.weight, 3121);
	CHECK_EQ(se.vruntime, 0);
	CHECK_EQ(se.sum_exec_runtime, 0);
	CHECK_EQ(se.prev_sum_exec_runtime, 0);
	CHECK(!se.on_rq);
	CHECK(list_empty(&se.run_node));

	memset(&cfs, 0xa5, sizeof(cfs));
	init_cfs_rq(&cfs);
	CHECK(list_empty(&cfs.queue));
	CHECK(cfs.curr == NULL);
	CHECK_EQ(cfs.min_vruntime, 0);
	CHECK_EQ(cfs.load, 0);
	CHECK_EQ(cfs.nr_running, 0);

	CHECK_EQ(calc_delta_fair(MS, 1024), MS);
	CHECK_EQ(calc_delta_fair(MS, 2048), MS / 2);
	CHECK_EQ(calc_delta_fair(3121 * 1000ULL, 3121), 1024 * 1000ULL);
	CHECK_EQ(calc_delta_fair(15 * MS, 15), 1024 * MS);
	CHECK_EQ(calc_delta_fair(10 * SEC, 15), 10 * SEC * 1024 / 15);	/* no overflow */
}

/* ---------------------------------------------------------- simulations */

/* 3 equal tasks for 3 s: each gets 1 s (within 5%), at HZ=100 and 1000. */
UNIT_TEST(equal_weights_share_equally)
{
	static const struct { u64 step, tick; } hz[] = {
		{ 10 * MS, 10 * MS },	/* HZ=100, tick-sized steps */
		{ MS, 10 * MS },	/* HZ=100, charged every ms */
		{ MS, MS },		/* HZ=1000: slices, not ticks, decide */
	};

	for (unsigned h = 0; h < ARRAY_SIZE(hz); h++) {
		struct cfs_rq cfs;
		struct sched_entity se[3];
		bool idle = false;
		u64 now = 0, total = 0;
		long switches;

		init_cfs_rq(&cfs);
		for (int i = 0; i < 3; i++) {
			init_entity(&se[i], 0);
			enqueue_entity(&cfs, &se[i], ENQUEUE_NEW);
		}
		CHECK_EQ(cfs.nr_running, 3);
		CHECK_EQ(cfs.load, 3 * 1024);

		switches = simulate(&cfs, &now, 3 * SEC, hz[h].step, hz[h].tick, &idle);
		CHECK(!idle);
		for (int i = 0; i < 3; i++) {
			total += se[i].sum_exec_runtime;
			if (!near(se[i].sum_exec_runtime, SEC, 5)) {
				printf("    # step %llu tick %llu: task %d ran %llu ns, want 1 s +-5%%\n",
				       (unsigned long long)hz[h].step,
				       (unsigned long long)hz[h].tick, i,
				       (unsigned long long)se[i].sum_exec_runtime);
				CHECK(0);
			}
		}
		CHECK_EQ(total, 3 * SEC);		/* no time lost or invented */
		/* it did round-robin: at least one switch per 3 slices' worth */
		CHECK(switches >= (long)(3 * SEC / (3 * hz[h].tick)) / 2);
		CHECK_EQ(cfs.nr_running, 3);
		CHECK_EQ(cfs.load, 3 * 1024);
	}
}

/* nice 0 against a lower nice: CPU time in proportion to weight (10%). */
UNIT_TEST(weights_share_by_weight)
{
	static const int other_nice[] = { -5, 1, 5, -10 };
	static const struct { u64 step, tick; } hz[] = {
		{ 10 * MS, 10 * MS }, { MS, 10 * MS }, { MS, MS },
	};

	for (unsigned k = 0; k < ARRAY_SIZE(other_nice); k++) {
		for (unsigned h = 0; h < ARRAY_SIZE(hz); h++) {
			struct cfs_rq cfs;
			struct sched_entity a, b;
			bool idle = false;
			u64 now = 0;
			double want, got;

			init_cfs_rq(&cfs);
			init_entity(&a, 0);
			init_entity(&b, other_nice[k]);
			enqueue_entity(&cfs, &a, ENQUEUE_NEW);
			enqueue_entity(&cfs, &b, ENQUEUE_NEW);
			simulate(&cfs, &now, 3 * SEC, hz[h].step, hz[h].tick, &idle);
			CHECK(!idle);
			CHECK_EQ(a.sum_exec_runtime + b.sum_exec_runtime, 3 * SEC);

			want = (double)b.weight / a.weight;
			got = (double)b.sum_exec_runtime / (double)a.sum_exec_runtime;
			if (!near(got, want, 10)) {
				printf("    # nice 0 vs %d, step %llu tick %llu: ran %llu / %llu = %.3f, want %.3f +-10%%\n",
				       other_nice[k], (unsigned long long)hz[h].step,
				       (unsigned long long)hz[h].tick,
				       (unsigned long long)b.sum_exec_runtime,
				       (unsigned long long)a.sum_exec_runtime, got, want);
				CHECK(0);
			}
		}
	}
}

/* ------------------------------------------------------------ randomized */

#define NENT		8
#define RANDOM_OPS	200000

static u64 rng_state = 0x5eed5eedfa1a5c3dULL;

static u64 rnd(u64 n)		/* xorshift64*: the same sequence everywhere */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dULL) % n;
}

/* The run queue and what should be on it. */
struct world {
	struct cfs_rq cfs;
	struct sched_entity se[NENT];
	bool on_rq[NENT];		/* the model's idea of se[i].on_rq */
	u32 weight[NENT];
	s64 lag[NENT];			/* returned by the last dequeue */
	u64 now, busy;			/* busy: ns with a curr, for the sums */
	u64 prev_min;
	long step;
	const char *what;		/* the call being checked */
	bool ok;
};

static int index_of(struct world *w, const struct sched_entity *se)
{
	if (se < &w->se[0] || se >= &w->se[NENT])
		return -1;
	return (int)(se - &w->se[0]);
}

static void fail(struct world *w, const char *msg, long a, long b)
{
	if (w->ok)
		printf("    # step %ld, after %s: %s (%ld, %ld)\n",
		       w->step, w->what, msg, a, b);
	w->ok = false;
}

/*
 * Everything that must hold after any call: the queue holds exactly the
 * on_rq entities other than curr, sorted by vruntime; nr_running and load
 * are the model's sums; min_vruntime has not gone back, and if it moved it
 * is the smallest vruntime of the on_rq entities (curr included).
 */
static void check_world(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;
	struct list_head *pos;
	bool queued[NENT] = { false };
	const struct sched_entity *prev = NULL;
	unsigned nr = 0, n = 0;
	u64 load = 0, smallest = 0;
	bool have = false;
	int c = -1;

	if (cfs->curr) {
		c = index_of(w, cfs->curr);
		if (c < 0)
			fail(w, "curr is not one of ours", 0, 0);
	}
	list_for_each(pos, &cfs->queue) {
		struct sched_entity *e = list_entry(pos, struct sched_entity, run_node);
		int i = index_of(w, e);

		if (i < 0 || n++ > NENT) {
			fail(w, "queue holds a stranger or loops", i, n);
			return;
		}
		if (queued[i])
			fail(w, "queued twice", i, 0);
		queued[i] = true;
		if (i == c)
			fail(w, "curr is on the queue", i, 0);
		if (!e->on_rq)
			fail(w, "queued but !on_rq", i, 0);
		if (prev && vdiff(e->vruntime, prev->vruntime) < 0)
			fail(w, "queue not sorted: vruntime before its predecessor's",
			     i, vdiff(e->vruntime, prev->vruntime));
		prev = e;
	}
	for (int i = 0; i < NENT; i++) {
		struct sched_entity *e = &w->se[i];

		if (e->on_rq != w->on_rq[i])
			fail(w, "on_rq differs from the model", i, e->on_rq);
		if (e->weight != w->weight[i])
			fail(w, "weight differs from the model", i, e->weight);
		if (w->on_rq[i] && i != c && !queued[i])
			fail(w, "runnable, not curr, not queued", i, 0);
		if (!w->on_rq[i] && queued[i])
			fail(w, "queued though dequeued", i, 0);
		if (!queued[i] && !list_empty(&e->run_node))
			fail(w, "run_node linked though not queued", i, 0);
		if (w->on_rq[i]) {
			nr++;
			load += w->weight[i];
			if (!have || vdiff(e->vruntime, smallest) < 0)
				smallest = e->vruntime;
			have = true;
		}
	}
	if (cfs->nr_running != nr)
		fail(w, "nr_running != number of on_rq entities", cfs->nr_running, nr);
	if (cfs->load != load)
		fail(w, "load != sum of on_rq weights", cfs->load, load);
	if (vdiff(cfs->min_vruntime, w->prev_min) < 0)
		fail(w, "min_vruntime went back by", vdiff(w->prev_min, cfs->min_vruntime), 0);
	else if (cfs->min_vruntime != w->prev_min &&
		 (!have || cfs->min_vruntime != smallest))
		fail(w, "min_vruntime moved, but not to the smallest vruntime",
		     vdiff(cfs->min_vruntime, w->prev_min),
		     have ? vdiff(cfs->min_vruntime, smallest) : 0);
	w->prev_min = cfs->min_vruntime;
}

/* Each call into fair.c, followed by the checks. */
static void w_update_curr(struct world *w)
{
	update_curr(&w->cfs, w->now);
	w->what = "update_curr";
	check_world(w);
}

static void w_advance(struct world *w, u64 dt)
{
	if (w->cfs.curr)
		w->busy += dt;
	w->now += dt;
}

static void w_resched(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;
	struct sched_entity *next;

	w_update_curr(w);
	if (cfs->curr) {
		put_prev_entity(cfs, cfs->curr);
		w->what = "put_prev_entity";
		check_world(w);
		if (cfs->curr)
			fail(w, "put_prev_entity left curr set", 0, 0);
	}
	next = pick_first_entity(cfs);
	/* the pick is the smallest vruntime of all waiting */
	for (int i = 0; next && i < NENT; i++)
		if (w->on_rq[i] && vdiff(w->se[i].vruntime, next->vruntime) < 0)
			fail(w, "picked entity is not the leftmost", index_of(w, next), i);
	if (!next && cfs->nr_running)
		fail(w, "nothing picked, nr_running", cfs->nr_running, 0);
	set_next_entity(cfs, next, w->now);
	w->what = "set_next_entity";
	check_world(w);
	if (next && (next->exec_start != w->now ||
		     next->prev_sum_exec_runtime != next->sum_exec_runtime))
		fail(w, "set_next_entity did not start the slice", index_of(w, next), 0);
}

static void op_enqueue(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;
	struct sched_entity *se;
	int i = (int)rnd(NENT), flags, r = (int)rnd(6);
	u64 min;

	for (int k = 0; k < NENT && w->on_rq[i]; k++)
		i = (i + 1) % NENT;
	if (w->on_rq[i])
		return;
	se = &w->se[i];
	w_update_curr(w);
	if (se == cfs->curr)		/* woken before it got to schedule() */
		r = 1;
	flags = r == 0 ? 0 : r == 1 || r == 2 ? ENQUEUE_WAKEUP : r == 3 ? ENQUEUE_NEW :
		r == 4 ? ENQUEUE_MIGRATED : ENQUEUE_MIGRATED | ENQUEUE_WAKEUP;
	if (flags & ENQUEUE_MIGRATED)
		se->vruntime = (u64)w->lag[i];
	min = cfs->min_vruntime;
	enqueue_entity(cfs, se, flags);
	w->on_rq[i] = true;
	w->what = "enqueue_entity";
	check_world(w);
	if (flags == ENQUEUE_MIGRATED && vdiff(se->vruntime, min) != w->lag[i])
		fail(w, "migrated entity lost its lag", vdiff(se->vruntime, min), w->lag[i]);
	if (flags == ENQUEUE_NEW && vdiff(se->vruntime, min) < 0)
		fail(w, "new entity placed before min_vruntime", vdiff(se->vruntime, min), 0);
	if ((flags & ENQUEUE_WAKEUP) &&
	    vdiff(se->vruntime, min) < -(s64)(SCHED_LATENCY_NS / 2))
		fail(w, "woken entity got more than half a period of credit",
		     vdiff(se->vruntime, min), 0);
	if (se != cfs->curr && check_preempt_wakeup(cfs, se))
		w_resched(w);
}

static void op_dequeue(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;
	struct sched_entity *se;
	int i = (int)rnd(NENT);
	s64 lag, want;

	for (int k = 0; k < NENT && !w->on_rq[i]; k++)
		i = (i + 1) % NENT;
	if (!w->on_rq[i])
		return;
	se = &w->se[i];
	w_update_curr(w);
	want = vdiff(se->vruntime, cfs->min_vruntime);
	lag = dequeue_entity(cfs, se);
	w->on_rq[i] = false;
	w->lag[i] = lag;
	w->what = "dequeue_entity";
	check_world(w);
	if (lag != want)
		fail(w, "dequeue_entity's lag != vruntime - min_vruntime", lag, want);
	/* curr went to sleep: schedule() follows, maybe after a wake-up */
	if (se == cfs->curr && rnd(2))
		w_resched(w);
}

static void op_tick(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;

	w_advance(w, 1 + rnd(3 * MS));
	w_update_curr(w);
	if (!cfs->curr || !cfs->curr->on_rq || check_preempt_tick(cfs))
		w_resched(w);
}

static void op_yield(struct world *w)
{
	struct cfs_rq *cfs = &w->cfs;
	struct sched_entity *curr = cfs->curr, *last = last_waiting(cfs);

	w_update_curr(w);
	if (curr && curr->on_rq) {
		u64 v = curr->vruntime;

		yield_entity(cfs);
		w->what = "yield_entity";
		check_world(w);
		if (last && vdiff(curr->vruntime, last->vruntime) <= 0)
			fail(w, "yield left curr not after the last waiting",
			     vdiff(curr->vruntime, last->vruntime), 0);
		if (!last && curr->vruntime != v)
			fail(w, "yield with nobody waiting moved vruntime",
			     vdiff(curr->vruntime, v), 0);
	}
	w_resched(w);
}

static void op_reweight(struct world *w)
{
	int i = (int)rnd(NENT);
	u32 weight = nice_to_weight((int)rnd(40) - 20);

	if (&w->se[i] == w->cfs.curr)
		w_update_curr(w);
	reweight_entity(&w->cfs, &w->se[i], weight);
	w->weight[i] = weight;
	w->what = "reweight_entity";
	check_world(w);
}

UNIT_TEST(random_ops_keep_invariants)
{
	static struct world w;
	u64 total = 0;

	memset(&w, 0, sizeof(w));
	w.ok = true;
	init_cfs_rq(&w.cfs);
	for (int i = 0; i < NENT; i++) {
		init_entity(&w.se[i], (int)rnd(11) - 5);
		w.weight[i] = w.se[i].weight;
	}
	for (w.step = 0; w.step < RANDOM_OPS && w.ok; w.step++) {
		u64 r = rnd(100);

		if (r < 25)
			op_enqueue(&w);
		else if (r < 45)
			op_dequeue(&w);
		else if (r < 85)
			op_tick(&w);
		else if (r < 90)
			w_resched(&w);
		else if (r < 95)
			op_yield(&w);
		else
			op_reweight(&w);
	}
	CHECK(w.ok);
	CHECK_EQ(w.step, RANDOM_OPS);
	w_update_curr(&w);
	for (int i = 0; i < NENT; i++)
		total += w.se[i].sum_exec_runtime;
	CHECK_EQ(total, w.busy);		/* every ns with a curr was charged once */
	CHECK(w.cfs.min_vruntime > 0);		/* it did make progress */
}

/* ------------------------------------------------------------ placement */

/* A queue whose min_vruntime is @ms: one nice-0 entity ran that long. */
static void rq_with_min(struct cfs_rq *cfs, struct sched_entity *runner, u64 ms, u64 *now)
{
	init_cfs_rq(cfs);
	init_entity(runner, 0);
	enqueue_entity(cfs, runner, 0);
	set_next_entity(cfs, pick_first_entity(cfs), *now);
	*now += ms * MS;
	update_curr(cfs, *now);
}

UNIT_TEST(placement_new_and_wakeup)
{
	struct cfs_rq cfs;
	struct sched_entity a, n0, n5, far, near_, ahead, plain;
	u64 now = 0, min;

	rq_with_min(&cfs, &a, 100, &now);
	CHECK_EQ(cfs.min_vruntime, 100 * MS);
	CHECK_EQ(a.vruntime, 100 * MS);

	/* new: a slice (in its own vruntime) after min_vruntime, never before */
	init_entity(&n0, 0);
	min = cfs.min_vruntime;
	enqueue_entity(&cfs, &n0, ENQUEUE_NEW);
	CHECK(vdiff(n0.vruntime, min) >= 0);
	CHECK_EQ(n0.vruntime, min + SCHED_LATENCY_NS / 2);	/* 2 tasks: 3 ms */
	CHECK_EQ(cfs.min_vruntime, min);

	init_entity(&n5, 5);
	n5.vruntime = 1;				/* stale: must be replaced */
	min = cfs.min_vruntime;
	enqueue_entity(&cfs, &n5, ENQUEUE_NEW);
	CHECK(vdiff(n5.vruntime, min) >= 0);
	CHECK_EQ(n5.vruntime, min + calc_delta_fair(SCHED_LATENCY_NS * 335 / (2048 + 335), 335));

	/* waking far behind: clamped to min - half the latency */
	init_entity(&far, 0);
	far.vruntime = 10 * MS;
	min = cfs.min_vruntime;
	enqueue_entity(&cfs, &far, ENQUEUE_WAKEUP);
	CHECK_EQ(far.vruntime, min - SCHED_LATENCY_NS / 2);
	CHECK_EQ(cfs.min_vruntime, min);
	CHECK(pick_first_entity(&cfs) == &far);

	/* slightly behind (less than the cap): keeps its credit */
	init_entity(&near_, 0);
	near_.vruntime = min - MS;
	enqueue_entity(&cfs, &near_, ENQUEUE_WAKEUP);
	CHECK_EQ(near_.vruntime, min - MS);

	/* ahead: keeps its vruntime */
	init_entity(&ahead, 0);
	ahead.vruntime = min + 7 * MS;
	enqueue_entity(&cfs, &ahead, ENQUEUE_WAKEUP);
	CHECK_EQ(ahead.vruntime, min + 7 * MS);

	/* no flags: placed exactly where it is */
	init_entity(&plain, 0);
	plain.vruntime = 5 * MS;
	enqueue_entity(&cfs, &plain, 0);
	CHECK_EQ(plain.vruntime, 5 * MS);

	CHECK_EQ(cfs.nr_running, 7);
	CHECK_EQ(cfs.load, 6 * 1024 + 335);
	CHECK_EQ(queue_len(&cfs), 6);			/* a is curr */
}

/* Near vruntime 0 the floor min - 3 ms wraps; a sleeper must not jump. */
UNIT_TEST(placement_wakeup_near_zero)
{
	struct cfs_rq cfs;
	struct sched_entity a, b;
	u64 now = 0;

	rq_with_min(&cfs, &a, 1, &now);		/* min_vruntime 1 ms */
	init_entity(&b, 0);			/* vruntime 0 */
	enqueue_entity(&cfs, &b, ENQUEUE_WAKEUP);
	CHECK_EQ(b.vruntime, 0);
	CHECK(pick_first_entity(&cfs) == &b);
	CHECK(check_preempt_wakeup(&cfs, &b) == false);	/* 1 ms: not more */
	CHECK_EQ(cfs.min_vruntime, MS);
}

/* ------------------------------------------------------------ migration */

UNIT_TEST(migration_keeps_lag)
{
	struct cfs_rq src, dst;
	struct sched_entity a, x, b, c, d;
	u64 now_s = 0, now_d = 0, min;	/* each CPU's clock */
	s64 lag;

	rq_with_min(&src, &a, 100, &now_s);	/* src: a runs, min 100 ms */
	rq_with_min(&dst, &x, 500, &now_d);	/* dst: x runs, min 500 ms */

	/* ahead of min by 2 ms */
	init_entity(&b, 0);
	b.vruntime = src.min_vruntime + 2 * MS;
	enqueue_entity(&src, &b, 0);
	lag = dequeue_entity(&src, &b);
	CHECK_EQ(lag, 2 * MS);
	CHECK_EQ(src.nr_running, 1);
	CHECK_EQ(src.load, 1024);
	CHECK(!b.on_rq);
	CHECK(list_empty(&src.queue));
	b.vruntime = (u64)lag;
	min = dst.min_vruntime;
	enqueue_entity(&dst, &b, ENQUEUE_MIGRATED);
	CHECK_EQ(b.vruntime, min + 2 * MS);
	CHECK_EQ(dst.nr_running, 2);
	CHECK_EQ(dst.load, 2048);
	CHECK(b.on_rq);

	/* behind min (woken with credit): a negative lag survives too */
	init_entity(&c, 0);
	enqueue_entity(&src, &c, ENQUEUE_WAKEUP);	/* vruntime 0: clamped */
	CHECK_EQ(c.vruntime, src.min_vruntime - SCHED_LATENCY_NS / 2);
	lag = dequeue_entity(&src, &c);
	CHECK_EQ(lag, -(s64)(SCHED_LATENCY_NS / 2));
	c.vruntime = (u64)lag;
	min = dst.min_vruntime;
	enqueue_entity(&dst, &c, ENQUEUE_MIGRATED);
	CHECK_EQ(vdiff(c.vruntime, min), -(s64)(SCHED_LATENCY_NS / 2));
	CHECK(pick_first_entity(&dst) == &c);

	/* the running entity, charged first; d keeps min below it */
	init_entity(&d, 0);
	d.vruntime = src.min_vruntime + MS;		/* 101 ms */
	enqueue_entity(&src, &d, 0);
	now_s += 4 * MS;
	update_curr(&src, now_s);			/* a: 104 ms, min: 101 ms */
	CHECK_EQ(src.min_vruntime, 101 * MS);
	lag = dequeue_entity(&src, &a);
	CHECK_EQ(lag, 3 * MS);
	put_prev_entity(&src, &a);			/* schedule() after the dequeue */
	CHECK(src.curr == NULL);
	CHECK_EQ(queue_len(&src), 1);
	CHECK(pick_first_entity(&src) == &d);
	CHECK_EQ(src.nr_running, 1);
	CHECK_EQ(src.load, 1024);
	a.vruntime = (u64)lag;
	min = dst.min_vruntime;
	enqueue_entity(&dst, &a, ENQUEUE_MIGRATED);
	CHECK_EQ(a.vruntime, min + 3 * MS);
	CHECK_EQ(dst.nr_running, 4);
	CHECK_EQ(dst.load, 4 * 1024);
	CHECK_EQ(queue_len(&dst), 3);			/* x is curr there */

	/* onto an empty, fresh queue: min 0, lag negative */
	init_cfs_rq(&src);
	lag = dequeue_entity(&dst, &c);
	CHECK_EQ(lag, -(s64)(SCHED_LATENCY_NS / 2));
	c.vruntime = (u64)lag;
	enqueue_entity(&src, &c, ENQUEUE_MIGRATED);
	CHECK_EQ(vdiff(c.vruntime, 0), lag);
	CHECK_EQ(src.min_vruntime, 0);			/* never back, even to it */
	CHECK(pick_first_entity(&src) == &c);
}

/* ---------------------------------------------------------------- yield */

UNIT_TEST(yield_goes_behind_everyone)
{
	struct cfs_rq cfs;
	struct sched_entity a, b, c;
	u64 now = 0, v;

	rq_with_min(&cfs, &a, 10, &now);

	/* nobody waiting: nothing changes */
	v = a.vruntime;
	yield_entity(&cfs);
	CHECK_EQ(a.vruntime, v);
	CHECK(cfs.curr == &a);

	init_entity(&b, 0);
	init_entity(&c, 0);
	b.vruntime = a.vruntime + MS;
	c.vruntime = a.vruntime + 5 * MS;
	enqueue_entity(&cfs, &b, 0);
	enqueue_entity(&cfs, &c, 0);
	yield_entity(&cfs);
	CHECK(vdiff(a.vruntime, c.vruntime) > 0);
	CHECK_EQ(a.vruntime, c.vruntime + 1);
	CHECK(cfs.curr == &a);
	CHECK_EQ(cfs.nr_running, 3);

	/* the switch that follows: b, then c, then a */
	put_prev_entity(&cfs, &a);
	CHECK(pick_first_entity(&cfs) == &b);
	CHECK(last_waiting(&cfs) == &a);

	/* already behind everyone: unchanged */
	set_next_entity(&cfs, &a, now);
	a.vruntime = c.vruntime + 10 * MS;
	v = a.vruntime;
	yield_entity(&cfs);
	CHECK_EQ(a.vruntime, v);

	/* no curr: nothing to do, nothing breaks */
	put_prev_entity(&cfs, &a);
	yield_entity(&cfs);
	CHECK_EQ(queue_len(&cfs), 3);
}

/* ------------------------------------------------------- wake-up preempt */

UNIT_TEST(check_preempt_wakeup_granularity)
{
	struct cfs_rq cfs;
	struct sched_entity a, w;
	u64 now = 0;

	init_cfs_rq(&cfs);
	init_entity(&w, 0);
	CHECK(check_preempt_wakeup(&cfs, &w));	/* idle CPU: run it */

	rq_with_min(&cfs, &a, 20, &now);	/* a: curr, vruntime 20 ms */

	w.vruntime = a.vruntime - 5 * MS;		/* far behind */
	CHECK(check_preempt_wakeup(&cfs, &w));
	w.vruntime = a.vruntime - SCHED_WAKEUP_GRAN_NS - 1;
	CHECK(check_preempt_wakeup(&cfs, &w));
	w.vruntime = a.vruntime - SCHED_WAKEUP_GRAN_NS;	/* not more than */
	CHECK(!check_preempt_wakeup(&cfs, &w));
	w.vruntime = a.vruntime - SCHED_WAKEUP_GRAN_NS / 2;
	CHECK(!check_preempt_wakeup(&cfs, &w));
	w.vruntime = a.vruntime;
	CHECK(!check_preempt_wakeup(&cfs, &w));
	w.vruntime = a.vruntime + 5 * MS;		/* ahead */
	CHECK(!check_preempt_wakeup(&cfs, &w));

	/* the realistic path: slept long, woken with the capped credit */
	w.vruntime = 0;
	enqueue_entity(&cfs, &w, ENQUEUE_WAKEUP);
	CHECK_EQ(w.vruntime, cfs.min_vruntime - SCHED_LATENCY_NS / 2);
	CHECK(check_preempt_wakeup(&cfs, &w));
}

/* --------------------------------------------------------------- slices */

UNIT_TEST(sched_slice_and_period)
{
	for (unsigned n = 1; n <= 16; n++) {
		struct cfs_rq cfs;
		struct sched_entity se[16], extra;
		u64 sum = 0, period = n <= 8 ? SCHED_LATENCY_NS : n * SCHED_MIN_GRAN_NS;

		init_cfs_rq(&cfs);
		for (unsigned i = 0; i < n; i++) {
			init_entity(&se[i], 0);
			enqueue_entity(&cfs, &se[i], ENQUEUE_NEW);
		}
		for (unsigned i = 0; i < n; i++)
			sum += sched_slice(&cfs, &se[i]);
		if (sum > period || period - sum >= n) {	/* rounding only */
			printf("    # %u tasks: slices sum to %llu, period %llu\n", n,
			       (unsigned long long)sum, (unsigned long long)period);
			CHECK(0);
		}
		if (n > 8)
			CHECK_EQ(sched_slice(&cfs, &se[0]), SCHED_MIN_GRAN_NS);

		/* an entity not yet on the queue is counted in */
		init_entity(&extra, 0);
		period = n + 1 <= 8 ? SCHED_LATENCY_NS : (n + 1) * SCHED_MIN_GRAN_NS;
		CHECK_EQ(sched_slice(&cfs, &extra), period / (n + 1));
	}

	/* weighted: by weight within the 6 ms period */
	{
		struct cfs_rq cfs;
		struct sched_entity a, b;

		init_cfs_rq(&cfs);
		init_entity(&a, 0);
		init_entity(&b, -5);
		enqueue_entity(&cfs, &a, 0);
		enqueue_entity(&cfs, &b, 0);
		CHECK_EQ(sched_slice(&cfs, &a), SCHED_LATENCY_NS * 1024 / (1024 + 3121));
		CHECK_EQ(sched_slice(&cfs, &b), SCHED_LATENCY_NS * 3121 / (1024 + 3121));
	}

	/* an empty queue: the whole period */
	{
		struct cfs_rq cfs;
		struct sched_entity a;

		init_cfs_rq(&cfs);
		init_entity(&a, 7);
		CHECK_EQ(sched_slice(&cfs, &a), SCHED_LATENCY_NS);
	}
}

/* ------------------------------------------------------ tick preemption */

UNIT_TEST(check_preempt_tick_rules)
{
	struct cfs_rq cfs;
	struct sched_entity a, b;
	u64 now = 0;

	init_cfs_rq(&cfs);
	CHECK(!check_preempt_tick(&cfs));		/* nothing running */
	init_entity(&a, 0);
	init_entity(&b, 0);
	enqueue_entity(&cfs, &a, 0);
	set_next_entity(&cfs, pick_first_entity(&cfs), now);
	now += 50 * MS;
	update_curr(&cfs, now);
	CHECK(!check_preempt_tick(&cfs));		/* alone: runs on */

	/* b waits at a's vruntime; slice is 3 ms each */
	b.vruntime = a.vruntime;
	enqueue_entity(&cfs, &b, 0);
	set_next_entity(&cfs, &a, now);			/* a starts a new slice */
	now += MS / 2;
	update_curr(&cfs, now);
	CHECK(!check_preempt_tick(&cfs));		/* under min granularity */
	now += 2 * MS;
	update_curr(&cfs, now);
	CHECK(!check_preempt_tick(&cfs));		/* 2.5 ms < 3 ms, 2.5 ms ahead */
	now += MS;
	update_curr(&cfs, now);
	CHECK(check_preempt_tick(&cfs));		/* 3.5 ms > its slice */

	/* far ahead of the leftmost though the slice is not used up */
	put_prev_entity(&cfs, &a);
	set_next_entity(&cfs, pick_first_entity(&cfs), now);
	CHECK(cfs.curr == &b);
	b.vruntime = a.vruntime + 10 * MS;
	now += MS;
	update_curr(&cfs, now);
	CHECK(check_preempt_tick(&cfs));		/* 1 ms run, 11 ms ahead */

	/* slice used up though not ahead: a waits 2 ms after b */
	put_prev_entity(&cfs, &b);
	a.vruntime = b.vruntime + 2 * MS;
	list_del_init(&a.run_node);			/* re-sort a by hand */
	list_add_tail(&a.run_node, &cfs.queue);
	set_next_entity(&cfs, pick_first_entity(&cfs), now);
	CHECK(cfs.curr == &b);
	now += 3 * MS + MS / 2;
	update_curr(&cfs, now);
	CHECK(vdiff(b.vruntime, a.vruntime) <= (s64)sched_slice(&cfs, &b));
	CHECK(check_preempt_tick(&cfs));		/* 3.5 ms > 3 ms slice */

	/* far ahead, but under the minimum granularity: runs a bit first */
	put_prev_entity(&cfs, &b);
	set_next_entity(&cfs, pick_first_entity(&cfs), now);
	CHECK(cfs.curr == &a);
	a.vruntime = b.vruntime + 20 * MS;
	now += SCHED_MIN_GRAN_NS - 1;
	update_curr(&cfs, now);
	CHECK(!check_preempt_tick(&cfs));
	now += 2;
	update_curr(&cfs, now);
	CHECK(check_preempt_tick(&cfs));
}

int main(void)
{
	return unit_run_all();
}
