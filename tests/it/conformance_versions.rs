//! The session behaves the same on every FIX version: the templates in
//! `tests/support/versions/` (logon, heartbeat, test request, gap and
//! resend both ways, sequence reset, reject, logout) instantiated for
//! FIX.4.0, 4.1, 4.2, 4.3, 4.4 and FIXT.1.1 with FIX.5.0, 5.0SP1, 5.0SP2,
//! run over TCP against the built `ringfix acceptor --app echo` with one
//! session per version. See `tests/support/versions/README.md`.

use crate::support::acceptor;
use crate::support::suite;
use ringfix_testkit::defscript;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use acceptor::{free_port, Acceptor};
use defscript::FieldFormats;
use suite::{configured_targets, run_all, summarize, Script};

/// One version under test.
struct Version {
    /// Folder-like name in the report.
    name: &'static str,
    begin: &'static str,
    /// Our SenderCompID; the acceptor's TargetCompID.
    id: &'static str,
    /// DefaultApplVerID (FIXT only): config text and 1137 value.
    appl_ver: Option<(&'static str, &'static str)>,
    /// Dictionary file(s) in `codec/spec`.
    dictionary: &'static str,
}

const VERSIONS: [Version; 8] = [
    Version {
        name: "fix40",
        begin: "FIX.4.0",
        id: "TV40",
        appl_ver: None,
        dictionary: "FIX40.xml",
    },
    Version {
        name: "fix41",
        begin: "FIX.4.1",
        id: "TV41",
        appl_ver: None,
        dictionary: "FIX41.xml",
    },
    Version {
        name: "fix42",
        begin: "FIX.4.2",
        id: "TV42",
        appl_ver: None,
        dictionary: "FIX42.xml",
    },
    Version {
        name: "fix43",
        begin: "FIX.4.3",
        id: "TV43",
        appl_ver: None,
        dictionary: "FIX43.xml",
    },
    Version {
        name: "fix44",
        begin: "FIX.4.4",
        id: "TV44",
        appl_ver: None,
        dictionary: "FIX44.xml",
    },
    Version {
        name: "fix50",
        begin: "FIXT.1.1",
        id: "TV50",
        appl_ver: Some(("FIX.5.0", "7")),
        dictionary: "FIX50.xml",
    },
    Version {
        name: "fix50sp1",
        begin: "FIXT.1.1",
        id: "TV51",
        appl_ver: Some(("FIX.5.0SP1", "8")),
        dictionary: "FIX50SP1.xml",
    },
    Version {
        name: "fix50sp2",
        begin: "FIXT.1.1",
        id: "TV52",
        appl_ver: Some(("FIX.5.0SP2", "9")),
        dictionary: "FIX50SP2.xml",
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Version {
    fn rank(&self) -> u32 {
        match self.begin {
            "FIX.4.0" => 40,
            "FIX.4.1" => 41,
            _ => 42,
        }
    }

    /// The template with this version's values, `|` turned into SOH.
    fn instantiate(&self, template: &str) -> String {
        let old = self.rank() < 42;
        let appl = self
            .appl_ver
            .map(|(_, v)| format!("|1137={v}"))
            .unwrap_or_default();
        template
            .lines()
            .map(|line| {
                if line.starts_with('#') {
                    return line.to_owned();
                }
                line.replace("{BEGIN}", self.begin)
                    .replace("{ID}", self.id)
                    .replace("{APPLVER}", &appl)
                    .replace("{INF}", if old { "999999" } else { "0" })
                    .replace("{TT}", if old { "" } else { "|60=<TIME>" })
                    .replace(
                        "{REJ999}",
                        if old {
                            "|58=Invalid tag number (999)"
                        } else {
                            "|58=Invalid tag number|371=999|372=0|373=0"
                        },
                    )
                    // UTCTimestamp has no milliseconds before FIX.4.2.
                    .replace(
                        "00000000-00:00:00.000",
                        if old {
                            "00000000-00:00:00"
                        } else {
                            "00000000-00:00:00.000"
                        },
                    )
                    .replace('|', "\x01")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn config_section(&self, out: &mut String, spec: &Path) {
        let _ = writeln!(
            out,
            "\n[SESSION]\nBeginString={}\nTargetCompID={}",
            self.begin, self.id
        );
        match self.appl_ver {
            Some((appl, _)) => {
                let _ = writeln!(
                    out,
                    "DefaultApplVerID={appl}\nTransportDataDictionary={}\nAppDataDictionary={}",
                    spec.join("FIXT11.xml").display(),
                    spec.join(self.dictionary).display()
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "DataDictionary={}",
                    spec.join(self.dictionary).display()
                );
            }
        }
    }
}

/// The acceptance config's defaults with one session per version.
fn config(port: u16) -> String {
    let mut out = format!(
        "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\n\
         SocketAcceptPort={port}\nSenderCompID=ISLD\nResetOnLogon=Y\n\
         StartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\n"
    );
    let spec = root().join("codec/spec");
    for v in &VERSIONS {
        v.config_section(&mut out, &spec);
    }
    out
}

fn templates() -> Vec<(String, String)> {
    let dir = root().join("tests/support/versions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("versions folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "def"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("template"))
        })
        .collect()
}

#[test]
fn session_behaviour_on_every_fix_version() {
    let formats = FieldFormats::parse(
        &std::fs::read_to_string(root().join("tests/conformance/fields.fmt")).expect("fields.fmt"),
    )
    .expect("fields.fmt");
    let templates = templates();
    assert!(templates.len() >= 4, "templates missing");
    let scripts: Vec<Script> = VERSIONS
        .iter()
        .flat_map(|v| {
            templates.iter().map(move |(name, text)| Script {
                name: format!("{}/{name}", v.name),
                text: v.instantiate(text),
            })
        })
        .collect();
    for s in &scripts {
        assert!(
            !s.text.contains('{'),
            "unreplaced placeholder in {}",
            s.name
        );
    }

    if let Ok(addr) = std::env::var("CONFORMANCE_ADDR") {
        // An acceptor already running with `config(port)` (to check the
        // templates against another engine).
        let addr: std::net::SocketAddr = addr.parse().expect("CONFORMANCE_ADDR is host:port");
        println!("running against the external acceptor at {addr}");
        let targets = configured_targets(&config(addr.port()));
        let outcomes = run_all(addr, &scripts, &targets, &formats);
        let failed = summarize(&outcomes, std::time::Duration::ZERO);
        assert_eq!(failed, 0, "{failed} per-version scripts failed over TCP");
        return;
    }
    let port = free_port().expect("free port");
    let config = config(port);
    let bin = Path::new(env!("CARGO_BIN_EXE_ringfix"));
    let mut acceptor = match Acceptor::start(bin, &config, port, "echo") {
        Ok(a) => a,
        Err(e) => panic!("cannot start the acceptor under test: {e}"),
    };
    let start = Instant::now();
    let outcomes = run_all(
        acceptor.addr,
        &scripts,
        &configured_targets(&config),
        &formats,
    );
    let failed = summarize(&outcomes, start.elapsed());
    assert_eq!(outcomes.len(), scripts.len(), "every script has an outcome");
    assert!(
        acceptor.is_running(),
        "the acceptor died during the run:\n{}",
        acceptor.output()
    );
    if failed > 0 {
        println!("acceptor output:\n{}", acceptor.output());
    }
    assert_eq!(failed, 0, "{failed} per-version scripts failed over TCP");
}
