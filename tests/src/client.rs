//! A typed client of the origin's HTTP contract.

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// One answer: status, headers of interest, JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Content-Type.
    pub content_type: String,
    /// Retry-After, if any.
    pub retry_after: Option<String>,
    /// ETag, if any.
    pub etag: Option<String>,
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Answer {
    /// The problem `code`, for errors.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// The client.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Api {
        let http = http().pool_max_idle_per_host(512).build().expect("client");
        Api { base: base.trim_end_matches('/').to_string(), http }
    }

    /// Sends a request with an optional token, idempotency key and raw body; panics on a
    /// transport error (tests where the server must be up).
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, idem: Option<&str>, body: Option<Vec<u8>>) -> Answer {
        let headers: Vec<(&str, &str)> = idem.map(|k| ("Idempotency-Key", k)).into_iter().collect();
        self.send_with(method, path, token, &headers, body).await
    }

    /// Sends a request; a transport error (server down, connection reset) is returned.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        idem: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, reqwest::Error> {
        let headers: Vec<(&str, &str)> = idem.map(|k| ("Idempotency-Key", k)).into_iter().collect();
        self.try_send_with(method, path, token, &headers, body).await
    }

    /// Sends a request with extra headers; panics on a transport error.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        self.try_send_with(method, path, token, headers, body).await.expect("request failed at the transport level")
    }

    /// Sends a request with extra headers; a transport error is returned.
    pub async fn try_send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, reqwest::Error> {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b);
        }
        let resp = rb.timeout(std::time::Duration::from_secs(10)).send().await?;
        let status = resp.status();
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        let etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(String::from);
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, content_type, retry_after, etag, body })
    }

    /// GET with a token.
    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    /// A text body (`/metrics`).
    pub async fn text(&self, path: &str) -> String {
        let r = self.http.get(format!("{}{}", self.base, path)).send().await.expect("request failed");
        r.text().await.expect("text body")
    }

    /// PUT a resource document.
    pub async fn put_resource(&self, token: &str, id: &str, doc: &Value) -> Answer {
        self.send(Method::PUT, &format!("/v1/resources/{id}"), Some(token), None, Some(doc.to_string().into_bytes())).await
    }

    /// GET availability with a raw query.
    pub async fn availability(&self, id: &str, query: &str) -> Answer {
        self.send(Method::GET, &format!("/v1/resources/{id}/availability?{query}"), None, None, None).await
    }

    /// GET calendar with a raw query.
    pub async fn calendar(&self, id: &str, query: &str) -> Answer {
        self.send(Method::GET, &format!("/v1/resources/{id}/calendar?{query}"), None, None, None).await
    }

    /// POST a hold.
    pub async fn hold(&self, token: &str, key: &str, body: &Value) -> Answer {
        self.send(Method::POST, "/v1/holds", Some(token), Some(key), Some(body.to_string().into_bytes())).await
    }

    /// GET a hold.
    pub async fn get_hold(&self, token: &str, id: &str) -> Answer {
        self.send(Method::GET, &format!("/v1/holds/{id}"), Some(token), None, None).await
    }

    /// POST consume.
    pub async fn consume(&self, token: &str, id: &str) -> Answer {
        self.send(Method::POST, &format!("/v1/holds/{id}/consume"), Some(token), None, None).await
    }

    /// POST a step after the sale (`cancel`, `seat`, `no-show`, `finish`, `extend`) with an
    /// optional JSON body.
    pub async fn step(&self, token: &str, id: &str, step: &str, body: Option<&serde_json::Value>) -> Answer {
        let body = body.map(|b| b.to_string().into_bytes());
        self.send(Method::POST, &format!("/v1/holds/{id}/{step}"), Some(token), None, body).await
    }

    /// POST release.
    pub async fn release(&self, token: &str, id: &str) -> Answer {
        self.send(Method::POST, &format!("/v1/holds/{id}/release"), Some(token), None, None).await
    }

    /// POST a stock adjustment under a fresh `Idempotency-Key`, as a careful integration
    /// sends each new change.
    pub async fn stock(&self, token: &str, id: &str, body: &Value) -> Answer {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let key = format!("stock-{}-{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        self.stock_keyed(token, id, Some(&key), body).await
    }

    /// POST a stock adjustment under `key` (or none).
    pub async fn stock_keyed(&self, token: &str, id: &str, key: Option<&str>, body: &Value) -> Answer {
        self.send(Method::POST, &format!("/v1/resources/{id}/stock"), Some(token), key, Some(body.to_string().into_bytes())).await
    }
}

/// A client builder for tests: reqwest's rustls needs a process-wide crypto provider (the
/// origin's https calls enable it for the whole workspace), installed here first, once.
pub fn http() -> reqwest::ClientBuilder {
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
