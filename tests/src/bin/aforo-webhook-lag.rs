//! `aforo-webhook-lag`: webhook lag under a steady rate of holds against a running origin
//! (loopback only), for BENCHMARKS.md "Webhooks".
//!
//! ```text
//! aforo-webhook-lag --origin http://127.0.0.1:8080 --rates 100,1000 --endpoints 1,10 --dead --seconds 5
//! ```
//! For each rate, one scenario per endpoint count (and, with `--dead`, the largest count
//! plus one endpoint that never answers), in one run: a seller of its own with `--resources`
//! stock resources, the endpoints (one receiver each on 127.0.0.1, keep-alive, answering 204
//! at once) hearing `hold.created` of those resources, and holds spread over them at the
//! rate (open loop: each started on its tick, whatever the answers). It waits until every
//! live receiver has every event; the lag of an event is its arrival at a receiver minus its
//! `timestamp` (the commit's Redis time), over every delivery.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aforo_origin::auth::{sign, Role};
use aforo_tests::client::Api;
use aforo_tests::receiver::Receiver;
use clap::Parser;
use reqwest::Method;
use serde_json::json;

#[derive(Parser, Debug)]
#[command(about = "Webhook lag under load (loopback only)")]
struct Args {
    /// Origin base URL (127.0.0.0/8 or localhost).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    origin: String,
    /// JWT secret of the origin, to mint tokens.
    #[arg(long, env = "AFORO_JWT_SECRET", hide_env_values = true)]
    secret: String,
    /// Holds a second, one scenario set per rate.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    rates: Vec<u32>,
    /// Live endpoints, one scenario per count.
    #[arg(long, value_delimiter = ',', default_value = "1,10")]
    endpoints: Vec<usize>,
    /// Also the largest count plus one endpoint that never answers (5 s timeouts).
    #[arg(long)]
    dead: bool,
    /// Seconds of holds per scenario (bounded to 60).
    #[arg(long, default_value_t = 5)]
    seconds: u32,
    /// Stock resources the holds spread over.
    #[arg(long, default_value_t = 10)]
    resources: usize,
    /// How long to wait for every delivery, seconds.
    #[arg(long, default_value_t = 180)]
    wait: u64,
}

fn token(secret: &str, sub: &str, role: Role) -> String {
    let exp = chrono::Utc::now().timestamp() as u64 + 7200;
    sign(secret.as_bytes(), sub, role, exp).expect("sign")
}

fn pct(v: &[i64], p: f64) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

struct Scenario {
    rate: u32,
    live: usize,
    dead: bool,
}

