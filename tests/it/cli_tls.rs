//! A FIX session over TLS end to end: `ringfix acceptor` and `ringfix
//! initiator` with `SocketUseSSL=Y`, mutual authentication
//! (`CertificateVerifyLevel=2`) and certificates generated here.

use crate::runtime_support;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::process::{Command, Stdio};
use std::time::Duration;

use runtime_support::{
    connect, free_port, now_fix, spawn_exec_acceptor, terminate, wait_exit, write_file, Peer,
};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

fn leaf(
    name: &str,
    purpose: ExtendedKeyUsagePurpose,
    ca: &(Certificate, KeyPair),
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![name.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.extended_key_usages = vec![purpose];
    let cert = p.signed_by(&key, &ca.0, &ca.1).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn orders_flow_between_ringfix_acceptor_and_initiator_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ringfix e2e CA");
    let ca = (ca_params.self_signed(&ca_key).unwrap(), ca_key);
    let ca_file = write_file(d, "ca.pem", &ca.0.pem());
    let (server_pem, server_key) = leaf("exec.test", ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let (client_pem, client_key) = leaf("orders.test", ExtendedKeyUsagePurpose::ClientAuth, &ca);
    let server_pem = write_file(d, "server.pem", &server_pem);
    let server_key = write_file(d, "server.key", &server_key);
    let client_pem = write_file(d, "client.pem", &client_pem);
    let client_key = write_file(d, "client.key", &client_key);
    let port = free_port();
    let acc = write_file(
        d,
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketUseSSL=Y\n\
             ServerCertificateFile={}\nServerCertificateKeyFile={}\n\
             CertificateAuthoritiesFile={}\nCertificateVerifyLevel=2\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
            server_pem.display(),
            server_key.display(),
            ca_file.display()
        ),
    );
    let ini = write_file(
        d,
        "initiator.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             ReconnectInterval=1\nSocketUseSSL=Y\nClientCertificateFile={}\n\
             ClientCertificateKeyFile={}\nCertificateAuthoritiesFile={}\n\
             CertificateVerifyLevel=2\nSSLServerName=exec.test\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
            client_pem.display(),
            client_key.display(),
            ca_file.display()
        ),
    );
    let mut acceptor = spawn_exec_acceptor(&acc);
    // A plaintext logon on the TLS port gets no FIX answer, only a close.
    let mut plain = Peer::new(connect(port, Duration::from_secs(10)));
    plain.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (answers, closed) = plain.read_to_eof(Duration::from_secs(5));
    assert!(answers.is_empty() && closed, "{answers:?} closed={closed}");
    let mut initiator = Command::new(BIN)
        .args([
            "initiator",
            "--app",
            "orders",
            "--count",
            "300",
            "--rate",
            "2000",
            "--json",
        ])
        .arg("--config")
        .arg(&ini)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = wait_exit(&mut initiator, Duration::from_secs(30));
    let out = initiator.wait_with_output().unwrap();
    assert_eq!(terminate(&mut acceptor), Some(0));
    assert_eq!(
        code,
        Some(0),
        "initiator stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["orders_sent"], 300);
    assert_eq!(v["orders_filled"], 300);
    assert_eq!(v["messages_received"], 302);
}
