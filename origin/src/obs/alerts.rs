//! Alert rules, evaluated in-process. The rules live in one file, `ops/alerts.yml`, which is
//! a real Prometheus rules file (checked by `promtool check rules`): each rule's `expr` is
//! the PromQL for Prometheus, and its `aforo_eval` annotation the same condition on the
//! origin's own figures (`<signal> <op> <number>`), so that `GET /v1/monitoring/alerts`
//! works without a Prometheus server. `for` means the same in both.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::metrics::{AlertLabels, Metrics};

/// The rules shipped with the origin (used unless `AFORO_ALERTS_FILE` names another).
pub const BUILTIN: &str = include_str!("../../../ops/alerts.yml");

/// Signals an `aforo_eval` condition may read.
pub const SIGNALS: [&str; 16] = [
    "breaker_open",
    "hold_p95_ms_5m",
    "read_p95_ms_5m",
    "error_rate_5m",
    "availability_60m",
    "sweeper_lag_s",
    "oversold_buckets",
    "drift_buckets",
    "read_only",
    "degraded_answers_5m",
    "edge_stale_5m",
    "overcommitted_buckets",
    "store_memory_ratio",
    "webhook_lag_p95_ms_5m",
    "webhook_dropped_15m",
    "webhook_disabled_1h",
];

/// Severities a rule may carry: P0 pages, P1 notifies on-call, P2 opens a ticket
/// (`ops/alertmanager.yml`).
pub const SEVERITIES: [&str; 3] = ["P0", "P1", "P2"];

#[derive(Debug, Deserialize)]
struct FileDoc {
    groups: Vec<GroupDoc>,
}

#[derive(Debug, Deserialize)]
struct GroupDoc {
    rules: Vec<RuleDoc>,
}

#[derive(Debug, Deserialize)]
struct RuleDoc {
    alert: String,
    expr: String,
    #[serde(rename = "for", default)]
    for_: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Name (`alert:`).
    pub name: String,
    /// `severity` label.
    pub severity: String,
    /// The PromQL expression.
    pub promql: String,
    /// The in-process condition as written.
    pub condition: String,
    signal: String,
    op: Op,
    threshold: f64,
    /// `for`, in ms.
    pub for_ms: i64,
    /// Summary annotation.
    pub summary: String,
    /// Runbook link annotation.
    pub runbook: String,
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not YAML of the Prometheus rules shape.
    #[error("alert rules: {0}")]
    Parse(String),
    /// A rule without a usable `aforo_eval`, or a bad `for`.
    #[error("alert rule {0}: {1}")]
    Rule(String, String),
}

/// Parses a Prometheus duration such as `0s`, `90s`, `5m`, `1h`.
fn duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(n * mult)
}

fn condition(s: &str) -> Option<(String, Op, f64)> {
    let mut parts = s.split_whitespace();
    let (signal, op, n) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !SIGNALS.contains(&signal) {
        return None;
    }
    let op = match op {
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        "==" => Op::Eq,
        "!=" => Op::Ne,
        _ => return None,
    };
    Some((signal.to_string(), op, n.parse().ok()?))
}

