//! Two releases on one Redis, as in a rolling deploy: each origin loads its own version of the
//! library beside the other's, never replacing or deleting it, and calls its own functions.

use aforo_core::Bucket;
use aforo_origin::store::{HoldReply, LIBRARY, LIBRARY_NAME, LIBRARY_VERSION};
use aforo_tests::harness::Redis;
use fred::prelude::*;

use super::{args, connect, counters, resource, t};

/// Another release's library: the same code under another version.
const OTHER: &str = "0ther0release";

#[tokio::test]
async fn two_versions_live_side_by_side_and_each_calls_its_own() {
    let redis = Redis::start(&[]);
    // The other release came first.
    let other = LIBRARY.replace(LIBRARY_VERSION, OTHER);
    assert!(other.starts_with(&format!("#!lua name=aforo_{OTHER}\n")), "the version names the library");
    let loaded = redis.cli(&["FUNCTION", "LOAD", &other]);
    assert_eq!(loaded, format!("aforo_{OTHER}"));
    // This release's origins start: their library joins it, and a second start changes nothing.
    let store = connect(&redis).await;
    let again = connect(&redis).await;
    let libs = redis.cli(&["FUNCTION", "LIST"]);
    assert!(libs.contains(LIBRARY_NAME) && libs.contains(&format!("aforo_{OTHER}")), "{libs}");
    assert_eq!(store.library_loads() + again.library_loads(), 2, "each start loads (or finds) its own version");

    // Both serve one resource: this release through the store, the other by its own names.
    resource(&store, "r", None).await;
    let a = args("r", 1, "h", vec![t(Bucket::Stock, 1, 2)]);
    assert!(matches!(store.hold_part(&a).await.unwrap(), HoldReply::Taken { .. }));
    let c = store.pool().next();
    let read: Vec<Value> = c.fcall(format!("aforo_read_{OTHER}"), vec!["af:{r:r}:m", "af:{r:r}:c"], vec!["1", "stock"]).await.unwrap();
    let read: Vec<String> = read.into_iter().map(|v| v.convert::<String>().unwrap_or_default()).collect();
    assert_eq!(read.get(1).map(String::as_str), Some("1"), "the other release reads the same version: {read:?}");
    assert!(read.iter().any(|v| v == "1"), "and the unit this release took: {read:?}");
    assert_eq!(counters(&store, "r").await.get("stock"), Some(&1));
    // This release's functions are its own: the other's names do not reach them.
    let mine = redis.cli(&["FUNCTION", "LIST", "LIBRARYNAME", LIBRARY_NAME]);
    assert!(mine.contains(&format!("aforo_hold_{LIBRARY_VERSION}")) && !mine.contains(OTHER), "{mine}");
}
