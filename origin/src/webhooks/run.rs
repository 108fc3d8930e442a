//! The two loops of every origin: fan-out and delivery, each every `AFORO_WEBHOOK_POLL_MS`.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppRef;

use super::hub::Hub;

/// Starts the fan-out and delivery loops; they end when `stop` turns true.
pub fn spawn(app: AppRef, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let hub = match Hub::new(app.clone()) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are not delivered");
            return Vec::new();
        }
    };
    let period = Duration::from_millis(app.cfg.webhooks.webhook_poll_ms);
    let fan = {
        let (hub, stop) = (hub.clone(), stop.clone());
        tokio::spawn(crate::periodic::every(period, stop, move || {
            let hub = hub.clone();
            async move {
                if let Err(e) = super::fanout::poll(&hub).await {
                    tracing::warn!(error = %e, "webhook fan-out");
                }
            }
        }))
    };
    let deliver = {
        let (hub, stop2) = (hub.clone(), stop.clone());
        tokio::spawn(crate::periodic::every(period, stop, move || {
            let (hub, stop) = (hub.clone(), stop2.clone());
            async move {
                if let Err(e) = super::deliver::poll(&hub, &stop).await {
                    tracing::warn!(error = %e, "webhook delivery");
                }
            }
        }))
    };
    vec![fan, deliver]
}
