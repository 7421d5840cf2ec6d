//! The io_uring ring: setup, pushing SQEs, entering the kernel only when
//! needed, and counting what is in flight so teardown can wait for it.

use super::config::{io_err, Mode, ReactorConfig, ReactorError};
use super::stats::StatsSnapshot;
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// One completion: user_data, result, flags.
pub(crate) type Cqe = (u64, i32, u32);

/// Rounds of "make room, submit" before a full submission queue is an
/// error (each round reaps the completion queue, so the kernel can always
/// take more unless the ring is broken).
const PUSH_ROUNDS: u32 = 1024;

pub(crate) struct Ring {
    ring: IoUring,
    /// Entries pushed since the last kernel entry.
    unsubmitted: bool,
    /// The ring's index among the thread's registered ring fds (spin mode
    /// enters with it: no file lookup per entry), if registered.
    registered: Option<u32>,
    sqpoll: bool,
    /// Entries pushed whose last completion has not been reaped. Exact:
    /// counted when the queue took them, uncounted by a completion without
    /// `IORING_CQE_F_MORE`. Teardown waits for it to reach 0.
    in_flight: usize,
    /// Completions reaped early (to make room while the queue was full),
    /// handed out by the next [`reap`](Self::reap) before newer ones.
    early: Vec<Cqe>,
    /// The ring refused entries for good: the reactor stops with this.
    failed: Option<io::Error>,
    /// Entries pushed since the ring was made (submission queue entries).
    pub(crate) pushed: u64,
}

impl Ring {
    pub(crate) fn new(cfg: &ReactorConfig) -> Result<Self, ReactorError> {
        let mut b = IoUring::builder();
        b.setup_cqsize(cfg.ring_entries.saturating_mul(2));
        if let Some(idle) = cfg.sqpoll_idle_ms {
            b.setup_sqpoll(idle);
        } else {
            // Only this thread touches the ring; completions are run when we
            // enter the kernel (DEFER_TASKRUN) or flagged (TASKRUN_FLAG), so
            // no interrupts disturb the spinning thread.
            b.setup_single_issuer();
            if cfg.defer_taskrun {
                b.setup_defer_taskrun();
            } else {
                b.setup_coop_taskrun();
            }
            b.setup_taskrun_flag();
        }
        let ring = b
            .build(cfg.ring_entries)
            .map_err(io_err("io_uring setup"))?;
        let registered = register_ring_fd(&ring);
        Ok(Self {
            ring,
            unsubmitted: false,
            registered,
            sqpoll: cfg.sqpoll_idle_ms.is_some(),
            in_flight: 0,
            early: Vec::new(),
            failed: None,
            pushed: 0,
        })
    }

    /// Completion queue entries (sizes the reactor's reap buffer).
    pub(crate) fn cq_entries(&self) -> usize {
        self.ring.params().cq_entries() as usize
    }

    /// Entries pushed since the last kernel entry.
    pub(crate) fn has_unsubmitted(&self) -> bool {
        self.unsubmitted
    }

