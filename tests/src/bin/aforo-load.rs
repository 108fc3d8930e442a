//! `aforo-load`: drives a running origin over HTTP with N concurrent clients for a bounded
//! time, loopback only, and prints throughput and latency per operation.
//!
//! ```text
//! aforo-load --origin http://127.0.0.1:8080 --scenario hold-spread --clients 64 --seconds 10 \
//!            --baseline --redis redis://127.0.0.1:6379
//! ```
//! `--baseline` also runs the same hold function through fred directly, with the same number
//! of concurrent callers, and prints the ratio HTTP / direct.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_core::{Bucket, Take};
use aforo_origin::store::{HoldArgs, HoldStatus};
use aforo_tests::client::Api;
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{json, Value};

#[derive(Parser, Debug, Clone)]
#[command(about = "Load generator for Aforo (loopback only)")]
struct Args {
    /// Origin base URL (must be on 127.0.0.0/8 or localhost).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    origin: String,
    /// Worker base URL (`wrangler dev`): availability reads go there instead of the origin.
    #[arg(long)]
    edge: Option<String>,
    /// hold-spread | hot (every hold on one resource) | last-unit | checkout-mix | read-heavy | slot-hold | room-tables | room-plain
    #[arg(long, default_value = "hold-spread")]
    scenario: String,
    /// slot-hold: seating length in minutes on a 15-minute grid with concurrent occupancy
    /// and pacing, so each hold takes 2 + 2 × duration/15 buckets.
    #[arg(long, default_value_t = 60)]
    duration_min: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Run time in seconds (bounded to 600).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Stop after this many requests in all (0: no limit).
    #[arg(long, default_value_t = 0)]
    requests: u64,
    /// Resources to spread over.
    #[arg(long, default_value_t = 100)]
    resources: usize,
    /// JWT secret of the origin, to mint tokens.
    #[arg(long, env = "AFORO_JWT_SECRET", hide_env_values = true)]
    secret: String,
    /// Run the fred-direct baseline too (needs --redis).
    #[arg(long)]
    baseline: bool,
    /// Redis URL for the baseline and INFO commandstats.
    #[arg(long)]
    redis: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Prefix of the resources this run creates.
    #[arg(long, default_value = "load")]
    prefix: String,
    /// Prefix of the idempotency keys (default: the resource prefix). A new one on the same
    /// resources makes new holds rather than replays.
    #[arg(long)]
    keys: Option<String>,
}

#[derive(Default)]
struct Stats {
    ops: BTreeMap<&'static str, (Histogram<u64>, BTreeMap<u16, u64>)>,
}

impl Stats {
    fn entry(&mut self, op: &'static str) -> &mut (Histogram<u64>, BTreeMap<u16, u64>) {
        self.ops.entry(op).or_insert_with(|| (Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram"), BTreeMap::new()))
    }

    fn record(&mut self, op: &'static str, us: u64, status: u16) {
        let e = self.entry(op);
        let _ = e.0.record(us.max(1));
        *e.1.entry(status).or_insert(0) += 1;
    }

    /// Adds a client's own figures (kept apart while it runs, so that clients never contend).
    fn merge(&mut self, other: Stats) {
        for (op, (h, codes)) in other.ops {
            let e = self.entry(op);
            let _ = e.0.add(&h);
            for (c, k) in codes {
                *e.1.entry(c).or_insert(0) += k;
            }
        }
    }
}

/// Buyers each client takes turns as.
const BUYERS_PER_CLIENT: usize = 256;

fn token(secret: &str, sub: &str, role: aforo_origin::auth::Role) -> String {
    let exp = chrono::Utc::now().timestamp() as u64 + 7200;
    aforo_origin::auth::sign(secret.as_bytes(), sub, role, exp).expect("sign")
}

fn loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string()
}

/// A dining room open 19:00-22:00 (seatings of 90 minutes every 15), with 30 numbered tables
/// in two areas and three combinations, or the same room counting covers alone.
fn room(id: &str, tables: bool) -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "22:00"]]))).collect();
    let mut slots = json!({"duration_min": 90, "interval_min": 15, "capacity": 40, "concurrent": 110});
    if tables {
        let seats = |k: usize| match k % 10 {
            0..=2 => [1, 2],
            3..=7 => [2, 4],
            _ => [5, 6],
        };
        let t: Vec<Value> = (0..30)
            .map(|k| json!({"id": format!("T{}", k + 1), "seats": seats(k), "area": if k < 15 { "terrace" } else { "hall" }}))
            .collect();
        slots["tables"] = json!(t);
        slots["combinations"] = json!([{"of": ["T4", "T5"], "seats": [6, 8]}, {"of": ["T19", "T20"], "seats": [6, 8]},
            {"of": ["T24", "T25", "T26"], "seats": [8, 12]}]);
    }
    json!({"name": id, "timezone": "UTC", "horizon_days": 366, "qty": {"min": 1, "max": 12}, "hours": week, "dimensions": {"slots": slots}})
}

