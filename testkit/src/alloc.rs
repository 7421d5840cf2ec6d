//! A counting global allocator for the allocation tests: every test binary
//! that checks allocations installs it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Install with `#[global_allocator] static GLOBAL: Counting = Counting;`.
pub struct Counting;

static ALL: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Per thread as well: the harness runs tests (and allocates) in parallel.
    static MINE: Cell<u64> = const { Cell::new(0) };
}

/// Allocations and reallocations made by this thread so far.
pub fn allocs() -> u64 {
    MINE.with(Cell::get)
}

/// Allocations and reallocations made by every thread so far.
pub fn allocs_all() -> u64 {
    ALL.load(Ordering::Relaxed)
}

fn count() {
    ALL.fetch_add(1, Ordering::Relaxed);
    // `try_with`: the allocator may run while thread-locals are torn down.
    let _ = MINE.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator unchanged; the
// counting touches only atomics and a const-initialised thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs the calling test in a process of its own, for tests that count
/// every thread's allocations ([`allocs_all`]) while the other tests of the
/// binary run in parallel. `name` is the test's path in the binary (as
/// `cargo test` prints it). Returns true in the parent, which has run the
/// child and checked that it passed: the caller returns at once. Returns
/// false in the child, which goes on to run the test's body alone.
#[allow(
    clippy::panic,
    reason = "test support: a failed child fails the calling test"
)]
pub fn alone(name: &str) -> bool {
    const VAR: &str = "RINGFIX_TEST_ALONE";
    if std::env::var(VAR).is_ok_and(|v| v == name) {
        return false;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => panic!("current_exe: {e}"),
    };
    // A name that matches no test would run nothing and pass: check first.
    let listed = std::process::Command::new(&exe)
        .args([name, "--exact", "--list"])
        .output();
    match listed {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains(&format!("{name}: test")) => {}
        Ok(_) => panic!("{name}: no such test in this binary"),
        Err(e) => panic!("{name}: cannot list the tests: {e}"),
    }
    let status = std::process::Command::new(exe)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(VAR, name)
        .status();
    match status {
        Ok(s) if s.success() => true,
        Ok(s) => panic!("{name} (alone in its own process) failed: {s}"),
        Err(e) => panic!("{name}: cannot start its own process: {e}"),
    }
}
