//! The origin's calls out over TLS: the identity provider's key set and a webhook endpoint,
//! each behind a real TLS front (rustls, a certificate of a CA made for the test) that the
//! origin trusts through `AFORO_TLS_CA_FILE` — and does not trust without it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aforo_tests::harness::Redis;
use aforo_tests::receiver::{verify, Receiver};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::common::*;
use crate::jwks::{claims, mint, settings, Idp};
use crate::webhooks::{hold, register, wait_holds, wh_env};

/// A TLS front on a loopback port for `target` (plain HTTP behind it), with a certificate for
/// `localhost` and 127.0.0.1 issued by a CA of its own, written to `ca_file`.
struct Front {
    port: u16,
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Front {
    async fn start(target: SocketAddr) -> Front {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        #[allow(deprecated)]
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(cfg));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(sock).await else { return };
                    let Ok(mut back) = TcpStream::connect(target).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut back).await;
                });
            }
        });
        Front { port, ca_file, _dir: dir }
    }
}

fn addr_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    rest.split('/').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_providers_keys_are_fetched_over_https_from_a_trusted_ca_only() {
    let minted = mint(&json!({"keys": [{"kid": "ed-1", "alg": "EdDSA"}], "tokens": [
        {"kind": "sign", "key": "ed-1", "claims": claims("ops-9", json!("ops"))},
    ]}));
    let idp = Idp::start();
    idp.publish(&minted, Some(&["ed-1"]));
    let front = Front::start(addr_of(&idp.url)).await;
    let https = format!("https://localhost:{}/jwks", front.port);
    let ca = front.ca_file.to_str().unwrap().to_string();
    let tok = minted["tokens"][0].as_str().unwrap().to_string();
    let trusted = Env::with(
        Redis::start(&[]),
        &[settings(&idp, "1"), vec![("AFORO_JWKS_URL", https.as_str()), ("AFORO_TLS_CA_FILE", ca.as_str())]].concat(),
    );
    eventually(Duration::from_secs(15), || async {
        let a = trusted.api.get(&tok, "/v1/monitoring/health").await;
        if a.status == 200 {
            Ok(())
        } else {
            Err(a.body)
        }
    })
    .await;
    // Without the CA the provider's certificate is not trusted: its keys never load.
    let untrusted = Env::with(Redis::start(&[]), &[settings(&idp, "1"), vec![("AFORO_JWKS_URL", https.as_str())]].concat());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a = untrusted.api.get(&tok, "/v1/monitoring/health").await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    let h = untrusted.api.get(&untrusted.ops, "/v1/monitoring/health").await;
    let err = h.body["identity"].to_string();
    assert!(err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_delivered_over_https_to_a_trusted_endpoint() {
    let r = Receiver::start();
    let front = Front::start(addr_of(&r.url)).await;
    let path = r.url.split_once("://").unwrap().1.split_once('/').map_or("", |(_, p)| p).to_string();
    let https = format!("https://localhost:{}/{path}", front.port);
    let ca = front.ca_file.to_str().unwrap().to_string();
    let e = wh_env(&[("AFORO_TLS_CA_FILE", ca.as_str())]);
    create(&e, "room", &slots_doc(6)).await;
    let a = register(&e, &e.seller, &https, &["hold.created"], Some(&["room"])).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_string();
    let h = hold(&e, 1, &day(2)).await;
    wait_holds(&r, std::slice::from_ref(&h), 15).await;
    let verdicts = verify(&secret, &r.all());
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
}