async fn setup(api: &Api, a: &Args, seller: &str) -> Vec<String> {
    let n = if matches!(a.scenario.as_str(), "last-unit" | "hot") { 1 } else { a.resources.max(1) };
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{}-{}-{i}", a.prefix, a.scenario);
        let doc = match a.scenario.as_str() {
            "last-unit" => json!({"name": id, "timezone": "UTC", "dimensions": {"stock": {"on_hand": 1}}}),
            "hold-spread" | "hot" => json!({"name": id, "timezone": "UTC", "dimensions": {"stock": {"on_hand": 1_000_000_000}}}),
            "slot-hold" => {
                json!({"name": id, "timezone": "UTC", "dimensions": {"slots": {"duration_min": a.duration_min, "interval_min": 15,
                "capacity": 1_000_000, "concurrent": 1_000_000_000, "pacing": {"window_min": a.duration_min, "max": 1_000_000_000}}}})
            }
            "room-tables" | "room-plain" => room(&id, a.scenario == "room-tables"),
            _ => json!({"name": id, "timezone": "UTC", "hold_ttl_s": 2,
                "dimensions": {"daily": {"capacity": 100_000}, "slots": {"duration_min": 60, "interval_min": 30, "capacity": 50_000, "concurrent": 100_000}},
                "pricing": {"currency": "EUR", "base_minor": 1000, "triggers": [{"utilization_gte": 0.5, "multiplier": 1.2, "tier": "high"}]}}),
        };
        let r = api.put_resource(seller, &id, &doc).await;
        assert!(r.status.is_success(), "setup of {id} failed: {} {}", r.status, r.body);
        ids.push(id);
    }
    ids
}

async fn client_loop(
    i: usize,
    api: Api,
    a: Args,
    ids: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
    stats: Arc<Mutex<Stats>>,
) {
    // Each client is many buyers in turn, as a checkout's traffic is: one buyer holding
    // thousands of units would meet its per-buyer share (docs/abuse.md), which no real load does.
    let buyers: Vec<String> =
        (0..BUYERS_PER_CLIENT).map(|j| token(&a.secret, &format!("load-buyer-{i}-{j}"), aforo_origin::auth::Role::Buyer)).collect();
    // Reads go to the edge when one is given (its cache answers them).
    let (reads, read_op) = match &a.edge {
        Some(e) => (Api::new(e), "availability_edge"),
        None => (api.clone(), "availability"),
    };
    let date = tomorrow();
    let mut n = 0u64;
    let mut local = Stats::default();
    while !stop.load(Ordering::Relaxed) {
        let c = count.fetch_add(1, Ordering::Relaxed);
        if a.requests > 0 && c >= a.requests {
            break;
        }
        n += 1;
        let buyer = &buyers[n as usize % BUYERS_PER_CLIENT];
        let id = &ids[(i + n as usize * 7) % ids.len()];
        let key = format!("{}-{i}-{n}", a.keys.as_deref().unwrap_or(&a.prefix));
        let start = Instant::now();
        match a.scenario.as_str() {
            "hold-spread" | "last-unit" | "hot" => {
                let r = api.hold(buyer, &key, &json!({"resource_id": id, "qty": 1})).await;
                local.record("hold", start.elapsed().as_micros() as u64, r.status.as_u16());
            }
            "room-tables" | "room-plain" => {
                // An evening a year ahead at random, every party size a room seats.
                let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(1 + (n as i64 * 37 + i as i64) % 360)).to_string();
                let slot = format!("{:02}:{:02}", 19 + (n % 7) / 4, 15 * ((n % 7) % 4));
                let body = json!({"resource_id": id, "date": date, "slot": slot, "qty": 1 + (n + i as u64) % 8});
                let r = api.hold(buyer, &key, &body).await;
                local.record("hold", start.elapsed().as_micros() as u64, r.status.as_u16());
            }
            "read-heavy" => {
                let r = reads.availability(id, &format!("date={date}&qty=2")).await;
                local.record(read_op, start.elapsed().as_micros() as u64, r.status.as_u16());
            }
            "slot-hold" => {
                let slot = format!("{:02}:{:02}", 8 + (n % 12), 15 * (n % 4));
                let r = api.hold(buyer, &key, &json!({"resource_id": id, "date": date, "slot": slot, "qty": 1})).await;
                local.record("hold", start.elapsed().as_micros() as u64, r.status.as_u16());
            }
            _ => {
                // checkout-mix: read, hold, then consume, release, abandon (expires) or retry.
                let slot = format!("{:02}:{}", 9 + (n % 10), if n % 2 == 0 { "00" } else { "30" });
                let r = reads.availability(id, &format!("date={date}&qty=2&slot={slot}")).await;
                local.record(read_op, start.elapsed().as_micros() as u64, r.status.as_u16());
                let body = json!({"resource_id": id, "date": date, "slot": slot, "qty": 2});
                let t = Instant::now();
                let h = api.hold(buyer, &key, &body).await;
                local.record("hold", t.elapsed().as_micros() as u64, h.status.as_u16());
                let Some(hid) = h.body["id"].as_str().map(String::from) else { continue };
                let t = Instant::now();
                match n % 4 {
                    0 => {
                        let r = api.consume(buyer, &hid).await;
                        local.record("consume", t.elapsed().as_micros() as u64, r.status.as_u16());
                    }
                    1 => {
                        let r = api.release(buyer, &hid).await;
                        local.record("release", t.elapsed().as_micros() as u64, r.status.as_u16());
                    }
                    2 => {
                        let r = api.hold(buyer, &key, &body).await;
                        local.record("hold_retry", t.elapsed().as_micros() as u64, r.status.as_u16());
                    }
                    _ => {} // abandoned: expires by itself
                }
            }
        }
    }
    stats.lock().expect("stats").merge(local);
}

