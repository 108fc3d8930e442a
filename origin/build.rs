//! Embeds the console's built assets (console/dist, from scripts/build-console.sh) into the
//! origin. A fresh clone compiles without them: each missing asset is embedded empty, and
//! `/console/` then answers a page saying how to build them (origin/src/console.rs).

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
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
