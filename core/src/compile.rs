//! Validation of a seller's document and its compilation into a [`Resource`]: every field
//! checked with its path, then the document's worst-case costs against the limits.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::cost::over_limits;
use crate::document::*;
use crate::error::{ConfigError, FieldError};
use crate::limits::*;
use crate::local::{parse_date, parse_hhmm};
use crate::resource::*;

mod after;
mod tables;

impl Resource {
    /// Parses and validates a document from JSON. Unknown fields and type errors are refused
    /// with the path of the field.
    pub fn from_json(json: &[u8]) -> Result<Resource, ConfigError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let doc: ResourceDoc = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." || path.is_empty() { "$".to_string() } else { path };
            ConfigError::one(path, e.inner().to_string())
        })?;
        Resource::compile(doc)
    }

    /// Validates a parsed document and compiles it.
    pub fn compile(doc: ResourceDoc) -> Result<Resource, ConfigError> {
        let mut v = Validator::default();
        let r = v.resource(&doc);
        match (r, v.errors.is_empty()) {
            (Some(parts), true) => {
                let res = parts.into_resource(doc);
                let over = over_limits(&res);
                if over.is_empty() {
                    return Ok(res);
                }
                Err(ConfigError { errors: over.into_iter().map(|(path, message)| FieldError { path: path.into(), message }).collect() })
            }
            _ => Err(ConfigError { errors: v.errors }),
        }
    }
}

struct Parts {
    kind: Kind,
    tz: Tz,
    daily: Option<u32>,
    slots: Option<SlotRules>,
    hours: Option<Week>,
    closures: Vec<(NaiveDate, NaiveDate)>,
    seasons: Vec<SeasonRule>,
    cutoff: Option<CutoffRule>,
    qty_min: u32,
    qty_max: Option<u32>,
    per_buyer: PerBuyer,
    pricing: Option<PricingRules>,
    after: AfterSale,
}

impl Parts {
    fn into_resource(self, doc: ResourceDoc) -> Resource {
        Resource {
            kind: self.kind,
            tz: self.tz,
            has_stock: doc.dimensions.stock.is_some(),
            daily: self.daily,
            slots: self.slots,
            hours: self.hours,
            closures: self.closures,
            seasons: self.seasons,
            lead_time_min: doc.lead_time_min.unwrap_or(0),
            cutoff: self.cutoff,
            horizon_days: doc.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS),
            qty_min: self.qty_min,
            qty_max: self.qty_max,
            hold_ttl_s: doc.hold_ttl_s.unwrap_or(DEFAULT_HOLD_TTL_S),
            per_buyer: self.per_buyer,
            pricing: self.pricing,
            after: self.after,
            doc,
        }
    }
}

fn to_mult(x: f64) -> Option<u64> {
    // A multiplier is a price factor: positive, finite and not absurd.
    (x.is_finite() && x > 0.0 && x <= 1000.0).then(|| (x * MULT_SCALE as f64).round() as u64)
}