fn summary(stats: &Stats, elapsed: f64) -> Value {
    let mut ops = serde_json::Map::new();
    for (op, (h, codes)) in &stats.ops {
        ops.insert(
            op.to_string(),
            json!({
                "count": h.len(), "per_s": (h.len() as f64 / elapsed).round(),
                "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0, "p95_ms": h.value_at_quantile(0.95) as f64 / 1000.0,
                "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0, "max_ms": h.max() as f64 / 1000.0,
                "codes": codes.iter().map(|(c, n)| (c.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            }),
        );
    }
    json!({"seconds": (elapsed * 100.0).round() / 100.0, "ops": ops})
}

/// The same hold function through fred, `clients` callers, for the same time.
async fn baseline(a: &Args, ids: &[String]) -> Value {
    use aforo_origin::store::{Store, StoreConfig};
    let url = a.redis.clone().expect("--baseline needs --redis");
    let store = Store::connect(&StoreConfig::new(&url, 4, Duration::from_secs(2))).await.expect("connect");
    let versions: Vec<u64> = {
        let mut v = Vec::new();
        for id in ids {
            v.push(store.meta(id).await.expect("meta").expect("exists").version);
        }
        v
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..a.clients {
        let (store, stop, stats, ids, versions, prefix) =
            (store.clone(), stop.clone(), stats.clone(), ids.to_vec(), versions.clone(), a.prefix.clone());
        tasks.push(tokio::spawn(async move {
            let hold_ids = aforo_origin::store::HoldIds::new(b"baseline");
            let mut local = Stats::default();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let k = (i + n * 7) % ids.len();
                let id = &ids[k];
                let hold = hold_ids.make("baseline", &format!("{prefix}-b-{i}-{n}"), id);
                let t = Instant::now();
                let args = HoldArgs {
                    resource: id.clone(),
                    version: versions[k],
                    hold_id: hold,
                    payload_hash: "h".into(),
                    ttl: Duration::from_secs(600),
                    record_ttl: Duration::from_secs(86_400),
                    caller: "baseline".into(),
                    status: HoldStatus::Held,
                    takes: vec![Take { bucket: Bucket::Stock, qty: 1, limit: 1_000_000_000 }],
                    choices: vec![],
                    date_index: None,
                    retain_until_ms: None,
                    retention: Duration::from_secs(30 * 86_400),
                    starts_ms: Vec::new(),
                    items: vec![],
                    home: None,
                    shadow: false,
                    buyer: None,
                    role: None,
                    guest: None,
                };
                let r = store.hold_part(&args).await;
                local.record("hold_direct", t.elapsed().as_micros() as u64, if r.is_ok() { 200 } else { 503 });
            }
            stats.lock().expect("stats").merge(local);
        }));
    }
    tokio::time::sleep(Duration::from_secs(a.seconds.min(600))).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let s = stats.lock().expect("stats");
    summary(&s, started.elapsed().as_secs_f64())
}

async fn commandstats(url: &str) -> Value {
    use fred::prelude::{ClientLike, Config};
    let Ok(cfg) = Config::from_url(url) else { return Value::Null };
    let Ok(c) = fred::types::Builder::from_config(cfg).build() else { return Value::Null };
    if c.init().await.is_err() {
        return Value::Null;
    }
    let info: String = c.info(Some(fred::types::InfoKind::CommandStats)).await.unwrap_or_default();
    let mut out = serde_json::Map::new();
    for line in info.lines().filter(|l| l.starts_with("cmdstat_fcall") || l.starts_with("cmdstat_hgetall") || l.starts_with("cmdstat_zadd"))
    {
        let (name, rest) = line.split_once(':').unwrap_or((line, ""));
        let f: serde_json::Map<String, Value> = rest
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.parse::<f64>().map(|x| json!(x)).unwrap_or(json!(v))))
            .collect();
        out.insert(name.trim_start_matches("cmdstat_").to_string(), Value::Object(f));
    }
    let _ = c.quit().await;
    Value::Object(out)
}

