//! Re-enabling a disabled endpoint (docs/webhooks.md, "Disabled, and enabled again"). By
//! default it resumes where it stopped: its backlog (the event that failed first, then the
//! rest, in order) and the events of its resources committed while it was disabled, read
//! again from the streams, then what came since; the receiver de-duplicates on
//! `webhook-id` as ever. Or it drops the backlog and hears of events from now on.

use crate::app::AppRef;
use crate::store::webhook_enable::Begun;
use crate::store::webhooks::EndpointRecord;
use crate::store::StoreError;

use super::fanout;

/// How far before its disabling the gap is read again: events of entries the fan-out had not
/// yet read when the endpoint stopped (those already queued are not queued twice).
const GAP_MARGIN_MS: i64 = 60_000;

/// What re-enabling did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enabled {
    /// It was disabled (or half re-enabled) and is enabled now; false: it was enabled already.
    pub changed: bool,
    /// Events of the gap queued after the backlog.
    pub queued: u64,
    /// Events dropped: the backlog (`drop`), or the oldest past the cap.
    pub dropped: u64,
    /// When it had been disabled (ms; 0 if unknown).
    pub disabled_at: i64,
}

/// Enables `ep` again; `keep`: resume where it stopped (else from now). `None`: it was
/// deleted meanwhile.
pub async fn enable(app: &AppRef, ep: &EndpointRecord, keep: bool) -> Result<Option<Enabled>, StoreError> {
    let now = app.store.time_ms().await?;
    let (disabled_at, dropped) = match app.store.wh_enable_begin(&ep.id, keep, now).await? {
        Begun::Gone => return Ok(None),
        Begun::AlreadyEnabled => return Ok(Some(Enabled::default())),
        Begun::Started { disabled_at, dropped } => (disabled_at, dropped),
    };
    if !keep {
        return Ok(Some(Enabled { changed: true, queued: 0, dropped, disabled_at }));
    }
    // From here on every fan-out queues the endpoint's new events (the version moved); the
    // gap is read after that, so that no event falls between the two.
    let from = if disabled_at > 0 { disabled_at - GAP_MARGIN_MS } else { now - GAP_MARGIN_MS };
    let gap = fanout::since(app, ep, from.max(0)).await?;
    let wire = fanout::wire(app, ep, &gap.iter().collect::<Vec<_>>()).await?;
    let (cap, shed) = fanout::backlog_cap(app);
    match app.store.wh_enable_finish(&ep.id, cap, wire).await? {
        Some((queued, over)) => {
            fanout::count_dropped(app, &ep.id, over, shed);
            Ok(Some(Enabled { changed: true, queued, dropped: over, disabled_at }))
        }
        // Another call finished it first (or it was deleted): what it did stands.
        None => Ok(app.store.wh_get(&ep.id).await?.map(|_| Enabled { changed: true, disabled_at, ..Enabled::default() })),
    }
}
