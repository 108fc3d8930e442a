//! The chaos table: a checkout mix on an origin over a primary, a replica and three
//! Sentinels, while the primary is killed (`kill -9`), partitioned from the replica and the
//! Sentinels (but not from the origin), or loses its replica, in each mode; then the
//! invariant checker against the node that serves afterwards. The stock sells out during a
//! run, so a unit sold twice shows as acknowledged holds over the stock. In `replicated`
//! mode nothing acknowledged may be lost and nothing oversold; in `async` the loss is
//! measured and printed, not hidden.

use std::time::{Duration, Instant};

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, Redis};
use aforo_tests::sentinel::{Proxy, Replicated};
use aforo_tests::wait::eventually;

use super::{chaos_stock, checkout_mix, Seen, CHAOS_STOCK};

#[derive(Debug)]
struct Row {
    scenario: &'static str,
    mode: &'static str,
    held: usize,
    consumed: usize,
    lost_holds: usize,
    lost_consumes: usize,
    oversold: usize,
    other: Vec<String>,
    not_durable: u64,
    failover: Duration,
    resumed: Option<Duration>,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Kill,
    Partition,
    ReplicaLost,
}

async fn failed_over(rs: &Replicated) {
    eventually(Duration::from_secs(30), || async {
        if rs.failed_over() {
            Ok(())
        } else {
            Err(rs.primary_port())
        }
    })
    .await;
}

async fn scenario(fault: Fault, mode: &'static str) -> Row {
    let mut rs = Replicated::start().await;
    // Kill: the origin finds the primary through the Sentinels. Partition: it reaches the
    // old primary through a link of its own that stays up while the replica's is cut.
    let own_link = Proxy::start(rs.primary.port).await;
    let url = match fault {
        Fault::Kill => rs.sentinel_url(),
        Fault::Partition | Fault::ReplicaLost => format!("redis://127.0.0.1:{}", own_link.port),
    };
    let mut origin = Origin::start_with(&url, &[("AFORO_DURABILITY", mode)]);
    let api = Api::new(&origin.url());
    let put = api.put_resource(&token("seller-1", "seller"), "chaos", &chaos_stock()).await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    let secs = if fault == Fault::Kill { 14 } else { 10 };
    let mix = tokio::spawn(checkout_mix(api.clone(), "chaos", 12, Instant::now() + Duration::from_secs(secs)));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let at = Instant::now();
    match fault {
        Fault::Kill => rs.primary.kill(),
        Fault::Partition => rs.cluster_link.cut(),
        Fault::ReplicaLost => rs.replica.kill(),
    }
    let failover = if fault == Fault::ReplicaLost {
        Duration::ZERO
    } else {
        failed_over(&rs).await;
        at.elapsed()
    };
    // A node to replace the lost one, replicating from the promoted replica: without it a
    // replicated write has no replica to wait for.
    let _spare = (fault == Fault::Kill).then(|| Redis::start(&["--replicaof", "127.0.0.1", &rs.replica.port.to_string()]));
    let seen: Seen = mix.await.unwrap();
    // Nothing more reaches the old primary.
    origin.kill();
    drop(own_link);
    // The longest pause in acknowledgements from the fault on (none after it: `None`).
    let mut after: Vec<Instant> = seen.acks.iter().map(|(t, _)| *t).filter(|t| *t > at).collect();
    after.sort();
    let resumed = after.first().map(|first| {
        let gaps = after.windows(2).map(|w| w[1] - w[0]);
        gaps.fold(*first - at, Duration::max)
    });
    let acks: Vec<Ack> = seen.acks.iter().map(|(_, a)| a.clone()).collect();
    // What serves afterwards: the promoted replica, or the primary that lost its replica.
    let serving = if fault == Fault::ReplicaLost { &rs.primary } else { &rs.replica };
    let bad = check(serving, "chaos", &acks, redis_now_ms(serving)).await;
    let (mut lost_holds, mut lost_consumes, mut oversold, mut other) = (0, 0, 0, Vec::new());
    for b in bad {
        if b.contains("missing in Redis") {
            lost_holds += 1;
        } else if b.contains("consume acknowledged") {
            lost_consumes += 1;
        } else if b.contains("over its limit") || b.contains("over on hand") {
            // Counted from the acknowledgements below.
        } else {
            other.push(b);
        }
    }
    // Each hold takes one unit and none is released in a run (holds live 10 min): units
    // acknowledged beyond the stock were sold twice.
    let held = acks.iter().filter(|a| matches!(a, Ack::Held(_))).count();
    oversold += held.saturating_sub(CHAOS_STOCK);
    Row {
        scenario: match fault {
            Fault::Kill => "kill -9 primary",
            Fault::Partition => "primary partitioned",
            Fault::ReplicaLost => "replica lost",
        },
        mode,
        held,
        consumed: acks.iter().filter(|a| matches!(a, Ack::Consumed(_))).count(),
        lost_holds,
        lost_consumes,
        oversold,
        other,
        not_durable: seen.not_durable,
        failover,
        resumed,
    }
}

/// Every scenario in turn (they share the machine's two cores), then the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_table() {
    let mut rows = Vec::new();
    for (fault, mode) in [
        (Fault::Kill, "replicated"),
        (Fault::Partition, "replicated"),
        (Fault::ReplicaLost, "replicated"),
        (Fault::Kill, "async"),
        (Fault::Partition, "async"),
        (Fault::ReplicaLost, "async"),
    ] {
        rows.push(scenario(fault, mode).await);
    }
    let mut table = String::from(
        "| scenario | mode | holds acked | consumes acked | holds lost | consumes lost | oversold | NOT_DURABLE answers | failover s | longest pause in acks s |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        let resumed = r.resumed.map_or("none after".to_string(), |d| format!("{:.1}", d.as_secs_f64()));
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            r.scenario,
            r.mode,
            r.held,
            r.consumed,
            r.lost_holds,
            r.lost_consumes,
            r.oversold,
            r.not_durable,
            r.failover.as_secs_f64(),
            resumed
        ));
    }
    // Printed (seen with --nocapture) and kept where CI keeps its artifacts.
    print!("{table}");
    let dir = aforo_tests::harness::repo_root().join("target/artifacts");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("chaos-table.md"), &table);
    for r in rows.iter().filter(|r| r.mode == "replicated") {
        assert!(r.held > 0, "{}: no hold acknowledged at all", r.scenario);
        assert_eq!((r.lost_holds, r.lost_consumes, r.oversold), (0, 0, 0), "{} in replicated mode: {r:?}", r.scenario);
        assert!(r.other.is_empty(), "{} in replicated mode: {:?}", r.scenario, r.other);
    }
}
