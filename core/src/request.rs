//! Hold request bodies: one item or several, parsed strictly with the path of any bad field.

use serde::{Deserialize, Serialize};

use crate::guest::Guest;
use crate::local::{parse_date, parse_hhmm};
use crate::resource::{valid_resource_id, MAX_UNITS};

/// Most items in one hold request.
pub const MAX_ITEMS: usize = 50;

/// One item of a hold request (API.md, "Hold").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldItem {
    /// The resource.
    pub resource_id: String,
    /// The date, for dated resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The slot, for slot resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Units (or party size).
    pub qty: i64,
    /// For a resource with tables: seat the party in this area only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Items {
    items: Vec<HoldItem>,
}

/// A hold request: one item or several, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// The items in request order.
    pub items: Vec<HoldItem>,
    /// Who the booking is for (`"guest"` beside the item or the items).
    pub guest: Option<Guest>,
}

/// A hold request body that cannot be read (400 `INVALID_REQUEST`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RequestError {
    /// Path of the offending field (`$` for the whole body).
    pub path: String,
    /// Why.
    pub message: String,
}

fn req_err(path: impl Into<String>, message: impl Into<String>) -> RequestError {
    RequestError { path: path.into(), message: message.into() }
}

impl HoldRequest {
    /// Parses a body: `{"resource_id",...}` or `{"items":[...]}`.
    pub fn from_json(body: &[u8]) -> Result<HoldRequest, RequestError> {
        let mut v: serde_json::Value = serde_json::from_slice(body).map_err(|e| req_err("$", e.to_string()))?;
        let obj = v.as_object_mut().ok_or_else(|| req_err("$", "must be a JSON object"))?;
        let multi = obj.contains_key("items");
        let guest = match obj.remove("guest") {
            None | Some(serde_json::Value::Null) => None,
            Some(g) => Some(Guest::from_value(g, "guest.")?),
        };
        let items = if multi {
            let r: Result<Items, _> = serde_path_to_error::deserialize(v);
            r.map_err(|e| req_err(e.path().to_string(), e.inner().to_string()))?.items
        } else {
            let r: Result<HoldItem, _> = serde_path_to_error::deserialize(v);
            vec![r.map_err(|e| req_err(e.path().to_string(), e.inner().to_string()))?]
        };
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(req_err("items", format!("must hold 1 to {MAX_ITEMS} items")));
        }
        for (i, it) in items.iter().enumerate() {
            let p = if multi { format!("items[{i}].") } else { String::new() };
            if !valid_resource_id(&it.resource_id) {
                return Err(req_err(format!("{p}resource_id"), "must be 1-64 characters of A-Z a-z 0-9 - _ ."));
            }
            if let Some(d) = &it.date {
                if parse_date(d).is_none() {
                    return Err(req_err(format!("{p}date"), format!("must be a date YYYY-MM-DD, got {d:?}")));
                }
            }
            if let Some(s) = &it.slot {
                if parse_hhmm(s).is_none_or(|m| m >= 1440) {
                    return Err(req_err(format!("{p}slot"), format!("must be HH:MM, got {s:?}")));
                }
            }
            if !(1..=MAX_UNITS).contains(&it.qty) {
                return Err(req_err(format!("{p}qty"), format!("must be between 1 and {MAX_UNITS}")));
            }
        }
        Ok(HoldRequest { items, guest })
    }
}

impl Guest {
    /// Parses and checks a guest object found at `prefix` (`guest.`).
    pub fn from_value(v: serde_json::Value, prefix: &str) -> Result<Guest, RequestError> {
        let r: Result<Guest, _> = serde_path_to_error::deserialize(v);
        let g = r.map_err(|e| {
            let path = e.path().to_string();
            req_err(if path == "." { prefix.trim_end_matches('.').to_string() } else { format!("{prefix}{path}") }, e.inner().to_string())
        })?;
        g.check(prefix).map_err(|(path, message)| req_err(path, message))?;
        Ok(g)
    }
}
