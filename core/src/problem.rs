//! The problem+json (RFC 9457) body of API.md, shaped once for the origin and the edge.

use serde_json::{json, Map, Value};

/// `{"type", "title", "status", "code", "detail"}` for a stable code such as `SOLD_OUT`:
/// the type is `/problems/sold-out`, the title `Sold out`. Callers add their extra members
/// (`alternatives`, `item`, `errors`).
pub fn problem(status: u16, code: &str, detail: &str) -> Map<String, Value> {
    let slug = code.to_ascii_lowercase().replace('_', "-");
    let mut title = code.replace('_', " ").to_ascii_lowercase();
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let mut m = Map::new();
    m.insert("type".into(), json!(format!("/problems/{slug}")));
    m.insert("title".into(), json!(title));
    m.insert("status".into(), json!(status));
    m.insert("code".into(), json!(code));
    m.insert("detail".into(), json!(detail));
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_and_title_come_from_the_code() {
        let p = super::problem(409, "SOLD_OUT", "2 asked, 1 left");
        assert_eq!(p["type"], "/problems/sold-out");
        assert_eq!(p["title"], "Sold out");
        assert_eq!(p["status"], 409);
        assert_eq!(p["code"], "SOLD_OUT");
        assert_eq!(p["detail"], "2 asked, 1 left");
    }
}
