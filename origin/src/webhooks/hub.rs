//! What one origin keeps for webhooks: its consumer name, the HTTP client, the endpoints
//! (reloaded when their version moves), the deliveries it runs; and the two loops.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::app::AppRef;
use crate::store::webhooks::EndpointRecord;
use crate::store::StoreError;

use super::guard::GuardedResolver;

/// How old the endpoints read may be (their status, backlog).
const REFRESH: Duration = Duration::from_secs(2);

/// Deliveries one origin runs at once (each on its own endpoint).
const CONCURRENT: usize = 64;

/// One origin's webhook state.
#[derive(Debug)]
pub struct Hub {
    /// Shared state.
    pub app: AppRef,
    /// This origin's name as a consumer and lease holder (unique per process).
    pub me: String,
    /// The client every delivery uses: no redirects, no proxy, guarded resolver, timeout.
    pub client: reqwest::Client,
    /// Endpoints whose deliveries this origin runs now.
    pub active: Mutex<HashSet<String>>,
    /// The shares of the streams this origin read at its last poll.
    pub shards: Mutex<HashSet<u32>>,
    /// Resources with dates waiting for their `availability.changed`.
    dates: Mutex<HashSet<String>>,
    endpoints: tokio::sync::Mutex<(i64, std::time::Instant, Arc<Vec<EndpointRecord>>)>,
    /// Bounds the deliveries running at once.
    pub permits: Arc<Semaphore>,
}

impl Hub {
    /// A hub for `app`; errs when the HTTP client cannot be built.
    pub fn new(app: AppRef) -> Result<Arc<Hub>, String> {
        let s = &app.cfg.webhooks;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_millis(s.webhook_timeout_ms))
            .connect_timeout(Duration::from_millis(s.webhook_timeout_ms))
            .pool_max_idle_per_host(2)
            .user_agent(concat!("aforo-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(GuardedResolver { allow_private: s.webhook_allow_private })
            .tls_backend_preconfigured(crate::tls::client_config(app.cfg.tls_ca_file.as_deref())?)
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        let rnd: [u8; 6] = super::random_bytes();
        let me = format!("o-{}", rnd.iter().map(|b| format!("{b:02x}")).collect::<String>());
        Ok(Arc::new(Hub {
            app,
            me,
            client,
            active: Mutex::new(HashSet::new()),
            shards: Mutex::new(HashSet::new()),
            dates: Mutex::new(HashSet::new()),
            endpoints: tokio::sync::Mutex::new((-1, std::time::Instant::now(), Arc::new(Vec::new()))),
            permits: Arc::new(Semaphore::new(CONCURRENT)),
        }))
    }

    /// The endpoints, reloaded when one was created or deleted since the last call (and
    /// their status and backlog at least every [`REFRESH`]).
    pub async fn endpoints(&self) -> Result<Arc<Vec<EndpointRecord>>, StoreError> {
        Ok(self.endpoints_at().await?.1)
    }

    /// [`Hub::endpoints`] with the version they are at least as new as: every endpoint
    /// created, deleted or re-enabled before that version was read is in them as it is now.
    pub async fn endpoints_at(&self) -> Result<(i64, Arc<Vec<EndpointRecord>>), StoreError> {
        let v = self.app.store.wh_version().await?;
        let mut cur = self.endpoints.lock().await;
        if cur.0 == v && cur.1.elapsed() < REFRESH {
            return Ok((v, cur.2.clone()));
        }
        let mut all = Vec::new();
        for id in self.app.store.wh_ids(None).await? {
            if let Some(r) = self.app.store.wh_get(&id).await? {
                all.push(r);
            }
        }
        *cur = (v, std::time::Instant::now(), Arc::new(all));
        Ok((v, cur.2.clone()))
    }

    /// Forgets the endpoints read (a status changed): the next poll reads them again.
    pub async fn stale(&self) {
        self.endpoints.lock().await.0 = -1;
    }

    /// Notes whether dates of `resource` wait behind its gate.
    pub fn note_dates(&self, resource: &str, waiting: bool) {
        let mut d = self.dates.lock().unwrap_or_else(|p| p.into_inner());
        if waiting {
            d.insert(resource.to_string());
        } else {
            d.remove(resource);
        }
    }

    /// Whether dates of `resource` wait behind its gate.
    pub fn dates_waiting(&self, resource: &str) -> bool {
        self.dates.lock().unwrap_or_else(|p| p.into_inner()).contains(resource)
    }
}
