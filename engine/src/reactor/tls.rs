//! TLS settings for listeners and connections (rustls 0.23, `ring` provider).
//!
//! Built from the QuickFIX keys parsed into [`TlsSettings`]:
//! `ServerCertificateFile`/`ServerCertificateKeyFile` (acceptor),
//! `ClientCertificateFile`/`ClientCertificateKeyFile` (initiator),
//! `CertificateAuthoritiesFile`/`...Directory`, `CertificateVerifyLevel`
//! (or QuickFIX/J's `NeedClientAuth`), `SSLServerName`, the versions and
//! cipher suites (`SSLProtocol`/`EnabledProtocols`,
//! `SSLCipherSuite`/`CipherSuites`: the provider is cut down to them),
//! `UseSNI`/`SNIHostName`, `SSLValidateCertificates`, and revocation
//! against CRLs (`CertificateRevocationListFile`/`...Directory`,
//! `SSLCheckCertificateRevocation`; the end entity's status is checked and
//! an unknown status is refused), and `EndpointIdentificationAlgorithm`
//! (QuickFIX/J: `HTTPS`, the default, checks the server's host name; empty
//! verifies its certificate without the name).
//!
//! `CertificateVerifyLevel` on an acceptor: 0 = no client certificate asked,
//! 1 = verified if the client sends one, 2 = required and verified. On an
//! initiator the server always sends a certificate: it is verified whenever
//! `CertificateAuthoritiesFile` is set (any level; safer than QuickFIX, which
//! skips the check at 0), and level 0 without a CA file is the only way to
//! skip verification (logged as a warning).

use crate::config::{suite_speaks, TlsSettings, TlsVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme, SupportedProtocolVersion,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a handshake may take unless set otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Building a TLS configuration failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A PEM file could not be read or parsed.
    #[error("{what} {path}: {message}")]
    Pem {
        /// Which setting the file came from.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A required setting is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The name to check in the server certificate is not a DNS name or IP address.
    #[error("invalid SSLServerName {0:?}")]
    ServerName(String),
    /// rustls refused the certificates or keys.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
    /// The verifier could not be built (for example an empty CA file).
    #[error("certificate verifier: {0}")]
    Verifier(String),
    /// A setting cannot be honoured as written.
    #[error("{key}: {message}")]
    Setting {
        /// The key.
        key: &'static str,
        /// Why.
        message: String,
    },
}

/// TLS for an accepting listener: pass to [`crate::reactor::Remote::add_tls_listener`].
#[derive(Clone, Debug)]
pub struct TlsServer {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) handshake_timeout: Duration,
}

/// TLS for one outgoing connection: pass to [`crate::reactor::Remote::connect_tls`].
#[derive(Clone, Debug)]
pub struct TlsClient {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) handshake_timeout: Duration,
}

/// The provider with the cipher suites of `SSLCipherSuite`/`CipherSuites`
/// (in their order), and the versions of `SSLProtocol`/`EnabledProtocols`
/// that have a suite left.
fn configured(
    settings: &TlsSettings,
) -> Result<(Arc<CryptoProvider>, Vec<&'static SupportedProtocolVersion>), TlsConfigError> {
    let mut p = rustls::crypto::ring::default_provider();
    if let Some(codes) = &settings.cipher_suites {
        let mut chosen = Vec::with_capacity(codes.len());
        for &code in codes {
            let suite = p
                .cipher_suites
                .iter()
                .find(|s| u16::from(s.suite()) == code)
                .ok_or(TlsConfigError::Setting {
                    key: "CipherSuites",
                    message: format!("cipher suite {code:#06x} is not one rustls offers"),
                })?;
            chosen.push(*suite);
        }
        p.cipher_suites = chosen;
    }
    let wanted = settings
        .protocols
        .clone()
        .unwrap_or(vec![TlsVersion::Tls12, TlsVersion::Tls13]);
    let versions: Vec<&'static SupportedProtocolVersion> = wanted
        .iter()
        .filter(|v| {
            p.cipher_suites
                .iter()
                .any(|s| suite_speaks(u16::from(s.suite()), **v))
        })
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect();
    if versions.is_empty() {
        return Err(TlsConfigError::Setting {
            key: "SSLCipherSuite",
            message: "no cipher suite left for the TLS versions allowed".into(),
        });
    }
    Ok((Arc::new(p), versions))
}

