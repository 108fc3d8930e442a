//! Delivery: each endpoint's queue sent in order by the one origin holding its lease, one
//! event at a time, signed; the head is retried with backoff until a 2xx (the endpoint's
//! breaker: while it fails nothing else is sent to it, and only on its schedule), and the
//! endpoint is disabled after failing for `AFORO_WEBHOOK_GIVE_UP_S`. An origin that dies
//! mid-delivery leaves the head in the queue; its lease lapses and another origin sends it
//! again, with the same `webhook-id`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use crate::metrics::OutcomeLabels;
use crate::store::webhooks::EndpointRecord;
use crate::store::{AuditEvent, Store, StoreError};

use super::hub::Hub;
use super::{backoff_ms, guard, sign};

/// Takes the leases of endpoints with events waiting that no origin serves, and serves them.
pub async fn poll(hub: &Arc<Hub>, stop: &watch::Receiver<bool>) -> Result<(), StoreError> {
    let eps = hub.endpoints().await?;
    let lease = hub.app.cfg.webhooks.webhook_lease_ms;
    let mut backlog = 0;
    for ep in eps.iter().filter(|e| e.status == "enabled") {
        backlog += ep.backlog;
        if hub.active.lock().unwrap_or_else(|p| p.into_inner()).contains(&ep.id) {
            continue;
        }
        let Ok(permit) = hub.permits.clone().try_acquire_owned() else { break };
        if !hub.app.store.wh_claim(&ep.id, &hub.me, lease).await? {
            continue;
        }
        hub.active.lock().unwrap_or_else(|p| p.into_inner()).insert(ep.id.clone());
        let (hub, id, stop) = (hub.clone(), ep.id.clone(), stop.clone());
        tokio::spawn(async move {
            let key = Store::wh_lease_key(&id);
            if let Err(e) = drain(&hub, &id, &key, stop).await {
                tracing::warn!(endpoint = %id, error = %e, "webhook delivery stopped");
            }
            let _ = hub.app.store.wh_unlease(&key, &hub.me).await;
            hub.active.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            drop(permit);
        });
    }
    hub.app.metrics.webhook_backlog.set(i64::try_from(backlog).unwrap_or(i64::MAX));
    Ok(())
}

/// What one attempt came to.
struct Attempt {
    status: Option<u16>,
    error: Option<String>,
    latency_ms: u64,
}

impl Attempt {
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn outcome(&self) -> &'static str {
        match (self.ok(), self.status, self.error.as_deref()) {
            (true, ..) => "delivered",
            (false, Some(_), _) => "rejected",
            (false, None, Some(e)) if e.starts_with("timeout") => "timeout",
            (false, None, Some(e)) if e.starts_with("refused") => "refused",
            _ => "unreachable",
        }
    }
}

async fn send(hub: &Hub, rec: &EndpointRecord, f: &BTreeMap<String, String>) -> Attempt {
    let started = Instant::now();
    let done = |status, error: Option<String>| Attempt { status, error, latency_ms: started.elapsed().as_millis() as u64 };
    if !hub.app.cfg.webhooks.webhook_allow_private {
        // An address literal never goes through the resolver: judged here, every time.
        let literal = reqwest::Url::parse(&rec.url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(a)) => Some(std::net::IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => Some(std::net::IpAddr::V6(a)),
            _ => None,
        });
        if let Some(why) = literal.and_then(guard::refused) {
            return done(None, Some(format!("refused: a {why} address")));
        }
    }
    let (id, body) = (f.get("id").cloned().unwrap_or_default(), f.get("body").cloned().unwrap_or_default());
    let ts = hub.app.now().timestamp();
    let sig = match sign(&rec.secret, &id, ts, &body) {
        Ok(s) => s,
        Err(e) => return done(None, Some(e)),
    };
    let req = hub
        .client
        .post(&rec.url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body);
    match req.send().await {
        Ok(r) => done(Some(r.status().as_u16()), None),
        Err(e) if e.is_timeout() => done(None, Some("timeout: no answer in time".into())),
        Err(e) => {
            let mut why = e.to_string();
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
            while let Some(s) = src {
                why = format!("{why}: {s}");
                src = s.source();
            }
            let refused = why.contains("no public address");
            done(None, Some(crate::text::clip(&if refused { format!("refused: {why}") } else { why }, 300)))
        }
    }
}

/// Events read from a queue at once (sent one by one, in order).
const BATCH: usize = 32;

