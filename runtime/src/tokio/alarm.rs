//! [`Alarm`]: a connection's one timer, for a deadline that moves later with
//! every message (the idle timeout), at the cost of a comparison per
//! message rather than a timer update.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use ::tokio::time::{Instant, Sleep, sleep_until};

/// Tells when a deadline has passed. A later deadline than the one the
/// tokio timer is armed for leaves the timer as it is: it fires early, is
/// then armed again for the real deadline, and only that one counts. So a
/// connection whose messages keep coming updates its timer at most once
/// per timeout, not once per message; an earlier deadline re-arms it at
/// once.
///
/// Once the timer has been polled, it is polled again only with another
/// waker (or after being re-armed); with the same one it is only looked at,
/// since it wakes that waker when it fires.
#[derive(Debug, Default)]
pub(crate) struct Alarm {
    /// The tokio timer, made on first use; armed for `armed`.
    sleep: Option<Pin<Box<Sleep>>>,
    /// When `sleep` fires: at or before `deadline`.
    armed: Option<Instant>,
    /// When the time is up (`None`: no limit).
    deadline: Option<Instant>,
    /// The waker `sleep` was polled with since it was last armed (`None`:
    /// not polled since).
    polled_with: Option<Waker>,
}

impl Alarm {
    /// Sets the deadline (`None`: no limit).
    pub(crate) fn set(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
        if let Some(at) = deadline {
            if self.armed.is_none_or(|armed| armed > at) {
                self.arm(at);
            }
        }
    }

    /// Arms the timer for `at`.
    fn arm(&mut self, at: Instant) {
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(at),
            None => self.sleep = Some(Box::pin(sleep_until(at))),
        }
        self.armed = Some(at);
        self.polled_with = None;
    }

    /// Ready once the deadline has passed (never without one); else the
    /// task is woken when the timer fires.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let (Some(deadline), Some(armed), Some(sleep)) =
                (self.deadline, self.armed, self.sleep.as_mut())
            else {
                return Poll::Pending;
            };
            let fired = match &self.polled_with {
                Some(waker) if waker.will_wake(cx.waker()) => sleep.is_elapsed(),
                _ => {
                    let fired = sleep.as_mut().poll(cx).is_ready();
                    // A `Pending` with the task's budget spent registered
                    // nothing (tokio's coop): poll again next time.
                    if !fired && ::tokio::task::coop::has_budget_remaining() {
                        self.polled_with = Some(cx.waker().clone());
                    }
                    fired
                }
            };
            if !fired {
                return Poll::Pending;
            }
            if armed >= deadline {
                return Poll::Ready(());
            }
            // Fired early, for a deadline since moved later: armed for the
            // real one, and polled again.
            self.arm(deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::time::Duration;

    const BOUND: Duration = Duration::from_secs(10);

    /// A deadline moved later is the one that counts, though the timer
    /// armed for the earlier one fires first; a deadline moved earlier
    /// counts at once.
    #[::tokio::test]
    async fn the_alarm_goes_off_at_the_deadline_last_set() {
        let start = Instant::now();
        let mut alarm = Alarm::default();
        alarm.set(Some(start + Duration::from_millis(20)));
        alarm.set(Some(start + Duration::from_millis(150)));
        let rung = ::tokio::time::timeout(BOUND, poll_fn(|cx| alarm.poll(cx))).await;
        assert!(rung.is_ok(), "the alarm goes off");
        assert!(start.elapsed() >= Duration::from_millis(150), "not before");

        let start = Instant::now();
        alarm.set(Some(start + BOUND * 3));
        assert!(poll_fn(|cx| Poll::Ready(alarm.poll(cx).is_pending())).await);
        alarm.set(Some(start + Duration::from_millis(30)));
        let rung = ::tokio::time::timeout(BOUND, poll_fn(|cx| alarm.poll(cx))).await;
        assert!(rung.is_ok(), "the earlier deadline counts");
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    /// Without a deadline the alarm never goes off, even when its timer,
    /// armed before, fires.
    #[::tokio::test]
    async fn no_deadline_never_goes_off() {
        let mut alarm = Alarm::default();
        alarm.set(Some(Instant::now() + Duration::from_millis(10)));
        alarm.set(None);
        let rung =
            ::tokio::time::timeout(Duration::from_millis(200), poll_fn(|cx| alarm.poll(cx))).await;
        assert!(rung.is_err());
    }
}
