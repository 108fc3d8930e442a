//! A step run every `period` until shutdown: the background loops' one timer.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Runs `f` every `period` (a late tick is not caught up) until `stop` turns true; a step
/// waiting on an unreachable store does not hold the shutdown up.
pub async fn every<F, Fut>(period: Duration, mut stop: watch::Receiver<bool>, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = f() => {}
            _ = stop.changed() => return,
        }
    }
}