#[derive(Default)]
struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { path: path.into(), message: message.into() });
    }

    fn at_most(&mut self, path: &str, n: usize, max: usize) {
        if n > max {
            self.err(path, format!("at most {max} entries, got {n}"));
        }
    }

    fn units(&mut self, path: &str, v: i64, min: i64) -> Option<u32> {
        if v < min {
            self.err(path, format!("must be >= {min}"));
            None
        } else if v > MAX_UNITS {
            self.err(path, format!("must be <= {MAX_UNITS}"));
            None
        } else {
            Some(v as u32)
        }
    }

    /// `per_buyer`: each limit at least `qty.min` (below it no hold could ever fit).
    fn per_buyer(&mut self, doc: Option<&PerBuyerDoc>, qty_min: u32, qty_max: Option<u32>) -> PerBuyer {
        let mut field = |path: &str, v: Option<i64>| {
            let n = self.units(path, v?, 1)?;
            if n < qty_min {
                self.err(path, format!("must be >= qty.min ({qty_min}): no hold could fit under it"));
            }
            Some(n)
        };
        let held = field("per_buyer.max_held_units", doc.and_then(|d| d.max_held_units));
        let per_date = field("per_buyer.max_units_per_date", doc.and_then(|d| d.max_units_per_date));
        PerBuyer::of(held, per_date, qty_max)
    }

    fn date(&mut self, path: &str, s: &str) -> Option<NaiveDate> {
        let d = parse_date(s);
        if d.is_none() {
            self.err(path, format!("must be a date YYYY-MM-DD, got {s:?}"));
        }
        d
    }

    fn range(&mut self, path: &str, from: &str, to: &str) -> Option<(NaiveDate, NaiveDate)> {
        let f = self.date(&format!("{path}.from"), from);
        let t = self.date(&format!("{path}.to"), to);
        match (f, t) {
            (Some(f), Some(t)) if f > t => {
                self.err(format!("{path}.to"), "must not be before from");
                None
            }
            (Some(f), Some(t)) => Some((f, t)),
            _ => None,
        }
    }

    fn week(&mut self, path: &str, w: &WeeklyHours) -> Option<Week> {
        let before = self.errors.len();
        let mut out: [DayHours; 7] = Default::default();
        for (i, (name, day)) in w.days().into_iter().enumerate() {
            let Some(intervals) = day else { continue };
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                self.err(format!("{path}.{name}"), format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"));
                continue;
            }
            let mut parsed: DayHours = Vec::with_capacity(intervals.len());
            for (j, [a, b]) in intervals.iter().enumerate() {
                let p = format!("{path}.{name}[{j}]");
                let (Some(s), Some(e)) = (parse_hhmm(a), parse_hhmm(b)) else {
                    self.err(p, "must be [\"HH:MM\",\"HH:MM\"] between 00:00 and 24:00");
                    continue;
                };
                if s >= e {
                    self.err(p, "start must be before end");
                    continue;
                }
                if s == 1440 {
                    self.err(p, "24:00 may only end an interval");
                    continue;
                }
                parsed.push((s, e));
            }
            parsed.sort_unstable();
            if parsed.windows(2).any(|w| w[0].1 > w[1].0) {
                self.err(format!("{path}.{name}"), "intervals must not overlap");
            }
            out[i] = parsed;
        }
        (self.errors.len() == before).then_some(Week(out))
    }

    fn cutoff(&mut self, path: &str, c: &Cutoff) -> Option<CutoffRule> {
        if c.days_before > 366 {
            self.err(format!("{path}.days_before"), "must be <= 366");
        }
        match parse_hhmm(&c.at) {
            Some(m) if m < 1440 => Some(CutoffRule { days_before: c.days_before.min(366), at_min: m }),
            _ => {
                self.err(format!("{path}.at"), "must be a local time HH:MM before 24:00");
                None
            }
        }
    }

    fn mult(&mut self, path: &str, x: f64) -> Option<u64> {
        let m = to_mult(x);
        if m.is_none() {
            self.err(path, "must be a number > 0 and <= 1000");
        }
        m
    }

    fn resource(&mut self, doc: &ResourceDoc) -> Option<Parts> {
        if doc.name.trim().is_empty() {
            self.err("name", "must not be empty");
        } else if doc.name.len() > MAX_NAME_BYTES {
            self.err("name", format!("must be at most {MAX_NAME_BYTES} bytes"));
        }
        self.at_most("closures", doc.closures.len(), MAX_CLOSURES);
        self.at_most("seasons", doc.seasons.len(), MAX_SEASONS);
        let tz: Option<Tz> = doc.timezone.parse().ok();
        if tz.is_none() {
            self.err("timezone", format!("unknown IANA timezone {:?}", doc.timezone));
        }
        let d = &doc.dimensions;
        let n_dims = [d.stock.is_some(), d.daily.is_some(), d.slots.is_some()].iter().filter(|x| **x).count();
        if n_dims == 0 {
            self.err("dimensions", "at least one of stock, daily, slots is required");
        }
        let kind = match (n_dims, d.stock.is_some(), d.daily.is_some()) {
            (1, true, _) => Kind::Stock,
            (1, _, true) => Kind::Capacity,
            (1, _, _) => Kind::Slots,
            _ => Kind::Hybrid,
        };
        if let Some(s) = &d.stock {
            self.units("dimensions.stock.on_hand", s.on_hand, 0);
        }
        let daily = d.daily.as_ref().and_then(|x| self.units("dimensions.daily.capacity", x.capacity, 0));
        let slots = d.slots.as_ref().and_then(|s| self.slots(s));
        let hours = doc.hours.as_ref().and_then(|w| self.week("hours", w));
        let mut closures = Vec::new();
        for (i, c) in doc.closures.iter().enumerate().take(MAX_CLOSURES) {
            if c.reason.as_ref().is_some_and(|r| r.len() > MAX_NAME_BYTES) {
                self.err(format!("closures[{i}].reason"), format!("must be at most {MAX_NAME_BYTES} bytes"));
            }
            if let Some(r) = self.range(&format!("closures[{i}]"), &c.from, &c.to) {
                closures.push(r);
            }
        }
        let mut seasons = Vec::new();
        for (i, s) in doc.seasons.iter().enumerate().take(MAX_SEASONS) {
            if let Some(r) = self.season(i, s, doc) {
                seasons.push(r);
            }
        }
        if let Some(l) = doc.lead_time_min {
            if l > 525_600 {
                self.err("lead_time_min", "must be <= 525600 (one year)");
            }
        }
        let cutoff = doc.cutoff.as_ref().and_then(|c| self.cutoff("cutoff", c));
        if let Some(h) = doc.horizon_days {
            if h > MAX_HORIZON_DAYS {
                self.err("horizon_days", format!("must be <= {MAX_HORIZON_DAYS}"));
            }
        }
        let (mut qty_min, mut qty_max) = (1, None);
        if let Some(q) = &doc.qty {
            if let Some(m) = q.min {
                qty_min = self.units("qty.min", m, 1).unwrap_or(1);
            }
            if let Some(m) = q.max {
                qty_max = self.units("qty.max", m, 1);
                if qty_max.is_some_and(|x| x < qty_min) {
                    self.err("qty.max", "must be >= qty.min");
                }
            }
        }
        let per_buyer = self.per_buyer(doc.per_buyer.as_ref(), qty_min, qty_max);
        if let Some(t) = doc.hold_ttl_s {
            if !(1..=MAX_HOLD_TTL_S).contains(&t) {
                self.err("hold_ttl_s", format!("must be between 1 and {MAX_HOLD_TTL_S}"));
            }
        }
        let pricing = doc.pricing.as_ref().and_then(|p| self.pricing(p));
        let after = self.after_sale(doc);
        if d.stock.is_some() && n_dims == 1 {
            let dated = !doc.closures.is_empty() || !doc.seasons.is_empty() || doc.hours.is_some() || doc.cutoff.is_some();
            if dated {
                self.err("dimensions", "a stock-only resource has no dates: hours, closures, seasons and cutoff need daily or slots");
            }
        }
        Some(Parts { kind, tz: tz?, daily, slots, hours, closures, seasons, cutoff, qty_min, qty_max, per_buyer, pricing, after })
    }

    fn slots(&mut self, s: &SlotsDoc) -> Option<SlotRules> {
        let p = "dimensions.slots";
        let dur = self.units(&format!("{p}.duration_min"), s.duration_min, 1);
        let int = self.units(&format!("{p}.interval_min"), s.interval_min, 1);
        if dur.is_some_and(|d| d > 1440) {
            self.err(format!("{p}.duration_min"), "must be <= 1440");
        }
        if int.is_some_and(|d| d > 1440) {
            self.err(format!("{p}.interval_min"), "must be <= 1440");
        }
        let cap = self.units(&format!("{p}.capacity"), s.capacity, 0);
        let conc = s.concurrent.map(|c| self.units(&format!("{p}.concurrent"), c, 0));
        let pacing = s.pacing.as_ref().map(|pc| {
            let w = self.units(&format!("{p}.pacing.window_min"), pc.window_min, 1);
            if w.is_some_and(|w| w > 1440) {
                self.err(format!("{p}.pacing.window_min"), "must be <= 1440");
            }
            let m = self.units(&format!("{p}.pacing.max"), pc.max, 0);
            w.zip(m)
        });
        let (tables, joins) = self.tables(s);
        Some(SlotRules {
            tables,
            joins,
            duration_min: dur.filter(|d| *d <= 1440)?,
            interval_min: int.filter(|d| *d <= 1440)?,
            capacity: cap?,
            concurrent: match conc {
                Some(c) => Some(c?),
                None => None,
            },
            pacing: match pacing {
                Some(p) => Some(p.filter(|(w, _)| *w <= 1440)?),
                None => None,
            },
        })
    }

    fn season(&mut self, i: usize, s: &Season, doc: &ResourceDoc) -> Option<SeasonRule> {
        let p = format!("seasons[{i}]");
        if s.name.trim().is_empty() {
            self.err(format!("{p}.name"), "must not be empty");
        } else if s.name.len() > MAX_NAME_BYTES {
            self.err(format!("{p}.name"), format!("must be at most {MAX_NAME_BYTES} bytes"));
        }
        let range = self.range(&p, &s.from, &s.to);
        let o = &s.overrides;
        let op = format!("{p}.overrides");
        let daily_capacity = o.daily_capacity.and_then(|c| {
            if doc.dimensions.daily.is_none() {
                self.err(format!("{op}.daily_capacity"), "needs dimensions.daily");
            }
            self.units(&format!("{op}.daily_capacity"), c, 0)
        });
        let slot_capacity = o.slot_capacity.and_then(|c| {
            if doc.dimensions.slots.is_none() {
                self.err(format!("{op}.slot_capacity"), "needs dimensions.slots");
            }
            self.units(&format!("{op}.slot_capacity"), c, 0)
        });
        let hours = o.hours.as_ref().and_then(|w| self.week(&format!("{op}.hours"), w));
        if o.lead_time_min.is_some_and(|l| l > 525_600) {
            self.err(format!("{op}.lead_time_min"), "must be <= 525600 (one year)");
        }
        let cutoff = o.cutoff.as_ref().and_then(|c| self.cutoff(&format!("{op}.cutoff"), c));
        let price_mult = o.price_multiplier.and_then(|m| self.mult(&format!("{op}.price_multiplier"), m));
        let (from, to) = range?;
        Some(SeasonRule {
            name: s.name.clone(),
            from,
            to,
            priority: s.priority,
            daily_capacity,
            slot_capacity,
            hours,
            lead_time_min: o.lead_time_min,
            cutoff,
            price_mult,
        })
    }

    fn pricing(&mut self, p: &PricingDoc) -> Option<PricingRules> {
        let cur_ok = p.currency.len() == 3 && p.currency.bytes().all(|b| b.is_ascii_uppercase());
        if !cur_ok {
            self.err("pricing.currency", "must be an ISO 4217 code of three capital letters");
        }
        let base = self.units("pricing.base_minor", p.base_minor, 0);
        let mut triggers = Vec::new();
        self.at_most("pricing.triggers", p.triggers.len(), MAX_TRIGGERS);
        for (i, t) in p.triggers.iter().enumerate().take(MAX_TRIGGERS) {
            let tp = format!("pricing.triggers[{i}]");
            if !(t.utilization_gte.is_finite() && (0.0..=1.0).contains(&t.utilization_gte)) {
                self.err(format!("{tp}.utilization_gte"), "must be between 0 and 1");
                continue;
            }
            if t.tier.trim().is_empty() || t.tier.len() > 64 {
                self.err(format!("{tp}.tier"), "must be 1 to 64 bytes");
            }
            if let Some(mult) = self.mult(&format!("{tp}.multiplier"), t.multiplier) {
                triggers.push(Trigger { utilization_gte: t.utilization_gte, mult, tier: t.tier.clone() });
            }
        }
        triggers.sort_by(|a, b| a.utilization_gte.total_cmp(&b.utilization_gte));
        if triggers.windows(2).any(|w| w[0].utilization_gte == w[1].utilization_gte) {
            self.err("pricing.triggers", "two triggers share one utilization_gte");
        }
        Some(PricingRules { currency: p.currency.clone(), base_minor: u64::from(base?), triggers })
    }
}
