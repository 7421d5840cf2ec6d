//! The summary `initiator --app orders` and `demo` print: round-trip
//! percentiles, throughput, final sequence numbers, message counts.

use ringfix_engine::apps::orders::OrdersReport;
use ringfix_engine::runtime::SessionReport;
use serde_json::json;

/// One orders session's results.
pub struct Summary<'a> {
    /// What the orders application measured.
    pub orders: &'a OrdersReport,
    /// The session's counters at the end.
    pub session: &'a SessionReport,
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

impl Summary<'_> {
    /// Human-readable lines.
    pub fn text(&self) -> String {
        let o = self.orders;
        let h = &o.histogram;
        let s = self.session;
        format!(
            "session {id}\n\
             orders sent {sent}, filled {filled}, rejected {rej}{incomplete}\n\
             round trip us: p50 {p50:.1}  p90 {p90:.1}  p99 {p99:.1}  p99.9 {p999:.1}  max {max:.1}\n\
             throughput {tp:.0} orders/s\n\
             next sequence numbers: sender {ns}, target {nt}\n\
             messages: sent {mo}, received {mi}\n",
            id = s.id,
            sent = o.sent,
            filled = o.answered,
            rej = o.rejected,
            incomplete = if o.complete { "" } else { " (INCOMPLETE)" },
            p50 = us(h.value_at_quantile(0.5)),
            p90 = us(h.value_at_quantile(0.9)),
            p99 = us(h.value_at_quantile(0.99)),
            p999 = us(h.value_at_quantile(0.999)),
            max = us(h.max()),
            tp = o.throughput(),
            ns = s.next_sender_seq,
            nt = s.next_target_seq,
            mo = s.messages_out,
            mi = s.messages_in,
        )
    }

    /// Machine-readable summary (what the interop script compares).
    pub fn json(&self) -> serde_json::Value {
        let o = self.orders;
        let h = &o.histogram;
        let s = self.session;
        json!({
            "session": s.id.to_string(),
            "complete": o.complete,
            "orders_sent": o.sent,
            "orders_filled": o.answered,
            "orders_rejected": o.rejected,
            "rtt_ns": {
                "p50": h.value_at_quantile(0.5),
                "p90": h.value_at_quantile(0.9),
                "p99": h.value_at_quantile(0.99),
                "p99_9": h.value_at_quantile(0.999),
                "max": h.max(),
                "count": h.len(),
            },
            "throughput_per_s": o.throughput(),
            "next_sender_seq": s.next_sender_seq,
            "next_target_seq": s.next_target_seq,
            "messages_sent": s.messages_out,
            "messages_received": s.messages_in,
            "logons": s.logons,
        })
    }
}
