//! Real processes for tests: Redis (single or a 3-node cluster) and the origin binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The JWT secret every test origin uses.
pub const SECRET: &str = "test-secret-0123456789abcdef";

/// The memory ceiling of every test Redis.
pub const MAXMEMORY: &str = "256mb";

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("no free port")
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "{what} did not come up within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the origin `child` answers its health check on `port` within 60 s: `false` as
/// soon as it has exited (it could not bind the port), so that what answers is ours.
fn answers(child: &mut Child, port: u16) -> bool {
    use std::io::{Read, Write};
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 ") {
                // Another server on the port answers too: ours is the one still running after
                // its bind would have failed.
                std::thread::sleep(Duration::from_millis(50));
                return matches!(child.try_wait(), Ok(None));
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("aforo-origin did not come up within 60 s");
}

fn redis_cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli").args(["-h", "127.0.0.1", "-p", &port.to_string()]).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A `redis-server` on a free loopback port with its data in a temporary folder; stopped on
/// drop.
#[derive(Debug)]
pub struct Redis {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl Redis {
    /// Starts one with AOF off (fast) unless `extra` says otherwise.
    pub fn start(extra: &[&str]) -> Redis {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = Redis { port: free_port(), child: None, dir, extra: extra.iter().map(|s| s.to_string()).collect() };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--dir"])
            .arg(self.dir.path())
            .args(["--save", "", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"])
            // As production runs it (docs/runbook.md, memory ceiling): a ceiling, and no
            // eviction, so that a hold is never dropped to make room; `extra` may override.
            .args(["--maxmemory", MAXMEMORY, "--maxmemory-policy", "noeviction"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        let port = self.port;
        wait_until("redis-server", Duration::from_secs(10), || redis_cli(port, &["PING"]).as_deref() == Some("PONG"));
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Runs a redis-cli command against it.
    pub fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, args).unwrap_or_default()
    }

    /// Kills it (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and folder.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn signal(&self, sig: &str) -> bool {
        // The process itself (a positive pid), never a process group.
        self.child.as_ref().is_some_and(|c| Command::new("kill").args(["-s", sig, &c.id().to_string()]).status().is_ok_and(|s| s.success()))
    }

    /// Freezes it (SIGSTOP): connections stay open, nothing answers.
    pub fn pause(&self) {
        assert!(self.signal("STOP"), "kill -s STOP failed");
    }

    /// Thaws it (SIGCONT).
    pub fn resume(&self) {
        assert!(self.signal("CONT"), "kill -s CONT failed");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        // A stopped Redis is continued first so that it dies now rather than when reaped.
        self.signal("CONT");
        self.kill();
    }
}

/// A 3-node Redis Cluster on loopback (no replicas).
#[derive(Debug)]
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<Redis>,
}

impl Cluster {
    /// Starts three nodes and creates the cluster.
    pub fn start() -> Cluster {
        let nodes: Vec<Redis> = (0..3).map(|_| Redis::start(&["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])).collect();
        let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli");
        assert!(out.status.success(), "cluster create failed: {}", String::from_utf8_lossy(&out.stdout));
        let p = nodes[0].port;
        wait_until("cluster", Duration::from_secs(20), || {
            redis_cli(p, &["CLUSTER", "INFO"]).is_some_and(|s| s.contains("cluster_state:ok"))
        });
        Cluster { nodes }
    }

    /// `redis-cluster://127.0.0.1:<first port>`.
    pub fn url(&self) -> String {
        format!("redis-cluster://127.0.0.1:{}", self.nodes[0].port)
    }

    /// The port of the node that holds `key`.
    pub fn node_of(&self, key: &str) -> u16 {
        let slot: u16 = self.nodes[0].cli(&["CLUSTER", "KEYSLOT", key]).parse().expect("slot");
        for n in &self.nodes {
            if n.cli(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]).parse::<u64>().unwrap_or(0) > 0 {
                return n.port;
            }
        }
        0
    }
}

/// Where cargo put the running test binary: its target directory and profile, from
/// `<target dir>/<profile dir>/deps/<test binary>` (`debug` is the `dev` profile). That is
/// `CARGO_TARGET_DIR`, `--target-dir` or the workspace's `target/`, whichever cargo used.
fn build_dirs() -> Option<(PathBuf, String)> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent().filter(|d| d.file_name().is_some_and(|n| n == "deps"))?;
    let profile_dir = deps.parent()?;
    let profile = match profile_dir.file_name()?.to_str()? {
        "debug" => "dev".to_string(),
        other => other.to_string(),
    };
    Some((profile_dir.parent()?.to_path_buf(), profile))
}

/// Builds `bin` of `package` with cargo (`$CARGO`, as `cargo test` sets it) in the running
/// test's target directory and profile, and returns the executable cargo reports for it.
/// Cargo builds only what changed: up to date, this is a no-op of about 0.3 s.
///
/// `cargo test` releases its build lock before it runs the test binaries, so this does not
/// wait on the cargo that started the tests.
fn cargo_build_bin(package: &str, bin: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = repo_root();
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root).arg("build").arg("--manifest-path").arg(root.join("Cargo.toml")).args([
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    if let Some((target_dir, profile)) = build_dirs() {
        cmd.arg("--target-dir").arg(target_dir).args(["--profile", &profile]);
    }
    // Progress and compiler messages go to the terminal; the JSON messages come back here.
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::inherit()).output().expect("run cargo build");
    assert!(out.status.success(), "cargo build -p {package} --bin {bin} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build -p {package} --bin {bin} reported no executable"))
}

/// The origin binary, (re)built by cargo once per test process before its first use, so
/// that no test runs a binary older than the sources.
pub fn origin_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| cargo_build_bin("aforo-origin", "aforo-origin")).clone()
}