async fn reset_stats(url: &str) {
    use fred::prelude::{ClientLike, Config};
    if let Ok(cfg) = Config::from_url(url) {
        if let Ok(c) = fred::types::Builder::from_config(cfg).build() {
            if c.init().await.is_ok() {
                let _: Result<String, _> = c.custom(fred::cmd!("CONFIG"), vec!["RESETSTAT"]).await;
                let _ = c.quit().await;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    if !loopback(&a.origin)
        || a.edge.as_deref().is_some_and(|e| !loopback(e))
        || a.redis.as_deref().is_some_and(|r| !loopback(&r.replace("redis://", "http://").replace("redis-cluster://", "http://")))
    {
        eprintln!("aforo-load only targets loopback addresses");
        std::process::exit(2);
    }
    let api = Api::new(&a.origin);
    let seller = token(&a.secret, "load-seller", aforo_origin::auth::Role::Seller);
    let ids = Arc::new(setup(&api, &a, &seller).await);
    if let Some(r) = &a.redis {
        reset_stats(r).await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|i| tokio::spawn(client_loop(i, api.clone(), a.clone(), ids.clone(), stop.clone(), count.clone(), stats.clone())))
        .collect();
    let tty = std::io::stderr().is_terminal() && !a.json;
    let limit = Duration::from_secs(a.seconds.min(600));
    while started.elapsed() < limit && !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if tty {
            let done = count.load(Ordering::Relaxed);
            let pct = (started.elapsed().as_secs_f64() / limit.as_secs_f64() * 100.0).min(100.0);
            let bar = "#".repeat((pct / 5.0) as usize);
            eprint!("\r[{bar:<20}] {pct:5.1}%  {done} requests  {:.0}/s   ", done as f64 / started.elapsed().as_secs_f64());
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    if tty {
        eprintln!();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = json!({"scenario": a.scenario, "clients": a.clients, "http": summary(&stats.lock().expect("stats"), elapsed)});
    if let Some(r) = &a.redis {
        report["redis_commandstats_http"] = commandstats(r).await;
    }
    if a.baseline && matches!(a.scenario.as_str(), "hold-spread") {
        let base = baseline(&a, &ids).await;
        let http_rate = report["http"]["ops"]["hold"]["per_s"].as_f64().unwrap_or(0.0);
        let direct_rate = base["ops"]["hold_direct"]["per_s"].as_f64().unwrap_or(0.0);
        report["baseline"] = base;
        report["ratio_http_over_direct"] = json!(if direct_rate > 0.0 { (http_rate / direct_rate * 100.0).round() / 100.0 } else { 0.0 });
    }
    if a.json {
        println!("{report}");
        return;
    }
    println!("scenario {} with {} clients", a.scenario, a.clients);
    let print = |title: &str, v: &Value| {
        println!("{title} ({} s)", v["seconds"]);
        println!("  {:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  codes", "op", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms");
        for (op, o) in v["ops"].as_object().into_iter().flatten() {
            println!(
                "  {:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}",
                op, o["count"], o["per_s"], o["p50_ms"], o["p95_ms"], o["p99_ms"], o["max_ms"], o["codes"]
            );
        }
    };
    print("over HTTP", &report["http"]);
    if report["baseline"].is_object() {
        print("fred direct (same function, same callers)", &report["baseline"]);
        println!("ratio HTTP / direct: {}", report["ratio_http_over_direct"]);
    }
    if let Some(fc) = report["redis_commandstats_http"]["fcall"].as_object() {
        println!("Redis FCALL during the HTTP run: {} calls, {} µs per call", fc["calls"], fc["usec_per_call"]);
    }
}
