//! The waiting list in Redis (lua/waitlist.lua): join, leave, plan again, read; and the
//! offers a call made while freeing units, whose expiry the sweeper must hear of.

use std::time::Duration;

use fred::prelude::*;
use sha2::{Digest, Sha256};

use super::client::Store;
use super::error::StoreError;
use super::holds::{encode_choices, encode_takes, HoldArgs};
use super::keys::{ResourceKeys, WAIT_REPLAN};

/// The separator of a candidate's hold arguments in the entry (ASCII unit separator).
const US: &str = "\u{1f}";
/// The element a call that made offers ends its reply with (lua/register.lua).
const OFFERS_TAG: &str = "\u{1f}offers:";

/// One start an entry may be offered, as the hold it would become.
#[derive(Debug, Clone)]
pub struct WaitCandidate {
    /// The offer's hold (its id, the buyer, the offer's TTL, the plan's takes and choices).
    pub hold: HoldArgs,
    /// The last instant (ms) it may be offered; `None`: no end.
    pub until_ms: Option<i64>,
}

/// The candidates of an entry on the wire: the counters they read (`\n<name>\t` each), their
/// signatures, the signature of them all, then n and per candidate its arguments, its date index key and its end.
/// Each offer's record names its entry (`wl`), which follows the offer's end.
fn encode_candidates(entry_id: &str, cands: &[WaitCandidate], out: &mut Vec<String>) -> Result<(), StoreError> {
    let mut names = String::from("\n");
    for c in cands {
        for t in c.hold.takes.iter().chain(c.hold.choices.iter().flat_map(|ch| ch.takes.iter())) {
            let line = format!("{}\t\n", t.bucket);
            if !names.contains(&format!("\n{line}")) {
                names.push_str(&line);
            }
        }
    }
    out.push(names);
    // A candidate's signature: its unit takes and table choices, not the buyer's own counters,
    // so that parties waiting for the same start and size share one (lua/waitlist.lua decides
    // each signature once per offer round).
    let sigs: Vec<String> = cands
        .iter()
        .map(|c| {
            let units = encode_takes(&c.hold.takes) + "\u{1e}" + &encode_choices(&c.hold.choices);
            Sha256::digest(units.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
        })
        .collect();
    let all = sigs.join(",");
    let set: String = Sha256::digest(all.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
    out.push(all);
    out.push(set);
    out.push(cands.len().to_string());
    for c in cands {
        let (keys, mut args) = c.hold.wire()?;
        args.extend(["wl".to_string(), entry_id.to_string()]);
        out.push(args.join(US));
        out.push(keys.get(1).cloned().unwrap_or_default());
        out.push(c.until_ms.map(|u| u.to_string()).unwrap_or_default());
    }
    Ok(())
}

/// A join as the store takes it.
#[derive(Debug, Clone)]
pub struct JoinArgs<'a> {
    /// The resource.
    pub resource: &'a str,
    /// The entry's id.
    pub entry_id: &'a str,
    /// The join's payload hash (the same key with another payload is refused).
    pub hash: &'a str,
    /// The buyer.
    pub caller: &'a str,
    /// The date key (`YYYY-MM-DD`, `all` for undated stock).
    pub date: &'a str,
    /// `waitlist.max_entries`.
    pub max_entries: u32,
    /// How long the entry is kept.
    pub life: Duration,
    /// What a later plan needs (JSON; the domain's `waitlist::Kept`).
    pub request: &'a str,
    /// The document version the candidates were planned against.
    pub version: u64,
    /// The starts it waits for, earliest first.
    pub candidates: &'a [WaitCandidate],
}

/// What a join came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinReply {
    /// On the list at this position (1 = next).
    Joined(u64),
    /// The key was used before with this payload: the entry as it stands.
    Replay(WaitState),
    /// The key was used before with another payload.
    Reused,
    /// The document moved since the plan.
    Version,
    /// The buyer has this live entry on the date already.
    Duplicate(String),
    /// The date's list is full.
    Full,
    /// Candidate `i` (0-based) fits now: hold it instead.
    Available(usize),
}

