//! Checks of `limited_by` and `max_party` on any availability or calendar answer, wherever it
//! was served (origin, edge): every object carrying `limited_by` (the answer, each slot, each
//! day) explains its own `remaining` (docs/api.md, "Which rule binds").

use serde_json::Value;

/// The rules that count units, whose `limit - used` is what they leave.
const COUNTING: [&str; 5] = ["slot_capacity", "pacing", "concurrent", "daily", "stock"];
/// The rules that refuse a unit outright.
const GATES: [&str; 5] = ["closed", "paused", "lead_time", "cutoff", "horizon"];

/// `Err` naming the first object whose `limited_by` does not explain its `remaining`: a
/// counting rule's `limit - used` (0 when over), `max_party` for `tables`, 0 for a gate.
/// `Ok(n)`: how many objects were checked.
pub fn check(answer: &Value) -> Result<usize, String> {
    // A calendar's days, or an availability answer and its slots.
    let mut objects: Vec<&Value> = match answer.get("days").and_then(Value::as_array) {
        Some(days) => days.iter().collect(),
        None => vec![answer],
    };
    if let Some(slots) = answer.get("slots").and_then(Value::as_array) {
        objects.extend(slots);
    }
    let mut n = 0;
    for o in objects {
        let Some(lb) = o.get("limited_by") else { return Err(format!("no limited_by in {o}")) };
        let remaining = o["remaining"].as_u64().ok_or_else(|| format!("no remaining in {o}"))?;
        let rule = lb["rule"].as_str().ok_or_else(|| format!("no rule in {o}"))?;
        let party = o.get("max_party").and_then(Value::as_u64);
        let want = if COUNTING.contains(&rule) {
            let (used, limit) = (lb["used"].as_u64(), lb["limit"].as_u64());
            let (Some(used), Some(limit)) = (used, limit) else { return Err(format!("{rule} without used and limit: {o}")) };
            limit.saturating_sub(used)
        } else if rule == "tables" {
            party.ok_or_else(|| format!("tables bind without max_party: {o}"))?
        } else if GATES.contains(&rule) {
            0
        } else {
            return Err(format!("unknown rule {rule}: {o}"));
        };
        if want != remaining {
            return Err(format!("{rule} leaves {want}, the answer says {remaining}: {o}"));
        }
        if let Some(p) = party.filter(|p| *p < remaining) {
            return Err(format!("remaining {remaining} over max_party {p}: {o}"));
        }
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::check;
    use serde_json::json;

    #[test]
    fn an_answer_explains_its_remaining_or_is_named() {
        let ok = json!({"remaining": 4, "limited_by": {"rule": "pacing", "used": 16, "limit": 20}, "max_party": 4,
            "slots": [{"remaining": 0, "limited_by": {"rule": "lead_time"}}, {"remaining": 2, "limited_by": {"rule": "tables", "used": 3, "limit": 4}, "max_party": 2}]});
        assert_eq!(check(&ok), Ok(3));
        let calendar = json!({"from": "2027-03-01", "days": [{"remaining": 0, "limited_by": {"rule": "closed"}, "max_party": 0},
            {"remaining": 6, "limited_by": {"rule": "daily", "used": 44, "limit": 50}}]});
        assert_eq!(check(&calendar), Ok(2));
        assert!(check(&json!({"remaining": 5, "limited_by": {"rule": "pacing", "used": 16, "limit": 20}})).is_err());
        assert!(check(&json!({"remaining": 3, "limited_by": {"rule": "tables", "used": 1, "limit": 4}, "max_party": 2})).is_err());
        assert!(check(&json!({"remaining": 1, "limited_by": {"rule": "closed"}})).is_err());
        assert!(check(&json!({"remaining": 1})).is_err());
    }
}
