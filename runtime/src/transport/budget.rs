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
//! Waiting frames are admitted first come, first served, so a large one is
//! not passed over for ever by smaller ones that keep fitting (the
//! event-driven server mode queues its connections the same way).
//! Unframed messages are not charged (their size is unknown until read);
//! they are bounded per connection by the maximum message size.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// A shared budget of in-flight frame bytes.
#[derive(Debug)]
pub struct ByteBudget {
    limit: usize,
    state: Mutex<State>,
    freed: Condvar,
    peak: AtomicUsize,
}

/// What the lock guards: the bytes charged, and the charges waiting for
/// room, first come first served.
#[derive(Debug, Default)]
struct State {
    used: usize,
    /// Tickets of the waiting charges, in the order they asked.
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

impl State {
    /// Whether `n` more bytes fit: a charge larger than the whole budget
    /// fits when nothing else is charged.
    fn fits(&self, n: usize, limit: usize) -> bool {
        self.used == 0 || self.used.saturating_add(n) <= limit
    }

    /// Gives a waiting charge up (it timed out or was cancelled).
    fn leave(&mut self, ticket: u64) {
        self.waiting.retain(|&t| t != ticket);
    }
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
            state: Mutex::new(State::default()),
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
        self.lock().used
    }

    /// The most bytes ever charged at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn charge(&self, st: &mut State, n: usize) {
        st.used += n;
        self.peak.fetch_max(st.used, Ordering::Relaxed);
    }

    /// Charges `n` bytes, waiting at most `wait` (`None`: indefinitely) for
    /// other charges to be returned, or until `cancel` is set and
    /// [`wake_all`](ByteBudget::wake_all) called. Returns whether it had to
    /// wait. Waiting charges are granted in the order they asked: a charge
    /// that would fit waits behind earlier ones that do not yet, so a large
    /// frame is not passed over by a stream of smaller ones.
    pub fn acquire(
        &self,
        n: usize,
        wait: Option<Duration>,
        cancel: Option<&AtomicBool>,
    ) -> Result<bool> {
        let mut st = self.lock();
        if st.waiting.is_empty() && st.fits(n, self.limit) {
            self.charge(&mut st, n);
            return Ok(false);
        }
        let deadline = wait.and_then(|w| Instant::now().checked_add(w));
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.waiting.push_back(ticket);
        loop {
            if st.waiting.front() == Some(&ticket) && st.fits(n, self.limit) {
                st.waiting.pop_front();
                self.charge(&mut st, n);
                // The next in line may fit as well.
                self.freed.notify_all();
                return Ok(true);
            }
            let give_up = if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                Some(TransportError::new(
                    TransportErrorKind::NotOpen,
                    "the server is stopping",
                ))
            } else {
                match deadline {
                    None => {
                        st = self.freed.wait(st).unwrap_or_else(|e| e.into_inner());
                        None
                    }
                    Some(d) => {
                        let left = d.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            Some(TransportError::new(
                                TransportErrorKind::TimedOut,
                                format!(
                                    "a frame of {n} bytes waited too long for the in-flight \
                                     byte budget ({} bytes)",
                                    self.limit
                                ),
                            ))
                        } else {
                            st = match self.freed.wait_timeout(st, left) {
                                Ok((g, _)) => g,
                                Err(e) => e.into_inner().0,
                            };
                            None
                        }
                    }
                }
            };
            if let Some(e) = give_up {
                st.leave(ticket);
                // The next in line may be at the head now.
                self.freed.notify_all();
                return Err(Error::Transport(e));
            }
        }
    }

    /// Charges `n` bytes if there is room now and no charge waits for room
    /// (it does not go ahead of them; a charge larger than the whole budget
    /// goes alone, as with [`acquire`](ByteBudget::acquire)); `false`, with
    /// nothing charged, otherwise.
    pub fn try_acquire(&self, n: usize) -> bool {
        let mut st = self.lock();
        if !st.waiting.is_empty() || !st.fits(n, self.limit) {
            return false;
        }
        self.charge(&mut st, n);
        true
    }

    /// Wakes every waiting [`acquire`](ByteBudget::acquire) so that those
    /// whose `cancel` flag is set give up.
    pub fn wake_all(&self) {
        let _st = self.lock();
        self.freed.notify_all();
    }

    /// Returns `n` charged bytes.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut st = self.lock();
        st.used = st.used.saturating_sub(n);
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

    /// Waits until `n` charges wait for room.
    fn until_waiting(b: &ByteBudget, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while b.lock().waiting.len() != n {
            assert!(Instant::now() < deadline, "never {n} waiting");
            std::thread::yield_now();
        }
    }

    #[test]
    fn waiting_charges_go_first_come_first_served() {
        let b = ByteBudget::new(100);
        b.acquire(60, None, None).unwrap();
        // 100 more bytes do not fit beside 60: the large charge waits.
        let b2 = b.clone();
        let large =
            std::thread::spawn(move || b2.acquire(100, Some(Duration::from_secs(10)), None));
        until_waiting(&b, 1);
        // 30 would fit, but it does not go ahead of the large one ...
        assert!(!b.try_acquire(30));
        let e = b
            .acquire(30, Some(Duration::from_millis(30)), None)
            .unwrap_err();
        assert!(e.to_string().contains("waited too long"), "{e}");
        // ... and giving up left the line as it was.
        assert_eq!(b.lock().waiting.len(), 1);
        let b3 = b.clone();
        let small = std::thread::spawn(move || b3.acquire(30, Some(Duration::from_secs(10)), None));
        until_waiting(&b, 2);
        b.release(60);
        assert!(large.join().unwrap().unwrap());
        // The large charge holds the whole budget; the small one follows it.
        assert!(!small.is_finished());
        assert_eq!(b.in_use(), 100);
        b.release(100);
        assert!(small.join().unwrap().unwrap());
        assert_eq!(b.in_use(), 30);
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
        assert!(b.lock().waiting.is_empty());
    }
}
