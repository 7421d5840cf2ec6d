//! What must hold for a session to start, beyond parsing: TLS files,
//! dictionaries, writable store and log directories, a schedule that opens.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use ringfix_codec::dict::Dictionary;
use ringfix_engine::config::{
    Credentials, Password, Role, SessionSettings, SessionSource, UtcTimestamp,
};
use ringfix_engine::reactor::{acceptor_uses_tls, TlsClient, TlsConfigError, TlsServer};
use ringfix_engine::runtime::ValidatorSpec;

/// The problems of one session, each `file:line: key: what`.
pub fn session(
    file: &str,
    s: &SessionSettings,
    source: &SessionSource,
    at: UtcTimestamp,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut problem = |key: &str, what: String| {
        out.push(format!("{file}:{}: {key}: {what}", source.line_of(key)));
    };
    if let Some((key, e)) = tls(s) {
        problem(key, e.to_string());
    }
    if s.validation.use_data_dictionary {
        let mut loaded = true;
        for (key, path) in dictionaries(s) {
            if let Err(e) = Dictionary::load(&path) {
                problem(&key, format!("cannot load {}: {e}", path.display()));
                loaded = false;
            }
        }
        // The validator as the runtime builds it (built-in dictionaries,
        // DefaultApplVerID); the files themselves were checked above.
        let built = ValidatorSpec::from_config(s, &mut Default::default())
            .and_then(|spec| spec.map(|spec| spec.build().map(drop)).transpose());
        if let (true, Err(e)) = (loaded, built) {
            let key = if s.id.is_fixt() {
                "DefaultApplVerID"
            } else {
                "BeginString"
            };
            problem(key, e.to_string());
        }
    }
    let sec = &s.security;
    if let Some(path) = &sec.logon_credentials_file {
        if let Err(e) = Credentials::load(path) {
            problem("LogonCredentialsFile", e.to_string());
        }
    }
    if let Some(path) = &sec.logon_password_file {
        if let Err(e) = Password::load(path) {
            problem("LogonPasswordFile", e.to_string());
        }
    }
    let l = &s.log;
    let dirs = [
        ("FileStorePath", &s.store.file_store_path),
        ("FileLogPath", &s.store.file_log_path),
        ("FileLogBackupPath", &l.file_log_backup_path),
    ];
    for (key, dir) in dirs {
        if let Some(dir) = dir {
            if let Err(e) = writable(dir) {
                problem(key, e);
            }
        }
    }
    let sc = &s.schedule;
    if !sc.is_in_session(at) && sc.next_open(at).is_none() {
        let key = ["LogonTime", "LogonDay", "LogoutTime", "LogoutDay"]
            .into_iter()
            .find(|k| source.keys.iter().any(|(s, _)| s == k))
            .unwrap_or("StartTime");
        problem(
            key,
            "the session never opens: its session and logon windows do not meet".to_owned(),
        );
    }
    out
}

/// TLS as the runtime builds it at start; the key to blame on failure.
fn tls(s: &SessionSettings) -> Option<(&'static str, TlsConfigError)> {
    let result = match s.role {
        Role::Acceptor if acceptor_uses_tls(&s.tls) => TlsServer::from_settings(&s.tls).err(),
        Role::Initiator if s.tls.enabled => {
            let host = s.network.connect.first().map_or("", |hp| hp.host.as_str());
            TlsClient::from_settings(&s.tls, host).err()
        }
        _ => None,
    }?;
    let key = match &result {
        TlsConfigError::Pem { what, .. } => what,
        TlsConfigError::Missing(key) => key,
        TlsConfigError::ServerName(_) => "SSLServerName",
        TlsConfigError::Verifier(_) => "CertificateAuthoritiesFile",
        _ if s.role == Role::Acceptor => "ServerCertificateFile",
        _ => "ClientCertificateFile",
    };
    Some((key, result))
}

/// The dictionary files a session names, with their keys.
fn dictionaries(s: &SessionSettings) -> Vec<(String, PathBuf)> {
    let d = &s.dictionaries;
    let named = [
        ("DataDictionary", &d.data_dictionary),
        ("TransportDataDictionary", &d.transport_data_dictionary),
        ("AppDataDictionary", &d.app_data_dictionary),
    ];
    let mut out: Vec<(String, PathBuf)> = named
        .into_iter()
        .filter_map(|(k, p)| p.clone().map(|p| (k.to_owned(), p)))
        .collect();
    for (version, p) in &d.app_data_dictionaries {
        out.push((format!("AppDataDictionary.{version}"), p.clone()));
    }
    out
}

/// Whether the engine could create and write `dir`: its nearest existing
/// ancestor must be a directory a file can be created in (one is, briefly).
pub fn writable(dir: &Path) -> Result<(), String> {
    let mut d = dir;
    loop {
        match std::fs::metadata(d) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => return Err(format!("{} is not a directory", d.display())),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                d = match d.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
            }
            Err(e) => return Err(format!("{}: {e}", d.display())),
        }
    }
    tempfile::Builder::new()
        .prefix(".ringfix-config-check")
        .tempfile_in(d)
        .map(drop)
        .map_err(|e| format!("cannot write in {}: {e}", d.display()))
}
