//! A caller's claim on its `Idempotency-Key`, shared by holds and walk-ins: the first request
//! binds the key to its payload and to the id of the hold it makes; a retry with the same
//! payload finds that id (whatever release made it), another payload is refused (422). A
//! refused request drops its claim, so the key is as if unused.

use std::future::Future;

use crate::app::App;
use crate::error::ApiError;
use crate::store::{legacy_hold_id, Actor};

/// Whom a key and a hold belong to: a buyer by its `sub` (as in earlier releases), anyone else
/// by role and `sub`, so that a buyer whose `sub` equals a seller's meets none of its keys.
pub fn principal(actor: &Actor) -> String {
    if actor.role == "buyer" {
        actor.sub.clone()
    } else {
        format!("{}\0{}", actor.role, actor.sub)
    }
}

/// Runs `make` with the hold id the key is bound to, under the claim of `key` for a request
/// with payload hash `hash` whose home resource is `home`.
pub async fn claimed<T, F, Fut>(app: &App, actor: &Actor, key: &str, hash: &str, home: &str, make: F) -> Result<T, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let who = principal(actor);
    let fresh_id = app.ids.make(&who, key, home);
    let value = format!("{hash} {home} {} {fresh_id}", ulid::Ulid::new());
    let (id, mine) = match app.store.claim(&who, key, &value, app.cfg.record_lifetime()).await? {
        None => (fresh_id, true),
        Some(standing) => {
            let f: Vec<&str> = standing.split(' ').collect();
            if f.first() != Some(&hash) {
                return Err(ApiError::IdempotencyKeyReused);
            }
            // A claim of a release before opaque ids carries no id: its hold has the old one.
            let id = match (f.get(3), f.get(1)) {
                (Some(id), _) => (*id).to_string(),
                (None, Some(old_home)) => legacy_hold_id(&who, key, old_home),
                (None, None) => fresh_id,
            };
            (id, false)
        }
    };
    let r = make(id).await;
    // After a store failure the outcome may be unknown: the claim stays, and a retry with the
    // same payload finds out.
    if mine && r.as_ref().is_err_and(|e| e.status().is_client_error()) {
        if let Err(e) = app.store.unclaim(&who, key, &value).await {
            tracing::warn!(error = %e, "could not drop the claim of a refused request; the key stays bound to its payload");
        }
    }
    r
}
