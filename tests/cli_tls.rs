//! A FIX session over TLS end to end: `ringfix acceptor` and `ringfix
//! initiator` with `SocketUseSSL=Y`, mutual authentication
//! (`CertificateVerifyLevel=2`) and certificates generated here.

mod runtime_support;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtime_support::{connect, free_port, now_fix, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

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

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
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
    let ca_file = write(d, "ca.pem", &ca.0.pem());
    let (server_pem, server_key) = leaf("exec.test", ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let (client_pem, client_key) = leaf("orders.test", ExtendedKeyUsagePurpose::ClientAuth, &ca);
    let server_pem = write(d, "server.pem", &server_pem);
    let server_key = write(d, "server.key", &server_key);
    let client_pem = write(d, "client.pem", &client_pem);
    let client_key = write(d, "client.key", &client_key);
    let port = free_port();
    let acc = write(
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
    let ini = write(
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
    let mut acceptor = Command::new(BIN)
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(&acc)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    let _ = Command::new("kill")
        .args(["-TERM", &acceptor.id().to_string()])
        .status();
    assert_eq!(wait_exit(&mut acceptor, Duration::from_secs(10)), Some(0));
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
