//! The Worker in real workerd: `wrangler dev` on a free port, with only the settings a test
//! gives it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{free_port, repo_root, token, wait_until};

/// `wrangler dev` serving the Worker in workerd on a free port; killed (with its workerd) on
/// drop. Needs `npm ci` and the edge tools (scripts/install-tools.sh).
///
/// Its settings are `wrangler.toml`'s and the `--var`s given here, nothing else: a developer's
/// `.dev.vars` or `.env` in the checkout (say, `LOCAL_DEMO=1` and a demo token) and
/// `CLOUDFLARE_*` settings in the environment never reach it (`tests/tests/edge_settings.rs`
/// checks).
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
        Edge::spawn(origin_url, vars, true)
    }

    /// Starts the Worker as a bare `wrangler dev` does, reading the checkout's `.dev.vars`:
    /// only for the test that shows [`Edge::start`] does not.
    pub fn start_reading_dev_vars(origin_url: &str, vars: &[(&str, &str)]) -> Edge {
        Edge::spawn(origin_url, vars, false)
    }

    fn spawn(origin_url: &str, vars: &[(&str, &str)], isolated: bool) -> Edge {
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
        if isolated {
            // Given an env file, wrangler reads neither `.dev.vars` nor `.env`; this one is empty.
            // Nor does it take the process environment, unless told to.
            cmd.args(["--env-file", "/dev/null"]);
            for k in ["CLOUDFLARE_INCLUDE_PROCESS_ENV", "CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "CLOUDFLARE_ENV"] {
                cmd.env_remove(k);
            }
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
