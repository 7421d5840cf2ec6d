//! The io_uring ring: setup, pushing SQEs, and entering the kernel only when
//! needed.

use super::config::{io_err, Mode, ReactorConfig, ReactorError};
use super::stats::StatsSnapshot;
use io_uring::{squeue, types, IoUring};
use std::io;

pub(crate) struct Ring {
    pub(crate) ring: IoUring,
    /// Entries pushed since the last kernel entry.
    unsubmitted: bool,
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
        Ok(Self {
            ring,
            unsubmitted: false,
        })
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
                // `submit` adds GETEVENTS when the ring flags task work or overflow.
                ignore_transient(self.ring.submit().map(drop))
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
