//! Transport keys beside the socket options: the transport
//! (`SocketConnectProtocol`/`SocketAcceptProtocol`), urgent data
//! (`SocketOobInline`), write timeouts (`SocketSynchronousWrites`,
//! `SocketSynchronousWriteTimeout`), TLS 1.3 suites (`TLSCipherSuites`)
//! and the server name check (`EndpointIdentificationAlgorithm`).

use super::super::error::ConfigError;
use super::super::settings::{NetworkSettings, TlsSettings};
use super::super::tls;
use super::super::value::{self, Expected};
use super::Reader;

/// `SocketConnectProtocol` / `SocketAcceptProtocol` (QuickFIX/J): TCP
/// (QuickFIX/J also says SOCKET). QuickFIX/J's in-process VM_PIPE and its
/// PROXY transport have no equivalent: refused rather than run over TCP.
fn protocol(v: &str) -> Result<(), Expected> {
    match v.to_ascii_uppercase().as_str() {
        "TCP" | "SOCKET" => Ok(()),
        "VM_PIPE" | "VM" => Err("TCP (VM_PIPE is QuickFIX/J's in-process transport: \
             ringfix has none; run both ends over loopback TCP)"),
        "PROXY" => Err("TCP (ringfix does not connect through proxies)"),
        _ => Err("TCP"),
    }
}

/// The protocol keys (numbered failovers too), `SocketOobInline` and the
/// synchronous write keys.
pub(super) fn socket(r: &Reader<'_>, n: &mut NetworkSettings) -> Result<(), ConfigError> {
    for e in &r.section.entries {
        let canonical = e.key.canonical;
        if canonical == "SocketConnectProtocol" || canonical == "SocketAcceptProtocol" {
            r.parse(e, protocol)?;
        }
    }
    r.set("SocketOobInline", &mut n.oob_inline, value::boolean)?;
    r.set(
        "SocketSynchronousWrites",
        &mut n.synchronous_writes,
        value::boolean,
    )?;
    r.set(
        "SocketSynchronousWriteTimeout",
        &mut n.synchronous_write_timeout,
        value::millis,
    )?;
    Ok(())
}

/// `TLSCipherSuites` (QuickFIX C++ 1.16, OpenSSL's TLS 1.3 list): replaces
/// the TLS 1.3 suites and keeps the TLS 1.2 ones `SSLCipherSuite` chose
/// (all of rustls' when it is not set). `CipherSuites` (JSSE) names the
/// TLS 1.3 suites itself: both is a contradiction.
pub(super) fn tls13_suites(
    r: &Reader<'_>,
    t: &mut TlsSettings,
    cipher_suites_set: bool,
) -> Result<(), ConfigError> {
    let Some(tls13) = r.get("TLSCipherSuites", tls::tls13_cipher_suites)? else {
        return Ok(());
    };
    if cipher_suites_set {
        return Err(r.contradiction(
            "TLSCipherSuites",
            "CipherSuites names the TLS 1.3 suites too: set one of them",
        ));
    }
    let tls12: Vec<u16> = match &t.cipher_suites {
        Some(codes) => codes
            .iter()
            .copied()
            .filter(|c| tls::suite_speaks(*c, tls::TlsVersion::Tls12))
            .collect(),
        None => tls::tls12_suites(),
    };
    let mut all = tls13;
    all.extend(tls12);
    t.cipher_suites = Some(all);
    Ok(())
}

/// `EndpointIdentificationAlgorithm` (QuickFIX/J, initiator): `HTTPS`
/// checks the server's host name against its certificate (the default);
/// empty does not (the certificate is still verified).
pub(super) fn endpoint_identification(
    r: &Reader<'_>,
    t: &mut TlsSettings,
) -> Result<(), ConfigError> {
    let check = r.get("EndpointIdentificationAlgorithm", |v| {
        if v.is_empty() {
            Ok(false)
        } else if v.eq_ignore_ascii_case("HTTPS") {
            Ok(true)
        } else {
            Err("HTTPS (check the server's host name) or empty (do not)")
        }
    })?;
    if let Some(check) = check {
        t.skip_host_name_check = !check;
    }
    Ok(())
}
