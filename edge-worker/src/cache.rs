//! A least-recently-used map bounded by the total bytes of its entries, for the isolate's
//! snapshot copies. An isolate lives for many requests, and a snapshot is kept per resource
//! and date window: without a bound, every far-future calendar asked for adds one that is
//! never asked for again (workerd grew from 116 to 405 MB after 60 of them).
//!
//! Pure (no Worker APIs), so that its tests run on the host. The order of use is kept by the
//! `lru` crate; this adds the byte accounting.

use std::fmt;
use std::hash::Hash;

use lru::LruCache;

/// A map of at most `capacity` bytes of entries, each inserted with its size; inserting
/// beyond the capacity evicts the least recently used entries (read or written) first.
pub struct ByteLru<K: Hash + Eq, V> {
    map: LruCache<K, (V, usize)>,
    bytes: usize,
    capacity: usize,
}

impl<K: Hash + Eq, V> fmt::Debug for ByteLru<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteLru").field("entries", &self.map.len()).field("bytes", &self.bytes).field("capacity", &self.capacity).finish()
    }
}

impl<K: Hash + Eq, V> ByteLru<K, V> {
    /// An empty map holding at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        ByteLru { map: LruCache::unbounded(), bytes: 0, capacity }
    }

    /// The entry of `k`, which becomes the most recently used.
    pub fn get(&mut self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(v, _)| v)
    }

    /// Keeps `v` under `k` as `bytes` bytes, the most recently used, replacing any entry of
    /// `k`, and evicts least recently used entries until the total fits the capacity. An
    /// entry larger than the whole capacity is not kept (and any older entry of `k` is
    /// dropped): returns whether it was kept.
    pub fn insert(&mut self, k: K, v: V, bytes: usize) -> bool {
        if let Some((_, old)) = self.map.pop(&k) {
            self.bytes -= old;
        }
        if bytes > self.capacity {
            return false;
        }
        self.map.put(k, (v, bytes));
        self.bytes += bytes;
        self.evict();
        true
    }

    /// Changes the capacity, evicting least recently used entries if it shrinks.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict();
    }

    fn evict(&mut self) {
        while self.bytes > self.capacity {
            match self.map.pop_lru() {
                Some((_, (_, b))) => self.bytes -= b,
                None => break,
            }
        }
    }

    /// Total bytes of the entries kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of entries kept.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::ByteLru;

    fn keys(c: &mut ByteLru<String, u32>, all: &[&str]) -> Vec<String> {
        all.iter().filter(|k| c.get(&k.to_string()).is_some()).map(|k| k.to_string()).collect()
    }

    #[test]
    fn evicts_least_recently_used_until_the_bytes_fit() {
        let mut c = ByteLru::new(100);
        assert!(c.insert("a".into(), 1, 40));
        assert!(c.insert("b".into(), 2, 40));
        assert_eq!((c.len(), c.bytes()), (2, 80));
        // Reading `a` makes `b` the least recently used: it goes when `c` needs room.
        assert_eq!(c.get(&"a".into()), Some(&1));
        assert!(c.insert("c".into(), 3, 40));
        assert_eq!((c.len(), c.bytes()), (2, 80));
        assert_eq!(c.get(&"b".into()), None);
        assert_eq!(c.get(&"a".into()), Some(&1));
        assert_eq!(c.get(&"c".into()), Some(&3));
        // One large entry pushes out as many as it needs, oldest first.
        assert!(c.insert("d".into(), 4, 90));
        assert_eq!(keys(&mut c, &["a", "b", "c", "d"]), ["d"]);
        assert_eq!(c.bytes(), 90);
    }

    #[test]
    fn replacing_an_entry_counts_its_new_size_only() {
        let mut c = ByteLru::new(100);
        c.insert("a".into(), 1, 30);
        c.insert("b".into(), 2, 30);
        c.insert("a".into(), 10, 60);
        assert_eq!((c.len(), c.bytes()), (2, 90));
        assert_eq!(c.get(&"a".into()), Some(&10));
        // A replacement is the most recently used: `b` goes first.
        c.insert("c".into(), 3, 20);
        assert_eq!(keys(&mut c, &["a", "b", "c"]), ["a", "c"]);
        assert_eq!(c.bytes(), 80);
    }

    #[test]
    fn an_entry_larger_than_the_capacity_is_not_kept_and_evicts_nothing() {
        let mut c = ByteLru::new(100);
        c.insert("a".into(), 1, 50);
        c.insert("b".into(), 2, 50);
        assert!(!c.insert("huge".into(), 3, 101));
        assert_eq!(keys(&mut c, &["a", "b", "huge"]), ["a", "b"]);
        // ... and it drops the stale copy it would have replaced.
        assert!(!c.insert("a".into(), 4, 500));
        assert_eq!(keys(&mut c, &["a", "b"]), ["b"]);
        assert_eq!(c.bytes(), 50);
    }

    #[test]
    fn shrinking_the_capacity_evicts_and_zero_keeps_nothing() {
        let mut c = ByteLru::new(100);
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            c.insert(k.to_string(), i as u32, 25);
        }
        c.get(&"a".into());
        c.set_capacity(50);
        assert_eq!(keys(&mut c, &["a", "b", "c", "d"]), ["a", "d"]);
        c.set_capacity(0);
        assert!(c.is_empty());
        assert_eq!(c.bytes(), 0);
        assert!(!c.insert("e".into(), 5, 1));
        assert!(c.insert("f".into(), 6, 0));
    }

    #[test]
    fn the_bound_holds_over_a_long_run_of_distinct_keys() {
        // Like a crawler asking for one far-future calendar after another: the total never
        // passes the capacity, and the most recent entries are the ones kept.
        let mut c = ByteLru::new(16 << 20);
        for i in 0..10_000u32 {
            c.insert(format!("cal-{i}"), i, 300_000 + (i as usize % 7) * 100_000);
            assert!(c.bytes() <= 16 << 20);
        }
        assert!(c.len() >= 16 && c.len() <= 55, "{}", c.len());
        assert_eq!(c.get(&"cal-9999".into()), Some(&9999));
        assert_eq!(c.get(&"cal-0".into()), None);
    }
}
