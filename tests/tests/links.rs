//! Every relative link of `README.md`, `CONTRIBUTING.md` and `docs/*.md` resolves: to a file
//! inside the repository (a link out of it, such as `../shared/API.md`, does not count, even
//! where that file happens to exist), and an `#anchor` into a Markdown file to one of its
//! headings. Links inside code blocks and code spans are text, not links.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use aforo_tests::harness::repo_root;

/// The documents checked, relative to the repository root.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = vec![PathBuf::from("README.md"), PathBuf::from("CONTRIBUTING.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// The lines of a Markdown text outside fenced code blocks, with their numbers, code spans
/// blanked out.
fn prose(text: &str) -> Vec<(usize, String)> {
    outside_fences(text).into_iter().map(|(n, l)| (n, without_code_spans(l))).collect()
}

/// The lines of a Markdown text outside fenced code blocks, with their numbers.
fn outside_fences(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let mark = if t.starts_with("```") {
            Some("```")
        } else if t.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, mark) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// A line with its `code spans` blanked out.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else {
            out.push(if in_code { ' ' } else { c });
        }
    }
    out
}

/// The targets of the inline links and images of a line: `[text](target)`, `![alt](target)`,
/// a title after the target dropped.
fn targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let target = after[..end].trim();
        let target = target.split_once(char::is_whitespace).map_or(target, |(t, _)| t);
        out.push(target.trim_start_matches('<').trim_end_matches('>').to_string());
        rest = &after[end..];
    }
    out
}

/// GitHub's anchor of a heading: lowercased, punctuation dropped but `-` and `_`, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (a repeated heading's later ones get `-1`, `-2`…).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, line) in outside_fences(text) {
        let t = line.trim_start();
        let level = t.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&level) && t[level..].starts_with(' ') {
            let base = slug(t[level..].trim_end_matches('#'));
            let mut s = base.clone();
            let mut n = 0;
            while seen.contains(&s) {
                n += 1;
                s = format!("{base}-{n}");
            }
            seen.insert(s);
        }
    }
    seen
}

/// `a/b/../c` → `a/c`; `None` when it climbs out of the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// What is wrong with one link of `doc` (relative to the root), if anything.
fn check(root: &Path, doc: &Path, target: &str) -> Option<String> {
    let (file, anchor) = match target.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (target, None),
    };
    let rel = if file.is_empty() {
        doc.to_path_buf()
    } else {
        let joined = doc.parent().unwrap_or(Path::new("")).join(file);
        match normalise(&joined) {
            Some(p) => p,
            None => return Some("points outside the repository".to_string()),
        }
    };
    let abs = root.join(&rel);
    if !abs.exists() {
        return Some(format!("{} does not exist", rel.display()));
    }
    if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
        if abs.extension().is_some_and(|x| x == "md") {
            let known = anchors(&std::fs::read_to_string(&abs).unwrap());
            if !known.contains(anchor) {
                return Some(format!("{} has no heading #{anchor}", rel.display()));
            }
        }
    }
    None
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let root = repo_root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents(&root) {
        let text = std::fs::read_to_string(root.join(&doc)).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        for (n, line) in prose(&text) {
            for target in targets(&line) {
                let external = target.contains("://") || target.starts_with("mailto:");
                if external || target.is_empty() {
                    continue;
                }
                checked += 1;
                if let Some(why) = check(&root, &doc, &target) {
                    broken.push(format!("{}:{n}: ({target}): {why}", doc.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "links that do not resolve:\n{}", broken.join("\n"));
    // The README alone links to a dozen documents: finding fewer means the parser is broken.
    assert!(checked >= 30, "only {checked} relative links found");
}

/// The checker itself: what counts as a link, and what resolves.
#[test]
fn the_checker_finds_links_and_refuses_what_does_not_resolve() {
    assert_eq!(targets("see [a](docs/a.md#x \"t\") and ![p](p.png), [b](<b.md>)"), ["docs/a.md#x", "p.png", "b.md"]);
    let text = "# Top\n`[no](nowhere.md)`\n```\n[no](nowhere.md)\n```\n## Top\n### `GET /x?y=` (ops)\n";
    assert_eq!(prose(text).iter().flat_map(|(_, l)| targets(l)).count(), 0);
    assert_eq!(anchors(text), BTreeSet::from(["top".to_string(), "top-1".to_string(), "get-xy-ops".to_string()]));
    assert_eq!(slug("Listening over HTTP: Server-Sent Events"), "listening-over-http-server-sent-events");
    let root = repo_root();
    let readme = Path::new("README.md");
    assert_eq!(check(&root, readme, "docs/api.md"), None);
    assert_eq!(check(&root, Path::new("docs/console.md"), "events.md#listening-over-http-server-sent-events"), None);
    assert!(check(&root, readme, "../shared/API.md").unwrap().contains("outside"));
    assert!(check(&root, readme, "docs/nowhere.md").is_some());
    assert!(check(&root, readme, "docs/api.md#no-such-heading").is_some());
}