    /// Operations whose last completion has not been reaped yet.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Why the ring stopped taking entries, once.
    pub(crate) fn take_failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }

    /// Queues entries together (a linked chain is never split across
    /// submissions); when the queue is full, reaps completions (kept for
    /// the next [`reap`](Self::reap)) and submits to make room. False if
    /// the ring refused them: nothing was queued or counted, and the
    /// failure is kept for [`take_failure`](Self::take_failure).
    pub(crate) fn push(&mut self, entries: &[squeue::Entry]) -> bool {
        for _ in 0..PUSH_ROUNDS {
            // SAFETY: every pointer in the entries (receive buffers, a
            // slot's `wire`, timespecs and addresses in slot state, the wake
            // buffer, statics) stays valid and unmoved until the operation's
            // last completion: slots are never moved or freed while they
            // have operations in flight, and the reactor's drop reaps every
            // operation before it frees any of that memory.
            let pushed = unsafe { self.ring.submission().push_multiple(entries) };
            if pushed.is_ok() {
                self.in_flight += entries.len();
                self.pushed += entries.len() as u64;
                self.unsubmitted = true;
                return true;
            }
            // A full completion queue makes the kernel refuse submissions
            // (EBUSY): take what it holds first.
            let early = std::mem::take(&mut self.early);
            self.early = self.take_completions(early);
            let submitted = if self.sqpoll {
                self.ring.submitter().squeue_wait().map(drop)
            } else {
                self.ring.submit().map(drop)
            };
            if let Err(e) = submitted {
                if !is_transient(&e) {
                    tracing::error!(error = %e, "io_uring submit failed while the queue was full");
                    self.failed = Some(e);
                    return false;
                }
            }
        }
        tracing::error!(
            entries = entries.len(),
            "io_uring submission queue stays full"
        );
        self.failed = Some(io::Error::other("io_uring submission queue stays full"));
        false
    }

    /// Appends every completion (those reaped early first) to `out`.
    pub(crate) fn reap(&mut self, out: &mut Vec<Cqe>) {
        out.append(&mut self.early);
        let taken = std::mem::take(out);
        *out = self.take_completions(taken);
    }

    fn take_completions(&mut self, mut out: Vec<Cqe>) -> Vec<Cqe> {
        let mut done = 0;
        for e in self.ring.completion() {
            // A multishot Accept or a SendZc has more to report.
            if !cqueue::more(e.flags()) {
                done += 1;
            }
            out.push((e.user_data(), e.result(), e.flags()));
        }
        self.in_flight = self.in_flight.saturating_sub(done);
        out
    }

    /// Submits and, depending on the mode, waits for completions.
    pub(crate) fn enter(
        &mut self,
        mode: Mode,
        wait: &types::Timespec,
        stats: &mut StatsSnapshot,
    ) -> io::Result<()> {
        match mode {
            Mode::Spin => {
                // A loop that only polls the CQ starves: with DEFER_TASKRUN
                // completions are produced only inside our own kernel entry,
                // and an overflowed CQ is flushed only on entry.
                let sq = self.ring.submission();
                let taskrun = sq.taskrun();
                let overflow = sq.cq_overflow();
                drop(sq);
                if !(self.unsubmitted || taskrun || overflow) {
                    return Ok(());
                }
                stats.taskrun_enters += u64::from(taskrun);
                stats.overflow_enters += u64::from(overflow);
                self.unsubmitted = false;
                if self.sqpoll {
                    // `submit` wakes the SQ thread and adds GETEVENTS when flagged.
                    return ignore_transient(self.ring.submit().map(drop));
                }
                // Always GETEVENTS (min_complete 0 never waits): the task
                // work this submission queues (a Send's linked timeout,
                // cancelled when the Send completes inline) runs in this
                // entry instead of flagging the ring for another one.
                ignore_transient(self.enter_getevents())
            }
            Mode::Block => {
                self.unsubmitted = false;
                if !self.ring.completion().is_empty() || !self.early.is_empty() {
                    return ignore_transient(self.ring.submit().map(drop));
                }
                let args = types::SubmitArgs::new().timespec(wait);
                ignore_transient(self.ring.submitter().submit_with_args(1, &args).map(drop))
            }
        }
    }

    /// Teardown: cancels every operation in flight (`extra`, e.g. closes
    /// that end zero-copy sends, goes in right after the cancel) and reaps
    /// until nothing is in flight or `limit` has passed. Returns what is
    /// still in flight (0 unless the kernel failed us). Completions are
    /// only counted: no handler runs any more.
    pub(crate) fn cancel_all_and_drain(
        &mut self,
        extra: &[squeue::Entry],
        limit: Duration,
    ) -> usize {
        if self.in_flight == 0 {
            return 0;
        }
        let cancel = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(TEARDOWN_USER_DATA);
        self.push(&[cancel]);
        for e in extra {
            self.push(std::slice::from_ref(e));
        }
        let end = Instant::now() + limit;
        let step = types::Timespec::new().nsec(50_000_000);
        let mut sink = Vec::new();
        while self.in_flight > 0 && Instant::now() < end {
            let args = types::SubmitArgs::new().timespec(&step);
            if let Err(e) = self.ring.submitter().submit_with_args(1, &args) {
                if !is_transient(&e) {
                    tracing::error!(error = %e, "io_uring enter failed during teardown");
                    break;
                }
            }
            sink.clear();
            self.reap(&mut sink);
        }
        self.in_flight
    }
}

#[cfg(test)]
impl Ring {
    /// Makes the next loop turn fail as a refused submission would.
    pub(crate) fn fail_for_test(&mut self) {
        self.failed = Some(io::Error::other("injected failure"));
    }
}

/// user_data of teardown's own entries: decodes to no operation.
pub(crate) const TEARDOWN_USER_DATA: u64 = 0;

