//! Joins the Redis library from its files (src/store/lua/, in `LUA_FILES` order) into one
//! versioned library, and embeds the console's built assets (console/dist, from
//! scripts/build-console.sh) into the origin. A fresh clone compiles without the console's
//! assets: each missing one is embedded empty, and `/console/` then answers a page saying how
//! to build them (origin/src/console.rs).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The library's files, in the order they are joined (each uses what the ones before define).
const LUA_FILES: [&str; 9] = ["prelude", "holds", "waitlist", "settle", "floor", "change", "resources", "maintenance", "register"];

/// Writes `aforo.lua` into `out`: its name and `V` carry a hash of the source, so that each
/// release's code has names of its own, and sets `AFORO_LUA_VERSION` for the crate.
fn library(manifest: &Path, out: &Path) {
    let dir = manifest.join("src/store/lua");
    println!("cargo:rerun-if-changed={}", dir.display());
    let body: String = LUA_FILES
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(format!("{f}.lua"))).unwrap_or_else(|e| panic!("src/store/lua/{f}.lua: {e}")))
        .collect::<Vec<_>>()
        .join("\n");
    let version: String = Sha256::digest(body.as_bytes()).iter().take(5).map(|b| format!("{b:02x}")).collect();
    let lib = format!("#!lua name=aforo_{version}\nlocal V = '{version}'\n{body}");
    std::fs::write(out.join("aforo.lua"), lib).expect("OUT_DIR is writable");
    println!("cargo:rustc-env=AFORO_LUA_VERSION={version}");
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    library(&manifest, &out);
    let console = manifest.join("../console");
    // A directory: cargo reruns this when anything under it changes, dist/ appearing included.
    println!("cargo:rerun-if-changed={}", console.display());
    let mut missing = Vec::new();
    for name in ["console.js", "console_core_bg.wasm"] {
        let bytes = std::fs::read(console.join("dist").join(name)).unwrap_or_else(|_| {
            missing.push(name);
            Vec::new()
        });
        std::fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
    }
    if !missing.is_empty() {
        println!(
            "cargo:warning=console/dist lacks {}: /console/ will say so; build them with scripts/build-console.sh",
            missing.join(", ")
        );
    }
}
