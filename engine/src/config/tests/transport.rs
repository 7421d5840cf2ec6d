//! The socket and TLS keys (issue 31): value syntax and the
//! contradictions that are start-up errors naming the key.

use std::time::Duration;

use crate::config::*;

fn parse(text: &str) -> Result<EngineConfig, ConfigError> {
    EngineConfig::parse(text, "sessions.cfg")
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const INITIATOR: &str = "\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=30
StartTime=00:00:00
EndTime=00:00:00

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=9876
";

#[test]
fn socket_option_values_as_quickfix_writes_them() {
    let cfg = parse(&format!(
        "{INITIATOR}SocketSendBufferSize=0\nSocketReceiveBufferSize=4096\nSocketLinger=-1\n\
         SocketTrafficClass=0x10\nSocketConnectTimeout=3\nSocketLocalHost=10.1.1.1\n\
         SocketConnectHost1=10.0.0.9\nSocketConnectPort1=1\nSocketLocalPort1=4000\n"
    ))
    .unwrap();
    let n = &cfg.sessions[0].network;
    assert_eq!(n.send_buffer_size, None, "0: the system default");
    assert_eq!(n.receive_buffer_size, Some(4096));
    assert_eq!(n.linger, None, "negative: off");
    assert_eq!(n.traffic_class, Some(0x10));
    assert_eq!(n.connect_timeout, Some(Duration::from_secs(3)));
    // The unnumbered source applies to the primary; failover 1 has its own.
    assert_eq!(
        n.connect_source,
        [
            Some(SourceAddress {
                host: Some("10.1.1.1".into()),
                port: 0
            }),
            Some(SourceAddress {
                host: None,
                port: 4000
            }),
        ]
    );
    for (line, message) in [
        (
            "SocketTrafficClass=IPTOS_FAST",
            "SocketTrafficClass: expected 0-255, or IPTOS_LOWCOST, IPTOS_RELIABILITY, \
             IPTOS_THROUGHPUT, IPTOS_LOWDELAY joined by |, got \"IPTOS_FAST\"",
        ),
        (
            "SocketLinger=x",
            "SocketLinger: expected whole seconds, or -1 for off, got \"x\"",
        ),
        (
            "AllowedRemoteAddresses=1.2.3.4,,5.6.7.8",
            "AllowedRemoteAddresses: expected a comma-separated list without empty items, got \"1.2.3.4,,5.6.7.8\"",
        ),
    ] {
        let text = format!("{INITIATOR}{line}\n");
        assert_eq!(err(&text), format!("sessions.cfg:13: {message}"), "{line}");
    }
    // Both spellings of the source host must agree.
    let both = format!("{INITIATOR}SocketConnectSourceHost=10.0.0.1\nSocketLocalHost=10.0.0.2\n");
    assert!(err(&both).contains("SocketLocalHost"), "{}", err(&both));
}

#[test]
fn acceptors_on_one_address_share_its_socket_options() {
    let text = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=7000\n\n\
                [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketKeepAlive=Y\n\n\
                [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\n";
    let e = err(text);
    assert!(e.contains("SocketKeepAlive"), "{e}");
    let text = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=7000\n\n\
                [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nAllowedRemoteAddresses=10.0.0.1\n\n\
                [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\nAllowedRemoteAddresses=10.0.0.2\n";
    assert!(
        parse(text).is_ok(),
        "different lists: the listener allows both"
    );
}

#[test]
fn tls_settings_that_cannot_be_honoured_are_errors_naming_the_key() {
    let acceptor = "[SESSION]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
                    SenderCompID=A\nTargetCompID=B\nSocketAcceptPort=1\nServerCertificateFile=s.pem\n";
    for (line, key) in [
        ("SSLProtocol=all +TLSv1", "SSLProtocol"),
        ("SSLProtocol=-all", "SSLProtocol"),
        ("EnabledProtocols=TLSv1.1", "EnabledProtocols"),
        ("SSLCipherSuite=DES-CBC3-SHA", "SSLCipherSuite"),
        ("SSLCipherSuite=HIGH:RC4-MD5", "SSLCipherSuite"),
        ("CipherSuites=TLS_RSA_WITH_AES_128_CBC_SHA", "CipherSuites"),
        (
            "EnabledProtocols=TLSv1.3\nCipherSuites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "CipherSuites",
        ),
        (
            "SSLCipherSuite=HIGH\nCipherSuites=TLS_AES_128_GCM_SHA256",
            "CipherSuites",
        ),
        (
            "SSLProtocol=TLSv1_2\nEnabledProtocols=TLSv1.3",
            "EnabledProtocols",
        ),
        (
            "CertificateVerifyLevel=1\nNeedClientAuth=Y",
            "NeedClientAuth",
        ),
        (
            "CertificateVerifyLevel=2\nNeedClientAuth=N",
            "NeedClientAuth",
        ),
        (
            "CertificateVerifyLevel=2\nSSLValidateCertificates=N",
            "SSLValidateCertificates",
        ),
        (
            "SSLCheckCertificateRevocation=Y\nCertificateVerifyLevel=2",
            "SSLCheckCertificateRevocation",
        ),
        (
            "SSLCheckCertificateRevocation=Y\nCertificateRevocationListFile=c.pem",
            "SSLCheckCertificateRevocation",
        ),
        ("TLSCipherSuites=TLS_AES_128_CCM_SHA256", "TLSCipherSuites"),
        (
            "TLSCipherSuites=TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLSCipherSuites",
        ),
        (
            "CipherSuites=TLS_AES_128_GCM_SHA256\nTLSCipherSuites=TLS_AES_128_GCM_SHA256",
            "TLSCipherSuites",
        ),
        (
            "EndpointIdentificationAlgorithm=LDAPS",
            "EndpointIdentificationAlgorithm",
        ),
        ("SocketAcceptProtocol=VM_PIPE", "SocketAcceptProtocol"),
        ("SocketAcceptProtocol=PROXY", "SocketAcceptProtocol"),
    ] {
        let e = err(&format!("{acceptor}{line}\n"));
        assert!(e.starts_with("sessions.cfg:"), "{e}");
        assert!(e.contains(&format!(": {key}: ")), "{line}: {e}");
    }
    // Consistent ones are fine; NeedClientAuth alone means level 2.
    let cfg = parse(&format!(
        "{acceptor}NeedClientAuth=Y\nSSLProtocol=all -SSLv2 -SSLv3\nSSLCipherSuite=ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH\n"
    ))
    .unwrap();
    assert_eq!(cfg.sessions[0].tls.verify_level, 2);
    let cfg = parse(&format!("{acceptor}SSLEnable=Y\n")).unwrap();
    assert!(
        cfg.sessions[0].tls.enabled,
        "QuickFIX/n's SSLEnable is SocketUseSSL"
    );
}

#[test]
fn transports_other_than_tcp_are_errors_naming_the_key() {
    let initiator = "[SESSION]\nConnectionType=initiator\nNonStopSession=Y\nBeginString=FIX.4.4\n\
                     SenderCompID=A\nTargetCompID=B\nHeartBtInt=30\nSocketConnectHost=h\n\
                     SocketConnectPort=1\nSocketConnectHost1=h\nSocketConnectPort1=2\n";
    for (line, key) in [
        ("SocketConnectProtocol=VM_PIPE", "SocketConnectProtocol"),
        ("SocketConnectProtocol1=vm_pipe", "SocketConnectProtocol1"),
        ("SocketConnectProtocol=UDP", "SocketConnectProtocol"),
    ] {
        let e = err(&format!("{initiator}{line}\n"));
        assert!(e.contains(&format!(": {key}: ")), "{line}: {e}");
    }
    for ok in ["SocketConnectProtocol=TCP", "SocketConnectProtocol1=tcp"] {
        assert!(parse(&format!("{initiator}{ok}\n")).is_ok(), "{ok}");
    }
}
