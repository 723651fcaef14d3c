// SPDX-License-Identifier: GPL-2.0

//! The software engines and their scheduler.
//!
//! Each engine runs the requests of many timelines ([`Timeline`]: a context's queue on the
//! engine), one request at a time, on a work item of its own queue. The engine keeps a list of
//! the timelines that have queued requests. The next request to run is the oldest request of a
//! timeline whose dependencies have signalled, of the highest priority, the first in the list
//! among equals; a timeline that used up its slice goes to the back of the list (round robin).
//!
//! A request whose dependencies have not signalled waits on a fence callback, which kicks the
//! engine when it fires: nothing polls. The running request is asked at each of its arbitration
//! points (`MI_ARB_CHECK`) whether to yield, which it does when a request of a higher priority is
//! ready, or when it has used its timeslice and a request of the same priority is ready; it
//! resumes later where it stopped. At a batch boundary the same rules pick the next request.
//! A batch that does not reach an arbitration point within `preempt_timeout_ms` of being asked to
//! yield, or within `heartbeat_interval_ms` at all (with hang detection on), is reset: its
//! request ends with `EIO` and its context is found guilty ([`crate::ban`]).
//!
//! The running request executes commands under the engine's `exec` lock, dropped and taken
//! again at each check, where the request also looks whether it must stop. A userptr unmap that
//! revokes pages takes that lock once ([`Engine::revoke`]): after that, no request using them
//! executes another command; the scheduler then ends every request that must stop at the head of
//! its timeline before it runs anything else, whatever its priority or dependencies.
//!
//! See `Documentation/vi915/engine.rst` for the lock order.

use kernel::{
    dma_buf::fence::{
        Fence,
        SignallingSection, //
    },
    impl_has_work,
    list::{
        List,
        ListArc, //
    },
    new_condvar, new_mutex, new_spinlock, new_work,
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        CondVar,
        Mutex,
        MutexGuard,
        SpinLock, //
    },
    time::{
        Delta,
        Instant,
        Monotonic, //
    },
    workqueue::{
        OwnedQueue,
        Work,
        WorkItem, //
    },
};

use crate::{
    cmd::{
        Control,
        Outcome,
        Point, //
    },
    engine_id::EngineId,
    params::Params,
    request::Request,
    timeline::Timeline,
};

/// An engine's scheduling properties, with i915's defaults (the `engine/<name>/` properties of
/// i915's sysfs).
pub(crate) struct Props {
    /// How long a request runs before another of the same priority may take its turn; 0 turns
    /// timeslicing off.
    pub(crate) timeslice_duration_ms: Atomic<u32>,
    /// How long a batch asked to yield may run on before it is reset; 0 never resets it.
    pub(crate) preempt_timeout_ms: Atomic<u32>,
    /// How long a batch may go without an arbitration point, with hang detection on, before it is
    /// asked to yield; 0 turns the heartbeat off.
    pub(crate) heartbeat_interval_ms: Atomic<u32>,
    /// How long a wait spins on a running request before it sleeps ([`Engine::busywait`]); 0
    /// never spins.
    pub(crate) max_busywait_duration_ns: Atomic<u32>,
}

impl Props {
    /// i915's defaults (`CONFIG_DRM_I915_TIMESLICE_DURATION` and friends).
    pub(crate) const DEFAULTS: [u32; 4] = [1, 640, 2500, 8000];

    fn new() -> Self {
        let [timeslice, preempt, heartbeat, busywait] = Self::DEFAULTS;
        Self {
            timeslice_duration_ms: Atomic::new(timeslice),
            preempt_timeout_ms: Atomic::new(preempt),
            heartbeat_interval_ms: Atomic::new(heartbeat),
            max_busywait_duration_ns: Atomic::new(busywait),
        }
    }
}

