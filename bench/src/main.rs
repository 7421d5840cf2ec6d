//! ringfix-bench: latency and throughput harness.
fn main() {}
