//! The HTTP server: accept loop with a connection bound, per-request ids and timeout, and
//! graceful shutdown.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use futures::FutureExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tracing::Instrument;

use crate::admission::denied::{Denial, Who};
use crate::app::AppRef;
use crate::error::ApiError;
use crate::http::Body;
use crate::metrics::{method_label, ReasonLabels, RequestLabels, RouteLabels};
use crate::routes::{dispatch, route_label, Ctx, IdKind, Router};

fn request_id(req: &Request<Incoming>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(String::from)
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

async fn handle(app: AppRef, router: Arc<Router>, req: Request<Incoming>, peer: IpAddr) -> Response<Body> {
    let rid = request_id(&req);
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %rid, %method, path = %crate::text::clip(&path, 256));
    async move {
        let started = std::time::Instant::now();
        let found = router.find(&path);
        let template = found.as_ref().map_or("unmatched", |m| m.template());
        let holds_id = found.as_ref().is_some_and(|m| m.id_kind() == IdKind::Hold);
        let client = app.admission.proxies.client(peer, req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()));
        // The caller a valid token names (with several Authorization headers, none): who a
        // refused request is audited for, and whose share a read counts against.
        let auth = crate::routes::single_authorization(req.headers()).ok().flatten().cloned();
        let token = app.verifier.caller(auth.as_ref().and_then(|v| v.to_str().ok())).await.ok();
        // Without a valid token (none, or refused), the client address's anonymous rate.
        let limited = if token.is_none() && !crate::admission::exempt(template) { app.admission.anonymous(client).err() } else { None };
        let result = match (limited, found) {
            (Some(e), _) => {
                app.metrics.admission_refused.get_or_create(&ReasonLabels { reason: "anonymous_rate".into() }).inc();
                Err(e)
            }
            (None, Some(matched)) => {
                let ctx = Ctx {
                    app: app.clone(),
                    id: matched.id.clone().unwrap_or_default(),
                    query: req.uri().query().unwrap_or("").to_string(),
                    request_id: rid.clone(),
                    route: route_label(method.as_str(), template),
                    caller: None,
                    writes: false,
                    client,
                    token: token.clone(),
                };
                let resource = ctx.id.clone();
                // A panic is a bug: answer 500 and log it rather than drop the connection.
                let guarded = std::panic::AssertUnwindSafe(dispatch(matched, ctx, req)).catch_unwind();
                let run = async {
                    guarded.await.unwrap_or_else(|p| {
                        let what = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
                        Err(ApiError::Internal(format!("handler panicked: {}", what.unwrap_or_default())))
                    })
                };
                match tokio::time::timeout(app.cfg.request_timeout(), run).await {
                    Ok(Err(e @ (ApiError::Unauthenticated(_) | ApiError::Forbidden(_)))) => {
                        let who = match &token {
                            Some(c) => Who::Caller(c.sub.clone(), c.role_name()),
                            None => Who::Anonymous(crate::admission::client::limit_key(client)),
                        };
                        let d = Denial {
                            who,
                            client,
                            route: route_label(method.as_str(), template),
                            status: e.status().as_u16(),
                            code: e.code(),
                            reason: e.to_string(),
                            request_id: &rid,
                            target: (&resource, holds_id),
                        };
                        if !app.admission.denied.note(app.now().timestamp_millis(), d) {
                            app.metrics.denied_audit_dropped.inc();
                        }
                        Err(e)
                    }
                    Ok(r) => r,
                    Err(_) => Err(ApiError::StoreUnavailable("the request timed out".into())),
                }
            }
            (None, None) => Err(ApiError::RouteNotFound(crate::text::clip(&path, 128))),
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => crate::http::problem(&e, &rid),
        };
        if let Ok(v) = hyper::header::HeaderValue::from_str(&rid) {
            resp.headers_mut().insert("x-request-id", v);
        }
        let elapsed = started.elapsed();
        let status = resp.status().as_u16();
        observe(&app, method_label(&method), template, status, elapsed);
        tracing::info!(status, route = template, elapsed_us = elapsed.as_micros() as u64, "done");
        resp
    }
    .instrument(span)
    .await
}

fn observe(app: &AppRef, method: &'static str, route: &'static str, status: u16, elapsed: std::time::Duration) {
    let m = &app.metrics;
    m.requests.get_or_create(&RequestLabels { route, method, status }).inc();
    m.latency.get_or_create(&RouteLabels { route, method }).observe(elapsed.as_secs_f64());
    if route != "unmatched" && route != "/metrics" {
        app.slo.record(app.now().timestamp_millis(), method, route, status, elapsed);
    }
}

/// How long open requests get to finish at shutdown (an event stream is closed then).
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves until `shutdown` turns true, then lets open requests finish.
pub async fn serve(listener: TcpListener, app: AppRef, mut shutdown: watch::Receiver<bool>) -> std::io::Result<()> {
    let router = Arc::new(Router::new().map_err(std::io::Error::other)?);
    let permits = Arc::new(Semaphore::new(app.cfg.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, router) = (app.clone(), router.clone());
        let svc = service_fn(move |req| {
            let (app, router) = (app.clone(), router.clone());
            async move { Ok::<_, Infallible>(handle(app, router, req, peer.ip()).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(10))
            .serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for open requests");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(GRACE) => tracing::warn!("shutdown timed out; closing open connections"),
    }
    Ok(())
}
