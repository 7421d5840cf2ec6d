//! A counting global allocator for the allocation tests. One copy for the
//! whole workspace: codec's and engine's tests include it by path.
#![allow(dead_code)]

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
