//! Who the TLS peer's certificate says it is: its subject and subject
//! alternative names, handed to the handler when the handshake completes
//! (for Logon authentication by certificate). Parsed once per connection,
//! off the message path.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The identity in a peer's end-entity certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerCertificate {
    /// The subject's distinguished name, RFC 4514 style
    /// (`CN=desk1, O=Client Ltd`).
    pub subject: String,
    /// The subject alternative names, each with its kind: `DNS:host`,
    /// `IP:10.0.0.1`, `email:a@b`, `URI:spiffe://...`, `DirName:...`,
    /// `other` for kinds without a text form.
    pub sans: Vec<String>,
}

impl PeerCertificate {
    /// Reads a DER certificate; `None` if it does not parse (rustls has
    /// accepted it by then, so only an unusual encoding gets here).
    pub fn from_der(der: &[u8]) -> Option<Self> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let subject = cert.subject().to_string();
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for name in &ext.value.general_names {
                sans.push(match name {
                    GeneralName::DNSName(d) => format!("DNS:{d}"),
                    GeneralName::RFC822Name(e) => format!("email:{e}"),
                    GeneralName::URI(u) => format!("URI:{u}"),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    GeneralName::DirectoryName(n) => format!("DirName:{n}"),
                    _ => "other".to_owned(),
                });
            }
        }
        Some(Self { subject, sans })
    }
}

fn ip_text(bytes: &[u8]) -> String {
    let ip = match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    };
    ip.map_or_else(|| "IP:?".to_owned(), |ip| format!("IP:{ip}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_every_kind_of_san() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["desk1.client.test".to_owned()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "desk1");
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, "Client Ltd");
        p.subject_alt_names
            .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
                127, 0, 0, 7,
            ])));
        p.subject_alt_names.push(rcgen::SanType::Rfc822Name(
            "ops@client.test".try_into().unwrap(),
        ));
        p.subject_alt_names.push(rcgen::SanType::URI(
            "spiffe://client/desk1".try_into().unwrap(),
        ));
        let cert = p.self_signed(&key).unwrap();
        let id = PeerCertificate::from_der(cert.der()).unwrap();
        assert_eq!(id.subject, "CN=desk1, O=Client Ltd");
        assert_eq!(
            id.sans,
            [
                "DNS:desk1.client.test",
                "IP:127.0.0.7",
                "email:ops@client.test",
                "URI:spiffe://client/desk1"
            ]
        );
        assert_eq!(PeerCertificate::from_der(b"not a certificate"), None);
    }
}
