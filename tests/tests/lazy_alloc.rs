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

#[test]
fn a_lazy_set_of_one_repeated_element_converts_without_reserving_for_all() {
    // A compact set<string> of 1,000,000 empty strings: 1 MB.
    let n = 1_000_000usize;
    let mut bytes = vec![0xf8]; // count in a varint, element type 8 (binary)
    let mut v = n as u32;
    while v >= 0x80 {
        bytes.push((v as u8) | 0x80);
        v >>= 7;
    }
    bytes.push(v as u8);
    bytes.extend(std::iter::repeat_n(0u8, n));
    // The eager view and the owned decoder.
    LARGEST.store(0, Ordering::Relaxed);
    let eager: HashSet<String> = compact::decode(&bytes).unwrap();
    let eager_peak = LARGEST.load(Ordering::Relaxed);
    assert_eq!(eager.len(), 1);
    LARGEST.store(0, Ordering::Relaxed);
    let lazy: LazySet<'_, &str> = compact::decode_view(&bytes).unwrap();
    let owned: HashSet<String> = HashSet::from_view(&lazy);
    let lazy_peak = LARGEST.load(Ordering::Relaxed);
    assert_eq!(owned.len(), 1);
    assert!(
        lazy_peak <= 4 * bytes.len().max(eager_peak),
        "{lazy_peak} B for {} B of input",
        bytes.len()
    );
}

#[test]
fn a_lazy_map_of_one_repeated_key_converts_without_reserving_for_all() {
    // A compact map<string, i32> of 1,000,000 entries under the key "": 2 MB.
    let n = 1_000_000usize;
    let mut bytes = Vec::new();
    let mut v = n as u32;
    while v >= 0x80 {
        bytes.push((v as u8) | 0x80);
        v >>= 7;
    }
    bytes.push(v as u8);
    bytes.push(0x85); // key type 8 (binary), value type 5 (i32)
    for _ in 0..n {
        bytes.extend_from_slice(&[0, 0]);
    }
    LARGEST.store(0, Ordering::Relaxed);
    let eager: std::collections::HashMap<String, i32> = compact::decode(&bytes).unwrap();
    let eager_peak = LARGEST.load(Ordering::Relaxed);
    assert_eq!(eager.len(), 1);
    LARGEST.store(0, Ordering::Relaxed);
    let lazy: thriftc_runtime::LazyMap<'_, &str, i32> = compact::decode_view(&bytes).unwrap();
    let owned = std::collections::HashMap::<String, i32>::from_view(&lazy);
    let lazy_peak = LARGEST.load(Ordering::Relaxed);
    assert_eq!(owned.len(), 1);
    assert!(
        lazy_peak <= 4 * bytes.len().max(eager_peak),
        "{lazy_peak} B for {} B of input",
        bytes.len()
    );
}
