//! The layout rules of `docs/architecture.md`, checked on the source: the modules of
//! `core/src` and `origin/src` depend one way only (no two import each other, directly or
//! through others), and files stay small enough to read in one sitting.
//!
//! A module is a file (`store/keys.rs` is `store::keys`). A `pub use` is a facade, not a
//! dependency: a reference to `crate::store::Store` counts against the file that defines
//! `Store`, wherever it is re-exported from. Test modules (`#[cfg(test)] mod tests`) are
//! left out: they may use what they like.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Largest Rust file anywhere in the project, in lines.
const MAX_LINES: usize = 450;
/// Largest file of the origin's HTTP handlers: they parse, authorise, call and serialise.
const MAX_ROUTE_LINES: usize = 250;
/// Largest file of the Redis library (origin/src/store/lua/): the code behind the one promise
/// is read whole.
const MAX_LUA_LINES: usize = 400;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with(dir, &["rs"], out);
}

/// Every file under `dir` whose extension is one of `exts`.
fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            files_with(&p, exts, out);
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

/// One crate's modules: path (`store::keys`) to source with comments and tests removed.
struct Crate {
    modules: BTreeMap<String, String>,
}

/// Drops line comments and a trailing `#[cfg(test)] mod tests` block.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.trim_start()).filter(|l| !l.starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn load(src: &str) -> Crate {
    let dir = root().join(src);
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut modules = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&dir).expect("under src").to_string_lossy().replace('\\', "/");
        // The crate roots and separate binaries are not modules of the library.
        if rel == "lib.rs" || rel == "main.rs" || rel.starts_with("bin/") {
            continue;
        }
        let name = rel.trim_end_matches(".rs").trim_end_matches("/mod").replace('/', "::");
        modules.insert(name, code_of(&std::fs::read_to_string(&f).expect("read source")));
    }
    Crate { modules }
}

/// Paths after `prefix::` in `text`, brace groups expanded: `crate::{a::{b, c}, d}` gives
/// `a::b`, `a::c` and `d`.
fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(prefix) {
        let at = from + i;
        from = at + prefix.len();
        let before = at.checked_sub(1).map(|j| b[j]);
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
            continue;
        }
        let (mut found, _) = group(text, from);
        out.append(&mut found);
    }
    out
}

