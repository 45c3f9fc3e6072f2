//! [`ByteBudget`]: a bound on the frame bytes that all connections of a
//! server may have in flight at once.
//!
//! A framed reader charges each frame larger than
//! [`ByteBudget::UNCHARGED`] to the budget before reading its body and
//! returns the charge when the message ends, so 64 clients sending 16 MB
//! frames at once cannot make the server hold a gigabyte: readers wait
//! (bounded by the message timeout) until earlier frames are done, as Apache
//! Java's `maxReadBufferBytes` makes its non-blocking server do. A frame
//! larger than the whole budget is admitted when nothing else is in flight.
//! Unframed messages are not charged (their size is unknown until read);
//! they are bounded per connection by the maximum message size.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// A shared budget of in-flight frame bytes.
#[derive(Debug)]
pub struct ByteBudget {
    limit: usize,
    used: Mutex<usize>,
    freed: Condvar,
    peak: AtomicUsize,
}

impl ByteBudget {
    /// Frames up to this size (64 KiB) are not charged: a reader's own
    /// buffer already bounds them.
    pub const UNCHARGED: usize = 64 * 1024;

    /// The default budget: 64 MiB.
    pub const DEFAULT: usize = 64 * 1024 * 1024;

    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<ByteBudget> {
        Arc::new(ByteBudget {
            limit,
            used: Mutex::new(0),
            freed: Condvar::new(),
            peak: AtomicUsize::new(0),
        })
    }

    /// The budget in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes charged now.
    pub fn in_use(&self) -> usize {
        *self.lock()
    }

    /// The most bytes ever charged at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Charges `n` bytes, waiting at most `wait` (`None`: indefinitely) for
    /// other charges to be returned, or until `cancel` is set and
    /// [`wake_all`](ByteBudget::wake_all) called. Returns whether it had to
    /// wait.
    pub fn acquire(
        &self,
        n: usize,
        wait: Option<Duration>,
        cancel: Option<&AtomicBool>,
    ) -> Result<bool> {
        let deadline = wait.and_then(|w| Instant::now().checked_add(w));
        let mut used = self.lock();
        let mut waited = false;
        while *used > 0 && used.saturating_add(n) > self.limit {
            if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                return Err(Error::Transport(TransportError::new(
                    TransportErrorKind::NotOpen,
                    "the server is stopping",
                )));
            }
            waited = true;
            used = match deadline {
                None => self.freed.wait(used).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::Transport(TransportError::new(
                            TransportErrorKind::TimedOut,
                            format!(
                                "a frame of {n} bytes waited too long for the in-flight \
                                 byte budget ({} bytes)",
                                self.limit
                            ),
                        )));
                    }
                    match self.freed.wait_timeout(used, left) {
                        Ok((g, _)) => g,
                        Err(e) => e.into_inner().0,
                    }
                }
            };
        }
        *used += n;
        self.peak.fetch_max(*used, Ordering::Relaxed);
        Ok(waited)
    }

    /// Charges `n` bytes if there is room now (or nothing is charged: a
    /// charge larger than the whole budget goes alone, as with
    /// [`acquire`](ByteBudget::acquire)); `false`, with nothing charged,
    /// otherwise.
    pub fn try_acquire(&self, n: usize) -> bool {
        let mut used = self.lock();
        if *used > 0 && used.saturating_add(n) > self.limit {
            return false;
        }
        *used += n;
        self.peak.fetch_max(*used, Ordering::Relaxed);
        true
    }

    /// Wakes every waiting [`acquire`](ByteBudget::acquire) so that those
    /// whose `cancel` flag is set give up.
    pub fn wake_all(&self) {
        let _used = self.lock();
        self.freed.notify_all();
    }

    /// Returns `n` charged bytes.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut used = self.lock();
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_wait_for_room_and_oversized_ones_go_alone() {
        let b = ByteBudget::new(100);
        assert!(!b.acquire(60, None, None).unwrap());
        let short = Some(Duration::from_millis(50));
        assert!(b.acquire(50, short, None).is_err());
        b.acquire(40, short, None).unwrap();
        assert_eq!((b.in_use(), b.peak()), (100, 100));
        let b2 = b.clone();
        let waiter =
            std::thread::spawn(move || b2.acquire(500, Some(Duration::from_secs(5)), None));
        b.release(60);
        std::thread::sleep(Duration::from_millis(20));
        assert!(!waiter.is_finished());
        b.release(40);
        assert!(waiter.join().unwrap().unwrap());
        assert_eq!(b.in_use(), 500);
        b.release(500);
        assert_eq!(b.in_use(), 0);
    }

    #[test]
    fn try_acquire_charges_only_when_there_is_room() {
        let b = ByteBudget::new(100);
        assert!(b.try_acquire(70));
        assert!(!b.try_acquire(40));
        assert_eq!(b.in_use(), 70);
        assert!(b.try_acquire(30));
        b.release(100);
        // Larger than the whole budget: alone only.
        assert!(b.try_acquire(500));
        assert!(!b.try_acquire(1));
        b.release(500);
        assert_eq!((b.in_use(), b.peak()), (0, 500));
    }

    #[test]
    fn a_cancelled_wait_gives_up_when_woken() {
        let b = ByteBudget::new(10);
        b.acquire(10, None, None).unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let (b2, c2) = (b.clone(), cancel.clone());
        let waiter = std::thread::spawn(move || b2.acquire(10, None, Some(&c2)));
        std::thread::sleep(Duration::from_millis(20));
        cancel.store(true, Ordering::SeqCst);
        b.wake_all();
        assert!(waiter.join().unwrap().is_err());
        assert_eq!(b.in_use(), 10);
    }
}
