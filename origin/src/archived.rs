//! What an archived resource keeps of its document: a summary of a few hundred bytes (name,
//! timezone, kind), enough to list its bookings and run its
//! checks. The document itself is dropped at archive (`aforo_archive`), so that a seller's
//! archived resources cost their bookings and little more.

use aforo_core::{Kind, Resource};
use serde::{Deserialize, Serialize};

/// The most bytes of a name kept in a summary.
const NAME_MAX: usize = 200;

/// An archived resource's summary, as stored in place of its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Always true: marks the stored JSON as a summary, not a document.
    pub archived: bool,
    /// The document's name.
    pub name: String,
    /// Its IANA timezone (bookings are listed by local date in it).
    pub timezone: String,
    /// What it sold.
    pub kind: Kind,
}

impl Summary {
    /// The summary of `res`.
    pub fn of(res: &Resource) -> Summary {
        Summary { archived: true, name: crate::text::clip(&res.doc.name, NAME_MAX), timezone: res.doc.timezone.clone(), kind: res.kind }
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The resource an archived resource is read as (its bookings list, the drift check): its
    /// name, timezone and kind, and no limits (nothing can be taken on it any more).
    pub fn resource(&self) -> Option<Resource> {
        let doc = serde_json::json!({"name": self.name, "timezone": self.timezone, "dimensions": {"stock": {"on_hand": 0}}});
        let mut r = Resource::from_json(doc.to_string().as_bytes()).ok()?;
        r.kind = self.kind;
        Some(r)
    }
}

/// The resource a stored document or summary is read as: a full document (a live resource, or
/// one archived before summaries) or an archived resource's summary.
pub fn compile(stored: &str) -> Result<Resource, String> {
    match Resource::from_json(stored.as_bytes()) {
        Ok(r) => Ok(r),
        Err(e) => serde_json::from_str::<Summary>(stored).ok().and_then(|s| s.resource()).ok_or_else(|| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_small_and_reads_back_with_its_timezone_and_kind() {
        let doc = serde_json::json!({"name": "Room ".repeat(40), "timezone": "Europe/Madrid",
            "dimensions": {"slots": {"duration_min": 30, "interval_min": 30, "capacity": 4}}});
        let res = Resource::from_json(doc.to_string().as_bytes()).map_err(|e| e.to_string());
        let Ok(res) = res else { panic!("{res:?}") };
        let s = Summary::of(&res);
        let json = s.to_json();
        assert!(json.len() < 400, "{} bytes", json.len());
        let back = compile(&json).map_err(|e| e.to_string());
        let Ok(back) = back else { panic!("{back:?}") };
        assert_eq!((back.tz, back.kind), (res.tz, Kind::Slots));
        assert!(compile("{\"name\": 1}").is_err());
    }
}