/// Parses a path tail starting at `i`: an identifier path, possibly ending in a brace group.
fn group(text: &str, mut i: usize) -> (Vec<String>, usize) {
    let b = text.as_bytes();
    let ident = |i: usize| -> usize {
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    let mut segs: Vec<&str> = Vec::new();
    loop {
        if i < b.len() && b[i] == b'{' {
            let mut out = Vec::new();
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    break;
                }
                let (inner, j) = group(text, i);
                out.extend(inner.into_iter().map(|p| if segs.is_empty() { p } else { format!("{}::{p}", segs.join("::")) }));
                i = j.max(i + 1);
            }
            return (out, i + 1);
        }
        let j = ident(i);
        if j == i {
            break;
        }
        segs.push(&text[i..j]);
        i = j;
        if text[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    (if segs.is_empty() { vec![] } else { vec![segs.join("::")] }, i)
}

impl Crate {
    /// The module a `crate::`-relative path names: the longest module prefix, then through
    /// that module's `pub use` re-exports to the file defining the item.
    fn resolve(&self, path: &str, depth: usize) -> Option<String> {
        let segs: Vec<&str> = path.split("::").collect();
        let n = (1..=segs.len()).rev().find(|n| self.modules.contains_key(&segs[..*n].join("::")))?;
        let module = segs[..n].join("::");
        if let (Some(item), true) = (segs.get(n), depth < 8) {
            for target in self.reexports(&module) {
                if target.rsplit("::").next() == Some(*item) || target.ends_with("::*") {
                    let via = target.trim_end_matches("::*");
                    if let Some(m) = self.resolve(via, depth + 1).filter(|m| *m != module) {
                        return Some(m);
                    }
                }
            }
        }
        Some(module)
    }

    /// A module's `pub use` targets, as `crate::`-relative paths.
    fn reexports(&self, module: &str) -> Vec<String> {
        let code = &self.modules[module];
        let mut out = Vec::new();
        for stmt in code.split(';').map(str::trim).filter(|s| s.starts_with("pub use ") || s.starts_with("pub(crate) use ")) {
            let tail = &stmt[stmt.find("use ").expect("use") + 4..];
            for p in group(tail, 0).0 {
                out.push(self.absolute(module, &p));
            }
        }
        out
    }

    /// A path written in `module`, made `crate::`-relative.
    fn absolute(&self, module: &str, p: &str) -> String {
        let parent = |m: &str| m.rsplit_once("::").map_or(String::new(), |(a, _)| a.to_string());
        let join = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { format!("{a}::{b}") };
        if let Some(rest) = p.strip_prefix("crate::") {
            rest.to_string()
        } else if let Some(rest) = p.strip_prefix("self::") {
            join(module, rest)
        } else if let Some(rest) = p.strip_prefix("super::") {
            join(&parent(module), rest)
        } else {
            join(module, p)
        }
    }

    /// The modules `module` depends on.
    fn deps(&self, module: &str) -> BTreeSet<String> {
        let code: String = self.modules[module]
            .split(';')
            .filter(|s| !s.trim_start().starts_with("pub use ") && !s.trim_start().starts_with("pub(crate) use "))
            .collect::<Vec<_>>()
            .join(";");
        let mut paths: Vec<String> = paths_after(&code, "crate::");
        paths.extend(paths_after(&code, "super::").into_iter().map(|p| self.absolute(module, &format!("super::{p}"))));
        // A parent's uses of its own children (`keys::home_of(..)`, `use keys::X`).
        let prefix = format!("{module}::");
        for child in self.modules.keys().filter_map(|m| m.strip_prefix(&prefix)).filter(|c| !c.contains("::")) {
            paths.extend(paths_after(&code, &format!("{child}::")).into_iter().map(|p| format!("{module}::{child}::{p}")));
        }
        paths.iter().filter_map(|p| self.resolve(p, 0)).filter(|m| m != module).collect()
    }

    /// Every dependency cycle between files, each as the edges on it.
    fn cycles(&self) -> Vec<Vec<String>> {
        cycles(self.modules.keys().map(|m| (m.clone(), self.deps(m))).collect())
    }

    /// Every dependency cycle between top-level modules (`ops::slo` counts as `ops`).
    fn top_cycles(&self) -> Vec<Vec<String>> {
        let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in self.modules.keys() {
            let deps = self.deps(m).into_iter().map(|d| top(&d)).filter(|d| *d != top(m));
            graph.entry(top(m)).or_default().extend(deps);
        }
        cycles(graph)
    }
}

/// The strongly connected parts of a graph, each as the edges inside it.
fn cycles(graph: BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for d in &graph[&m] {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let mut cycles: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for m in graph.keys() {
        if placed.contains(m) || !reach(m).contains(m) {
            continue;
        }
        let members: Vec<String> = graph.keys().filter(|o| reach(m).contains(*o) && reach(o).contains(m)).cloned().collect();
        placed.extend(members.iter().cloned());
        let edges: Vec<String> =
            members.iter().flat_map(|a| graph[a].iter().filter(|b| members.contains(b)).map(move |b| format!("{a} -> {b}"))).collect();
        cycles.push(edges);
    }
    cycles
}

#[test]
fn path_parsing_expands_groups_and_resolves_facades() {
    assert_eq!(paths_after("use crate::{a::{b, c}, d};", "crate::"), vec!["a::b", "a::c", "d"]);
    assert_eq!(paths_after("x = crate::store::keys::home_of(id);", "crate::"), vec!["store::keys::home_of"]);
    assert!(paths_after("foo_crate::x", "crate::").is_empty());
    let c = Crate {
        modules: BTreeMap::from([
            ("store".to_string(), "pub use keys::home_of;\npub struct Store;".to_string()),
            ("store::keys".to_string(), "pub fn home_of() { crate::app::f() }".to_string()),
            ("app".to_string(), "fn f() { crate::store::home_of(); }".to_string()),
        ]),
    };
    assert_eq!(c.resolve("store::home_of", 0).as_deref(), Some("store::keys"));
    assert_eq!(c.resolve("store::Store", 0).as_deref(), Some("store"));
    assert_eq!(c.cycles(), vec![vec!["app -> store::keys".to_string(), "store::keys -> app".to_string()]]);
    // No cycle between files, one between the top-level modules they belong to.
    let c = Crate {
        modules: BTreeMap::from([
            ("app".to_string(), "use crate::config::Config;".to_string()),
            ("config".to_string(), "use crate::ops::slo::Targets;".to_string()),
            ("ops".to_string(), "use crate::app::AppRef;".to_string()),
            ("ops::slo".to_string(), "pub struct Targets;".to_string()),
        ]),
    };
    assert!(c.cycles().is_empty());
    assert_eq!(c.top_cycles().len(), 1);
}

#[test]
fn modules_depend_one_way() {
    for src in ["core/src", "origin/src"] {
        let c = load(src);
        assert!(c.modules.len() > 5, "{src}: found only {} modules", c.modules.len());
        let cycles = c.cycles();
        assert!(cycles.is_empty(), "{src}: files that depend on each other (break each cycle, docs/architecture.md):\n{cycles:#?}");
        let cycles = c.top_cycles();
        assert!(cycles.is_empty(), "{src}: modules that depend on each other (break each cycle, docs/architecture.md):\n{cycles:#?}");
    }
}

#[test]
fn files_stay_small() {
    let mut files = Vec::new();
    for dir in ["core/src", "core/tests", "core/benches", "origin/src", "edge-worker/src", "tests/src", "tests/tests", "fuzz/fuzz_targets"]
    {
        rust_files(&root().join(dir), &mut files);
    }
    let rust = files.len();
    files_with(&root().join("origin/src/store/lua"), &["lua"], &mut files);
    for dir in ["console/src", "tests/browser", "edge-worker/src", "edge-worker/test"] {
        files_with(&root().join(dir), &["js", "mjs"], &mut files);
    }
    let mut over = Vec::new();
    for f in &files {
        let lines = std::fs::read_to_string(f).expect("read source").lines().count();
        let rel = f.strip_prefix(root()).expect("under root").to_string_lossy().replace('\\', "/");
        let max = if rel.starts_with("origin/src/routes/") {
            MAX_ROUTE_LINES
        } else if rel.ends_with(".lua") {
            MAX_LUA_LINES
        } else {
            MAX_LINES
        };
        if lines > max {
            over.push(format!("{rel}: {lines} lines (at most {max})"));
        }
    }
    assert!(rust > 40, "found only {rust} Rust files");
    assert!(files.len() > rust + 20, "found only {} Lua and JS files", files.len() - rust);
    assert!(over.is_empty(), "files to split by what they hold:\n{}", over.join("\n"));
}