impl TlsServer {
    /// Wraps a rustls server configuration.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self {
            config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// The acceptor side of `settings`: certificate and key, and client
    /// certificate checks by `CertificateVerifyLevel`.
    pub fn from_settings(settings: &TlsSettings) -> Result<Self, TlsConfigError> {
        let cert_file = settings
            .server_certificate_file
            .as_deref()
            .ok_or(TlsConfigError::Missing("ServerCertificateFile"))?;
        let key_file = settings
            .server_certificate_key_file
            .as_deref()
            .unwrap_or(cert_file);
        let chain = load_certs("ServerCertificateFile", cert_file)?;
        let key = load_key("ServerCertificateKeyFile", key_file)?;
        let (provider, versions) = configured(settings)?;
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)?;
        let builder = if settings.verify_level == 0 {
            builder.with_no_client_auth()
        } else {
            let roots = load_roots(settings)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = if settings.verify_level == 1 {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = match load_crls(settings)? {
                Some(crls) => verifier.with_crls(crls).only_check_end_entity_revocation(),
                None => verifier,
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsConfigError::Verifier(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        };
        Ok(Self::new(Arc::new(builder.with_single_cert(chain, key)?)))
    }

    /// Sets how long the handshake may take after accept.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }
}

impl TlsClient {
    /// Wraps a rustls client configuration; `server_name` is sent as SNI and
    /// checked against the server's certificate.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        Self {
            config,
            server_name,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// The initiator side of `settings`; `connect_host` (`SocketConnectHost`)
    /// is the name checked unless `SSLServerName` is set.
    pub fn from_settings(
        settings: &TlsSettings,
        connect_host: &str,
    ) -> Result<Self, TlsConfigError> {
        let name = settings.server_name.as_deref().unwrap_or(connect_host);
        let checked = ServerName::try_from(name.to_owned())
            .map_err(|_| TlsConfigError::ServerName(name.to_owned()))?;
        // UseSNI / SNIHostName (QuickFIX/J): the name sent may differ from
        // the name checked in the certificate.
        let sent = match settings.sni_host_name.as_deref() {
            Some(sni) if settings.use_sni != Some(false) && sni != name => Some(
                ServerName::try_from(sni.to_owned())
                    .map_err(|_| TlsConfigError::ServerName(sni.to_owned()))?,
            ),
            _ => None,
        };
        let (provider, versions) = configured(settings)?;
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)?;
        let has_roots = settings.certificate_authorities_file.is_some()
            || settings.certificate_authorities_directory.is_some();
        let builder = if settings.skip_certificate_validation {
            tracing::warn!(
                server = name,
                "SSLValidateCertificates=N: the server certificate is not verified"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoServerVerification(provider)))
        } else if has_roots {
            let verifier =
                WebPkiServerVerifier::builder_with_provider(load_roots(settings)?, provider);
            let verifier = match load_crls(settings)? {
                Some(crls) => verifier.with_crls(crls).only_check_end_entity_revocation(),
                None => verifier,
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsConfigError::Verifier(e.to_string()))?;
            if sent.is_some() || settings.skip_host_name_check {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(CheckName {
                        inner: verifier,
                        name: checked.clone(),
                        check_name: !settings.skip_host_name_check,
                    }))
            } else {
                builder.with_webpki_verifier(verifier)
            }
        } else if settings.verify_level == 0 {
            tracing::warn!(
                server = name,
                "CertificateVerifyLevel=0 and no CertificateAuthoritiesFile: the server certificate is not verified"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoServerVerification(provider)))
        } else {
            return Err(TlsConfigError::Missing("CertificateAuthoritiesFile"));
        };
        let config = match settings.client_certificate_file.as_deref() {
            Some(cert_file) => {
                let key_file = settings
                    .client_certificate_key_file
                    .as_deref()
                    .unwrap_or(cert_file);
                let chain = load_certs("ClientCertificateFile", cert_file)?;
                let key = load_key("ClientCertificateKeyFile", key_file)?;
                builder.with_client_auth_cert(chain, key)?
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = config;
        config.enable_sni = settings.use_sni != Some(false);
        Ok(Self::new(Arc::new(config), sent.unwrap_or(checked)))
    }

    /// Sets how long the handshake may take after the TCP connect.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }
}

fn pem_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(String) -> TlsConfigError + 'a {
    move |message| TlsConfigError::Pem {
        what,
        path: path.to_owned(),
        message,
    }
}

/// Every certificate in a PEM file (a chain: leaf first).
pub fn load_certs(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_err(what, path)(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(what, path)(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err(what, path)("no CERTIFICATE in the file".into()));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(what: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_err(what, path)(e.to_string()))
}

/// The trusted CAs: `CertificateAuthoritiesFile` and every certificate in
/// the files of `CertificateAuthoritiesDirectory` (OpenSSL's hashed
/// directory layout works: each file is read, whatever its name).
fn load_roots(settings: &TlsSettings) -> Result<Arc<RootCertStore>, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    let mut add = |what: &'static str, path: &Path, certs: Vec<CertificateDer<'static>>| {
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| pem_err(what, path)(e.to_string()))?;
        }
        Ok::<_, TlsConfigError>(())
    };
    if let Some(path) = settings.certificate_authorities_file.as_deref() {
        add(
            "CertificateAuthoritiesFile",
            path,
            load_certs("CertificateAuthoritiesFile", path)?,
        )?;
    }
    if let Some(dir) = settings.certificate_authorities_directory.as_deref() {
        const WHAT: &str = "CertificateAuthoritiesDirectory";
        for path in dir_files(WHAT, dir)? {
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| pem_err(WHAT, &path)(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_err(WHAT, &path)(e.to_string()))?;
            add(WHAT, &path, certs)?;
        }
    }
    if roots.is_empty() {
        return Err(TlsConfigError::Missing("CertificateAuthoritiesFile"));
    }
    Ok(Arc::new(roots))
}

