//! Every error of the Worker as problem+json (RFC 9457), the same shape as the origin's.

use worker::{Headers, Response};

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: u16,
    /// Stable code (API.md catalogue).
    pub code: &'static str,
    /// Human-readable detail.
    pub detail: String,
    /// Seconds before retrying, for 503.
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem.
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, code, detail: detail.into(), retry_after: None }
    }

    /// 400 INVALID_REQUEST.
    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(400, "INVALID_REQUEST", detail)
    }

    /// 503 ORIGIN_UNAVAILABLE with Retry-After.
    pub fn origin_unavailable(detail: impl Into<String>) -> Problem {
        Problem { retry_after: Some(2), ..Problem::new(503, "ORIGIN_UNAVAILABLE", detail) }
    }

    /// The response.
    pub fn response(&self) -> Response {
        let body = serde_json::Value::Object(aforo_core::problem(self.status, self.code, &self.detail));
        let headers = Headers::new();
        let _ = headers.set("content-type", "application/problem+json");
        if let Some(s) = self.retry_after {
            let _ = headers.set("retry-after", &s.to_string());
        }
        match Response::ok(body.to_string()) {
            Ok(r) => r.with_status(self.status).with_headers(headers),
            Err(_) => Response::empty()
                .map(|r| r.with_status(self.status))
                .unwrap_or_else(|_| Response::from_bytes(Vec::new()).expect("an empty response")),
        }
    }
}

impl From<worker::Error> for Problem {
    fn from(e: worker::Error) -> Self {
        Problem::new(500, "INTERNAL", format!("edge error: {e}"))
    }
}
