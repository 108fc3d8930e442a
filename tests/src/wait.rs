//! Waiting for a condition instead of sleeping a fixed time: [`eventually`] polls a check
//! until it passes or the timeout runs out, then fails the test with the check's last word.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`eventually`] polls.
pub const POLL: Duration = Duration::from_millis(100);

/// Polls `check` every [`POLL`] until it answers `Ok`, and returns that value; panics with
/// the last `Err` (what was seen instead) once `timeout` has passed. The check runs at least
/// once, and once more at the deadline.
pub async fn eventually<T, E, F, Fut>(timeout: Duration, check: F) -> T
where
    E: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    eventually_every(timeout, POLL, check).await
}

/// [`eventually`], polling every `every` (for a check that costs a request elsewhere).
pub async fn eventually_every<T, E, F, Fut>(timeout: Duration, every: Duration, mut check: F) -> T
where
    E: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(seen) if Instant::now() >= deadline => panic!("not within {timeout:?}: {seen:?}"),
            Err(_) => tokio::time::sleep(every.min(deadline.saturating_duration_since(Instant::now())).max(Duration::from_millis(1))).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_once_the_check_passes() {
        let mut n = 0;
        let got = eventually(Duration::from_secs(5), || {
            n += 1;
            let n = n;
            async move {
                if n >= 3 {
                    Ok(n)
                } else {
                    Err(n)
                }
            }
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "not within")]
    async fn fails_with_what_it_saw_at_the_deadline() {
        eventually(Duration::from_millis(250), || async { Err::<(), _>("still 0") }).await;
    }
}
