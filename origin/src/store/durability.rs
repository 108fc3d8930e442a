//! Durability you choose: `async` (a write is answered once the primary has it) or
//! `replicated` (a write is answered once `WAIT` confirms the configured replicas have it).
//!
//! The mechanism lives here and in [`Store::fcall`](super::Store): every library call that
//! changes what a caller is answered (a hold, consume, release, finish, retake, reseat, a
//! document, stock, pause, archive, quota step, and any function added later) goes, in
//! `replicated` mode, as one pipeline on one connection of a dedicated pool:
//!
//! ```text
//! FCALL <function> …      the write
//! PUBLISH aforo:durable   a no-op for clients, but always propagated to replicas: it moves
//!                         this connection's replication offset to the primary's current one,
//!                         so that WAIT covers the write even when the call was a replay that
//!                         wrote nothing (the original write, made earlier on any connection,
//!                         is then covered too)
//! WAIT <replicas> <timeout>
//! ```
//!
//! Fewer replicas than asked within the timeout: `StoreError::NotDurable`. The write may
//! stand on the primary (it is not undone): a retry with the same Idempotency-Key replays it,
//! and is answered once the replicas have it.
//!
//! Only the calls in [`UNACKNOWLEDGED`] skip the wait: reads, and background steps whose
//! effect no caller is told of (a reclaim of expired holds is done again after a failover).

use std::time::Duration;

use fred::prelude::*;

use super::reply::Reply;

/// What a write waits for before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Answered once the primary has it (replication is asynchronous).
    Async,
    /// Answered once `WAIT` confirms `replicas` replicas within `timeout`.
    Replicated {
        /// Replicas that must confirm.
        replicas: u32,
        /// How long WAIT blocks at most.
        timeout: Duration,
    },
}

impl Durability {
    /// From the settings: `async` or `replicated` (any other word is refused).
    pub fn parse(mode: &str, replicas: u32, timeout_ms: u64) -> Result<Durability, String> {
        match mode {
            "async" => Ok(Durability::Async),
            "replicated" if replicas >= 1 && timeout_ms >= 1 => {
                Ok(Durability::Replicated { replicas, timeout: Duration::from_millis(timeout_ms) })
            }
            "replicated" => {
                Err("AFORO_DURABILITY=replicated needs AFORO_DURABILITY_REPLICAS >= 1 and AFORO_DURABILITY_TIMEOUT_MS >= 1".into())
            }
            other => Err(format!("AFORO_DURABILITY must be async or replicated, not {other:?}")),
        }
    }

    /// `async` or `replicated`.
    pub fn name(&self) -> &'static str {
        match self {
            Durability::Async => "async",
            Durability::Replicated { .. } => "replicated",
        }
    }

    /// Replicas a write waits for (0 in `async`).
    pub fn replicas(&self) -> u32 {
        match self {
            Durability::Async => 0,
            Durability::Replicated { replicas, .. } => *replicas,
        }
    }
}

/// Library calls answered without waiting for replicas: reads, and background steps whose
/// effect is not acknowledged to anyone. Every other call, including functions added later,
/// waits in `replicated` mode.
pub const UNACKNOWLEDGED: &[&str] =
    &["aforo_read", "aforo_bookings", "aforo_sweep", "aforo_due_claim", "aforo_due_done", "aforo_index", "aforo_compact"];

/// Whether library call `name` waits for replicas under `d`.
pub fn waits(d: Durability, name: &str) -> bool {
    matches!(d, Durability::Replicated { .. }) && !UNACKNOWLEDGED.contains(&name)
}

/// The channel of the propagated no-op (nobody subscribes).
const MARK: &str = "aforo:durable";

/// What one waited call came to.
#[derive(Debug)]
pub(super) enum Waited {
    /// The call's reply, confirmed by enough replicas.
    Done(Reply),
    /// The call's own error reply (nothing to wait for).
    Failed(fred::error::Error),
    /// The call was applied on the primary, but only this many replicas confirmed in time.
    TooFew(u32),
}