/// A software engine.
#[pin_data]
pub(crate) struct Engine {
    pub(crate) id: EngineId,
    /// Runs [`Engine::work`].
    queue: OwnedQueue,
    /// The scheduler: runs requests while there are ready ones.
    #[pin]
    work: Work<Engine>,
    /// Timelines with queued requests, in round-robin order.
    #[pin]
    active: Mutex<List<Timeline>>,
    /// Requests built and not yet released, on every timeline of the engine.
    #[pin]
    in_flight: Mutex<usize>,
    #[pin]
    idle: CondVar,
    /// The priority of the running request, `i64::MIN` when none runs.
    running_priority: Atomic<i64>,
    /// Set when a request of a higher priority than the running one may be ready.
    preempt: Atomic<bool>,
    /// Bumped to cancel every request queued or running at the time (`DROP_RESET_ACTIVE`).
    pub(crate) reset_seq: Atomic<u64>,
    /// Resets: of hung requests, and of the whole engine (`DROP_RESET_ACTIVE`).
    pub(crate) resets: Atomic<u32>,
    /// Who runs requests, and whether they have news.
    #[pin]
    runner: SpinLock<Runner>,
    /// A request a submitter stopped running: it resumes first.
    #[pin]
    handed_off: Mutex<Option<Resume>>,
    /// Bumped to reset the request running now as if it hung (`i915_wedged`).
    force: Atomic<u64>,
    /// Held by the running request while it executes commands between two checks.
    #[pin]
    exec: Mutex<()>,
    /// Set by a revocation ([`Engine::revoke`]): requests that must stop may wait in the queues.
    reap: Atomic<bool>,
    /// The last `force` value the scheduler has acted on.
    #[pin]
    forced: Mutex<u64>,
    #[pin]
    forced_done: CondVar,
    /// The device's tunables (reset, hang detection).
    pub(crate) params: Arc<Params>,
    pub(crate) props: Props,
}

impl_has_work! {
    impl HasWork<Self> for Engine { self.work }
}

/// Who runs an engine's requests.
#[derive(Default)]
struct Runner {
    /// Someone runs requests: the scheduler's work, or a submitter running the engine itself
    /// ([`Engine::activate`]).
    running: bool,
    /// Something may have become ready since the runner last looked: it looks again before it
    /// stops, so that whoever found it running need not hand anything to the scheduler's work.
    news: bool,
}

/// The running request's view of time.
struct Slice<'a> {
    /// The engine's `exec` lock, held while commands execute.
    exec: Option<MutexGuard<'a, ()>>,
    /// When its timeslice began.
    start: Instant<Monotonic>,
    /// When it last passed an arbitration point (or started).
    arbitrated: Instant<Monotonic>,
    /// When it was first asked to yield and did not, if it was.
    asked: Option<Instant<Monotonic>>,
    /// When it last looked for other ready requests.
    looked: Instant<Monotonic>,
    /// Set when it is reset for hanging.
    hung: bool,
    /// When a submitter running the engine itself must hand it over.
    deadline: Option<Instant<Monotonic>>,
    /// Set when it was told to stop for the hand-over.
    handing_off: bool,
    /// Set when it was told to stop for the scheduler to end requests that must stop.
    reaping: bool,
    /// The manual reset count ([`Engine::reset_running`]) when it started running.
    force: u64,
}

/// How often a running request looks for others once its timeslice is used up.
const LOOK_INTERVAL_NS: i64 = 500_000;
/// How long a submitter runs the engine itself before handing what runs to the scheduler's work.
const DIRECT_BUDGET_US: i64 = 100;

/// Whether `now` is at or past `deadline`.
fn passed(now: Instant<Monotonic>, deadline: Instant<Monotonic>) -> bool {
    (now - deadline).as_nanos() >= 0
}

/// A request stopped in the middle of its batch, to go on first.
struct Resume {
    timeline: Arc<Timeline>,
    request: Arc<Request>,
    /// When its timeslice began.
    start: Instant<Monotonic>,
    /// The manual reset count it ran under: a reset asked for since is for it, as it was
    /// running then.
    force: u64,
}