impl Ring {
    /// `io_uring_enter(to_submit, 0, GETEVENTS)`, through the registered
    /// ring fd when there is one.
    fn enter_getevents(&mut self) -> io::Result<()> {
        let to_submit = self.ring.submission().len() as libc::c_uint;
        let (fd, flags) = match self.registered {
            Some(idx) => (
                idx as libc::c_int,
                IORING_ENTER_GETEVENTS | IORING_ENTER_REGISTERED_RING,
            ),
            None => (self.ring.as_raw_fd(), IORING_ENTER_GETEVENTS),
        };
        // SAFETY: io_uring_enter with no argument pointer (NULL, size 0);
        // `fd` is this ring's fd or its registered index on this thread,
        // and the SQ tail it reads was published by `push`.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                fd,
                to_submit,
                0 as libc::c_uint,
                flags,
                std::ptr::null::<libc::c_void>(),
                0usize,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Ring {
    /// The registration holds the ring file for the thread's lifetime:
    /// release it with the ring (the reactor drops it on its own thread).
    fn drop(&mut self) {
        if let Some(idx) = self.registered.take() {
            let mut up = RsrcUpdate {
                offset: idx,
                resv: 0,
                data: 0,
            };
            // SAFETY: `up` is one valid update entry that lives for the
            // duration of the call; the ring fd is open (we own it).
            unsafe {
                libc::syscall(
                    libc::SYS_io_uring_register,
                    self.ring.as_raw_fd(),
                    IORING_UNREGISTER_RING_FDS,
                    &mut up as *mut RsrcUpdate,
                    1 as libc::c_uint,
                )
            };
        }
    }
}

/// `struct io_uring_rsrc_update`.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

const IORING_ENTER_GETEVENTS: libc::c_uint = 1;
const IORING_ENTER_REGISTERED_RING: libc::c_uint = 1 << 4;
const IORING_REGISTER_RING_FDS: libc::c_uint = 20;
const IORING_UNREGISTER_RING_FDS: libc::c_uint = 21;

/// Registers the ring's own fd for this thread (Linux 5.18+); `None` if the
/// kernel refuses, and entries then name the fd.
fn register_ring_fd(ring: &IoUring) -> Option<u32> {
    let mut up = RsrcUpdate {
        offset: u32::MAX, // any free slot
        resv: 0,
        data: ring.as_raw_fd() as u64,
    };
    // SAFETY: `up` is one valid update entry that lives for the duration
    // of the call; the ring fd is open.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            ring.as_raw_fd(),
            IORING_REGISTER_RING_FDS,
            &mut up as *mut RsrcUpdate,
            1 as libc::c_uint,
        )
    };
    (r == 1).then_some(up.offset)
}

/// Errors after which the same call may succeed: a signal, a timed wait,
/// a kernel short of memory, a completion queue to reap first.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN)
    )
}

fn ignore_transient(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if is_transient(&e) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ReactorConfig {
        ReactorConfig {
            ring_entries: 8,
            ..ReactorConfig::default()
        }
    }

    #[test]
    fn ring_fd_registration_is_released_with_the_ring() {
        // A thread holds at most 16 registered ring fds: without the
        // release in drop the 17th ring would enter through its plain fd.
        for _ in 0..40 {
            let ring = Ring::new(&small()).unwrap();
            assert!(ring.registered.is_some());
        }
    }

    #[test]
    fn a_full_queue_is_submitted_and_nothing_is_lost_or_miscounted() {
        let mut ring = Ring::new(&small()).unwrap();
        // Three times the queue: pushing must submit (and reap) to make room.
        for i in 0..24u64 {
            assert!(ring.push(&[opcode::Nop::new().build().user_data(i + 1)]));
        }
        let mut got = Vec::new();
        let end = Instant::now() + Duration::from_secs(5);
        while ring.in_flight() > 0 && Instant::now() < end {
            let ts = types::Timespec::new().nsec(10_000_000);
            ring.enter(Mode::Block, &ts, &mut StatsSnapshot::default())
                .unwrap();
            ring.reap(&mut got);
        }
        let mut ids: Vec<u64> = got.iter().map(|c| c.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=24).collect::<Vec<_>>());
        assert_eq!(ring.in_flight(), 0);
        assert!(ring.take_failure().is_none());
    }

    #[test]
    fn an_entry_the_ring_refuses_is_reported_not_counted() {
        let mut ring = Ring::new(&small()).unwrap();
        // A chain longer than the whole queue can never be queued at once.
        let chain: Vec<_> = (0..9).map(|_| opcode::Nop::new().build()).collect();
        assert!(!ring.push(&chain));
        assert_eq!(ring.in_flight(), 0);
        assert!(ring.take_failure().is_some());
    }

    #[test]
    fn teardown_cancels_what_would_never_complete() {
        let mut ring = Ring::new(&small()).unwrap();
        let ts = types::Timespec::new().sec(3600);
        assert!(ring.push(&[opcode::Timeout::new(&ts).build().user_data(7)]));
        ring.enter(Mode::Spin, &ts, &mut StatsSnapshot::default())
            .unwrap();
        assert_eq!(ring.in_flight(), 1);
        let left = ring.cancel_all_and_drain(&[], Duration::from_secs(5));
        assert_eq!(left, 0);
        assert_eq!(ring.in_flight(), 0);
    }
}
