//! A booking's guest: who to expect, how to reach them, what to know (API.md, "After the
//! sale"). Bounded, validated with the path of any bad field, and never part of an event,
//! an audit entry or an edge snapshot: the origin keeps it on the booking's records only.

use serde::{Deserialize, Serialize};

/// Longest `name`, in bytes.
pub const MAX_GUEST_NAME: usize = 100;
/// Longest `phone`, in bytes.
pub const MAX_GUEST_PHONE: usize = 32;
/// Longest `email`, in bytes.
pub const MAX_GUEST_EMAIL: usize = 254;
/// Longest `notes`, in bytes.
pub const MAX_GUEST_NOTES: usize = 500;
/// Most `tags`.
pub const MAX_GUEST_TAGS: usize = 8;
/// Longest tag, in bytes.
pub const MAX_GUEST_TAG: usize = 32;

/// A guest's details as a hold request, a walk-in or `PATCH …/guest` carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    /// The name the party is booked under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A phone number, as the guest wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// An email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Free text for the host ("allergy: nuts").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Short labels (`vip`, `birthday`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A guest field out of bounds: its path under `prefix` and why.
fn bad(prefix: &str, field: &str, why: String) -> (String, String) {
    (format!("{prefix}{field}"), why)
}

impl Guest {
    /// Checks every bound; the first field out of them, as (path under `prefix`, message).
    pub fn check(&self, prefix: &str) -> Result<(), (String, String)> {
        // Notes may run over lines; a name, phone or email is one line (a search reads them so).
        let text = |field: &str, v: &Option<String>, max: usize| match v {
            Some(s) if s.len() > max => Err(bad(prefix, field, format!("at most {max} bytes, got {}", s.len()))),
            Some(s) if s.chars().any(|c| c.is_control() && !(field == "notes" && c == '\n')) => {
                Err(bad(prefix, field, "no control characters".into()))
            }
            _ => Ok(()),
        };
        text("name", &self.name, MAX_GUEST_NAME)?;
        text("phone", &self.phone, MAX_GUEST_PHONE)?;
        text("email", &self.email, MAX_GUEST_EMAIL)?;
        text("notes", &self.notes, MAX_GUEST_NOTES)?;
        if let Some(e) = &self.email {
            if !e.is_empty() && !e.contains('@') {
                return Err(bad(prefix, "email", "must be an email address".into()));
            }
        }
        if self.tags.len() > MAX_GUEST_TAGS {
            return Err(bad(prefix, "tags", format!("at most {MAX_GUEST_TAGS} tags, got {}", self.tags.len())));
        }
        for (i, t) in self.tags.iter().enumerate() {
            if t.is_empty() || t.len() > MAX_GUEST_TAG || t.chars().any(char::is_control) {
                return Err(bad(prefix, &format!("tags[{i}]"), format!("1 to {MAX_GUEST_TAG} bytes, no control characters")));
            }
        }
        Ok(())
    }

    /// What a search by name, phone or email looks in: the three, lowercased, one a line
    /// (the phone's digits and `+` only, so that "+34 600 11 22 33" is found by "600112233").
    pub fn search_text(&self) -> String {
        let phone: String = self.phone.as_deref().unwrap_or("").chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        format!("{}\n{}\n{}", self.name.as_deref().unwrap_or("").to_lowercase(), phone, self.email.as_deref().unwrap_or("").to_lowercase())
    }
}
