//! A booking changed on its resource in Redis (`aforo_change`): the new takes and the old
//! swapped in one atomic step, the record, the bookings index and the date index moved with
//! them.

use aforo_core::{ItemView, Take};
use chrono::NaiveDate;

use super::client::Store;
use super::error::StoreError;
use super::holds::{encode_choices, encode_starts, encode_takes, to_json, BuyerShare, Choice};
use super::keys::ResourceKeys;
use super::reply::{Reply, ReseatReply};

/// One change of a part, compare-and-set on the takes its record has.
#[derive(Debug, Clone)]
pub struct ChangeArgs<'a> {
    /// The resource.
    pub resource: &'a str,
    /// The hold id.
    pub hold_id: &'a str,
    /// The document version the new takes were planned against.
    pub version: u64,
    /// The record's takes as read.
    pub expected: &'a str,
    /// The new takes (units).
    pub takes: &'a [Take],
    /// The buyer's share of the new takes, when a buyer made the hold.
    pub buyer: Option<&'a BuyerShare>,
    /// The tables that may seat it, best first.
    pub choices: &'a [Choice],
    /// The part's new items (`None`: a one-resource hold, whose items are its body).
    pub items: Option<&'a [ItemView]>,
    /// The whole hold's new items (the home part only).
    pub body: Option<&'a [ItemView]>,
    /// Field/value pairs for the record besides (a cart's home: `parts`, `changed_from`).
    pub fields: Vec<(String, String)>,
    /// The date of its date index before and after (resources with tables).
    pub dates: (Option<NaiveDate>, Option<NaiveDate>),
    /// The items' starts before and after (ms), as the bookings index has them.
    pub starts: (&'a [Option<i64>], &'a [Option<i64>]),
    /// When the record may go (ms).
    pub keep_until_ms: i64,
    /// The change's hash (its key and payload): a retry finds it on the record.
    pub hash: &'a str,
}

/// What a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeReply {
    /// Changed; the table label seated ('' without).
    Ok(String),
    /// This change was made already.
    Replay,
    /// As a reseat answers otherwise (not found, not active, changed, version, taken).
    Other(ReseatReply),
}

impl ChangeReply {
    fn parse(r: &Reply) -> Result<ChangeReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => ChangeReply::Ok(r.text(1, "table")?.to_string()),
            Some("replay") => ChangeReply::Replay,
            _ => ChangeReply::Other(ReseatReply::parse(r)?),
        })
    }
}

impl Store {
    /// Changes a held or paid part (`aforo_change`): all of it, or nothing.
    pub async fn change(&self, a: &ChangeArgs<'_>) -> Result<ChangeReply, StoreError> {
        let k = ResourceKeys::new(a.resource);
        let index = |d: Option<NaiveDate>| k.date_index(&d.map(|d| d.to_string()).unwrap_or_default());
        let keys = vec![k.meta(), k.counters(), k.hold(a.hold_id), k.settled(), k.bookings(), index(a.dates.0), index(a.dates.1)];
        let takes = encode_takes(a.takes) + &a.buyer.map(BuyerShare::encode).unwrap_or_default();
        let json = |v: Option<&[ItemView]>| v.map(|x| to_json(&x)).transpose().map(Option::unwrap_or_default);
        let mut args = vec![
            a.version.to_string(),
            a.expected.to_string(),
            takes,
            encode_choices(a.choices),
            json(a.items)?,
            json(a.body)?,
            encode_starts(a.starts.0),
            encode_starts(a.starts.1),
            a.keep_until_ms.to_string(),
            a.hash.to_string(),
        ];
        for (f, v) in &a.fields {
            args.extend([f.clone(), v.clone()]);
        }
        ChangeReply::parse(&self.fcall("aforo_change", keys, args).await?)
    }
}
