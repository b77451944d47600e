//! Repeated token failures from one address, slowed down.
//!
//! Every refused token is counted per client address in a fixed window of
//! [`WINDOW`]. The first [`FREE_FAILURES`] in a window are answered at once
//! (401); from then on each refusal is answered `429 Too Many Requests` with
//! `Retry-After` (the rest of the window), and only after a delay that doubles
//! with each further failure, from [`FIRST_DELAY`] up to [`MAX_DELAY`]. The
//! token is always checked first, so a valid token — and a request without
//! one — is never counted, delayed or refused here, even from an address that
//! is being throttled (several clients may share one address behind a NAT).
//!
//! The count lives in memory, per process, for at most [`MAX_ADDRESSES`]
//! addresses: when that many are counted, expired windows are dropped, then
//! the oldest. Time is passed in, so the arithmetic is tested without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures in a window that are refused without delay.
pub const FREE_FAILURES: u32 = 5;

/// How long failures are remembered: a window starts with an address's first
/// failure and ends this much later.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The delay of the first refusal past [`FREE_FAILURES`]; each further one doubles it.
pub const FIRST_DELAY: Duration = Duration::from_millis(250);

/// The longest a refusal is delayed.
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// The most addresses counted at once.
pub const MAX_ADDRESSES: usize = 10_000;

/// An address's failures in its current window.
#[derive(Clone, Copy, Debug)]
struct Failures {
    /// When the window started.
    since: Instant,
    /// Failures within it, this one included.
    count: u32,
}

/// How a refused token is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// At once, with 401.
    Refuse,
    /// After `delay`, with 429 and `Retry-After: retry_after` (whole seconds).
    Slow {
        /// How long the answer waits.
        delay: Duration,
        /// When the address's window ends, in whole seconds (at least 1).
        retry_after: u64,
    },
}

/// The failure counts of client addresses.
#[derive(Debug)]
pub struct Throttle {
    addresses: Mutex<HashMap<IpAddr, Failures>>,
    capacity: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::with_capacity(MAX_ADDRESSES)
    }
}

impl Throttle {
    /// A throttle counting at most `capacity` addresses.
    pub fn with_capacity(capacity: usize) -> Self {
        Throttle {
            addresses: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// Count a refused token from `address` at `now`; how to answer it.
    pub fn failed(&self, address: IpAddr, now: Instant) -> Verdict {
        // A poisoned lock only means another request panicked while counting:
        // the counts are still usable.
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !addresses.contains_key(&address) && addresses.len() >= self.capacity {
            make_room(&mut addresses, now, self.capacity);
        }
        let failures = addresses.entry(address).or_insert(Failures {
            since: now,
            count: 0,
        });
        if now.saturating_duration_since(failures.since) >= WINDOW {
            *failures = Failures {
                since: now,
                count: 0,
            };
        }
        failures.count = failures.count.saturating_add(1);
        match delay_after(failures.count) {
            None => Verdict::Refuse,
            Some(delay) => Verdict::Slow {
                delay,
                retry_after: window_left(failures.since, now),
            },
        }
    }

    /// How many addresses are counted now.
    pub fn len(&self) -> usize {
        self.addresses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Whether no address is counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The delay of the `count`th failure of a window: none for the free ones,
/// then [`FIRST_DELAY`] doubling up to [`MAX_DELAY`].
pub fn delay_after(count: u32) -> Option<Duration> {
    let over = count.checked_sub(FREE_FAILURES + 1)?;
    // 2^over overflows long before the cap matters: stop doubling at the cap.
    let factor = 1u32.checked_shl(over.min(16)).unwrap_or(u32::MAX);
    Some(FIRST_DELAY.saturating_mul(factor).min(MAX_DELAY))
}

/// Whole seconds left of a window that started `since`, at least 1.
fn window_left(since: Instant, now: Instant) -> u64 {
    let left = WINDOW.saturating_sub(now.saturating_duration_since(since));
    (left.as_millis().div_ceil(1000) as u64).max(1)
}

/// Drop expired windows; if that frees nothing, the oldest window.
fn make_room(addresses: &mut HashMap<IpAddr, Failures>, now: Instant, capacity: usize) {
    addresses.retain(|_, f| now.saturating_duration_since(f.since) < WINDOW);
    if addresses.len() >= capacity
        && let Some(oldest) = addresses
            .iter()
            .min_by_key(|(_, f)| f.since)
            .map(|(address, _)| *address)
    {
        addresses.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn the_first_five_failures_are_free_then_delays_double_up_to_two_seconds() {
        let delays: Vec<Option<u64>> = (1..=10)
            .map(|n| delay_after(n).map(|d| d.as_millis() as u64))
            .collect();
        assert_eq!(
            delays,
            [
                None,
                None,
                None,
                None,
                None,
                Some(250),
                Some(500),
                Some(1000),
                Some(2000),
                Some(2000)
            ]
        );
        assert_eq!(delay_after(u32::MAX), Some(MAX_DELAY));
    }

    #[test]
    fn the_sixth_failure_within_a_minute_is_slowed_with_the_rest_of_the_window() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for n in 0..5 {
            let at = start + Duration::from_secs(n);
            assert_eq!(throttle.failed(address(1), at), Verdict::Refuse);
        }
        assert_eq!(
            throttle.failed(address(1), start + Duration::from_millis(20_500)),
            Verdict::Slow {
                delay: FIRST_DELAY,
                retry_after: 40
            }
        );
        // Another address is counted apart.
        assert_eq!(throttle.failed(address(2), start), Verdict::Refuse);
    }

    #[test]
    fn a_new_window_starts_a_minute_after_the_first_failure() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..7 {
            throttle.failed(address(1), start);
        }
        assert_eq!(throttle.failed(address(1), start + WINDOW), Verdict::Refuse);
    }

    #[test]
    fn a_full_map_drops_expired_windows_then_the_oldest() {
        let throttle = Throttle::with_capacity(2);
        let start = Instant::now();
        throttle.failed(address(1), start);
        throttle.failed(address(2), start + Duration::from_secs(1));
        throttle.failed(address(3), start + Duration::from_secs(2));
        assert_eq!(throttle.len(), 2);
        // Address 1 was the oldest and is forgotten: it starts afresh.
        let addresses = throttle.addresses.lock().unwrap();
        assert!(!addresses.contains_key(&address(1)));
        drop(addresses);
        throttle.failed(address(4), start + WINDOW + Duration::from_secs(5));
        assert_eq!(throttle.len(), 1);
    }
}
