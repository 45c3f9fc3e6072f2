//! [`StopSignal`]: how a server connection learns that a stop has begun,
//! looked at with one atomic load per wait rather than a poll of the
//! stop channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use ::tokio::sync::watch;

use super::call::BoxFuture;

/// A connection's view of the server's stop: `begun`, a flag set before
/// the stop channel is sent `true`, and a wait on that channel to be woken
/// by. The wait is polled once per waker (it keeps waking the waker it was
/// polled with); after that the flag says whether the stop has begun, so
/// that a connection waiting for every message does not poll the channel
/// (a lock) for each.
///
/// The flag must be set before every send on the channel, and the sender
/// must outlive the connection (a dropped sender would end the wait
/// without setting the flag).
pub(crate) struct StopSignal<'a> {
    begun: &'a AtomicBool,
    /// Ends when the channel changes; `None` once the stop has been seen.
    changed: Option<BoxFuture<'static, ()>>,
    /// The waker `changed` was polled with (`None`: not polled yet).
    polled_with: Option<Waker>,
}

impl<'a> StopSignal<'a> {
    /// The stop of the server whose flag is `begun` and channel `stop`.
    pub(crate) fn new(begun: &'a AtomicBool, mut stop: watch::Receiver<bool>) -> StopSignal<'a> {
        StopSignal {
            begun,
            changed: Some(Box::pin(async move {
                // A dropped sender means the server is gone: stop too.
                let _ = stop.changed().await;
            })),
            polled_with: None,
        }
    }

    /// True once the stop has begun.
    pub(crate) fn has_begun(&self) -> bool {
        self.changed.is_none() || self.begun.load(Ordering::SeqCst)
    }

    /// Ready once the stop has begun; else the task is woken when it does.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.has_begun() {
            return self.seen();
        }
        let Some(changed) = self.changed.as_mut() else {
            return self.seen();
        };
        if self
            .polled_with
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        if changed.as_mut().poll(cx).is_ready() {
            return self.seen();
        }
        // A `Pending` with the task's budget spent registered nothing
        // (tokio's coop): poll again next time.
        if ::tokio::task::coop::has_budget_remaining() {
            self.polled_with = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Drops the wait, the stop being seen.
    fn seen(&mut self) -> Poll<()> {
        self.changed = None;
        self.polled_with = None;
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::time::Duration;

    /// A stop begun (from another task) while the signal waits wakes the
    /// waiting task, which sees it; a signal made after it sees it at once.
    #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stop_begun_while_waiting_is_seen() {
        let begun: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let (sender, receiver) = watch::channel(false);
        let (polled, was_polled) = ::tokio::sync::oneshot::channel();
        let waiting = ::tokio::spawn(async move {
            let mut signal = StopSignal::new(begun, receiver);
            assert!(poll_fn(|cx| Poll::Ready(signal.poll(cx).is_pending())).await);
            let _ = polled.send(());
            poll_fn(|cx| signal.poll(cx)).await;
            assert!(signal.has_begun());
        });
        let bound = Duration::from_secs(10);
        assert!(matches!(
            ::tokio::time::timeout(bound, was_polled).await,
            Ok(Ok(()))
        ));
        begun.store(true, Ordering::SeqCst);
        sender.send_replace(true);
        let waited = ::tokio::time::timeout(bound, waiting).await;
        assert!(matches!(waited, Ok(Ok(()))), "the waiting task ends");

        let mut late = StopSignal::new(begun, sender.subscribe());
        assert!(late.has_begun());
        assert!(poll_fn(|cx| Poll::Ready(late.poll(cx).is_ready())).await);
    }
}
