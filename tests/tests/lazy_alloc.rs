//! Converting a lazy set whose elements repeat into an owned set reserves
//! room as the owned decoder does, not for every element sent: a 1 MB
//! compact set of a million empty strings must not make a 50 MB table.
//! (Its own test binary: it counts allocations with a global allocator.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use thriftc_runtime::{FromView, LazySet, compact};

struct Counting;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// `n` as a compact varint.
fn varint(mut n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

/// The largest single allocation `f` makes.
fn largest<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    let v = f();
    (v, LARGEST.load(Ordering::Relaxed))
}

/// Converting the lazy container reserves no more than 4x the input or
/// what the owned decoder reserves.
fn assert_bounded(lazy_peak: usize, eager_peak: usize, input: usize) {
    assert!(
        lazy_peak <= 4 * input.max(eager_peak),
        "{lazy_peak} B for {input} B of input"
    );
}

#[test]
fn a_lazy_set_of_one_repeated_element_converts_without_reserving_for_all() {
    // A compact set<string> of 1,000,000 empty strings: 1 MB.
    let n = 1_000_000usize;
    let mut bytes = vec![0xf8]; // count in a varint, element type 8 (binary)
    bytes.extend(varint(n as u32));
    bytes.extend(std::iter::repeat_n(0u8, n));
    // The owned decoder.
    let (eager, eager_peak) = largest(|| compact::decode::<HashSet<String>>(&bytes).unwrap());
    assert_eq!(eager.len(), 1);
    let (owned, lazy_peak) = largest(|| {
        let lazy: LazySet<'_, &str> = compact::decode_view(&bytes).unwrap();
        HashSet::<String>::from_view(&lazy)
    });
    assert_eq!(owned.len(), 1);
    assert_bounded(lazy_peak, eager_peak, bytes.len());
}

#[test]
fn a_lazy_map_of_one_repeated_key_converts_without_reserving_for_all() {
    use std::collections::HashMap;
    // A compact map<string, i32> of 1,000,000 entries under the key "": 2 MB.
    let n = 1_000_000usize;
    let mut bytes = varint(n as u32);
    bytes.push(0x85); // key type 8 (binary), value type 5 (i32)
    for _ in 0..n {
        bytes.extend_from_slice(&[0, 0]);
    }
    let (eager, eager_peak) = largest(|| compact::decode::<HashMap<String, i32>>(&bytes).unwrap());
    assert_eq!(eager.len(), 1);
    let (owned, lazy_peak) = largest(|| {
        let lazy: thriftc_runtime::LazyMap<'_, &str, i32> = compact::decode_view(&bytes).unwrap();
        HashMap::<String, i32>::from_view(&lazy)
    });
    assert_eq!(owned.len(), 1);
    assert_bounded(lazy_peak, eager_peak, bytes.len());
}
