//! The io_uring ring: setup, pushing SQEs, and entering the kernel only when
//! needed.

use super::config::{io_err, Mode, ReactorConfig, ReactorError};
use super::stats::StatsSnapshot;
use io_uring::{squeue, types, IoUring};
use std::io;
use std::os::fd::AsRawFd;

pub(crate) struct Ring {
    pub(crate) ring: IoUring,
    /// Entries pushed since the last kernel entry.
    unsubmitted: bool,
    /// The ring's index among the thread's registered ring fds (spin mode
    /// enters with it: no file lookup per entry), if registered.
    registered: Option<u32>,
    sqpoll: bool,
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
        })
    }

    /// Entries pushed since the last kernel entry.
    pub(crate) fn has_unsubmitted(&self) -> bool {
        self.unsubmitted
    }

    /// Queues entries together (a linked chain is never split across
    /// submissions); submits first if the queue is full.
    pub(crate) fn push(&mut self, entries: &[squeue::Entry]) {
        loop {
            // Safety: every pointer in our entries refers to memory that
            // outlives the operation (slot fields, the buffer region, statics).
            let pushed = unsafe { self.ring.submission().push_multiple(entries) };
            if pushed.is_ok() {
                self.unsubmitted = true;
                return;
            }
            if let Err(e) = self.ring.submit() {
                tracing::error!(error = %e, "io_uring submit failed while the queue was full");
                if e.raw_os_error() != Some(libc::EBUSY) && e.raw_os_error() != Some(libc::EAGAIN) {
                    return;
                }
            }
        }
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
                if !self.ring.completion().is_empty() {
                    return ignore_transient(self.ring.submit().map(drop));
                }
                let args = types::SubmitArgs::new().timespec(wait);
                ignore_transient(self.ring.submitter().submit_with_args(1, &args).map(drop))
            }
        }
    }
}

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
        // Safety: no argument pointer; the SQ tail was published by `push`.
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
            // Safety: one valid update entry for the duration of the call.
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
    // Safety: one valid update entry for the duration of the call.
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

fn ignore_transient(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ETIME | libc::EINTR | libc::EBUSY)
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_fd_registration_is_released_with_the_ring() {
        // A thread holds at most 16 registered ring fds: without the
        // release in drop the 17th ring would enter through its plain fd.
        let cfg = ReactorConfig {
            ring_entries: 8,
            ..ReactorConfig::default()
        };
        for _ in 0..40 {
            let ring = Ring::new(&cfg).unwrap();
            assert!(ring.registered.is_some());
        }
    }
}
