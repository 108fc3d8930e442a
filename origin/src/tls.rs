//! TLS for the calls the origin makes (the identity provider's key set, webhook endpoints):
//! rustls on ring, trusting the public web's roots (webpki-roots) and, when
//! `AFORO_TLS_CA_FILE` names one, an internal CA besides.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Installs ring as the process's TLS provider (reqwest's rustls asks for one when a client
/// is built without a configuration of its own); a second call does nothing.
pub fn install() {
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client configuration trusting the public roots and the certificates of `extra` (PEM).
pub fn client_config(extra: Option<&Path>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = extra {
        let mut n = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("AFORO_TLS_CA_FILE {}: {e}", path.display()))? {
            let cert = cert.map_err(|e| format!("AFORO_TLS_CA_FILE {}: {e}", path.display()))?;
            roots.add(cert).map_err(|e| format!("AFORO_TLS_CA_FILE {}: {e}", path.display()))?;
            n += 1;
        }
        if n == 0 {
            return Err(format!("AFORO_TLS_CA_FILE {}: no certificate in it", path.display()));
        }
    }
    // ring, not aws-lc-rs (which needs cmake to build): no post-quantum key exchange yet.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
