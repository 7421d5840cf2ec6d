//! Idle time: background work (store upkeep) done in loop turns that had
//! nothing else to do, one small step for one connection per turn.

use super::conn::Phase;
use super::event_loop::Reactor;
use super::handler::{ConnectionHandler, Ctx};
use super::sys;

impl<H: ConnectionHandler> Reactor<H> {
    /// One `on_idle` step for the connection at the head of the idle queue;
    /// it goes to the back while it has more (round-robin). O(1): only
    /// slots whose handler said `wants_idle` are queued (by `service_open`).
    pub(crate) fn run_idle(&mut self) {
        let Some(slot) = self.idle.pop_front() else {
            return;
        };
        let Some(c) = self.conns.get_mut(slot as usize) else {
            return;
        };
        c.idle_queued = false;
        if c.phase != Phase::Open || c.tls.as_ref().is_some_and(|t| !t.opened) {
            return;
        }
        let id = c.id(slot);
        let Some(h) = c.handler.as_mut() else {
            return;
        };
        if !h.wants_idle() {
            return;
        }
        self.stats.idle_calls += 1;
        let mut ctx = Ctx {
            id,
            out: &mut c.out,
            close: &mut c.close_req,
            wire_unsent: c.wire.len().saturating_sub(c.wire_off),
            stamp: 0,
        };
        if h.on_idle(&mut ctx, sys::clock()) {
            c.idle_queued = true;
            self.idle.push_back(slot);
        } else if self.idle.is_empty() {
            // Idle turns publish nothing otherwise.
            self.stats.sqes_submitted = self.ring.pushed;
            self.shared.stats.publish(&self.stats);
        }
        // Bytes queued, a close asked, or the deadline moved earlier: act
        // on them. Otherwise nothing changed for the ring (a later deadline
        // only makes the armed timeout fire early, which is harmless), and
        // servicing would cost a timeout update.
        let earlier = h.deadline().is_some_and(|d| d.as_nanos() < c.recv_deadline);
        if !c.out.is_empty() || c.close_req.is_some() || earlier {
            Self::mark(&mut self.dirty, c, slot);
            self.service_dirty();
        }
    }
}