/// The regular files of `dir`, sorted.
fn dir_files(what: &'static str, dir: &Path) -> Result<Vec<PathBuf>, TlsConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| pem_err(what, dir)(e.to_string()))?;
    let mut files = Vec::new();
    for e in entries {
        let path = e.map_err(|e| pem_err(what, dir)(e.to_string()))?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The CRLs to check against (`CertificateRevocationListFile`, every PEM
/// CRL in the files of `CertificateRevocationListDirectory`), unless
/// revocation checks are off.
fn load_crls(
    settings: &TlsSettings,
) -> Result<Option<Vec<CertificateRevocationListDer<'static>>>, TlsConfigError> {
    if !settings.checks_revocation() {
        return Ok(None);
    }
    let mut crls = Vec::new();
    let mut read = |what: &'static str, path: &Path| {
        let found = CertificateRevocationListDer::pem_file_iter(path)
            .map_err(|e| pem_err(what, path)(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_err(what, path)(e.to_string()))?;
        crls.extend(found);
        Ok::<_, TlsConfigError>(())
    };
    if let Some(path) = settings.certificate_revocation_list_file.as_deref() {
        read("CertificateRevocationListFile", path)?;
    }
    if let Some(dir) = settings.certificate_revocation_list_directory.as_deref() {
        const WHAT: &str = "CertificateRevocationListDirectory";
        for path in dir_files(WHAT, dir)? {
            read(WHAT, &path)?;
        }
    }
    if crls.is_empty() {
        return Err(TlsConfigError::Setting {
            key: "CertificateRevocationListFile",
            message: "no X509 CRL found in the revocation list file or directory".into(),
        });
    }
    Ok(Some(crls))
}

/// Verifies the server certificate against `name` whatever server name was
/// sent (`SNIHostName` differing from the checked name), or verifies it
/// without its name (`EndpointIdentificationAlgorithm` empty: webpki checks
/// the name last, after the chain and revocation, so only a name mismatch
/// is forgiven).
#[derive(Debug)]
struct CheckName {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
    check_name: bool,
}

impl ServerCertVerifier for CheckName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            &self.name,
            ocsp_response,
            now,
        );
        match verified {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any server certificate but still checks the handshake signatures
/// (`CertificateVerifyLevel=0` without a CA file).
#[derive(Debug)]
struct NoServerVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Whether an acceptor session uses TLS: `SocketUseSSL=Y`, or a
/// `ServerCertificateFile` is set (as QuickFIX C++).
pub fn acceptor_uses_tls(settings: &TlsSettings) -> bool {
    settings.enabled || settings.server_certificate_file.is_some()
}

/// Why TLS closed a connection (inside [`crate::reactor::CloseReason::Tls`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The handshake did not finish before its deadline (for example a
    /// plaintext client that waits on a TLS port).
    HandshakeTimeout,
    /// We refused the peer's certificate (unknown issuer, expired, wrong name...).
    BadPeerCertificate(String),
    /// The peer sent no certificate although one is required.
    NoPeerCertificate,
    /// The peer refused the handshake or the session with a fatal alert.
    AlertReceived(String),
    /// Any other TLS error (for example plaintext bytes on a TLS port).
    Protocol(String),
}

impl From<&rustls::Error> for TlsFailure {
    fn from(e: &rustls::Error) -> Self {
        match e {
            rustls::Error::InvalidCertificate(_) => Self::BadPeerCertificate(e.to_string()),
            rustls::Error::NoCertificatesPresented => Self::NoPeerCertificate,
            rustls::Error::AlertReceived(a) => Self::AlertReceived(format!("{a:?}")),
            other => Self::Protocol(other.to_string()),
        }
    }
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HandshakeTimeout => f.write_str("TLS handshake timed out"),
            Self::BadPeerCertificate(m) => write!(f, "TLS: peer certificate refused: {m}"),
            Self::NoPeerCertificate => f.write_str("TLS: the peer sent no certificate"),
            Self::AlertReceived(a) => write!(f, "TLS: the peer refused us: alert {a}"),
            Self::Protocol(m) => write!(f, "TLS: {m}"),
        }
    }
}
