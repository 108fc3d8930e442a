//! Every error of the Worker as problem+json (RFC 9457), the same shape as the origin's, its
//! code from the list the origin shares ([`aforo_core::Code`]). A 500 tells the client a
//! stable sentence and the request id; its cause goes to the log only (see [`Problem::cause`]).

use aforo_core::{Code, INTERNAL_DETAIL};
use worker::{Headers, Response, ResponseBuilder};

use crate::settings::BadSetting;

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status (the code's own, but for the 502 of a bad snapshot).
    pub status: u16,
    /// Stable code (API.md catalogue).
    pub code: Code,
    /// Human-readable detail, what the client reads.
    pub detail: String,
    /// What went wrong inside, logged with the request id and never answered (500s).
    pub cause: Option<String>,
    /// Seconds before retrying, for 503.
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem with its code's status.
    pub fn new(code: Code, detail: impl Into<String>) -> Problem {
        Problem { status: code.status(), code, detail: detail.into(), cause: None, retry_after: None }
    }

    /// 400 INVALID_REQUEST.
    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(Code::InvalidRequest, detail)
    }

    /// 503 ORIGIN_UNAVAILABLE with Retry-After.
    pub fn origin_unavailable(detail: impl Into<String>) -> Problem {
        Problem { retry_after: Some(2), ..Problem::new(Code::OriginUnavailable, detail) }
    }

    /// 500 INTERNAL: the client reads [`INTERNAL_DETAIL`]; `cause` is for the log.
    pub fn internal(cause: impl Into<String>) -> Problem {
        Problem { cause: Some(cause.into()), ..Problem::new(Code::Internal, INTERNAL_DETAIL) }
    }

    /// 500 INTERNAL for a bad setting: the client reads which setting (so that whoever
    /// deployed it knows what to fix) but not its value or why; both go to the log.
    pub fn misconfigured(bad: &BadSetting) -> Problem {
        let detail = format!("the edge is misconfigured (setting {}); report it with this answer's X-Request-Id", bad.name);
        Problem { cause: Some(bad.to_string()), ..Problem::new(Code::Internal, detail) }
    }

    /// The problem document.
    pub fn body(&self) -> serde_json::Value {
        serde_json::Value::Object(aforo_core::problem(self.status, self.code, &self.detail))
    }

    /// The response, carrying `request_id` in `X-Request-Id`; a server error is logged with
    /// its cause under the same id.
    pub fn response(&self, request_id: &str) -> Response {
        if self.status >= 500 {
            let cause = self.cause.as_deref().unwrap_or(&self.detail);
            worker::console_error!("aforo-edge: {} {} request_id={request_id}: {cause}", self.status, self.code.as_str());
        }
        let headers = Headers::new();
        let _ = headers.set("content-type", "application/problem+json");
        let _ = headers.set("x-request-id", request_id);
        // Also on the answers sent before routing (a bad setting): never sniffed as HTML.
        let _ = headers.set("x-content-type-options", "nosniff");
        if let Some(s) = self.retry_after {
            let _ = headers.set("retry-after", &s.to_string());
        }
        // `fixed` cannot fail: an error answer always goes out.
        ResponseBuilder::new().with_status(self.status).with_headers(headers).fixed(self.body().to_string().into_bytes())
    }
}

impl From<worker::Error> for Problem {
    fn from(e: worker::Error) -> Self {
        Problem::internal(format!("edge error: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_problem_answers_the_stable_sentence_and_keeps_its_cause_for_the_log() {
        let p = Problem::from(worker::Error::RustError("JsValue(TypeError: x is not a function at shim.mjs:12)".into()));
        let b = p.body();
        assert_eq!(b["status"], 500);
        assert_eq!(b["code"], "INTERNAL");
        assert_eq!(b["detail"], INTERNAL_DETAIL);
        assert!(!b.to_string().contains("TypeError"), "{b}");
        assert!(p.cause.as_deref().is_some_and(|c| c.contains("TypeError")));
        assert_eq!(Problem::origin_unavailable("x").body()["status"], 503);
        let bad = BadSetting { name: "SNAPSHOT_TTL_S", reason: "\"2s\" is not a whole number".into() };
        let b = Problem::misconfigured(&bad).body();
        assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(500), Some("INTERNAL")));
        assert!(b["detail"].as_str().is_some_and(|d| d.contains("SNAPSHOT_TTL_S") && !d.contains("2s")), "{b}");
    }
}
