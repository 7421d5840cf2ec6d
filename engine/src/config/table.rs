//! The README's settings table, generated from the key lists and the
//! code's defaults (a test keeps the README in step).

use super::keys::{self, KeyStatus};
use super::{EngineConfig, ScreenLogSettings};

/// The smallest session: every key it sets needs a default in
/// `STATED`; every other default is read from the code.
const MINIMAL: &str = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=S\nTargetCompID=T\n\
ConnectionType=initiator\nSocketConnectHost=h\nSocketConnectPort=1\nHeartBtInt=30\n\
StartTime=00:00:00\nEndTime=00:00:00\n";

/// Defaults that are not a value of the minimal session: required keys,
/// optional keys without a value, values that follow other keys.
const STATED: &[(&str, &str)] = &[
    ("ConnectionType", "required"),
    ("BeginString", "required"),
    ("SenderCompID", "required"),
    ("TargetCompID", "required"),
    ("SenderSubID", "none"),
    ("SenderLocationID", "none"),
    ("TargetSubID", "none"),
    ("TargetLocationID", "none"),
    ("SessionQualifier", "none"),
    ("DefaultApplVerID", "required for FIXT.1.1"),
    ("SocketConnectHost", "required (initiator)"),
    ("SocketConnectPort", "required (initiator)"),
    ("SocketAcceptHost", "all interfaces"),
    ("SocketAcceptPort", "required (acceptor)"),
    (
        "HeartBtInt",
        "required (initiator); an acceptor takes the peer's",
    ),
    ("StartTime", "required unless NonStopSession=Y"),
    ("EndTime", "required unless NonStopSession=Y"),
    ("StartDay", "none (daily)"),
    ("EndDay", "none (daily)"),
    ("Weekdays", "none (every day)"),
    ("LogonTime", "StartTime"),
    ("LogoutTime", "EndTime"),
    ("LogonDay", "StartDay"),
    ("LogoutDay", "EndDay"),
    ("DataDictionary", "built-in for the BeginString"),
    ("TransportDataDictionary", "built-in FIXT.1.1"),
    ("AppDataDictionary", "built-in for DefaultApplVerID"),
    ("FileStorePath", "none (memory store)"),
    ("FileLogPath", "none (no file log)"),
    ("FileLogBackupPath", "none (logs stay)"),
    (
        "ServerCertificateFile",
        "required with SocketUseSSL=Y (acceptor)",
    ),
    ("ServerCertificateKeyFile", "in ServerCertificateFile"),
    ("ClientCertificateFile", "none (no client certificate)"),
    ("ClientCertificateKeyFile", "in ClientCertificateFile"),
    ("CertificateAuthoritiesFile", "none"),
    ("SSLServerName", "SocketConnectHost"),
    ("ReactorCore", "none (one unpinned reactor)"),
    ("MaxConnections", "the larger of 4 per session and 1024"),
    ("ContinueInitializationOnError", "N"),
    ("SocketAcceptRetryTimeout", "5 (acceptor)"),
    ("SocketConnectSourceHost", "any interface"),
    ("SocketConnectSourcePort", "any port"),
    (
        "SocketLocalHost",
        "any interface (= SocketConnectSourceHost)",
    ),
    ("SocketLocalPort", "any port (= SocketConnectSourcePort)"),
    ("SocketConnectTimeout", "LogonTimeout"),
    ("SocketSendBufferSize", "system default"),
    ("SocketReceiveBufferSize", "system default"),
    ("SocketLinger", "off"),
    ("SocketTrafficClass", "system default"),
    ("AllowedRemoteAddresses", "anyone"),
    ("SocketAcceptProtocol", "TCP (acceptor)"),
    (
        "TLSCipherSuites",
        "rustls' TLS 1.3 suites (shown as CipherSuites)",
    ),
    ("SSLProtocol", "TLS 1.2 and 1.3 (shown as EnabledProtocols)"),
    ("EnabledProtocols", "TLSv1.2,TLSv1.3"),
    ("SSLCipherSuite", "rustls' suites (shown as CipherSuites)"),
    ("CipherSuites", "rustls' suites"),
    ("UseSNI", "Y (the checked name is sent)"),
    ("SNIHostName", "SSLServerName or SocketConnectHost"),
    ("NeedClientAuth", "N (Y = CertificateVerifyLevel=2)"),
    ("SSLCheckCertificateRevocation", "when CRLs are given"),
    ("CertificateAuthoritiesDirectory", "none"),
    ("CertificateRevocationListFile", "none"),
    ("CertificateRevocationListDirectory", "none"),
    ("HaEtcdEndpoints", "required with HaEnabled=Y"),
    ("HaNodeName", "required with HaEnabled=Y"),
    ("HaReplicationListen", "required with HaEnabled=Y"),
    ("HaPeers", "none (no standby)"),
    ("MetricsListen", "none (no /metrics, /health)"),
    ("LogonCredentialsFile", "none (no check; acceptor)"),
    ("MaxFailedLogonsPerMinute", "10 (acceptor; 0: no limit)"),
    ("LogonUsername", "none (initiator)"),
    ("LogonPasswordFile", "none (initiator)"),
    ("FileStoreSync", "N (= StoreFsync=never)"),
    ("LogonTag", "none (LogonTag, LogonTag1, ...: tag=value)"),
    (
        "FileStoreBackupPath",
        "none (a reset deletes the old journal)",
    ),
];

