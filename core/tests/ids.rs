//! The resource id rule: what may name a resource (in a path, a Redis key, a hold id).

use aforo_core::valid_resource_id;

#[test]
fn dot_and_dot_dot_are_not_resource_ids() {
    // A path segment of "." or ".." is rewritten by URL normalisation (clients, proxies), so
    // such a resource could be created but never addressed reliably.
    assert!(!valid_resource_id("."));
    assert!(!valid_resource_id(".."));
    for ok in ["...", ".a", "a.", "a..b", "trattoria_1", "sku-40.kg", &"x".repeat(64)] {
        assert!(valid_resource_id(ok), "{ok}");
    }
    for bad in ["", "a b", "a/b", "ñ", &"x".repeat(65)] {
        assert!(!valid_resource_id(bad), "{bad}");
    }
}