/// One library call and its WAIT, pipelined on `client` (one connection, one round trip).
/// The outer error is a failure of the connection (what the breaker counts).
pub(super) async fn fcall_waited(
    client: &Client,
    name: &'static str,
    function: String,
    keys: Vec<String>,
    args: Vec<String>,
    replicas: u32,
    timeout: Duration,
) -> Result<Waited, fred::error::Error> {
    let p = client.pipeline();
    let _: () = p.fcall(function, keys, args).await?;
    let _: () = p.custom(fred::cmd!("PUBLISH"), vec![MARK, ""]).await?;
    let _: () = p.custom(fred::cmd!("WAIT"), vec![i64::from(replicas), timeout.as_millis() as i64]).await?;
    let mut out = p.try_all::<Value>().await.into_iter();
    let missing = || fred::error::Error::new(fred::error::ErrorKind::Protocol, "a pipelined reply is missing");
    let call = match out.next().ok_or_else(missing)? {
        Ok(v) => v
            .convert::<Vec<Value>>()
            .map(|v| Reply::new(name, v.into_iter().map(|x| x.convert::<Option<String>>().ok().flatten().unwrap_or_default()).collect())),
        Err(e) => Err(e),
    };
    let _published = out.next().ok_or_else(missing)??;
    let acked = out.next().ok_or_else(missing)??.convert::<i64>()?;
    Ok(match call {
        Ok(reply) if acked >= i64::from(replicas) => Waited::Done(reply),
        Ok(_) => Waited::TooFew(acked.max(0) as u32),
        Err(e) => Waited::Failed(e),
    })
}

/// What the store promises, read from Redis (`CONFIG GET`, `INFO replication`), against the
/// chosen mode: reported at start and in `/v1/monitoring/health`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Promise {
    /// `async` or `replicated`.
    pub mode: &'static str,
    /// Replicas a write waits for.
    pub wait_replicas: u32,
    /// `appendonly` (`yes`/`no`; `unknown` when CONFIG is refused, e.g. a managed Redis).
    pub appendonly: String,
    /// `appendfsync` (`always`, `everysec`, `no`, `unknown`).
    pub appendfsync: String,
    /// Replicas connected to the primary now.
    pub connected_replicas: Option<u32>,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: Option<u32>,
    /// `min-replicas-max-lag`, seconds.
    pub min_replicas_max_lag: Option<u32>,
    /// Where the promise falls short of the mode (empty: none).
    pub warnings: Vec<String>,
}

impl Promise {
    /// Compares what Redis reports with the mode.
    pub fn judge(
        d: Durability,
        appendonly: String,
        appendfsync: String,
        connected: Option<u32>,
        min_to_write: Option<u32>,
        max_lag: Option<u32>,
    ) -> Promise {
        let mut w = Vec::new();
        if appendonly == "no" {
            w.push("appendonly is off: a Redis restart loses everything since the last snapshot".to_string());
        } else if appendfsync == "no" || appendfsync == "everysec" {
            w.push(format!(
                "appendfsync {appendfsync}: a host power loss loses up to ~1 s of acknowledged writes unless a replica has them"
            ));
        }
        if let (Durability::Replicated { replicas, .. }, Some(c)) = (d, connected) {
            if c < replicas {
                w.push(format!("replicated mode waits for {replicas} replica(s) but {c} are connected: writes are refused (NOT_DURABLE)"));
            }
        }
        if d == Durability::Async {
            if connected.unwrap_or(0) > 0 {
                w.push("async mode: a failover loses the writes the replica had not received yet".to_string());
            }
        } else if min_to_write.unwrap_or(0) == 0 {
            w.push(
                "min-replicas-to-write is 0: a primary cut off from its replicas still applies writes (refused here, but they stand on it)"
                    .to_string(),
            );
        }
        Promise {
            mode: d.name(),
            wait_replicas: d.replicas(),
            appendonly,
            appendfsync,
            connected_replicas: connected,
            min_replicas_to_write: min_to_write,
            min_replicas_max_lag: max_lag,
            warnings: w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicated_with_too_few_replicas_warns() {
        let d = Durability::parse("replicated", 1, 500).unwrap_or(Durability::Async);
        let p = Promise::judge(d, "yes".into(), "always".into(), Some(0), Some(1), Some(10));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("0 are connected"));
        let ok = Promise::judge(d, "yes".into(), "always".into(), Some(1), Some(1), Some(10));
        assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
    }

    #[test]
    fn modes_parse_and_reads_do_not_wait() {
        assert_eq!(Durability::parse("async", 1, 500), Ok(Durability::Async));
        assert!(Durability::parse("sync", 1, 500).is_err());
        assert!(Durability::parse("replicated", 0, 500).is_err());
        let d = Durability::Replicated { replicas: 1, timeout: Duration::from_millis(500) };
        assert!(waits(d, "aforo_hold") && waits(d, "aforo_consume") && waits(d, "aforo_cancel"));
        assert!(!waits(d, "aforo_read") && !waits(Durability::Async, "aforo_hold"));
    }
}