/// Default values the code gives the minimal session (screen log on, so
/// its keys show theirs).
fn code_defaults() -> Vec<(String, String)> {
    let Ok(cfg) = EngineConfig::parse(MINIMAL, "minimal") else {
        return Vec::new();
    };
    let Some(mut s) = cfg.sessions.into_iter().next() else {
        return Vec::new();
    };
    s.log.screen = Some(ScreenLogSettings::default());
    let set: Vec<&str> = MINIMAL
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    s.effective()
        .into_iter()
        .filter(|(k, _)| !set.contains(&k.as_str()))
        .collect()
}

/// A key's default: the code's, else the stated one; `None` if neither.
fn default_in(code: &[(String, String)], key: &str) -> Option<String> {
    code.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| {
            STATED
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
}

/// Keys that have a default both in the code and in `STATED` (the
/// stated one would go stale), and implemented keys with neither.
pub fn table_problems() -> Vec<String> {
    let code = code_defaults();
    let mut out = Vec::new();
    for (k, _) in STATED {
        if code.iter().any(|(c, _)| c == k) {
            out.push(format!("{k}: default stated and in the code"));
        }
    }
    for k in keys::IMPLEMENTED {
        if default_in(&code, k).is_none() {
            out.push(format!("{k}: no default (add it to STATED)"));
        }
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The settings table in Markdown: every key with its default and what
/// ringfix does with it.
pub fn settings_table() -> String {
    let code = code_defaults();
    let mut out = String::from("| key | default | in ringfix |\n|---|---|---|\n");
    for key in keys::all() {
        let default = default_in(&code, key).unwrap_or_else(|| "—".to_owned());
        let what = match keys::status(key) {
            KeyStatus::Implemented => "yes".to_owned(),
            KeyStatus::NoEffect(why) => format!("no effect: {why}"),
            KeyStatus::Foreign(instead) => format!("ignored: {instead}"),
            KeyStatus::Pending => "not yet (warned, ignored)".to_owned(),
        };
        out.push_str(&format!(
            "| `{key}` | {} | {} |\n",
            cell(&default),
            cell(&what)
        ));
    }
    let aliases: Vec<String> = keys::aliases()
        .iter()
        .map(|(a, k)| format!("`{a}` (= `{k}`)"))
        .collect();
    out.push_str(&format!(
        "\nKeys compare without case. Also accepted: {}; numbered failovers \
         `SocketConnectHost<n>`/`SocketConnectPort<n>`; `AppDataDictionary.<version>`.\n",
        aliases.join(", ")
    ));
    out
}
