//! Certificates for `latency --tls`: a throwaway CA and a server
//! certificate for the acceptor, written as PEM files, and the config keys
//! (QuickFIX C++ names) that turn TLS on for each side.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

const SERVER_NAME: &str = "exec.bench";

/// PEM files of one run.
pub struct TlsFiles {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TlsFiles {
    /// Generates the CA and the acceptor's certificate into `dir`.
    pub fn generate(dir: &Path) -> Result<Self, String> {
        let err = |e: rcgen::Error| format!("certificate generation: {e}");
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ringfix-bench CA");
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::new(vec![SERVER_NAME.to_string()]).map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, SERVER_NAME);
        let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
        let files = Self {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        };
        for (path, text) in [
            (&files.ca, ca_cert.pem()),
            (&files.cert, cert.pem()),
            (&files.key, key.serialize_pem()),
        ] {
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(files)
    }

    /// Keys for the acceptor's `[DEFAULT]` section.
    pub fn acceptor_keys(&self) -> String {
        format!(
            "SocketUseSSL=Y\nServerCertificateFile={}\nServerCertificateKeyFile={}\n\
             CertificateVerifyLevel=0\n",
            self.cert.display(),
            self.key.display()
        )
    }

    /// Keys for the initiator's `[DEFAULT]` section: verify the acceptor
    /// against the CA, by name.
    pub fn initiator_keys(&self) -> String {
        format!(
            "SocketUseSSL=Y\nCertificateAuthoritiesFile={}\nSSLServerName={SERVER_NAME}\n",
            self.ca.display()
        )
    }
}