async fn run(a: &Args, api: &Arc<Api>, n_scn: usize, s: &Scenario) -> serde_json::Value {
    let tag = format!("wl{}-{n_scn}", std::process::id());
    let seller = token(&a.secret, &format!("{tag}-seller"), Role::Seller);
    let ids: Vec<String> = (0..a.resources).map(|i| format!("{tag}-r{i}")).collect();
    for id in &ids {
        let doc = json!({"name": "SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 100_000_000}}});
        let r = api.put_resource(&seller, id, &doc).await;
        assert_eq!(r.status.as_u16(), 201, "resource {id}: {:?}", r.body);
    }
    let receivers: Vec<Receiver> = (0..s.live).map(|_| Receiver::start()).collect();
    let silent = Receiver::with(Box::new(|_, _| (204, Duration::from_secs(3600))));
    let mut urls: Vec<&str> = receivers.iter().map(|r| r.url.as_str()).collect();
    if s.dead {
        urls.push(&silent.url);
    }
    let mut endpoints = Vec::new();
    for url in urls {
        let body = json!({"url": url, "events": ["hold.created"], "resource_ids": ids}).to_string().into_bytes();
        let r = api.send(Method::POST, "/v1/webhooks", Some(&seller), None, Some(body)).await;
        assert_eq!(r.status.as_u16(), 201, "endpoint: {:?}", r.body);
        endpoints.push(r.body["id"].as_str().unwrap_or_default().to_string());
    }
    let n = (s.rate * a.seconds.min(60)) as usize;
    let buyers: Arc<Vec<String>> = Arc::new((0..64).map(|i| token(&a.secret, &format!("{tag}-b{i}"), Role::Buyer)).collect());
    let ids = Arc::new(ids);
    // Ticks of 10 ms, each starting its share of the holds.
    let per_tick = f64::from(s.rate) / 100.0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    let mut due = 0.0;
    let mut i = 0;
    while i < n {
        tick.tick().await;
        due += per_tick;
        while (i as f64) < due && i < n {
            let (api, buyers, ids, tag) = (api.clone(), buyers.clone(), ids.clone(), tag.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"resource_id": ids[i % ids.len()], "qty": 1});
                api.hold(&buyers[i % buyers.len()], &format!("{tag}-{i}"), &body).await.status.as_u16()
            }));
            i += 1;
        }
    }
    let issued = start.elapsed();
    let mut failed = 0;
    for t in tasks {
        if t.await.map(|s| s != 201).unwrap_or(true) {
            failed += 1;
        }
    }
    let answered = start.elapsed();
    let wait_start = Instant::now();
    let mut complete = true;
    for r in &receivers {
        while r.delivered().len() < n - failed {
            if wait_start.elapsed() > Duration::from_secs(a.wait) {
                complete = false;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut lags: Vec<i64> = Vec::new();
    for r in &receivers {
        for g in r.delivered() {
            let ts =
                g.json()["timestamp"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis());
            if let Some(ts) = ts {
                lags.push(g.wall_ms - ts);
            }
        }
    }
    lags.sort_unstable();
    // The next scenario starts without this one's endpoints (the dead one's retries).
    for id in &endpoints {
        api.send(Method::DELETE, &format!("/v1/webhooks/{id}"), Some(&seller), None, None).await;
    }
    let out = json!({
        "rate_target": s.rate, "live_endpoints": s.live, "dead_endpoint": s.dead,
        "holds": n, "holds_failed": failed,
        "rate_issued": (n as f64 / issued.as_secs_f64()).round(), "rate_answered": (n as f64 / answered.as_secs_f64()).round(),
        "deliveries": lags.len(), "complete": complete,
        "lag_ms": {"p50": pct(&lags, 0.5), "p95": pct(&lags, 0.95), "p99": pct(&lags, 0.99), "max": lags.last().copied().unwrap_or(0)},
        "dead_attempts": silent.all().len(),
        "drain_s": (wait_start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    });
    eprintln!(
        "{} holds/s target ({:.0} issued, {:.0} answered), {} live{}: lag p50 {} / p95 {} / p99 {} ms over {} deliveries{}",
        s.rate,
        out["rate_issued"].as_f64().unwrap_or(0.0),
        out["rate_answered"].as_f64().unwrap_or(0.0),
        s.live,
        if s.dead { " + 1 dead" } else { "" },
        out["lag_ms"]["p50"],
        out["lag_ms"]["p95"],
        out["lag_ms"]["p99"],
        lags.len(),
        if complete { String::new() } else { format!(" (INCOMPLETE: {} of {})", lags.len(), (n - failed) * s.live) },
    );
    out
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let host = reqwest::Url::parse(&a.origin).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
    if !(host == "localhost" || host.starts_with("127.")) {
        eprintln!("aforo-webhook-lag drives loopback origins only, not {host}");
        std::process::exit(2);
    }
    let api = Arc::new(Api::new(&a.origin));
    let mut scenarios = Vec::new();
    for &rate in &a.rates {
        for &live in &a.endpoints {
            scenarios.push(Scenario { rate, live, dead: false });
        }
        if a.dead {
            scenarios.push(Scenario { rate, live: a.endpoints.iter().copied().max().unwrap_or(1), dead: true });
        }
    }
    let mut results = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        results.push(run(&a, &api, i, s).await);
        // The receivers of a scenario stay up to its end; a pause lets the origin settle.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("{}", json!({"scenarios": results}));
}
