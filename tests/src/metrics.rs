//! Reading the Prometheus text of `/metrics` in tests: one parser for every test.

/// The labels of a series line (`name{k="v",...} value`), unescaped enough for tests
/// (values hold no `",` sequence in Aforo's metrics).
fn labels(set: &str) -> Vec<(&str, &str)> {
    set.split("\",").filter_map(|kv| kv.split_once("=\"")).map(|(k, v)| (k.trim_matches(','), v.trim_end_matches('"'))).collect()
}

/// The sum of the samples of `name` (exactly that name: `_count` or `_bucket` are other
/// names) whose labels include every `labels` pair; 0 when none is there (a counter not
/// touched yet is not exported).
pub fn metric(text: &str, name: &str, want: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(series, value)| {
            let (n, set) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}').unwrap_or(rest)),
                None => (series, ""),
            };
            let have = labels(set);
            (n == name && want.iter().all(|w| have.contains(w))).then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::metric;

    const TEXT: &str = "# HELP aforo_http_requests_total Requests.\n\
        # TYPE aforo_http_requests_total counter\n\
        aforo_http_requests_total{method=\"POST\",route=\"/v1/holds\",status=\"201\"} 2\n\
        aforo_http_requests_total{method=\"POST\",route=\"/v1/holds/{id}/consume\",status=\"201\"} 5\n\
        aforo_http_requests_total{method=\"GET\",route=\"/v1/holds\",status=\"200\"} 1\n\
        aforo_http_requests_total_extra 100\n\
        aforo_hold_group_size_sum 12\n\
        aforo_hold_group_size_count 4\n\
        aforo_oversold_buckets 0\n";

    #[test]
    fn exact_names_label_subsets_and_sums() {
        let by = |l: &[(&str, &str)]| metric(TEXT, "aforo_http_requests_total", l);
        assert_eq!(by(&[("route", "/v1/holds"), ("method", "POST")]), 2.0, "a route is matched whole, not as a prefix");
        assert_eq!(by(&[("method", "POST")]), 7.0);
        assert_eq!(by(&[]), 8.0, "the other name is not summed in");
        assert_eq!(metric(TEXT, "aforo_hold_group_size_count", &[]), 4.0);
        assert_eq!(metric(TEXT, "aforo_hold_group_size", &[]), 0.0);
        assert_eq!(metric(TEXT, "aforo_oversold_buckets", &[]), 0.0);
        assert_eq!(metric(TEXT, "aforo_missing", &[("a", "b")]), 0.0);
    }
}