/// How a request left the engine.
enum Ran {
    /// It ended; its fence is signalled.
    Done,
    /// It yielded to another request.
    Yielded,
    /// It stopped for another thread to go on with it (see [`Engine::activate`]), under this
    /// manual reset count.
    HandedOff(u64),
    /// It stopped for the scheduler to end requests that must stop, under this manual reset
    /// count; it resumes first.
    Interrupted(u64),
}

impl Engine {
    /// Creates engine `id`.
    pub(crate) fn new(id: EngineId, params: Arc<Params>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Engine {
                id,
                queue: OwnedQueue::new_ordered(match id {
                    EngineId::Rcs0 => c"vi915-rcs0",
                    EngineId::Bcs0 => c"vi915-bcs0",
                })?,
                work <- new_work!("vi915::Engine::work"),
                active <- new_mutex!(List::new()),
                in_flight <- new_mutex!(0),
                idle <- new_condvar!(),
                running_priority: Atomic::new(i64::MIN),
                preempt: Atomic::new(false),
                reset_seq: Atomic::new(0),
                resets: Atomic::new(0),
                runner <- new_spinlock!(Runner::default()),
                handed_off <- new_mutex!(None),
                force: Atomic::new(0),
                exec <- new_mutex!(()),
                reap: Atomic::new(false),
                forced <- new_mutex!(0),
                forced_done <- new_condvar!(),
                params,
                props: Props::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Makes the scheduler run (again) soon: something it waits for may have changed.
    pub(crate) fn kick(self: &Arc<Self>) {
        // Already queued: it will look at everything when it runs.
        let _ = self.queue.enqueue(self.clone());
    }

    /// Makes the engine see `timeline`, whose queue just got `priority`'s request, and runs it.
    ///
    /// Direct submission: if nothing runs on the engine, the submitter runs the engine itself for
    /// a moment ([`DIRECT_BUDGET_US`]), which saves the hand-off to the scheduler's work and, when
    /// the request is short and ready, its wake-up and the waiter's. What is left then goes to
    /// the scheduler's work, a running batch resuming exactly where it stopped.
    pub(crate) fn activate(self: &Arc<Self>, timeline: &Arc<Timeline>, priority: i64) {
        {
            let mut list = self.active.lock();
            // The list holds the only `ListArc` of a timeline: failing means it is listed.
            if let Ok(l) = ListArc::try_from_arc(timeline.clone()) {
                list.push_back(l);
            }
        }
        if priority > self.running_priority.load(Relaxed) {
            self.preempt.store(true, Relaxed);
        }
        self.run_requests(Some(Instant::now() + Delta::from_micros(DIRECT_BUDGET_US)));
    }

    /// Calls `f` with the engine's timeline whose fence context is `fence`'s, if it has queued
    /// requests.
    fn timeline_of(&self, fence: &Fence, f: impl FnOnce(&Timeline)) {
        let list = self.active.lock();
        if let Some(t) = list.iter().find(|t| t.fences.context() == fence.context()) {
            f(&t);
        }
    }

    /// Priority inheritance: raises to `priority` the request of `fence`, one of the engine's, and
    /// the requests ahead of it on its timeline, appending those it raised to `raised`; if it
    /// raised any, the engine looks again at what to run, and a running request of a lower
    /// priority yields at its next arbitration point. `ENOMEM` raises none.
    pub(crate) fn raise(
        self: &Arc<Self>,
        fence: &Fence,
        priority: i64,
        raised: &mut KVec<Arc<Request>>,
    ) -> Result {
        let seqno = fence.seqno();
        let mut below = 0;
        self.timeline_of(fence, |t| {
            t.upto(seqno, |r| below += usize::from(r.priority() < priority))
        });
        if below == 0 {
            return Ok(());
        }
        raised.reserve(below, GFP_KERNEL)?;
        self.timeline_of(fence, |t| {
            t.upto(seqno, |r| {
                // No more than `below` are raised: the requests up to `seqno` only leave the
                // queue, and priorities only go up. So this does not allocate, and cannot fail.
                if r.raise(priority) {
                    let _ = raised.push(r.clone(), GFP_NOWAIT);
                }
            })
        });
        if priority > self.running_priority.load(Relaxed) {
            self.preempt.store(true, Relaxed);
        }
        self.kick();
        Ok(())
    }

    /// Whether requests are queued, or one waits to be resumed.
    fn has_work(&self) -> bool {
        !self.active.lock().is_empty() || self.handed_off.lock().is_some()
    }

    /// Runs ready requests until there are none, or until `deadline` passes: what is left then
    /// goes to the scheduler's work. If someone else runs them, leaves them news instead.
    fn run_requests(self: &Arc<Self>, deadline: Option<Instant<Monotonic>>) {
        {
            let mut runner = self.runner.lock();
            if runner.running {
                runner.news = true;
                return;
            }
            runner.running = true;
            runner.news = false;
        }
        let (late, news) = loop {
            self.schedule(deadline);
            let late = deadline.is_some_and(|d| passed(Instant::now(), d));
            let mut runner = self.runner.lock();
            if !runner.news || late {
                runner.running = false;
                break (late, runner.news);
            }
            runner.news = false;
        };
        // News left unread (a manual reset asked for, say) goes to the work too, even with
        // nothing queued.
        if late && (news || self.has_work()) {
            self.kick();
        }
    }

    /// Spins until `fence`, one of the engine's, signals, for at most `max_busywait_duration_ns`
    /// and only while the engine runs a request and no signal is pending. Returns whether it
    /// signalled.
    ///
    /// i915 spins so on a request that has started; here the request may also be queued behind
    /// the one running, which on a software engine often ends as soon.
    pub(crate) fn busywait(&self, fence: &Fence) -> bool {
        let budget = i64::from(self.props.max_busywait_duration_ns.load(Relaxed));
        let start = Instant::<Monotonic>::now();
        let task = kernel::current!();
        while !fence.is_signaled() {
            if self.running_priority.load(Relaxed) == i64::MIN
                || start.elapsed().as_nanos() >= budget
                || task.signal_pending()
            {
                return false;
            }
            cpu_relax();
        }
        true
    }

    /// Counts a request built on one of the engine's timelines.
    pub(crate) fn started(&self) {
        *self.in_flight.lock() += 1;
    }

    /// Counts a request released.
    pub(crate) fn finished(&self) {
        let mut n = self.in_flight.lock();
        *n -= 1;
        let idle = *n == 0;
        drop(n);
        if idle {
            self.idle.notify_all();
        }
    }

    /// Waits until no request is in flight, then until the scheduler has stopped running.
    pub(crate) fn wait_idle(&self) {
        let mut n = self.in_flight.lock();
        while *n > 0 {
            self.idle.wait(&mut n);
        }
        drop(n);
        self.queue.flush();
    }

    /// Waits until no request is in flight; `EINTR` on a signal.
    pub(crate) fn wait_idle_interruptible(&self) -> Result {
        let mut n = self.in_flight.lock();
        while *n > 0 {
            if self.idle.wait_interruptible(&mut n) {
                return Err(EINTR);
            }
        }
        Ok(())
    }

    /// Cancels, with `EIO`, every request queued or running now.
    pub(crate) fn reset(self: &Arc<Self>) {
        self.reset_seq.fetch_add(1, Relaxed);
        self.resets.fetch_add(1, Relaxed);
        self.kick();
    }

    /// Returns once no request whose userptr pages were revoked before the call executes another
    /// command on the engine; those not running are ended soon after, with `EFAULT`, even if
    /// they wait for a dependency or for requests of a higher priority. Requests ahead of them on
    /// their own timeline still end first.
    pub(crate) fn revoke(self: &Arc<Self>) {
        self.reap.store(true, Relaxed);
        // The running request checks again, under this lock, before its next command: the lock
        // orders the revocation before that check.
        drop(self.exec.lock());
        self.kick();
    }

    /// Ends, without running them, the requests that must stop at the head of their timelines.
    fn reap(&self) {
        loop {
            let found = {
                let mut list = self.active.lock();
                let mut cursor = list.cursor_front();
                let mut found = None;
                while let Some(next) = cursor.peek_next() {
                    let timeline: Arc<Timeline> = next.arc().into();
                    cursor.move_next();
                    if let Some(request) = timeline.head() {
                        if let Err(e) = request.must_stop() {
                            found = Some((timeline, request, e));
                            break;
                        }
                    }
                }
                found
            };
            let Some((timeline, request, e)) = found else {
                return;
            };
            let section = SignallingSection::begin();
            request.finish(Some(e));
            drop(section);
            timeline.pop(&request);
        }
    }

    /// Resets the request running now, if one is, as a hang would (guilty, `EIO`), and waits
    /// until that is done; `EINTR` on a signal. This is i915's manual reset (`i915_wedged`).
    pub(crate) fn reset_running(self: &Arc<Self>) -> Result {
        let target = self.force.fetch_add(1, Relaxed) + 1;
        self.kick();
        let mut done = self.forced.lock();
        while *done < target {
            if self.forced_done.wait_interruptible(&mut done) {
                return Err(EINTR);
            }
        }
        Ok(())
    }

    /// Records that the scheduler has acted on every reset asked for up to `force`: the request
    /// that ran then was reset, or none ran.
    fn forced(&self, force: u64) {
        let mut done = self.forced.lock();
        if *done < force {
            *done = force;
            drop(done);
            self.forced_done.notify_all();
        }
    }

    /// Returns the next request to run, and its timeline: the highest priority ready one, the
    /// first in the list among equals, `prefer` winning ties. Forgets timelines with nothing
    /// queued.
    fn pick(&self, prefer: Option<&Arc<Timeline>>) -> Option<(Arc<Timeline>, Arc<Request>)> {
        let mut list = self.active.lock();
        let mut best: Option<(Arc<Timeline>, Arc<Request>)> = None;
        let mut cursor = list.cursor_front();
        while let Some(next) = cursor.peek_next() {
            let timeline: Arc<Timeline> = next.arc().into();
            let Some(request) = timeline.head() else {
                // Nothing queued: the submitter lists it again after queueing.
                drop(next.remove());
                continue;
            };
            cursor.move_next();
            if !request.ready() {
                continue;
            }
            let better = match &best {
                None => true,
                Some((t, r)) => {
                    request.priority() > r.priority()
                        || (request.priority() == r.priority()
                            && prefer.is_some_and(|p| Arc::ptr_eq(p, &timeline))
                            && !prefer.is_some_and(|p| Arc::ptr_eq(p, t)))
                }
            };
            if better {
                best = Some((timeline, request));
            }
        }
        best
    }

    /// Whether a request of another timeline is ready with a priority above `priority`, or equal
    /// to it if `equal`.
    fn others_ready(&self, mine: &Arc<Timeline>, priority: i64, equal: bool) -> bool {
        let list = self.active.lock();
        list.iter().any(|t| {
            !core::ptr::eq(&*t, &**mine)
                && t.head().is_some_and(|r| {
                    (r.priority() > priority || (equal && r.priority() == priority)) && r.ready()
                })
        })
    }

    /// Moves `timeline` to the back of the list: it used up its slice.
    fn rotate(&self, timeline: &Timeline) {
        let mut list = self.active.lock();
        // SAFETY: A timeline is only ever on its own engine's list.
        if let Some(l) = unsafe { list.remove(timeline) } {
            list.push_back(l);
        }
    }

    /// Whether a request that should run instead of `request` is ready: one of a higher
    /// priority, or, once `request` has used its timeslice, one of the same priority.
    fn wanted(
        &self,
        timeline: &Arc<Timeline>,
        request: &Request,
        slice: &mut Slice<'_>,
        now: Instant<Monotonic>,
    ) -> bool {
        if self.preempt.xchg(false, Relaxed)
            && self.others_ready(timeline, request.priority(), false)
        {
            // Still wanted until the request yields.
            self.preempt.store(true, Relaxed);
            return true;
        }
        let timeslice = i64::from(self.props.timeslice_duration_ms.load(Relaxed));
        if timeslice == 0
            || (now - slice.start).as_millis() < timeslice
            || (now - slice.looked).as_nanos() < LOOK_INTERVAL_NS
        {
            return false;
        }
        slice.looked = now;
        self.others_ready(timeline, request.priority(), true)
    }

    /// Resets the running request for hanging: counted, and its context found guilty when it
    /// leaves the engine. Returns the error it ends with.
    fn hang(&self, slice: &mut Slice<'_>) -> Error {
        self.resets.fetch_add(1, Relaxed);
        slice.hung = true;
        EIO
    }

    /// Decides, at a point where the running request asks, whether it goes on, yields, or is
    /// reset for hanging (`EIO`).
    fn arbitrate(
        &self,
        timeline: &Arc<Timeline>,
        request: &Request,
        slice: &mut Slice<'_>,
        point: Point,
    ) -> Result<Control> {
        request.must_stop()?;
        // Stopping needs a point where the batch can stop.
        let stoppable = point != Point::Within;
        if stoppable && self.reap.load(Relaxed) {
            slice.reaping = true;
            return Ok(Control::Handoff);
        }
        let force = self.force.load(Relaxed);
        if force != slice.force {
            // Done once its context is found guilty and its fence signalled: whoever asked for
            // the reset then sees both ([`Engine::run_one`]).
            slice.force = force;
            return Err(self.hang(slice));
        }
        let now = Instant::<Monotonic>::now();
        if stoppable && slice.deadline.is_some_and(|d| passed(now, d)) {
            slice.handing_off = true;
            return Ok(Control::Handoff);
        }
        if point == Point::Arbitration {
            slice.arbitrated = now;
            slice.asked = None;
            return Ok(if self.wanted(timeline, request, slice, now) {
                Control::Yield
            } else {
                Control::Continue
            });
        }
        if slice.asked.is_none() {
            let heartbeat = i64::from(self.props.heartbeat_interval_ms.load(Relaxed));
            let stale = self.params.hangcheck()
                && heartbeat != 0
                && (now - slice.arbitrated).as_millis() >= heartbeat;
            if stale || self.wanted(timeline, request, slice, now) {
                slice.asked = Some(now);
            }
        }
        let timeout = i64::from(self.props.preempt_timeout_ms.load(Relaxed));
        if let Some(asked) = slice.asked {
            if self.params.resets() && timeout != 0 && (now - asked).as_millis() >= timeout {
                return Err(self.hang(slice));
            }
        }
        Ok(Control::Continue)
    }

    /// Runs `request` until it ends, yields or, past `deadline`, is handed off. `resumed` is
    /// the manual reset count a request that stopped in the middle ran under.
    fn run_one(
        &self,
        timeline: &Arc<Timeline>,
        request: &Request,
        start: Instant<Monotonic>,
        deadline: Option<Instant<Monotonic>>,
        resumed: Option<u64>,
    ) -> Ran {
        let now = Instant::now();
        let mut slice = Slice {
            exec: None,
            start,
            arbitrated: now,
            asked: None,
            looked: start,
            hung: false,
            deadline,
            handing_off: false,
            reaping: false,
            force: resumed.unwrap_or_else(|| self.force.load(Relaxed)),
        };
        // Manual resets asked for before it started were for someone else, or no one; those
        // asked for while it was stopped in the middle are for it.
        if resumed.is_none() {
            self.forced(slice.force);
        }
        self.running_priority.store(request.priority(), Relaxed);
        request.ctx.busy.start(self.id);
        let section = SignallingSection::begin();
        // Taken before the request's first look at whether it must stop.
        slice.exec = Some(self.exec.lock());
        let result = request.run(|point| {
            // Lets a revocation in between two commands.
            slice.exec = None;
            let control = self.arbitrate(timeline, request, &mut slice, point)?;
            // Only a batch that goes on needs the lock (it takes it again when it resumes): one
            // stopping for a revocation lets it go at once.
            if control == Control::Continue {
                slice.exec = Some(self.exec.lock());
                // A revocation that got in is seen here.
                request.must_stop()?;
            }
            Ok(control)
        });
        slice.exec = None;
        drop(section);
        request.ctx.busy.stop(self.id);
        if slice.hung {
            // Before the fence signals, so that whoever sees it sees the ban too; outside the
            // signalling section, as it takes the context's parameter lock.
            request.ctx.mark_guilty();
        }
        let section = SignallingSection::begin();
        let ran = match result {
            Ok(Outcome::Yielded) if slice.reaping => Ran::Interrupted(slice.force),
            Ok(Outcome::Yielded) if slice.handing_off => Ran::HandedOff(slice.force),
            Ok(Outcome::Yielded) => Ran::Yielded,
            Ok(Outcome::Done) => {
                request.finish(None);
                Ran::Done
            }
            Err(e) => {
                request.finish(Some(e));
                Ran::Done
            }
        };
        drop(section);
        self.running_priority.store(i64::MIN, Relaxed);
        self.forced(slice.force);
        ran
    }

    /// Runs ready requests until there are none, or until `deadline`: then a running batch is
    /// handed off, to resume first when the scheduler's work runs. Call as the runner
    /// ([`Runner::running`]).
    fn schedule(&self, deadline: Option<Instant<Monotonic>>) {
        // A request handed off runs first, in its timeslice.
        let mut resume = self.handed_off.lock().take();
        // The timeline whose slice is running, and when the slice began.
        let mut current: Option<(Arc<Timeline>, Instant<Monotonic>)> = None;
        loop {
            if self.reap.xchg(false, Relaxed) {
                self.reap();
            }
            // What was resumed may have been reaped.
            let resumed = resume.take().filter(|r| {
                r.timeline
                    .head()
                    .is_some_and(|head| Arc::ptr_eq(&head, &r.request))
            });
            let next = match resumed {
                Some(r) => Some((r.timeline, r.request, r.start, Some(r.force))),
                None => self
                    .pick(current.as_ref().map(|c| &c.0))
                    .map(|(timeline, r)| {
                        let start = match &current {
                            Some((t, start)) if Arc::ptr_eq(t, &timeline) => *start,
                            _ => Instant::now(),
                        };
                        (timeline, r, start, None)
                    }),
            };
            let Some((timeline, request, start, force)) = next else {
                break;
            };
            match self.run_one(&timeline, &request, start, deadline, force) {
                Ran::Done => {
                    timeline.pop(&request);
                    // Released here, outside the signalling section: unpinning pages may take
                    // reservation locks.
                    drop(request);
                    let timeslice = i64::from(self.props.timeslice_duration_ms.load(Relaxed));
                    if timeslice != 0 && start.elapsed().as_millis() >= timeslice {
                        self.rotate(&timeline);
                        current = None;
                    } else {
                        current = Some((timeline, start));
                    }
                    if deadline.is_some_and(|d| passed(Instant::now(), d)) {
                        break;
                    }
                }
                Ran::Yielded => {
                    self.rotate(&timeline);
                    current = None;
                }
                Ran::HandedOff(force) => {
                    *self.handed_off.lock() = Some(Resume {
                        timeline,
                        request,
                        start,
                        force,
                    });
                    // It still runs, for resets: they are counted when it goes on.
                    return;
                }
                Ran::Interrupted(force) => {
                    resume = Some(Resume {
                        timeline,
                        request,
                        start,
                        force,
                    })
                }
            }
        }
        // Nothing runs: manual resets asked for so far have nothing to reset.
        self.forced(self.force.load(Relaxed));
    }
}

impl WorkItem for Engine {
    type Pointer = Arc<Engine>;

    /// Runs ready requests until there are none. If a submitter runs the engine now, that one
    /// looks again before it stops, and kicks the work if it stops with requests left.
    fn run(this: Arc<Engine>) {
        this.run_requests(None);
    }
}
