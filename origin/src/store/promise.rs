//! What the store promises (`appendfsync`, replicas, `min-replicas-to-write`) against the
//! durability mode: logged at start, shown in `/v1/monitoring/health`.

use std::time::Duration;

use super::client::Store;

/// The promise as `/v1/monitoring/health` shows it (`{"mode", "error"}` when Redis does not
/// answer within 500 ms).
pub async fn reported(store: &Store) -> serde_json::Value {
    match tokio::time::timeout(Duration::from_millis(500), store.promise()).await {
        Ok(Ok(p)) => serde_json::to_value(&p).unwrap_or_default(),
        _ => serde_json::json!({"mode": store.durability().name(), "error": "the store did not answer"}),
    }
}

/// Logs at start what the store promises against the mode; each disagreement as a warning.
pub async fn log_promise(store: &Store) {
    match store.promise().await {
        Ok(p) => {
            tracing::info!(
                mode = p.mode,
                wait_replicas = p.wait_replicas,
                appendonly = %p.appendonly,
                appendfsync = %p.appendfsync,
                connected_replicas = ?p.connected_replicas,
                min_replicas_to_write = ?p.min_replicas_to_write,
                "durability: what the store promises"
            );
            for w in &p.warnings {
                tracing::warn!(mode = p.mode, "durability: {w}");
            }
        }
        Err(e) => tracing::warn!(error = %e, "durability: could not read what the store promises"),
    }
}
