//! Measurement loop and output shared by every benchmark row.

/// CPU time of the calling thread in nanoseconds: the machine is shared, so
/// time spent descheduled must not count against the code under test.
pub fn thread_cpu_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// Options common to the subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Timed runs per row; the median is reported.
    #[arg(long, default_value_t = 15)]
    pub runs: usize,
    /// Target wall time of one run, in milliseconds.
    #[arg(long, default_value_t = 40)]
    pub run_ms: u64,
    /// Only rows whose case contains this text.
    #[arg(long)]
    pub case: Option<String>,
    /// Only rows of this op.
    #[arg(long)]
    pub op: Option<String>,
}

/// One measured row.
#[derive(Debug, Clone)]
pub struct Row {
    pub case: &'static str,
    pub op: &'static str,
    pub ns_per_msg: f64,
    pub bytes: usize,
}

impl Options {
    /// Whether the row `case`/`op` is selected.
    pub fn wants(&self, case: &str, op: &str) -> bool {
        self.case.as_deref().is_none_or(|c| case.contains(c))
            && self.op.as_deref().is_none_or(|o| o == op)
    }
}

/// Median thread-CPU ns per call of `f` over `opts.runs` runs, each sized to `run_ms`.
pub fn measure(opts: &Options, mut f: impl FnMut()) -> f64 {
    // Warm up and size the batch.
    let mut iters: u64 = 1000;
    loop {
        let t = thread_cpu_ns();
        for _ in 0..iters {
            f();
        }
        let el = thread_cpu_ns() - t;
        if el as u64 >= opts.run_ms * 250_000 || iters > 1 << 30 {
            let per = el as f64 / iters as f64;
            iters = ((opts.run_ms as f64 * 1e6) / per.max(0.1)) as u64;
            break;
        }
        iters *= 4;
    }
    let iters = iters.max(1);
    let mut samples: Vec<f64> = (0..opts.runs.max(1))
        .map(|_| {
            let t = thread_cpu_ns();
            for _ in 0..iters {
                f();
            }
            (thread_cpu_ns() - t) as f64 / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Print the rows as JSON lines or a table.
pub fn print(opts: &Options, rows: &[Row]) {
    if opts.json {
        for r in rows {
            let line = serde_json::json!({
                "case": r.case,
                "op": r.op,
                "ns_per_msg": (r.ns_per_msg * 10.0).round() / 10.0,
                "bytes": r.bytes,
            });
            println!("{line}");
        }
        return;
    }
    println!(
        "{:<12} {:<8} {:>12} {:>8} {:>10}",
        "case", "op", "ns/msg", "bytes", "MB/s"
    );
    for r in rows {
        let mbs = r.bytes as f64 / r.ns_per_msg * 1e3;
        println!(
            "{:<12} {:<8} {:>12.1} {:>8} {:>10.0}",
            r.case, r.op, r.ns_per_msg, r.bytes, mbs
        );
    }
}