/// A running `aforo-origin`; killed on drop.
#[derive(Debug)]
pub struct Origin {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    redis_url: String,
    env: Vec<(String, String)>,
    restarted: bool,
}

impl Origin {
    /// Starts the origin against a Redis URL.
    pub fn start(redis_url: &str) -> Origin {
        Origin::start_with(redis_url, &[])
    }

    /// Starts it with extra environment.
    pub fn start_with(redis_url: &str, env: &[(&str, &str)]) -> Origin {
        let mut o = Origin {
            port: free_port(),
            child: None,
            redis_url: redis_url.to_string(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            restarted: false,
        };
        o.spawn();
        o
    }

    fn spawn(&mut self) {
        // A port found free may be taken before the origin binds it (by another test's
        // server, or as a client's ephemeral port): then the origin exits, and a fresh start
        // goes to another port. A restart keeps its port, since the test holds its URL.
        for _ in 0..5 {
            let mut child = self.command().spawn().expect("spawn aforo-origin");
            if answers(&mut child, self.port) {
                self.child = Some(child);
                return;
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(!self.restarted, "aforo-origin could not listen again on port {}", self.port);
            self.port = free_port();
        }
        panic!("aforo-origin did not come up on five ports");
    }

    fn command(&self) -> Command {
        let log = std::env::var("AFORO_TEST_LOG").is_ok();
        let mut cmd = Command::new(origin_bin());
        cmd.env("AFORO_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("AFORO_REDIS_URL", &self.redis_url)
            .env("AFORO_JWT_SECRET", SECRET)
            .env("AFORO_LOG", if log { "info" } else { "warn" })
            .env("AFORO_LOG_FORMAT", "pretty")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(if log { Stdio::inherit() } else { Stdio::null() });
        cmd
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for a clean exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        let Some(mut c) = self.child.take() else { return false };
        let _ = Command::new("kill").args(["-s", "TERM", "--", &c.id().to_string()]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(st)) = c.try_wait() {
                return st.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        false
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.restarted = true;
        self.spawn();
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A signed token for `sub` with `role` valid for an hour.
pub fn token(sub: &str, role: &str) -> String {
    use aforo_origin::auth::{sign, Role};
    let role = match role {
        "buyer" => Role::Buyer,
        "seller" => Role::Seller,
        "ops" => Role::Ops,
        _ => Role::Edge,
    };
    let exp = chrono::Utc::now().timestamp() as u64 + 3600;
    sign(SECRET.as_bytes(), sub, role, exp).expect("sign")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).expect("repo root")
}

/// `wrangler dev` serving the Worker in workerd on a free port; killed (with its workerd) on
/// drop. Needs `npm ci` and the edge tools (scripts/install-tools.sh).
#[derive(Debug)]
pub struct Edge {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    _state: tempfile::TempDir,
}

impl Edge {
    /// Starts the Worker against an origin URL with extra `--var NAME:VALUE` settings.
    pub fn start(origin_url: &str, vars: &[(&str, &str)]) -> Edge {
        let root = repo_root();
        let st = Command::new("bash").arg(root.join("scripts/build-edge.sh")).status().expect("build-edge");
        assert!(st.success(), "building the Worker failed");
        let state = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
        cmd.current_dir(&root)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(state.path())
            .args(["--var", &format!("ORIGIN_URL:{origin_url}")])
            .args(["--var", &format!("EDGE_TOKEN:{}", token("edge-1", "edge"))])
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var("AFORO_TEST_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() });
        for (k, v) in vars {
            cmd.args(["--var", &format!("{k}:{v}")]);
        }
        // Its own process group, so that workerd goes down with it.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd.spawn().expect("spawn wrangler (run npm ci)");
        let e = Edge { port, child: Some(child), _state: state };
        let url = format!("127.0.0.1:{port}");
        wait_until("wrangler dev", Duration::from_secs(180), || {
            use std::io::{Read, Write};
            let Ok(mut s) = std::net::TcpStream::connect(&url) else { return false };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            // Up: healthy, or refusing to serve with its own problem (a bad setting).
            buf.starts_with("HTTP/1.1 200") || (buf.starts_with("HTTP/1.1 500") && buf.contains("application/problem+json"))
        });
        e
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // `--` so that the negative process-group id is not read as an option.
            let group = format!("-{}", c.id());
            let _ = Command::new("kill").args(["-s", "TERM", "--", &group]).status();
            std::thread::sleep(Duration::from_millis(300));
            let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
            let _ = c.wait();
        }
    }
}
