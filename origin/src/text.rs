//! Text helpers shared by every layer: serde's type names put in words, strings cut to a
//! size.

/// Puts serde's Rust type names in words: "expected struct StockBody" reads "expected a JSON
/// object", "expected enum Role" reads "expected one of the documented values"; any other
/// path-qualified Rust name (`a::b::C`) loses its path. serde's messages are otherwise kept:
/// they name the field and the position ("at line 1 column 5"), which is what a caller needs.
pub fn humane(msg: &str) -> String {
    const NAMED: [(&str, &str); 4] = [
        ("expected unit struct ", "expected null"),
        ("expected tuple struct ", "expected a JSON array"),
        ("expected struct ", "expected a JSON object"),
        ("expected enum ", "expected one of the documented values"),
    ];
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '<' || c == '>';
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    'scan: while !rest.is_empty() {
        for (from, to) in NAMED {
            if let Some(tail) = rest.strip_prefix(from) {
                out.push_str(to);
                rest = tail.trim_start_matches(ident);
                continue 'scan;
            }
        }
        // A path-qualified name: keep its last segment.
        let word_len = rest.find(|c: char| !ident(c)).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_len.max(rest.chars().next().map_or(1, char::len_utf8)));
        if word.contains("::") {
            out.push_str(word.rsplit("::").next().unwrap_or(""));
        } else {
            out.push_str(word);
        }
        rest = tail;
    }
    out
}

/// `s` cut to at most `max` bytes (on a character boundary), ending in `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_names_are_put_in_words() {
        assert_eq!(
            humane("$: invalid type: integer `5`, expected struct StockBody at line 1 column 1"),
            "$: invalid type: integer `5`, expected a JSON object at line 1 column 1"
        );
        assert_eq!(
            humane("invalid type: string \"x\", expected enum Role"),
            "invalid type: string \"x\", expected one of the documented values"
        );
        assert_eq!(humane("bad aforo_core::plan::HoldItem here"), "bad HoldItem here");
        assert_eq!(humane("qty: must be 1..8 — ünïcode kept"), "qty: must be 1..8 — ünïcode kept");
        assert_eq!(humane(""), "");
    }

    #[test]
    fn clip_cuts_on_a_char_boundary() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdef", 5), "ab…");
        assert!(clip(&"é".repeat(100), 10).len() <= 10);
    }
}
