//! Who may do what: tokens missing, malformed, expired, signed with another secret, not valid
//! yet, living for centuries or sent twice are 401; roles and ownership are 403.

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, SECRET};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_is_401_with_problem_json() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let body = Some(br#"{"resource_id":"sku","qty":1}"#.to_vec());
    let expired = aforo_origin::auth::sign(SECRET.as_bytes(), "b", aforo_origin::auth::Role::Buyer, 1_000_000).unwrap();
    let other_secret = aforo_origin::auth::sign(b"another-secret-0123456789", "b", aforo_origin::auth::Role::Buyer, 4_000_000_000).unwrap();
    for tok in [None, Some("not-a-jwt"), Some(expired.as_str()), Some(other_secret.as_str())] {
        let a = e.api.send(Method::POST, "/v1/holds", tok, Some("k"), body.clone()).await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "UNAUTHENTICATED"), "{tok:?}");
        assert_eq!(a.content_type, "application/problem+json");
        assert_eq!(a.body["type"], "/problems/unauthenticated");
    }
    let raw = e.api.send(Method::GET, "/v1/resources/sku", None, None, None).await;
    assert_eq!(raw.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_is_403_for_roles_and_ownership() {
    let e = env();
    create(&e, "sku", &stock_doc(5)).await;
    let other_seller = token("seller-2", "seller");
    let checks = [
        (Method::PUT, "/v1/resources/x", e.buyer.clone(), Some(stock_doc(1).to_string())),
        (Method::GET, "/v1/resources/sku", other_seller.clone(), None),
        (Method::PUT, "/v1/resources/sku", other_seller.clone(), Some(stock_doc(1).to_string())),
        (Method::POST, "/v1/resources/sku/stock", other_seller.clone(), Some(r#"{"set":9}"#.into())),
        (Method::POST, "/v1/resources/sku/pause", other_seller.clone(), Some("{}".into())),
        (Method::POST, "/v1/holds", e.seller.clone(), Some(r#"{"resource_id":"sku","qty":1}"#.into())),
        (Method::GET, "/v1/resources/sku/snapshot", e.buyer.clone(), None),
        (Method::POST, "/v1/stock/validate", token("e", "edge"), Some(r#"{"items":[]}"#.into())),
    ];
    for (m, path, tok, body) in checks {
        let a = e.api.send(m.clone(), path, Some(&tok), Some("k"), body.map(String::into_bytes)).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "FORBIDDEN"), "{m} {path}: {:?}", a.body);
    }
    // A buyer cannot see or touch another buyer's hold; ops can.
    let h = e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 1})).await;
    let id = h.body["id"].as_str().unwrap();
    let stranger = token("buyer-2", "buyer");
    assert_eq!(e.api.get_hold(&stranger, id).await.status, 403);
    assert_eq!(e.api.release(&stranger, id).await.status, 403);
    assert_eq!(e.api.get_hold(&e.ops, id).await.status, 200);
    // The owner can read its resource; ops can change anyone's.
    assert_eq!(e.api.send(Method::GET, "/v1/resources/sku", Some(&e.seller), None, None).await.status, 200);
    assert_eq!(e.api.stock(&e.ops, "sku", &json!({"delta": 1})).await.status, 200);
    assert_eq!(e.api.send(Method::GET, "/v1/resources/sku/snapshot", Some(&token("edge-1", "edge")), None, None).await.status, 200);
}

fn signed(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_valid_yet_or_living_for_centuries_are_refused() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let now = chrono::Utc::now().timestamp();
    let century = 100 * 365 * 86_400;
    let claims = |extra: Value| {
        let mut c = json!({"sub": "seller-1", "role": "seller", "exp": now + 3600});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    };
    let refused = [
        ("nbf in an hour", claims(json!({"nbf": now + 3600}))),
        ("iat in an hour", claims(json!({"iat": now + 3600}))),
        ("a century from iat", claims(json!({"iat": now, "exp": now + century}))),
        ("a century from now", claims(json!({"exp": now + century}))),
        ("issued long ago, valid an hour more", claims(json!({"iat": now - 400 * 86_400}))),
    ];
    for (what, c) in refused {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "UNAUTHENTICATED"), "{what}: {:?}", a.body);
        assert_human(a.body["detail"].as_str().unwrap());
    }
    let accepted = [
        ("plain", claims(json!({}))),
        ("iat and nbf now", claims(json!({"iat": now, "nbf": now}))),
        ("a clock 10 s ahead", claims(json!({"iat": now + 10, "nbf": now + 10}))),
        ("a week", claims(json!({"iat": now, "exp": now + 7 * 86_400}))),
    ];
    for (what, c) in accepted {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!(a.status, 200, "{what}: {:?}", a.body);
    }
    // The configured lifetime is the limit.
    let strict = Origin::start_with(&e.redis.url(), &[("AFORO_JWT_MAX_LIFETIME_S", "600")]);
    let api = Api::new(&strict.url());
    assert_eq!(api.get(&signed(&claims(json!({"iat": now}))), "/v1/resources/sku").await.status, 401);
    assert_eq!(api.get(&signed(&claims(json!({"iat": now, "exp": now + 300}))), "/v1/resources/sku").await.status, 200);
    // Malformed claims are refused in words, not in library Debug output.
    for c in [json!({"sub": "s", "role": "admin", "exp": now + 60}), json!({"sub": 5, "role": "ops", "exp": now + 60})] {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!(a.status, 401);
        assert_human(a.body["detail"].as_str().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorization_headers_are_refused() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let http = aforo_tests::client::http().build().unwrap();
    for (a, b) in [(e.ops.clone(), e.seller.clone()), (e.seller.clone(), e.seller.clone()), (e.seller.clone(), "junk".to_string())] {
        let r = http
            .get(format!("{}/v1/resources/sku", e.origin.url()))
            .header("authorization", format!("Bearer {a}"))
            .header("authorization", format!("Bearer {b}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "UNAUTHENTICATED");
    }
    assert_eq!(e.api.get(&e.seller, "/v1/resources/sku").await.status, 200);
}
