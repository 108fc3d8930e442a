//! The tests' Worker takes only `wrangler.toml` and the settings a test gives it: a
//! `.dev.vars` left in the checkout (say, by an older `./dev`, with `LOCAL_DEMO=1` and a demo
//! token) never reaches it, while a bare `wrangler dev` reads that file.

#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::edge::Edge;
use aforo_tests::harness::{left_out_of_fast_tier, repo_root};
use common::fake_origin;

/// A `.dev.vars` in the checkout (as an earlier `./dev` left one: `LOCAL_DEMO=1` and a demo
/// buyer token) is read by a bare `wrangler dev`, and never by the tests' Worker: the same page,
/// asked for on loopback, carries the file's token from the first and not from the second.
#[test]
fn a_dev_vars_file_does_not_reach_the_tests_worker() {
    if left_out_of_fast_tier("a_dev_vars_file_does_not_reach_the_tests_worker", "workerd (wrangler dev)") {
        return;
    }
    let path = repo_root().join(".dev.vars");
    let marker = "devvarsmarker.from.a.stray.file";
    // A developer's own file is left alone, and checked as it is; otherwise the test writes one
    // with the demo's settings and removes it afterwards.
    struct Written(std::path::PathBuf);
    impl Drop for Written {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let written = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut f) => {
            use std::io::Write;
            writeln!(f, "LOCAL_DEMO=1\nDEMO_BUYER_TOKEN={marker}").unwrap();
            Some(Written(path.clone()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("{} exists: checking the tests' Worker against it as it is", path.display());
            None
        }
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let stray = std::fs::read_to_string(&path).unwrap();
    // The page needs no origin.
    let (origin, _) = fake_origin();
    let page = |edge: &Edge| {
        let url = edge.url();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let http = aforo_tests::client::http().build().unwrap();
                http.get(format!("{url}/")).send().await.unwrap().text().await.unwrap()
            })
        })
        .join()
        .unwrap()
    };
    let (tests, bare) = std::thread::scope(|s| {
        let bare = written.as_ref().map(|_| s.spawn(|| Edge::start_reading_dev_vars(&origin, &[])));
        let tests = Edge::start(&origin, &[]);
        (tests, bare.map(|b| b.join().unwrap()))
    });
    let html = page(&tests);
    assert!(html.contains(r#"<h1 id="place">"#), "{html}");
    for line in stray.lines() {
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().trim_matches('"');
            assert!(v.len() < 8 || !html.contains(v), "{k} of {} reached the tests' Worker", path.display());
        }
    }
    assert!(!html.contains(marker), "the stray .dev.vars reached the tests' Worker");
    if let Some(bare) = bare {
        // The control: the file does what the test says it would.
        assert!(page(&bare).contains(&format!(">{marker}</textarea>")), "a bare wrangler dev did not read .dev.vars");
    }
    drop(written);
}
