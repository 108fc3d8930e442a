//! Reads the identity provider's key set over HTTPS (or plain HTTP on a private network): one
//! GET, a timeout on the whole exchange, a bounded body, no redirects followed.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{header, Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Largest key set read, in bytes (a provider's set is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest a fetch may take, connect to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No whole answer within [`TIMEOUT`].
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    /// Connecting, sending or reading failed.
    #[error("cannot reach it: {0}")]
    Unreachable(String),
    /// It answered something else than 200.
    #[error("it answered HTTP {0}")]
    Status(u16),
    /// The body passed [`MAX_BODY_BYTES`].
    #[error("its answer is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

/// A client for one URL.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    uri: Uri,
}

impl Fetcher {
    /// A fetcher of `url`, an `https://` (or `http://`) URL with a host, trusting the public
    /// roots and the certificates of `ca_file`.
    pub fn new(url: &str, ca_file: Option<&std::path::Path>) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("AFORO_JWKS_URL {url:?} is not a URL: {e}"))?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
            return Err(format!("AFORO_JWKS_URL {url:?} must be an https:// (or http://) URL with a host"));
        }
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(TIMEOUT));
        http.enforce_http(false);
        let tls = crate::tls::client_config(ca_file)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build(connector);
        Ok(Fetcher { client, uri })
    }

    /// GET the URL: its body on 200.
    pub async fn get(&self) -> Result<Bytes, FetchError> {
        let req = Request::get(self.uri.clone())
            .header(header::ACCEPT, "application/json")
            .header(header::USER_AGENT, concat!("aforo-origin/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| FetchError::Unreachable(chain(&e)))?;
            if resp.status() != StatusCode::OK {
                return Err(FetchError::Status(resp.status().as_u16()));
            }
            let body = Limited::new(resp.into_body(), MAX_BODY_BYTES).collect().await.map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    FetchError::TooLarge
                } else {
                    FetchError::Unreachable(e.to_string())
                }
            })?;
            Ok(body.to_bytes())
        };
        tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| FetchError::Timeout)?
    }
}

/// An error with its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