/// An entry's state as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitState {
    /// `waiting`, `offered`, `accepted`, `lapsed`, `left`.
    pub status: String,
    /// Its position while waiting.
    pub position: Option<u64>,
    /// The offer's hold id.
    pub hold: Option<String>,
    /// When the offer lapses (ms).
    pub offer_expires_at: Option<i64>,
}

/// One entry read whole (but its candidates).
#[derive(Debug, Clone)]
pub struct WaitEntry {
    /// The entry's id.
    pub id: String,
    /// Its buyer.
    pub caller: String,
    /// Its date key.
    pub date: String,
    /// What a later plan needs (JSON; the domain's `waitlist::Kept`).
    pub request: String,
    /// When it joined (ms).
    pub created_at: i64,
    /// Where it stands.
    pub state: WaitState,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Store {
    /// A party joins a date's list (`aforo_wait_join`); a fitting start refuses it.
    pub async fn wait_join(&self, j: &JoinArgs<'_>) -> Result<JoinReply, StoreError> {
        let k = ResourceKeys::new(j.resource);
        let keys = vec![k.meta(), k.counters(), k.wait_entry(j.entry_id), k.wait_queue(j.date), k.wait_buyers(j.date), k.wait_all(j.date)];
        let mut args = vec![
            j.entry_id.to_string(),
            j.hash.to_string(),
            j.caller.to_string(),
            j.date.to_string(),
            j.max_entries.to_string(),
            j.life.as_millis().to_string(),
            j.request.to_string(),
            j.version.to_string(),
        ];
        encode_candidates(j.entry_id, j.candidates, &mut args)?;
        let r = self.fcall_reclaiming("aforo_wait_join", j.resource, keys, args).await?;
        Ok(match r.tag().unwrap_or("") {
            "ok" => JoinReply::Joined(r.parsed(1, "position")?),
            "replay" => JoinReply::Replay(WaitState {
                status: r.text(1, "status")?.to_string(),
                position: r.parsed_or_empty(2, "position")?,
                hold: opt(r.text(3, "hold")?),
                offer_expires_at: r.parsed_or_empty(4, "offer_expires_at")?,
            }),
            "reused" => JoinReply::Reused,
            "version" => JoinReply::Version,
            "duplicate" => JoinReply::Duplicate(r.text(1, "entry")?.to_string()),
            "full" => JoinReply::Full,
            "available" => JoinReply::Available(r.parsed::<usize>(1, "candidate")?.saturating_sub(1)),
            other => return Err(StoreError::Reply("aforo_wait_join", other.to_string())),
        })
    }

    /// A party leaves (an offered one declines its offer); the status after, `None` when
    /// there is no such entry.
    pub async fn wait_leave(&self, resource: &str, entry_id: &str) -> Result<Option<String>, StoreError> {
        let k = ResourceKeys::new(resource);
        let r = self.fcall("aforo_wait_leave", vec![k.meta(), k.counters(), k.wait_entry(entry_id)], vec![]).await?;
        match r.tag() {
            Some("ok") => Ok(Some(r.text(1, "status")?.to_string())),
            _ => Ok(None),
        }
    }

    /// A waiting entry's candidates planned again on version `version`, then its date
    /// promoted; `false` when it is no longer waiting or the version moved again.
    pub async fn wait_replan(&self, resource: &str, entry_id: &str, version: u64, cands: &[WaitCandidate]) -> Result<bool, StoreError> {
        let k = ResourceKeys::new(resource);
        let mut args = vec![version.to_string()];
        encode_candidates(entry_id, cands, &mut args)?;
        let r = self.fcall("aforo_wait_replan", vec![k.meta(), k.counters(), k.wait_entry(entry_id)], args).await?;
        Ok(r.tag() == Some("ok"))
    }

    /// One entry, if it exists.
    pub async fn wait_entry(&self, resource: &str, entry_id: &str) -> Result<Option<WaitEntry>, StoreError> {
        let k = ResourceKeys::new(resource);
        let f: Vec<Option<String>> = self
            .guarded(
                "hmget",
                self.pool
                    .next()
                    .hmget(k.wait_entry(entry_id), vec!["status", "caller", "date", "req", "created_at", "hold", "offer_expires_at"]),
            )
            .await?;
        let [Some(status), caller, Some(date), req, created, hold, exp] = <[Option<String>; 7]>::try_from(f).unwrap_or_default() else {
            return Ok(None);
        };
        let position = if status == "waiting" {
            let r: Option<i64> = self.guarded("zrank", self.pool.next().zrank(k.wait_queue(&date), entry_id, false)).await?;
            r.map(|r| r as u64 + 1)
        } else {
            None
        };
        Ok(Some(WaitEntry {
            id: entry_id.to_string(),
            caller: caller.unwrap_or_default(),
            date,
            request: req.unwrap_or_default(),
            created_at: created.and_then(|c| c.parse().ok()).unwrap_or(0),
            state: WaitState { status, position, hold, offer_expires_at: exp.and_then(|e| e.parse().ok()) },
        }))
    }

    /// Every entry of a date, by arrival (at most `limit`), with the waiting ones' positions.
    pub async fn wait_list(&self, resource: &str, date: &str, limit: usize) -> Result<Vec<WaitEntry>, StoreError> {
        let k = ResourceKeys::new(resource);
        let ids: Vec<String> =
            self.guarded("zrange", self.pool.next().zrange(k.wait_all(date), 0, limit as i64 - 1, None, false, None, false)).await?;
        let mut out = Vec::with_capacity(ids.len());
        let mut waiting = 0;
        for id in ids {
            if let Some(mut e) = self.wait_entry(resource, &id).await? {
                if e.state.status == "waiting" {
                    waiting += 1;
                    e.state.position = Some(waiting);
                }
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The entries waiting on a resource, by date then arrival (to plan them again).
    pub async fn waiting_ids(&self, resource: &str) -> Result<Vec<String>, StoreError> {
        let k = ResourceKeys::new(resource);
        let mut dates: Vec<String> = self.guarded("smembers", self.pool.next().smembers(k.wait_dates())).await?;
        dates.sort();
        let mut out = Vec::new();
        for d in dates {
            let ids: Vec<String> =
                self.guarded("zrange", self.pool.next().zrange(k.wait_queue(&d), 0, -1, None, false, None, false)).await?;
            out.extend(ids);
        }
        Ok(out)
    }

    /// Names `resource` as one whose waiting entries must be planned again (`due`), or drops it.
    pub async fn replan_due(&self, resource: &str, due: bool) -> Result<(), StoreError> {
        let c = self.pool.next();
        if due {
            self.guarded("sadd", c.sadd::<i64, _, _>(WAIT_REPLAN, resource)).await?;
        } else {
            self.guarded("srem", c.srem::<i64, _, _>(WAIT_REPLAN, resource)).await?;
        }
        Ok(())
    }

    /// The resources whose waiting entries are still to be planned again.
    pub async fn replans_due(&self) -> Result<Vec<String>, StoreError> {
        self.guarded("smembers", self.pool.next().smembers(WAIT_REPLAN)).await
    }

    /// Strips the element a call that made offers ends with and schedules the sweep that
    /// lapses them (an offer left to expire goes to the next party, even on a resource
    /// nobody touches).
    pub(super) async fn offers_made(&self, out: &mut Vec<String>) {
        let Some(tail) = out.last().and_then(|l| l.strip_prefix(OFFERS_TAG)).map(str::to_string) else { return };
        out.pop();
        let Some((resource, at)) = tail.rsplit_once('|') else { return };
        let Ok(at) = at.parse::<i64>() else { return };
        if let Err(e) = self.schedule_sweep(resource, at).await {
            tracing::warn!(error = %e, resource, "could not schedule the lapse of a waiting-list offer; the next operation on the resource reclaims it");
        }
    }
}
