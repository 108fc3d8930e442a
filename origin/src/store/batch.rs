//! Reads of a few counters of several resources at once (validate-stock): one round trip.
//!
//! On one Redis the library's `read` of every resource goes in one pipeline: one round trip
//! for the whole basket. On a cluster the resources live in different slots, on different
//! nodes: there each resource's `read` is sent at once, in parallel, to its own node (one
//! round trip of the slowest node rather than one after another).

use std::collections::HashMap;

use fred::prelude::*;

use super::client::{function_name, is_outage, strings, Store};
use super::error::StoreError;
use super::keys::ResourceKeys;
use super::reply::Reply;
use super::resources::READ_FIRST;

/// What one resource's read answers: `(redis now ms, version, values)`, `None` when the
/// resource does not exist.
pub type Read = Option<(i64, u64, Vec<u32>)>;

fn parse_read(reply: &Reply, names: &[String]) -> Result<Read, StoreError> {
    let parse = |v: &str| v.parse::<i64>().unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32;
    let now: i64 = reply.parsed(0, "now")?;
    let Some(version) = reply.parsed_or_empty::<u64>(1, "version")? else { return Ok(None) };
    let values = reply.rest(3);
    let vals = match reply.text(2, "shape")? {
        "all" => {
            let all: HashMap<&str, &str> = values.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str())).collect();
            names.iter().map(|b| all.get(b.as_str()).map_or(0, |v| parse(v))).collect()
        }
        "some" if values.len() == names.len() => values.iter().map(|v| parse(v)).collect(),
        _ => return Err(reply.unexpected()),
    };
    Ok(Some((now, version, vals)))
}

impl Store {
    /// Reclaims expired holds and reads `names` of each resource `(id, names)`, in one round
    /// trip (see the module). Reads of more than [`READ_FIRST`] names, and a library missing
    /// from Redis, take the ordinary path of [`Store::read`].
    pub async fn read_each(&self, reads: &[(String, Vec<String>)]) -> Result<Vec<Read>, StoreError> {
        if self.clustered || reads.len() < 2 || reads.iter().any(|(_, n)| n.len() > READ_FIRST) {
            return futures::future::try_join_all(reads.iter().map(|(id, names)| self.read(id, names.clone()))).await;
        }
        let p = self.pool.next().pipeline();
        for (id, names) in reads {
            let k = ResourceKeys::new(id);
            let mut args = Vec::with_capacity(names.len() + 1);
            args.push(names.len().to_string());
            args.extend(names.iter().cloned());
            let _: () = p.fcall(function_name("aforo_read"), vec![k.meta(), k.counters()], args).await?;
        }
        let replies = self
            .guarded("aforo_read_pipeline", async {
                let got = p.try_all::<Vec<Value>>().await;
                match got.iter().find_map(|r| r.as_ref().err().filter(|e| is_outage(e))) {
                    Some(e) => Err(e.clone()),
                    None => Ok(got),
                }
            })
            .await?;
        let mut out = Vec::with_capacity(reads.len());
        for ((id, names), got) in reads.iter().zip(replies) {
            match got {
                Ok(v) => {
                    let mut v = strings(v);
                    self.offers_made(&mut v).await;
                    self.expired(id, &mut v);
                    out.push(parse_read(&Reply::new("aforo_read", v), names)?);
                }
                // An error reply (the library missing after a FUNCTION FLUSH, …): the ordinary
                // path reloads the library and reads again.
                Err(_) => out.push(self.read(id, names.clone()).await?),
            }
        }
        Ok(out)
    }
}
