//! The HTTP server: accept loop with a connection bound, per-request ids and timeout, and
//! graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tracing::Instrument;

use crate::app::AppRef;
use crate::error::ApiError;
use crate::http::Body;
use crate::routes::{dispatch, Ctx, Router};

fn request_id(req: &Request<Incoming>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(String::from)
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

async fn handle(app: AppRef, router: Arc<Router>, req: Request<Incoming>) -> Response<Body> {
    let rid = request_id(&req);
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %rid, %method, path = %path);
    async move {
        let started = std::time::Instant::now();
        let result = match router.find(&path) {
            Some((route, id)) => {
                let ctx = Ctx { app: app.clone(), id: id.unwrap_or_default(), query: req.uri().query().unwrap_or("").to_string() };
                match tokio::time::timeout(app.cfg.request_timeout(), dispatch(route, ctx, req)).await {
                    Ok(r) => r,
                    Err(_) => Err(ApiError::StoreUnavailable("the request timed out".into())),
                }
            }
            None => Err(ApiError::RouteNotFound(path.clone())),
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => e.response(&rid),
        };
        if let Ok(v) = hyper::header::HeaderValue::from_str(&rid) {
            resp.headers_mut().insert("x-request-id", v);
        }
        tracing::info!(status = resp.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "done");
        resp
    }
    .instrument(span)
    .await
}

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
        let (stream, _) = tokio::select! {
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
            async move { Ok::<_, Infallible>(handle(app, router, req).await) }
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
        _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => tracing::warn!("shutdown timed out; closing open connections"),
    }
    Ok(())
}
