//! Logon authentication keys, the credentials file and redaction settings.

use crate::config::*;

const ACCEPTOR: &str =
    "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=5001\n";
const INITIATOR: &str = "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\n\
                         SocketConnectHost=127.0.0.1\nSocketConnectPort=5001\nHeartBtInt=30\n";
const SESSION: &str = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n";

fn parse(base: &str, extra: &str) -> Result<SessionSettings, String> {
    EngineConfig::parse(&format!("{base}{extra}{SESSION}"), "s.cfg")
        .map(|c| c.sessions.into_iter().next().unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn defaults() {
    let s = parse(ACCEPTOR, "").unwrap();
    let sec = &s.security;
    assert_eq!(sec.max_failed_logons_per_minute, 10);
    assert_eq!(sec.redact.tags(), [554, 925, 1402, 1404]);
    assert!(sec.logon_credentials_file.is_none());
    let eff = s.effective();
    let get = |k: &str| eff.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("MaxFailedLogonsPerMinute").as_deref(), Some("10"));
    assert_eq!(
        get("RedactFieldsInLogs").as_deref(),
        Some("554,925,1402,1404")
    );
}

#[test]
fn values() {
    let s = parse(
        ACCEPTOR,
        "LogonCredentialsFile=/etc/fix/creds\nMaxFailedLogonsPerMinute=3\nRedactFieldsInLogs=554, 58\n",
    )
    .unwrap();
    assert_eq!(
        s.security.logon_credentials_file.as_deref(),
        Some(std::path::Path::new("/etc/fix/creds"))
    );
    assert_eq!(s.security.max_failed_logons_per_minute, 3);
    assert_eq!(s.security.redact.tags(), [58, 554]);
    let s = parse(ACCEPTOR, "RedactFieldsInLogs=N\n").unwrap();
    assert!(s.security.redact.is_empty());
    let s = parse(
        INITIATOR,
        "LogonUsername=alice\nLogonPasswordFile=/run/secrets/fix\n",
    )
    .unwrap();
    assert_eq!(s.security.logon_username.as_deref(), Some("alice"));
    for bad in [
        "RedactFieldsInLogs=554,x\n",
        "MaxFailedLogonsPerMinute=-1\n",
    ] {
        let e = parse(ACCEPTOR, bad).unwrap_err();
        assert!(e.contains("s.cfg:5"), "{e}");
    }
}

#[test]
fn keys_of_the_other_side_and_missing_username() {
    let e = parse(INITIATOR, "LogonCredentialsFile=/x\n");
    // Set in [DEFAULT] it is tolerated; in the session it is an error.
    assert!(e.is_ok());
    let e = EngineConfig::parse(
        &format!("{INITIATOR}{SESSION}LogonCredentialsFile=/x\n"),
        "s.cfg",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("s.cfg:11") && e.contains("for an acceptor"),
        "{e}"
    );
    let e = parse(INITIATOR, "LogonPasswordFile=/p\n").unwrap_err();
    assert!(
        e.contains("LogonUsername") && e.contains("LogonPasswordFile"),
        "{e}"
    );
}

#[test]
fn a_password_in_the_cfg_is_refused() {
    for key in ["LogonPassword", "Password", "password"] {
        let e = parse(INITIATOR, &format!("{key}=secret\n")).unwrap_err();
        assert!(
            e.contains("s.cfg:7") && e.contains(key) && e.contains("LogonPasswordFile"),
            "{e}"
        );
        assert!(!e.contains("secret"), "the value is not echoed: {e}");
    }
}

#[test]
fn credentials_file_lines() {
    let hash = hash_password(b"s3cret").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    let text = format!("# counterparties\n\nB alice {hash}  # desk 1\nC bob {hash}\n");
    let c = Credentials::parse(&text, "creds").unwrap();
    assert!(c.knows("B") && c.knows("C") && !c.knows("D"));
    assert!(c.verify("B", b"alice", b"s3cret"));
    assert!(!c.verify("B", b"alice", b"s3cret!"));
    assert!(!c.verify("B", b"bob", b"s3cret"));
    assert!(!c.verify("D", b"alice", b"s3cret"));
    let bad = [
        ("B alice\n".to_owned(), 1, "got 2 words"),
        (format!("# x\nB alice {hash} extra\n"), 2, "got 4 words"),
        ("B alice plain\n".to_owned(), 1, "not a PHC string"),
        (
            "B alice $argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo\n".to_owned(),
            1,
            "expected argon2id",
        ),
        (format!("B a {hash}\nB b {hash}\n"), 2, "has a line already"),
    ];
    for (text, line, why) in bad {
        let e = Credentials::parse(&text, "creds").unwrap_err();
        assert_eq!(e.line, line, "{e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("creds:{line}: ")) && shown.contains(why),
            "{shown}"
        );
    }
    let e = Credentials::load(std::path::Path::new("/nonexistent/creds")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/creds"), "{e}");
}
