/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of vi915's userptr protocol (the design with bounded unmap waits,
 * revocation with an engine barrier and object references held by requests),
 * for the spin model checker. scripts/model-check.sh runs it, and each seeded
 * bug below, which the checker must catch.
 *
 * Modelled: one userptr range R and its object; one execbuffer caller making
 * up to two submissions (or fewer, its choice); one engine; one unmap of R at
 * any time (invalidate_range_start, R's callback if the notifier is still
 * registered, invalidate_range_end); GEM_CLOSE of the handle; one shrinker
 * scan; the worker that frees an object whose last reference the shrinker
 * dropped.
 *  - The notifier: a sequence bumped by the callback (set_seq), read_begin
 *    (waits from set_seq to the end of the invalidation), read_retry, and
 *    removal, which waits for an invalidation in progress
 *    (mmu_interval_notifier_remove).
 *  - The device's notifier lock, the object's reservation lock (only the
 *    shrinker's trylock and the execbuffer's holding of it across recording
 *    and publication), and the engine's exec mutex. A waiter on exec gets it
 *    at the holder's next unlock: the kernel mutex hands off to a starving
 *    waiter, and without this weak fairness could not show that the barrier
 *    ends.
 *  - Each request's fence (pending, signalled, or signalled with -EFAULT), its
 *    publication, its record in R's active list, the revocation generation of
 *    its pinned set, and the object reference it holds.
 *  - What may hold up a request on the engine: nothing; another client's batch
 *    ahead of it that spins for ever (the engine looks at the queue between
 *    its commands); or an in-fence that never signals.
 *  - Two commands per request, each touching R's pages; revocation is checked
 *    under exec before each, and when the engine picks a request. A kick is a
 *    flag that stays set until the engine takes it (a kick sent before the
 *    engine sleeps is not lost). The engine releases a finished request, and
 *    with it the request's object reference, after dropping exec.
 *
 * Abstracted away: the pages themselves (one bit: the object state holds a
 * pinned set), the pinned sets' own reference counts (a request always holds
 * its set, so taking the object's pages is memory safe), the O(1) reuse of
 * cached pages and the re-pin attempts in pages() (a stale pin is caught by
 * the sequence check at publication), time (a grace period is a wait that may
 * give up whenever its fence is unsignalled), the reclaim worker's unpinning,
 * CPU accesses to the pages (relocations are written before publication),
 * reservation objects, out-fences and sync objects (one "published" bit),
 * other engines, and invalidations other than an unmap. The range is mapped
 * until the invalidation ends; pinning fails after that. set_seq is one step
 * (in the kernel, one store that read_begin compares with the mm's sequence).
 *
 * Properties:
 *  P1 assert(!unmapped_returned) at each command: no engine access to R's
 *     pages after R's unmap returned from the callback (or, with no callback,
 *     after the unmap started).
 *  P2 assert(!published[i]) where execbuffer returns -EAGAIN: no fence of a
 *     request that returned -EAGAIN is visible.
 *  P3 no invalid end state (pan's default check): nothing is left blocked.
 *     The engine's wait for an in-fence has no end label: every request in
 *     this model is published before the unmap, which must revoke it, so an
 *     engine still waiting at the end missed a revocation (a lost kick).
 *  P4 ltl p4: [] (cb_started -> <> cb_done), checked for acceptance cycles
 *     under weak fairness (pan -a -f): the callback returns, whatever the
 *     engine runs or waits for. A liveness formula, not a deadlock check: a
 *     spinning batch keeps the engine busy, so an unbounded wait blocks the
 *     callback without blocking the system. (Spin 6.5 has no option to
 *     ignore an ltl block at run time: safety runs compile pan -DNOCLAIM.)
 *  P5 assert(!in_reclaim) in the free: the last reference is never dropped
 *     in reclaim (the shrinker); unregistering waits for an invalidation in
 *     progress, and reclaim may run inside one.
 *
 * Seeded bugs (spin -a -DNAME), each caught by the property named (its run
 * checks only that property: pan -E for assertions, -A for end states):
 *  SEED_CHECK_AFTER_PUBLISH   publish before the sequence check (P2)
 *  SEED_NO_BARRIER            no lock/unlock of exec after revoking (P1)
 *  SEED_UNBOUNDED_WAIT        the callback waits for fences for ever (P4)
 *  SEED_REQUEST_NO_OBJECT_REF requests hold no object reference (P1)
 *  SEED_FREE_IN_RECLAIM       the shrinker's last put frees at once (P5)
 *  SEED_NO_KICK               revoking does not kick the engine (P3)
 *  SEED_PUT_UNDER_EXEC        the engine releases a request holding exec (P3)
 */

#define NREQ	2	/* submissions */
#define NCMD	2	/* commands per request */

/* Fence states. */
#define PENDING	1
#define SIGNALLED	2
#define FAULTED	3	/* signalled with -EFAULT */

/* Request states, as the engine sees them. */
#define UNBORN	0
#define QUEUED	1
#define GONE	2	/* never queued: -EAGAIN, -EFAULT, -ENOENT or not submitted */
#define DONE	3

/* exec holders */
#define ENGINE	1
#define CALLBACK	2

/* The notifier and the range. */
byte seq;			/* the notifier sequence */
bool sub_inval;			/* set_seq done, invalidation not ended: read_begin waits */
bool mm_inval;			/* an invalidation of the mm is in progress */
bool registered = 1;		/* the notifier is registered */
bool mapped = 1;		/* pinning the range can succeed */
bool cb_started, cb_done;	/* R's unmap callback started, returned */
bool unmapped_returned;		/* P1: the engine must not touch R's pages */
byte revoked;			/* R's revocation count */

/* Locks. */
bool notifier_lock;
bool resv;			/* the object's reservation lock */
byte exec;			/* the engine's exec mutex: 0 or its holder */
bool exec_want;			/* the callback waits for exec */
bool kick;			/* the engine must look at its waiting requests */

/* The object. */
byte obj_ref = 1;		/* the handle's reference */
bool handle = 1;
bool obj_pages;			/* the object state holds a pinned set */
bool free_deferred;		/* the worker must free the object */

/* The requests. */
byte rstate[NREQ];
byte fence[NREQ];
bool published[NREQ];
bool recorded[NREQ];		/* in R's active list */
byte gen[NREQ];			/* revocation count when its pages were pinned */

#define lock(m)		atomic { !m -> m = 1 }
#define unlock(m)	m = 0
#define busy(i)		(recorded[i] && fence[i] == PENDING)
#define stale(i)	(revoked != gen[i])

/* The engine takes exec, but not from under a waiting callback (handoff). */
inline engine_lock_exec()
{
	atomic { exec == 0 && !exec_want -> exec = ENGINE }
}

/* Unregisters the notifier and unpins: the object is gone. */
inline obj_free()
{
	assert(!in_reclaim);			/* P5 */
	atomic { !mm_inval -> registered = 0 }	/* mmu_interval_notifier_remove */
	obj_pages = 0
}

/* Drops an object reference; the last one frees. */
inline put()
{
	atomic { obj_ref--; last = (obj_ref == 0) }
	if
	:: last -> obj_free()
	:: else
	fi
}

/* The engine finishes request i: signals its fence, then releases it. */
inline finish(i, how)
{
	fence[i] = how;
	rstate[i] = DONE;
#ifndef SEED_REQUEST_NO_OBJECT_REF
	put()
#else
	skip
#endif
}

/* Reaping: a queued request whose pages were revoked ends at once. */
inline reap(i)
{
	if
	:: rstate[i] == QUEUED && stale(i) -> finish(i, FAULTED)
	:: else
	fi
}

proctype Execbuf()
{
	byte i, seq0;
	bool last, in_reclaim;

	do
	:: i < NREQ ->
		/* Handle lookup: -ENOENT once closed. */
		if
		:: atomic { handle -> obj_ref++ }
		:: atomic { !handle -> rstate[i] = GONE }; break
		fi;
		/* 1. read_begin, then pin: -EFAULT once unmapped. */
		atomic { !sub_inval -> seq0 = seq };
		if
		:: !mapped -> rstate[i] = GONE; put(); break
		:: else -> gen[i] = revoked
		fi;
		/* pages(): the state keeps the set if nothing moved. */
		atomic { !notifier_lock -> if :: seq == seq0 -> obj_pages = 1 :: else fi };
		/* 2. Reservation locks; room in R's active list. */
		lock(resv);
		/* 3. Check and publish under the notifier lock. */
		lock(notifier_lock);
#ifdef SEED_CHECK_AFTER_PUBLISH
		published[i] = 1;
#endif
		if
		:: seq != seq0 ->
			unlock(notifier_lock);
			unlock(resv);
			rstate[i] = GONE;
			assert(!published[i])		/* P2: -EAGAIN */
		:: else ->
			recorded[i] = 1;
			fence[i] = PENDING;
			published[i] = 1;
#ifndef SEED_REQUEST_NO_OBJECT_REF
			obj_ref++;			/* the request's reference */
#endif
			rstate[i] = QUEUED;
			unlock(notifier_lock);
			unlock(resv)
		fi;
		put();					/* the lookup's */
		i++
	:: i < NREQ -> rstate[i] = GONE; break		/* no more submissions */
	:: else -> break
	od;
	/* The caller is done: later requests will never exist. */
	do
	:: i < NREQ -> rstate[i] = GONE; i++
	:: else -> break
	od
}

proctype Engine()
{
	byte cur, cmd;
	bool last, in_reclaim;

	do
	:: cur < NREQ && (rstate[cur] == GONE || rstate[cur] == DONE) -> cur++
	:: cur < NREQ && rstate[cur] == QUEUED ->
		if
		:: stale(cur) ->
			/* Revoked while queued: it never runs. */
			finish(cur, FAULTED)
		:: else ->
			if
			:: true ->
				/*
				 * Another client's batch ahead of it spins for ever.
				 * Between its commands exec is free, and a kick makes
				 * the engine reap what it has queued.
				 */
				do
				:: engine_lock_exec();
					/* a command of the other batch */
					unlock(exec);
					if
					:: atomic { kick -> kick = 0 };
						reap(0);
						reap(1)
					:: else
					fi
				od
			:: true ->
				/* It waits for an in-fence that never signals. */
				do
				:: stale(cur) -> finish(cur, FAULTED); break
				:: else -> atomic { kick -> kick = 0 }
				od
			:: true ->
				/* It runs. */
				cmd = 0;
				do
				:: cmd < NCMD ->
					engine_lock_exec();
					if
					:: stale(cur) ->
#ifdef SEED_PUT_UNDER_EXEC
						finish(cur, FAULTED);
						unlock(exec);
#else
						unlock(exec);
						finish(cur, FAULTED);
#endif
						break
					:: else
					fi;
					assert(!unmapped_returned);	/* P1: touches R's pages */
					unlock(exec);
					cmd++
				:: else ->
					finish(cur, SIGNALLED);
					break
				od
			fi
		fi
	:: cur == NREQ -> break
	od
}

proctype Unmap()
{
	bool cb, taken[NREQ], pending;

	/* invalidate_range_start: R's callback runs if R is registered. */
	atomic { mm_inval = 1; cb = registered };
	if
	:: cb ->
		cb_started = 1;
		/* 1. The sequence, the recorded fences, the pages. */
		lock(notifier_lock);
		atomic {
			seq++;			/* set_seq: read_begin now waits */
			sub_inval = 1;
			taken[0] = recorded[0];
			taken[1] = recorded[1];
			recorded[0] = 0;
			recorded[1] = 0;
			obj_pages = 0
		};
		unlock(notifier_lock);
		/* 2. Wait for those fences, each for a grace period. */
#ifdef SEED_UNBOUNDED_WAIT
		!taken[0] || fence[0] != PENDING;
		!taken[1] || fence[1] != PENDING;
#else
		if
		:: !taken[0] || fence[0] != PENDING
		:: atomic { taken[0] && fence[0] == PENDING -> pending = 1 }
		fi;
		if
		:: !taken[1] || fence[1] != PENDING
		:: atomic { taken[1] && fence[1] == PENDING -> pending = 1 }
		fi;
#endif
		/* 3. Still running: revoke, let a command in progress end, kick. */
		if
		:: pending ->
			revoked++;
#ifndef SEED_NO_BARRIER
			exec_want = 1;
			atomic { exec == 0 -> exec = CALLBACK; exec_want = 0 };
			unlock(exec);
#endif
#ifndef SEED_NO_KICK
			kick = 1
#else
			skip
#endif
		:: else
		fi;
		/* 4. The pages go to the reclaim worker (not modelled). */
		/* 5. Return. */
		cb_done = 1
	:: else
	fi;
	unmapped_returned = 1;
	/* The range is zapped; invalidate_range_end. */
	atomic { mapped = 0; sub_inval = 0; mm_inval = 0 }
}

proctype Close()
{
	bool last, in_reclaim;

	handle = 0;
	put()
}

proctype Shrinker()
{
	bool last, got, in_reclaim = 1;

	if
	:: atomic { obj_ref > 0 -> obj_ref++ };		/* kref_get_unless_zero */
		atomic {
			if
			:: !resv -> resv = 1; got = 1	/* trylock */
			:: else
			fi
		};
		if
		:: got ->
			atomic { !notifier_lock ->
				if
				:: !busy(0) && !busy(1) -> obj_pages = 0
				:: else
				fi
			};
			unlock(resv)
		:: else
		fi;
#ifdef SEED_FREE_IN_RECLAIM
		put()
#else
		atomic { obj_ref--; last = (obj_ref == 0) };
		if
		:: last -> free_deferred = 1		/* to the worker */
		:: else
		fi
#endif
	:: skip						/* no scan */
	fi
}

proctype Worker()
{
	bool in_reclaim;

end:	free_deferred;
	obj_free()
}

init
{
	atomic {
		run Execbuf();
		run Engine();
		run Unmap();
		run Close();
		run Shrinker();
		run Worker()
	}
}

ltl p4 { [] (cb_started -> <> cb_done) }