/// Compiles a rules file.
pub fn parse(yaml: &str) -> Result<Vec<Rule>, RulesError> {
    let doc: FileDoc = serde_norway::from_str(yaml).map_err(|e| RulesError::Parse(e.to_string()))?;
    let mut out = Vec::new();
    for r in doc.groups.into_iter().flat_map(|g| g.rules) {
        let cond = r.annotations.get("aforo_eval").cloned().unwrap_or_default();
        let (signal, op, threshold) = condition(&cond).ok_or_else(|| {
            RulesError::Rule(r.alert.clone(), format!("aforo_eval must be `<signal> <op> <number>` with a signal of {SIGNALS:?}"))
        })?;
        let for_ms = match r.for_.as_deref() {
            None => 0,
            Some(f) => duration_ms(f).ok_or_else(|| RulesError::Rule(r.alert.clone(), format!("bad for: {f}")))?,
        };
        let severity = r.labels.get("severity").cloned().unwrap_or_default();
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(RulesError::Rule(r.alert, format!("severity must be one of {SEVERITIES:?}, not {severity:?}")));
        }
        out.push(Rule {
            severity,
            summary: r.annotations.get("summary").cloned().unwrap_or_default(),
            runbook: r.annotations.get("runbook").cloned().unwrap_or_default(),
            name: r.alert,
            promql: r.expr,
            condition: cond,
            signal,
            op,
            threshold,
            for_ms,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
struct RuleState {
    pending_since: Option<i64>,
    firing: bool,
    value: Option<f64>,
}

/// The rules and their state.
#[derive(Debug)]
pub struct Alerts {
    rules: Vec<Rule>,
    state: Mutex<(Option<i64>, Vec<RuleState>)>,
}

impl Alerts {
    /// Rules, none firing.
    pub fn new(rules: Vec<Rule>) -> Self {
        let n = rules.len();
        Alerts { rules, state: Mutex::new((None, vec![RuleState::default(); n])) }
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Evaluates every rule at `now_ms` against `signals`; a missing signal is no data (false).
    pub fn evaluate(&self, now_ms: i64, signals: &HashMap<&'static str, f64>, metrics: &Metrics) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.0 = Some(now_ms);
        for (rule, s) in self.rules.iter().zip(st.1.iter_mut()) {
            s.value = signals.get(rule.signal.as_str()).copied();
            let holds = s.value.is_some_and(|v| rule.op.holds(v, rule.threshold));
            if !holds {
                if s.firing {
                    tracing::warn!(alert = %rule.name, severity = %rule.severity, "alert resolved");
                }
                *s = RuleState { value: s.value, ..RuleState::default() };
                metrics.alerts_firing.get_or_create(&AlertLabels { alert: rule.name.clone() }).set(0);
                continue;
            }
            let since = *s.pending_since.get_or_insert(now_ms);
            if !s.firing && now_ms - since >= rule.for_ms {
                s.firing = true;
                let value = s.value.unwrap_or_default();
                if rule.severity == "P0" {
                    tracing::error!(alert = %rule.name, value, condition = %rule.condition, summary = %rule.summary, "alert firing");
                } else {
                    tracing::warn!(alert = %rule.name, value, condition = %rule.condition, summary = %rule.summary, "alert firing");
                }
            }
            metrics.alerts_firing.get_or_create(&AlertLabels { alert: rule.name.clone() }).set(i64::from(s.firing));
        }
    }

    /// `GET /v1/monitoring/alerts`.
    pub fn report(&self) -> Value {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let at = st.0.and_then(chrono::DateTime::from_timestamp_millis).map(|t| aforo_core::rfc3339(&t));
        let mut active = Vec::new();
        let rules: Vec<Value> = self
            .rules
            .iter()
            .zip(st.1.iter())
            .map(|(r, s)| {
                let state = if s.firing {
                    "firing"
                } else if s.pending_since.is_some() {
                    "pending"
                } else {
                    "inactive"
                };
                let since = s.pending_since.and_then(chrono::DateTime::from_timestamp_millis).map(|t| aforo_core::rfc3339(&t));
                let v = json!({"alert": r.name, "severity": r.severity, "state": state, "condition": r.condition,
                    "value": s.value, "for_s": r.for_ms / 1000, "since": since, "summary": r.summary,
                    "runbook": r.runbook, "promql": r.promql});
                if s.firing {
                    active.push(v.clone());
                }
                v
            })
            .collect();
        json!({"evaluated_at": at, "rules": rules, "active": active})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_compile() {
        let rules = parse(BUILTIN).unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.len() >= 8);
        assert!(rules.iter().any(|r| r.name == "AforoOversellDetected" && r.for_ms == 0 && r.severity == "P0"));
        for (name, severity) in [("AforoErrorRateCritical", "P0"), ("AforoHoldLatencyHigh", "P1"), ("AforoDegradedAnswers", "P2")] {
            assert!(rules.iter().any(|r| r.name == name && r.severity == severity), "{name} is not {severity}");
        }
    }

    #[test]
    fn fires_after_for_and_resolves() {
        let yaml = r#"
groups:
  - name: t
    rules:
      - alert: Lag
        expr: max(aforo_sweeper_lag_seconds) > 30
        for: 1m
        labels: {severity: P1}
        annotations: {summary: lag, aforo_eval: "sweeper_lag_s > 30"}
"#;
        let a = Alerts::new(parse(yaml).unwrap_or_else(|e| panic!("{e}")));
        let m = Metrics::new();
        let high = HashMap::from([("sweeper_lag_s", 31.0)]);
        a.evaluate(0, &high, &m);
        assert_eq!(a.report()["rules"][0]["state"], "pending");
        a.evaluate(60_000, &high, &m);
        assert_eq!(a.report()["active"][0]["alert"], "Lag");
        a.evaluate(61_000, &HashMap::new(), &m);
        assert_eq!(a.report()["rules"][0]["state"], "inactive");
    }

    #[test]
    fn refuses_rules_it_cannot_evaluate() {
        let bad =
            "groups: [{name: t, rules: [{alert: X, expr: up == 0, labels: {severity: P2}, annotations: {aforo_eval: \"nonsense > 1\"}}]}]";
        assert!(matches!(parse(bad), Err(RulesError::Rule(..))));
        let unrouted = "groups: [{name: t, rules: [{alert: X, expr: up == 0, labels: {severity: critical}, annotations: {aforo_eval: \"read_only > 0\"}}]}]";
        assert!(matches!(parse(unrouted), Err(RulesError::Rule(..))));
        assert!(matches!(parse("groups: 3"), Err(RulesError::Parse(_))));
        assert_eq!(duration_ms("5m"), Some(300_000));
        assert_eq!(duration_ms("5"), None);
    }
}
