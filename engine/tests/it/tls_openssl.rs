//! Interop: `openssl s_client` (OpenSSL, not rustls) logs on over TLS with
//! a client certificate to a reactor TLS listener and gets its FIX bytes back.

use crate::tls_support;

use ringfix_engine::reactor::{Mode, ReactorConfig, TlsServer};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;
use tls_support::*;

fn openssl_present() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn openssl_s_client_exchanges_fix_with_a_reactor_tls_listener() {
    if !openssl_present() {
        eprintln!("SKIPPED: openssl is not installed (command -v openssl found nothing)");
        return;
    }
    let _g = serial();
    with_timeout(60, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 2)).unwrap();
        let acc = shared();
        let cfg = ReactorConfig {
            mode: Mode::Block,
            max_connections: 4,
            ..ReactorConfig::default()
        };
        let (r, addr) = echo_listener(cfg, server, &acc, None);
        let mut child = Command::new("openssl")
            .args(["s_client", "-quiet", "-connect", &addr.to_string()])
            .args(["-servername", "localhost", "-verify_return_error"])
            .arg("-CAfile")
            .arg(&p.ca)
            .arg("-cert")
            .arg(&p.client_cert)
            .arg("-key")
            .arg(&p.client_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logon = fix_message(b"A", 1, "openssl");
        child.stdin.as_mut().unwrap().write_all(&logon).unwrap();
        child.stdin.as_mut().unwrap().flush().unwrap();
        // Read until the echo is complete (s_client prints what it receives).
        let mut out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let want = logon.len();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while got.len() < want {
                match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(got);
        });
        let got = rx.recv_timeout(Duration::from_secs(20));
        let _ = child.kill();
        let status = child.wait_with_output().unwrap();
        let got = got.unwrap_or_else(|_| {
            panic!(
                "no echo from the reactor; s_client stderr: {}",
                String::from_utf8_lossy(&status.stderr)
            )
        });
        assert_eq!(
            got,
            logon,
            "s_client stderr: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(acc.lock().unwrap().frames, vec![logon]);
        assert!(acc.lock().unwrap().opened);
        r.stop().unwrap();
        r.join().unwrap();
    });
}
