//! A webhook receiver on a real socket for the webhook tests: it keeps every request (its
//! headers, body and arrival), answers as its plan says (a status, after an optional
//! delay), and hands the requests to the official `standardwebhooks` library (npm, through
//! `tests/node/verify-webhooks.mjs`) to verify their signatures.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    /// Its headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// Its body.
    pub body: String,
    /// When it arrived.
    pub at: Instant,
    /// When it arrived, Unix ms (to compare with the event's `timestamp`).
    pub wall_ms: i64,
    /// What the receiver answered.
    pub status: u16,
}

impl Got {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `webhook-id`.
    pub fn id(&self) -> String {
        self.headers.get("webhook-id").cloned().unwrap_or_default()
    }
}

/// How to answer the `n`th request (from 0): a status, and a delay before it.
pub type Plan = Box<dyn Fn(usize, &Got) -> (u16, Duration) + Send + Sync>;

/// A receiver on 127.0.0.1.
pub struct Receiver {
    /// Where to send (`http://127.0.0.1:<port>/hook`).
    pub url: String,
    /// Every request so far.
    pub got: Arc<Mutex<Vec<Got>>>,
    plan: Arc<Mutex<Plan>>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Reads one request from `sock`; `buf` keeps what was read past it (keep-alive).
fn read_request(sock: &mut std::net::TcpStream, buf: &mut Vec<u8>) -> Option<(BTreeMap<String, String>, String)> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    buf.drain(..head_end + len);
    Some((headers, body))
}

impl Receiver {
    /// A receiver answering 204 at once.
    pub fn start() -> Receiver {
        Receiver::with(Box::new(|_, _| (204, Duration::ZERO)))
    }

    /// A receiver answering as `plan` says.
    pub fn with(plan: Plan) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let plan = Arc::new(Mutex::new(plan));
        let (g, p) = (got.clone(), plan.clone());
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(mut sock) = sock else { return };
                let (got, plan) = (g.clone(), p.clone());
                std::thread::spawn(move || {
                    // Keep-alive, as receivers usually are: requests one after another.
                    let mut buf = Vec::new();
                    while let Some((headers, body)) = read_request(&mut sock, &mut buf) {
                        let wall_ms =
                            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
                        let mut req = Got { headers, body, at: Instant::now(), wall_ms, status: 0 };
                        let n = got.lock().unwrap_or_else(|e| e.into_inner()).len();
                        let (status, delay) = (plan.lock().unwrap_or_else(|e| e.into_inner()))(n, &req);
                        req.status = status;
                        got.lock().unwrap_or_else(|e| e.into_inner()).push(req);
                        std::thread::sleep(delay);
                        let resp = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok");
                        if sock.write_all(resp.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Receiver { url, got, plan }
    }

    /// Changes how it answers from now on.
    pub fn set_plan(&self, plan: Plan) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    /// Every request so far.
    pub fn all(&self) -> Vec<Got> {
        self.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The requests answered 2xx, first of each `webhook-id` only, in arrival order.
    pub fn delivered(&self) -> Vec<Got> {
        let mut seen = std::collections::HashSet::new();
        self.all().into_iter().filter(|g| (200..300).contains(&g.status) && seen.insert(g.id())).collect()
    }
}

/// Verifies each request with `standardwebhooks`' `Webhook.verify` for `secret`: per
/// request, `Ok(type)` or the library's error.
pub fn verify(secret: &str, got: &[Got]) -> Vec<Result<String, String>> {
    let messages: Vec<Value> = got.iter().map(|g| json!({"headers": g.headers, "body": g.body})).collect();
    let input = json!({"secret": secret, "messages": messages}).to_string();
    let script = crate::harness::repo_root().join("tests/node/verify-webhooks.mjs");
    let mut child = std::process::Command::new("node")
        .arg(script)
        .current_dir(crate::harness::repo_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("node");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "verify-webhooks.mjs failed");
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).expect("verify output");
    v.into_iter()
        .map(|r| if r["ok"] == true { Ok(r["type"].as_str().unwrap_or("").to_string()) } else { Err(r["error"].to_string()) })
        .collect()
}
