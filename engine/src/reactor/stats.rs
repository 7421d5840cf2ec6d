//! Counters: kept as plain integers on the reactor thread, published to
//! atomics once per busy loop turn (stores, no read-modify-write).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($($name:ident: $doc:literal),* $(,)?) => {
        /// Live counters, readable from any thread.
        #[derive(Debug, Default)]
        pub struct ReactorStats { $(#[doc = $doc] pub $name: AtomicU64,)* }

        /// A copy of the counters at one moment.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct StatsSnapshot { $(#[doc = $doc] pub $name: u64,)* }

        impl ReactorStats {
            /// Reads every counter.
            pub fn snapshot(&self) -> StatsSnapshot {
                StatsSnapshot { $($name: self.$name.load(Relaxed),)* }
            }
            pub(crate) fn publish(&self, s: &StatsSnapshot) {
                $(self.$name.store(s.$name, Relaxed);)*
            }
        }
    };
}

counters! {
    loop_turns: "Loop turns.",
    sqes_submitted: "Submission queue entries pushed to the ring (every operation, linked timeouts included).",
    recvs_submitted: "Recv operations submitted.",
    recvs_linked: "Recv operations submitted with a linked timeout.",
    recv_timeouts_fired: "Recv linked timeouts that fired (deadline reached).",
    deadline_updates: "In-flight linked timeouts moved with a timeout update.",
    deadlines_delivered: "on_deadline calls.",
    idle_calls: "on_idle calls (background work in loop turns with nothing else to do).",
    sends_submitted: "Send operations submitted.",
    sends_linked: "Send operations submitted with a linked timeout.",
    sends_zc: "Sends submitted as zero-copy (SendZc).",
    send_timeouts_fired: "Send linked timeouts that fired.",
    bytes_in: "Bytes received.",
    bytes_out: "Bytes sent.",
    frames_in: "Complete frames given to handlers.",
    garbled_bytes: "Bytes reported as garbled.",
    carried_bytes: "Bytes of partial frames copied to the buffer start.",
    accepted: "Connections accepted.",
    accept_rejected: "Accepted sockets closed at once (no slot, factory said no, or a peer not allowed).",
    accept_not_allowed: "Accepted sockets closed at once because the peer is not in AllowedRemoteAddresses (also counted in accept_rejected).",
    connected: "Outbound connections established.",
    connect_failed: "Outbound connections that failed or timed out.",
    closed: "Connections fully closed.",
    closed_aborted: "Closes that dropped unsent bytes (SO_LINGER 0).",
    closed_queue_limit: "Connections closed for exceeding the outbound queue limit.",
    open_connections: "Connections currently open or closing.",
    connection_slots: "Connection slots allocated so far (grown in chunks up to max_connections).",
    outbound_trims: "Outbound buffers given back to their base capacity after a backlog.",
    taskrun_enters: "Kernel entries made because the ring flagged pending task work.",
    overflow_enters: "Kernel entries made because the completion queue overflowed.",
    wakeups: "Cross-thread wake-ups read from the eventfd.",
    commands: "Commands drained from the control queue.",
    invariant_violations: "Open connections found without a Recv + linked timeout in flight.",
    tls_handshakes: "TLS handshakes completed.",
    tls_failures: "TLS connections closed by a TLS error or a handshake timeout.",
    teardown_in_flight: "Operations in flight when the reactor was torn down (then cancelled and reaped before any buffer or fd was released).",
    teardown_left: "Operations still in flight when teardown gave up waiting (their buffers and fds were leaked, not freed); 0 unless the kernel failed us.",
}
