//! The queue of callers waiting in [`Pool::get`](super::Pool::get) for room
//! under `max_size`, oldest first.
//!
//! Only the first waiter may take a connection or a place; the others
//! sleep until they are first. Each waiter sleeps on a `Condvar` of its
//! own (used with the pool's one mutex), so a connection given back wakes
//! the one caller it is for, not all of them.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar};

/// Waiting callers in the order they started waiting.
#[derive(Default)]
pub(super) struct Waiters {
    queue: VecDeque<Waiter>,
    /// The ticket the next caller to wait gets.
    next: u64,
}

/// One waiting caller: its ticket, and what it sleeps on.
struct Waiter {
    ticket: u64,
    wake: Arc<Condvar>,
}

/// A waiter's place in the queue, held by the caller while it waits.
pub(super) struct Ticket {
    id: u64,
    wake: Arc<Condvar>,
}

impl Ticket {
    /// What this waiter sleeps on.
    pub(super) fn wake(&self) -> &Condvar {
        &self.wake
    }
}

/// Capacity kept once the queue empties: a crowd of waiters once does not
/// keep its memory for ever.
const KEPT_CAPACITY: usize = 16;

impl Waiters {
    /// How many callers are waiting.
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no caller is waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// A new waiter, at the end of the queue.
    pub(super) fn join(&mut self) -> Ticket {
        let id = self.next;
        // 2^64 waits never happen; wrapping keeps the arithmetic total.
        self.next = self.next.wrapping_add(1);
        let wake = Arc::new(Condvar::new());
        self.queue.push_back(Waiter {
            ticket: id,
            wake: wake.clone(),
        });
        Ticket { id, wake }
    }

    /// Whether `ticket` is the first waiter, the one to serve next.
    pub(super) fn is_first(&self, ticket: &Ticket) -> bool {
        self.queue.front().is_some_and(|w| w.ticket == ticket.id)
    }

    /// Takes `ticket` out of the queue (served, or given up), wherever it
    /// is in it.
    pub(super) fn leave(&mut self, ticket: &Ticket) {
        if let Some(at) = self.queue.iter().position(|w| w.ticket == ticket.id) {
            self.queue.remove(at);
        }
        if self.queue.is_empty() && self.queue.capacity() > KEPT_CAPACITY {
            self.queue.shrink_to(KEPT_CAPACITY);
        }
    }

    /// Wakes the first waiter, if any (it checks for itself whether it can
    /// be served).
    pub(super) fn wake_first(&self) {
        if let Some(first) = self.queue.front() {
            first.wake.notify_one();
        }
    }
}
