//! Tokens of the marketplace's identity provider: a stand-in provider serves a key set (JWKS)
//! over HTTP and counts its fetches; keys and tokens are made by `jose` (tests/idp/mint.mjs),
//! another implementation than the origin's. RS256, ES256 and EdDSA pass with the role of the
//! configured claim; wrong issuer, audience, expiry, role, unknown keys and algorithm
//! confusion are 401 in words; a new key is taken after a refetch; a flood of unknown `kid`s
//! costs the provider at most one fetch per interval; HS256 works alongside.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_tests::harness::{repo_root, token, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

pub(crate) const ISS: &str = "https://id.marketplace.test/";
const ROLE: &str = "https://marketplace.test/role";

/// The stand-in provider: serves `set` (503 while `None`) at `/jwks`, counting requests.
pub(crate) struct Idp {
    pub(crate) url: String,
    set: Arc<Mutex<Option<String>>>,
    hits: Arc<AtomicUsize>,
}

impl Idp {
    pub(crate) fn start() -> Idp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let set: Arc<Mutex<Option<String>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, h) = (set.clone(), hits.clone());
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(mut sock) = sock else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let (status, body) = match s.lock().unwrap().clone() {
                    Some(b) => ("200 OK", b),
                    None => ("503 Service Unavailable", "down".to_string()),
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes());
            }
        });
        Idp { url, set, hits }
    }

    /// Publishes these keys of `minted` (or answers 503 with `None`).
    pub(crate) fn publish(&self, minted: &Value, kids: Option<&[&str]>) {
        *self.set.lock().unwrap() =
            kids.map(|kids| json!({"keys": kids.iter().map(|k| minted["jwks"][k].clone()).collect::<Vec<_>>()}).to_string());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Runs tests/idp/mint.mjs on `spec`.
pub(crate) fn mint(spec: &Value) -> Value {
    let mut child = std::process::Command::new("node")
        .arg(repo_root().join("tests/idp/mint.mjs"))
        .current_dir(repo_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    child.stdin.take().unwrap().write_all(spec.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "mint.mjs failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims for `sub` with `role` under the configured role claim, valid for ten minutes.
pub(crate) fn claims(sub: &str, role: Value) -> Value {
    json!({"sub": sub, ROLE: role, "iss": ISS, "aud": "aforo", "iat": now(), "exp": now() + 600})
}

fn with(mut c: Value, k: &str, v: Value) -> Value {
    if v.is_null() {
        c.as_object_mut().unwrap().remove(k);
    } else {
        c[k] = v;
    }
    c
}

pub(crate) fn settings<'a>(idp: &'a Idp, min_refetch: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AFORO_JWKS_URL", idp.url.as_str()),
        ("AFORO_JWT_ISSUER", ISS),
        ("AFORO_JWT_AUDIENCE", "other-api, aforo"),
        ("AFORO_JWT_ROLE_CLAIM", ROLE),
        ("AFORO_JWKS_MIN_REFETCH_S", min_refetch),
        ("AFORO_ANON_RATE_LIMIT_RPS", "0"),
    ]
}

async fn health(e: &Env, tok: &str) -> Value {
    let a = e.api.get(tok, "/v1/monitoring/health").await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["identity"].clone()
}

/// 401 UNAUTHENTICATED with a detail containing `why`.
async fn refused(e: &Env, tok: &str, why: &str) {
    let a = e.api.send(Method::GET, "/v1/monitoring/health", Some(tok), None, None).await;
    assert_eq!((a.status.as_u16(), a.code()), (401, "UNAUTHENTICATED"), "{why}: {:?}", a.body);
    assert_eq!(a.content_type, "application/problem+json");
    let detail = a.body["detail"].as_str().unwrap();
    assert!(detail.contains(why), "expected {why:?} in {detail:?}");
    assert_human(detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_tokens_of_each_algorithm_pass_and_bad_ones_are_refused_in_words() {
    let keys = [("rsa-1", "RS256"), ("es-1", "ES256"), ("ed-1", "EdDSA"), ("rs384-1", "RS384"), ("rsa-2", "RS256")];
    let c = |sub: &str, role: &str| claims(sub, json!(role));
    let specs = [
        ("sign", "rsa-1", c("seller-9", "seller"), None),                                // 0
        ("sign", "es-1", c("buyer-9", "buyer"), None),                                   // 1
        ("sign", "ed-1", c("ops-9", "ops"), None),                                       // 2
        ("sign", "rsa-1", claims("s", json!(["viewer", "ops"])), None),                  // 3 a list
        ("sign", "es-1", with(c("s", "ops"), "aud", json!("someone-else")), None),       // 4
        ("sign", "es-1", with(c("s", "ops"), "iss", json!("https://evil.test/")), None), // 5
        ("sign", "ed-1", with(c("s", "ops"), "exp", json!(now() - 120)), None),          // 6
        ("sign", "ed-1", with(c("s", "ops"), ROLE, Value::Null), None),                  // 7
        ("sign", "ed-1", c("s", "admin"), None),                                         // 8
        ("sign", "rsa-1", claims("s", json!(["ops", "seller"])), None),                  // 9
        ("none", "rsa-1", c("s", "ops"), None),                                          // 10
        ("hs256-public-pem", "rsa-1", c("s", "ops"), None),                              // 11
        ("hs256-oct", "rsa-1", c("s", "ops"), None),                                     // 12
        ("sign", "rs384-1", c("s", "ops"), None),                                        // 13
        ("sign", "es-1", c("s", "ops"), Some("rsa-1")),                                  // 14 ES256 naming an RSA key
        ("sign", "rsa-2", c("ops-2", "ops"), None),                                      // 15 rotated in later
        ("sign", "ed-1", with(c("s", "ops"), "exp", json!(now() + 90 * 86_400)), None),  // 16 lives 90 days
        ("sign", "ed-1", with(c("s", "ops"), "aud", json!(["x", "aforo"])), None),       // 17 one of its audiences
        ("sign", "rsa-1", c("s", "ops"), Some("never-published")),                       // 18
    ];
    let minted = mint(&json!({
        "keys": keys.iter().map(|(kid, alg)| json!({"kid": kid, "alg": alg})).collect::<Vec<_>>(),
        "tokens": specs.iter().map(|(kind, key, claims, kid)| json!({"kind": kind, "key": key, "claims": claims, "kid": kid})).collect::<Vec<_>>(),
    }));
    let t = |i: usize| minted["tokens"][i].as_str().unwrap().to_string();

    // The provider is down when the origin starts: it serves anyway, and says so.
    let idp = Idp::start();
    idp.publish(&minted, None);
    let e = Env::with(Redis::start(&[]), &settings(&idp, "1"));
    let id = eventually(Duration::from_secs(10), || async {
        let id = health(&e, &e.ops).await;
        if id["jwks"]["state"] == "unreachable" {
            Ok(id)
        } else {
            Err(id)
        }
    })
    .await;
    assert_eq!(id["hs256"], true);
    assert!(id["jwks"]["last_error"].as_str().unwrap().contains("503"), "{id}");
    refused(&e, &t(2), "unknown key (kid \"ed-1\")").await;

    // Up again: the next token naming a key fetches the set (a second after the last try).
    idp.publish(&minted, Some(&["rsa-1", "es-1", "ed-1", "rs384-1", "oct-1"]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(health(&e, &t(2)).await["jwks"]["state"], "ok");
    let id = health(&e, &e.ops).await;
    let kids: Vec<&str> = id["jwks"]["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, ["ed-1", "es-1", "rsa-1"], "{id}");
    let skipped = id["jwks"]["skipped"].to_string();
    assert!(skipped.contains("oct-1: a symmetric key") && skipped.contains("rs384-1: alg RS384"), "{skipped}");
    assert_eq!(id["jwks"]["last_error"], Value::Null);

    // Each algorithm, with the role of the configured claim.
    let doc = stock_doc(5);
    let a = e.api.put_resource(&t(0), "sku", &doc).await;
    assert_eq!(a.status, 201, "RS256 seller: {:?}", a.body);
    assert_eq!(e.api.put_resource(&t(1), "sku2", &doc).await.status, 403, "ES256 buyer may not create");
    let h = e.api.hold(&t(1), "k1", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(h.status, 201, "ES256 buyer: {:?}", h.body);
    let hold = h.body["id"].as_str().unwrap();
    assert_eq!(e.api.get_hold(&t(2), hold).await.status, 200, "EdDSA ops");
    assert_eq!(e.api.get_hold(&token("buyer-9", "buyer"), hold).await.status, 200, "HS256 alongside: same sub and role, same owner");
    assert_eq!(health(&e, &t(3)).await["hs256"], true, "a role list naming one of Aforo's roles");
    assert_eq!(health(&e, &t(17)).await["hs256"], true, "aud a list naming ours");

    // Refused, each saying why.
    refused(&e, &t(4), "wrong audience (aud)").await;
    refused(&e, &t(5), "wrong issuer (iss)").await;
    refused(&e, &t(6), "expired (exp)").await;
    refused(&e, &t(7), &format!("the role claim {ROLE:?} is missing")).await;
    refused(&e, &t(8), "is \"admin\", not buyer, seller, ops or edge").await;
    refused(&e, &t(9), "names several of Aforo's roles").await;
    refused(&e, &t(10), "algorithm \"none\" is not accepted here").await;
    refused(&e, &t(11), "bad signature").await; // HS256 goes to the secret, never to a public key
    refused(&e, &t(12), "bad signature").await; // a symmetric key of the set is never used
    refused(&e, &t(13), "algorithm \"RS384\" is not accepted here").await;
    refused(&e, &t(14), "key \"rsa-1\" is for RS256, not ES256").await;
    refused(&e, &t(16), "more than the 2592000 s allowed").await;
    refused(&e, &t(18), "unknown key (kid \"never-published\")").await;

    // Rotation: a key added at the provider is taken once the set is fetched again; one it
    // dropped is refused from then on.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    refused(&e, &t(15), "unknown key (kid \"rsa-2\")").await;
    idp.publish(&minted, Some(&["rsa-2", "es-1", "ed-1"]));
    let before = idp.hits();
    refused(&e, &t(15), "unknown key").await; // within a second of the last fetch: no fetch
    assert_eq!(idp.hits(), before, "refetched sooner than AFORO_JWKS_MIN_REFETCH_S");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(health(&e, &t(15)).await["jwks"]["keys"].as_array().unwrap().len(), 3, "the new key, after a refetch");
    assert_eq!(idp.hits(), before + 1);
    refused(&e, &t(0), "unknown key (kid \"rsa-1\")").await;
}

/// A token naming a made-up key `bogus-{i}`: well-formed, signed by no one.
fn bogus(i: usize) -> String {
    use base64::Engine as _;
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.c2ln", b64(format!(r#"{{"alg":"RS256","kid":"bogus-{i}"}}"#)), b64(claims("x", json!("ops")).to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_fetches_the_set_at_most_once_per_interval() {
    let _crowd = crowd().await;
    let minted = mint(&json!({"keys": [{"kid": "ed-1", "alg": "EdDSA"}], "tokens": [
        {"kind": "sign", "key": "ed-1", "claims": claims("ops-9", json!("ops"))},
    ]}));
    let idp = Idp::start();
    idp.publish(&minted, Some(&["ed-1"]));
    for (interval, flood) in [("30", Duration::from_secs(3)), ("1", Duration::from_millis(3500))] {
        let e = Env::with(Redis::start(&[]), &settings(&idp, interval));
        eventually(Duration::from_secs(10), || async {
            let a = e.api.get(minted["tokens"][0].as_str().unwrap(), "/v1/monitoring/health").await;
            if a.status == 200 {
                Ok(())
            } else {
                Err(a.body)
            }
        })
        .await;
        let before = idp.hits();
        let start = Instant::now();
        let sent = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..16)
            .map(|w| {
                let (api, sent) = (e.api.clone(), sent.clone());
                tokio::spawn(async move {
                    let mut i = w;
                    while start.elapsed() < flood {
                        let a = api.send(Method::GET, "/v1/monitoring/health", Some(&bogus(i)), None, None).await;
                        assert_eq!(a.status, 401, "{:?}", a.body);
                        assert!(a.body["detail"].as_str().unwrap().contains("unknown key"), "{:?}", a.body);
                        sent.fetch_add(1, Ordering::Relaxed);
                        i += 16;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        let (fetches, n, secs) = (idp.hits() - before, sent.load(Ordering::Relaxed), start.elapsed().as_secs_f64());
        eprintln!("AFORO_JWKS_MIN_REFETCH_S={interval}: {n} tokens of unknown kids in {secs:.1} s, {fetches} fetches");
        let most = (secs / interval.parse::<f64>().unwrap()).ceil() as usize;
        assert!(n >= 100, "the flood was {n} requests");
        assert!(fetches <= most, "{fetches} fetches in {secs:.1} s at one per {interval} s");
        if interval == "1" {
            assert!(fetches >= 2, "unknown kids do fetch again once the interval has passed: {fetches}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_only_refuses_hs256_and_needs_a_hold_id_secret() {
    let minted = mint(&json!({"keys": [{"kid": "es-1", "alg": "ES256"}], "tokens": [
        {"kind": "sign", "key": "es-1", "claims": claims("ops-9", json!("ops"))},
    ]}));
    let idp = Idp::start();
    idp.publish(&minted, Some(&["es-1"]));
    let mut vars = settings(&idp, "30");
    vars.push(("AFORO_JWT_SECRET", ""));
    // Without the secret hold ids are made under, the origin refuses to start, saying why.
    let out = std::process::Command::new(aforo_tests::harness::origin_bin()).envs(vars.iter().copied()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AFORO_HOLD_ID_SECRET"), "{}", String::from_utf8_lossy(&out.stderr));
    // Nor without an audience.
    let no_aud: Vec<_> =
        vars.iter().copied().filter(|(k, _)| *k != "AFORO_JWT_AUDIENCE").chain([("AFORO_HOLD_ID_SECRET", "hold-ids-0123456789")]).collect();
    let out = std::process::Command::new(aforo_tests::harness::origin_bin()).envs(no_aud).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AFORO_JWT_AUDIENCE"));

    vars.push(("AFORO_HOLD_ID_SECRET", "hold-ids-0123456789"));
    let e = Env::with(Redis::start(&[]), &vars);
    let ops = minted["tokens"][0].as_str().unwrap();
    let id = health(&e, ops).await;
    assert_eq!((id["hs256"].clone(), id["jwks"]["state"].clone()), (json!(false), json!("ok")), "{id}");
    refused(&e, &e.ops, "algorithm \"HS256\" is not accepted here (only RS256, ES256 and EdDSA)").await;
    // Holds work, with ids made under the hold-id secret.
    let a = e.api.put_resource(ops, "sku", &stock_doc(2)).await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let h = e.api.hold(ops, "k", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    assert_eq!(e.api.get_hold(ops, h.body["id"].as_str().unwrap()).await.status, 200);
}

/// The console's sign-in against a real OpenID provider (`oidc-provider`, tests/idp/oidc-flow.mjs:
/// the console's PKCE module, the provider's login and consent, the code exchanged), then the
/// origin verifying the id tokens it issued against the provider's own key set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_of_a_real_openid_provider_signed_in_the_consoles_way_are_accepted() {
    use std::io::BufRead;
    let mut node = std::process::Command::new("node")
        .arg(repo_root().join("tests/idp/oidc-flow.mjs"))
        .arg("http://127.0.0.1:9/console/")
        .env("ID_TOKEN_ALG", "EdDSA")
        .current_dir(repo_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("node");
    // The provider's notices come first; the result is the line of JSON.
    let mut out = std::io::BufReader::new(node.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with('{') {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "oidc-flow.mjs ended without a result");
    }
    let op: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("oidc-flow.mjs: {e}: {line:?}"));
    let tok = |login: &str| op["tokens"][login].as_str().unwrap().to_string();
    let header = jsonwebtoken::decode_header(tok("ops-3")).unwrap();
    assert_eq!((header.alg, header.kid.as_deref()), (jsonwebtoken::Algorithm::EdDSA, Some("op-ed")));
    let vars = [
        ("AFORO_JWKS_URL", op["jwks_url"].as_str().unwrap()),
        ("AFORO_JWT_ISSUER", op["issuer"].as_str().unwrap()),
        ("AFORO_JWT_AUDIENCE", op["client_id"].as_str().unwrap()),
        ("AFORO_JWT_ROLE_CLAIM", ROLE),
    ];
    let e = Env::with(Redis::start(&[]), &vars);
    let id = eventually(Duration::from_secs(10), || async {
        let id = health(&e, &e.ops).await;
        if id["jwks"]["state"] == "ok" {
            Ok(id)
        } else {
            Err(id)
        }
    })
    .await;
    assert_eq!(id["jwks"]["keys"].as_array().unwrap().len(), 3, "the provider's RS256, ES256 and EdDSA keys: {id}");
    assert_eq!(e.api.put_resource(&tok("seller-7"), "sku", &stock_doc(3)).await.status, 201);
    let h = e.api.hold(&tok("buyer-5"), "k", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    assert_eq!(e.api.get_hold(&tok("ops-3"), h.body["id"].as_str().unwrap()).await.status, 200);
    assert_eq!(e.api.put_resource(&tok("buyer-5"), "other", &stock_doc(3)).await.status, 403);
    drop(node.stdin.take());
    let _ = node.kill();
    let _ = node.wait();
}