/// Sends an endpoint's queue while this origin holds its lease and events wait.
async fn drain(hub: &Hub, id: &str, key: &str, mut stop: watch::Receiver<bool>) -> Result<(), StoreError> {
    let (app, s) = (&hub.app, &hub.app.cfg.webhooks);
    let renew_every = Duration::from_millis(s.webhook_lease_ms / 3);
    loop {
        if *stop.borrow() || !app.store.wh_lease(key, &hub.me, s.webhook_lease_ms).await? {
            return Ok(());
        }
        let renewed = Instant::now();
        let Some(rec) = app.store.wh_get(id).await? else { return Ok(()) };
        if rec.status != "enabled" {
            return Ok(());
        }
        let now = app.now().timestamp_millis();
        let next_at = rec.num("next_at");
        if next_at > now {
            let wait = (next_at - now).clamp(10, renew_every.as_millis() as i64);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => continue,
                _ = stop.changed() => return Ok(()),
            }
        }
        let batch = app.store.wh_head(id, BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut failing = (rec.fields.get("head").cloned().unwrap_or_default(), rec.num("attempt"), rec.num("first_fail_ms"));
        for (entry, f) in batch {
            if *stop.borrow() || renewed.elapsed() >= renew_every {
                break;
            }
            match attempt(hub, &rec, &entry, &f, &failing).await? {
                Some(next) => failing = next,
                None => return Ok(()),
            }
            if !failing.0.is_empty() {
                break;
            }
        }
    }
}

/// One attempt at `entry` of endpoint `rec`, given the failure streak `(head, attempts,
/// since)`; the streak after it (an empty head when delivered), or `None` once disabled.
async fn attempt(
    hub: &Hub,
    rec: &EndpointRecord,
    entry: &str,
    f: &BTreeMap<String, String>,
    failing: &(String, i64, i64),
) -> Result<Option<(String, i64, i64)>, StoreError> {
    let (app, s) = (&hub.app, &hub.app.cfg.webhooks);
    let id = &rec.id;
    let now = app.now().timestamp_millis();
    let attempt = if failing.0 == entry { failing.1 + 1 } else { 1 };
    if attempt == 1 {
        let at: i64 = f.get("at").and_then(|a| a.parse().ok()).unwrap_or(now);
        let lag = Duration::from_millis(u64::try_from(now - at).unwrap_or(0));
        app.metrics.webhook_lag.observe(lag.as_secs_f64());
        app.outbound.lag(now, lag);
    }
    let a = send(hub, rec, f).await;
    let outcome = a.outcome();
    app.metrics.webhook_deliveries.get_or_create(&OutcomeLabels { outcome }).inc();
    let at = app.now().timestamp_millis();
    let mut fields: Vec<(String, String)> = vec![
        ("last_at".into(), at.to_string()),
        ("last_status".into(), a.status.map(|s| s.to_string()).unwrap_or_default()),
        ("last_error".into(), a.error.clone().unwrap_or_default()),
    ];
    let mut log = json!({
        "event_id": f.get("id"), "type": f.get("type"), "resource_id": f.get("resource"), "attempt": attempt,
        "status": a.status, "error": a.error, "latency_ms": a.latency_ms, "at": rfc3339(at), "next_retry": null,
    });
    if a.ok() {
        if failing.2 != 0 || !failing.0.is_empty() {
            fields.extend([("attempt", "0"), ("head", ""), ("next_at", "0"), ("first_fail_ms", "0")].map(|(k, v)| (k.into(), v.into())));
        }
        app.store.wh_attempted(id, Some(entry), fields, log.to_string()).await?;
        return Ok(Some((String::new(), 0, 0)));
    }
    let first_fail = if failing.2 == 0 { at } else { failing.2 };
    let give_up = at - first_fail >= (s.webhook_give_up_s as i64) * 1000 / (s.test_webhook_backoff_div as i64);
    if give_up {
        fields.extend([("status".to_string(), "disabled".to_string()), ("disabled_at".into(), at.to_string())]);
        app.store.wh_attempted(id, None, fields, log.to_string()).await?;
        disabled(hub, rec, first_fail);
        return Ok(None);
    }
    // The last retry comes at the give-up time, not after it.
    let deadline = first_fail + (s.webhook_give_up_s as i64) * 1000 / (s.test_webhook_backoff_div as i64);
    let next = (at + backoff_ms(u32::try_from(attempt).unwrap_or(u32::MAX), s.test_webhook_backoff_div) as i64).min(deadline);
    log["next_retry"] = json!(rfc3339(next));
    fields.extend([
        ("attempt".to_string(), attempt.to_string()),
        ("head".into(), entry.to_string()),
        ("next_at".into(), next.to_string()),
        ("first_fail_ms".into(), first_fail.to_string()),
    ]);
    app.store.wh_attempted(id, None, fields, log.to_string()).await?;
    Ok(Some((entry.to_string(), attempt, first_fail)))
}

fn disabled(hub: &Hub, rec: &EndpointRecord, since: i64) {
    let app = &hub.app;
    app.metrics.webhook_disabled.inc();
    app.outbound.disabled.add(app.now().timestamp_millis(), 1);
    tracing::error!(endpoint = %rec.id, owner = %rec.owner, failing_since = %rfc3339(since), "webhook endpoint disabled after failing too long");
    app.audit.record(
        AuditEvent::new("webhook.disabled", "aforo", "system", app.now())
            .detail(json!({"endpoint": rec.id, "owner": rec.owner, "failing_since": rfc3339(since), "backlog": rec.backlog})),
    );
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}
