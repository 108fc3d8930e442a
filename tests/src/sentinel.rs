//! A replicated Redis on loopback for durability tests: a primary, a replica, three
//! `redis-server --sentinel`, and TCP proxies in front of the primary that a test cuts to
//! partition it from whoever connects through them.
//!
//! The replica and the Sentinels reach the primary through [`Proxy`] `cluster_link`; a test
//! that wants the origin to keep reaching the primary while the rest cannot gives it its own
//! proxy ([`Proxy::start`]).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::harness::{free_port, wait_until, Redis};

/// A TCP proxy to a loopback port; [`Proxy::cut`] drops every connection through it and
/// refuses new ones until [`Proxy::heal`].
#[derive(Debug)]
pub struct Proxy {
    /// Where it listens.
    pub port: u16,
    cut: Arc<AtomicBool>,
    epoch: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let (epoch, _) = watch::channel(0u64);
        let (c, e) = (cut.clone(), epoch.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if c.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut_now = e.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_now.changed() => {}
                    }
                });
            }
        });
        Proxy { port, cut, epoch, task }
    }

    /// Partitions: every connection through it is dropped, new ones are closed at once.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.epoch.send_modify(|n| *n += 1);
    }

    /// Lets connections through again.
    pub fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// One `redis-server --sentinel`; killed on drop.
#[derive(Debug)]
pub struct Sentinel {
    /// Its port.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The name the Sentinels monitor the primary under.
pub const SERVICE: &str = "aforo";

/// A primary, a replica and three Sentinels.
#[derive(Debug)]
pub struct Replicated {
    /// The primary (first master).
    pub primary: Redis,
    /// The replica (replicates through `cluster_link`).
    pub replica: Redis,
    /// The Sentinels.
    pub sentinels: Vec<Sentinel>,
    /// The primary as the replica and the Sentinels reach it.
    pub cluster_link: Proxy,
}

fn cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

impl Replicated {
    /// Starts it all (down-after 1 s, quorum 2) and waits until the replica is in sync and
    /// every Sentinel knows the replica and the other Sentinels.
    pub async fn start() -> Replicated {
        let primary = Redis::start(&[]);
        let cluster_link = Proxy::start(primary.port).await;
        let link = cluster_link.port.to_string();
        let replica = Redis::start(&["--replicaof", "127.0.0.1", &link]);
        let rp = replica.port;
        let synced = move || cli(rp, &["INFO", "replication"]).contains("master_link_status:up");
        tokio::task::spawn_blocking(move || wait_until("replica sync", Duration::from_secs(20), synced)).await.expect("join");
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let conf = dir.path().join("sentinel.conf");
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {}\nsentinel monitor {SERVICE} 127.0.0.1 {link} 2\n\
                     sentinel down-after-milliseconds {SERVICE} 1000\nsentinel failover-timeout {SERVICE} 4000\n\
                     sentinel parallel-syncs {SERVICE} 1\n",
                    dir.path().display()
                ),
            )
            .expect("write sentinel.conf");
            let child = Command::new("redis-server")
                .arg(&conf)
                .arg("--sentinel")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server --sentinel");
            sentinels.push(Sentinel { port, child, _dir: dir });
        }
        let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
        let ready = move || {
            ports.iter().all(|p| {
                let m = cli(*p, &["SENTINEL", "MASTER", SERVICE]);
                let field = |k: &str| m.lines().skip_while(|l| *l != k).nth(1).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
                field("num-slaves") >= 1 && field("num-other-sentinels") >= 2
            })
        };
        tokio::task::spawn_blocking(move || wait_until("sentinels", Duration::from_secs(30), ready)).await.expect("join");
        Replicated { primary, replica, sentinels, cluster_link }
    }

    /// `redis-sentinel://` with every Sentinel.
    pub fn sentinel_url(&self) -> String {
        let mut nodes = self.sentinels.iter().map(|s| format!("127.0.0.1:{}", s.port));
        let first = nodes.next().unwrap_or_default();
        let rest: String = nodes.map(|n| format!("node={n}&")).collect();
        format!("redis-sentinel://{first}?{rest}sentinelServiceName={SERVICE}")
    }

    /// The port the Sentinels name as the primary now (from the first that answers).
    pub fn primary_port(&self) -> Option<u16> {
        self.sentinels
            .iter()
            .find_map(|s| cli(s.port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE]).lines().nth(1).and_then(|p| p.parse().ok()))
    }

    /// Whether the Sentinels have promoted the replica.
    pub fn failed_over(&self) -> bool {
        self.primary_port() == Some(self.replica.port) && self.replica.cli(&["ROLE"]).starts_with("master")
    }
}
