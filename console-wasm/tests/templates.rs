//! The console's templates (console/src/templates.js, read by node) through the same
//! validation the browser runs: each is valid, and none sets a limit that can never bind, so
//! a new resource starts without dead config (issue 29: the restaurant template's slot
//! capacity of 16 silently overrode its pacing).
#![allow(clippy::unwrap_used)]

use aforo_console_wasm::validate_doc;
use serde_json::Value;

#[test]
fn every_template_is_valid_and_has_no_limit_that_can_never_bind() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = root.join("console/src/templates.js");
    let script = format!(
        "import({:?}).then(({{TEMPLATES}}) => console.log(JSON.stringify(Object.fromEntries(Object.entries(TEMPLATES).map(([k, t]) => [k, t.doc()])))))",
        format!("file://{}", src.canonicalize().unwrap().display())
    );
    let out = std::process::Command::new("node").args(["--input-type=module", "-e", &script]).output().expect("node");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(docs.len() >= 4, "{docs:?}");
    for (name, doc) in docs {
        let v = validate_doc(&doc.to_string());
        assert_eq!(v["ok"], true, "{name}: {v}");
        assert_eq!(v["warnings"], serde_json::json!([]), "{name}: {v}");
    }
    // The edit of the restaurant template is warned about.
    let mut doc: Value = serde_json::from_slice(
        &std::process::Command::new("node")
            .args([
                "--input-type=module",
                "-e",
                &script
                    .replace("Object.fromEntries(Object.entries(TEMPLATES).map(([k, t]) => [k, t.doc()]))", "TEMPLATES.restaurant.doc()"),
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    doc["dimensions"]["slots"]["pacing"] = serde_json::json!({"window_min": 15, "max": 20});
    let v = validate_doc(&doc.to_string());
    assert_eq!(v["warnings"][0]["path"], "dimensions.slots.pacing.max", "{v}");
}
