//! Runs every QuickFIX acceptance script (fix40 .. fix50sp2) against
//! the session state machine and the `echo` app, without sockets: a fake
//! clock (advanced to the session's deadline when the script waits for
//! output), the codec's framer and parser (as the reactor uses them), and
//! the acceptor setup of
//! `tests/conformance/README.md`.

use ringfix_testkit::defscript;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use defscript::{compare, parse_script, substitute_time, to_wire, Action, FieldFormats};
use ringfix_codec::dict::{Options, Validator as DictValidator};
use ringfix_codec::{frame, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::apps::echo::Echo;
use ringfix_engine::session::{
    Close, Disposition, Incoming, Role, Router, Session, SessionSettings,
};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

/// 2026-01-01T00:00:00Z.
const START_SECS: i64 = 1_767_225_600;
const NANOS: i64 = 1_000_000_000;
/// How many deadlines we wait through for one expected step.
const MAX_WAITS: usize = 10;

/// One complete outbound message at the front of `buf`.
fn next_out(buf: &[u8]) -> Option<usize> {
    match frame(buf, DEFAULT_MAX_MESSAGE_SIZE) {
        Frame::Complete(len) => Some(len),
        _ => None,
    }
}

#[derive(Default)]
struct Conn {
    inbuf: Vec<u8>,
    out: Vec<u8>,
    read: usize,
    session: Option<usize>,
    closed: bool,
}

struct Harness {
    router: Router,
    sessions: Vec<Session<MemoryStore>>,
    app: Echo,
    now: i64,
    conns: HashMap<u32, Conn>,
    formats: FieldFormats,
    parser: Parser,
}

fn acceptor(begin: &str, target: &str, appl: Option<&str>) -> SessionSettings {
    let mut s = SessionSettings::new(Role::Acceptor, begin, "ISLD", target);
    s.reset_on_logon = true;
    s.default_appl_ver_id = appl.map(str::to_owned);
    s
}

impl Harness {
    fn new(formats: FieldFormats) -> Self {
        let now = START_SECS * NANOS;
        let mut router = Router::new();
        let mut sessions = Vec::new();
        for (begin, target, appl) in [
            ("FIX.4.0", "TW40", None),
            ("FIX.4.1", "TW41", None),
            ("FIX.4.2", "TW42", None),
            ("FIX.4.3", "TW43", None),
            ("FIX.4.4", "TW44", None),
            ("FIX.4.4", "TW", None),
            ("FIX.4.4", "NO_CHECK_FIELDS_HAVE_VALUES", None),
            ("FIXT.1.1", "TW50", Some("7")),
            ("FIXT.1.1", "TW50SP1", Some("8")),
            ("FIXT.1.1", "TW50SP2", Some("9")),
        ] {
            router.add(begin, "ISLD", target);
            let store = MemoryStore::new(UtcTimestamp::from_nanos(now));
            let cfg = acceptor(begin, target, appl);
            let options = Options {
                validate_fields_have_values: target != "NO_CHECK_FIELDS_HAVE_VALUES",
                ..Options::default()
            };
            let appl_ver = cfg.default_appl_ver_id.as_deref().map(str::as_bytes);
            let validator =
                DictValidator::builtin(begin.as_bytes(), appl_ver, options).expect("dictionary");
            sessions.push(Session::new(cfg, store, Some(Box::new(validator))));
        }
        Self {
            router,
            sessions,
            app: Echo::new(),
            now,
            conns: HashMap::new(),
            formats,
            parser: Parser::new(),
        }
    }

    /// One made-up clock for both: the scripts never step the wall clock.
    fn ts(&self) -> Now {
        Now::same(UtcTimestamp::from_nanos(self.now))
    }

    fn apply(&mut self, id: u32, d: Disposition) {
        if !d.is_close() {
            return;
        }
        self.drop_conn(id);
    }

    fn drop_conn(&mut self, id: u32) {
        let now = self.ts();
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.closed {
            return;
        }
        conn.closed = true;
        if let Some(idx) = conn.session {
            self.sessions[idx].disconnected(now, &mut self.app);
            self.router.release(idx);
        }
    }

    fn send(&mut self, id: u32, bytes: &[u8]) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.closed {
            return; // the acceptor closed: bytes go nowhere
        }
        conn.inbuf.extend_from_slice(bytes);
        loop {
            let now = self.ts();
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if conn.closed {
                return;
            }
            let len = match frame(&conn.inbuf, DEFAULT_MAX_MESSAGE_SIZE) {
                Frame::Incomplete => return,
                Frame::Garbled { skip, .. } => {
                    conn.inbuf.drain(..skip.min(conn.inbuf.len()));
                    let d = match conn.session {
                        Some(idx) => self.sessions[idx].on_garbled(now),
                        // A garbled first message: no session to talk to.
                        None => Disposition {
                            close: Close::Now,
                            reconnect: false,
                        },
                    };
                    self.apply(id, d);
                    continue;
                }
                Frame::Complete(len) => len,
            };
            let bytes: Vec<u8> = conn.inbuf.drain(..len).collect();
            let Ok(view) = self.parser.parse(&bytes) else {
                let d = match conn.session {
                    Some(idx) => self.sessions[idx].on_garbled(now),
                    None => Disposition {
                        close: Close::Now,
                        reconnect: false,
                    },
                };
                self.apply(id, d);
                continue;
            };
            let msg = Incoming::from_view(&view);
            let idx = match conn.session {
                Some(idx) => Some(idx),
                None => match self.router.claim(&msg) {
                    Ok(idx) => {
                        conn.session = Some(idx);
                        let d = self.sessions[idx].connected(now, &mut conn.out, &mut self.app);
                        if d.is_close() {
                            self.apply(id, d);
                            return;
                        }
                        Some(idx)
                    }
                    Err(_) => None,
                },
            };
            let d = match idx {
                Some(idx) => {
                    let conn = self.conns.get_mut(&id).expect("conn");
                    self.sessions[idx].on_message(&msg, now, &mut conn.out, &mut self.app)
                }
                None => Disposition {
                    close: Close::Now,
                    reconnect: false,
                },
            };
            self.apply(id, d);
        }
    }

    /// Advances the clock to the bound session's deadline and fires it.
    fn wait(&mut self, id: u32) -> Result<(), String> {
        let conn = self.conns.get_mut(&id).ok_or("no such connection")?;
        let idx = conn
            .session
            .ok_or("nothing to wait for: no session on this connection")?;
        let deadline = self.sessions[idx]
            .deadline()
            .ok_or("session has no deadline while connected")?;
        self.now = self.now.max(deadline.as_nanos());
        let now = Now::same(UtcTimestamp::from_nanos(self.now));
        let d = self.sessions[idx].on_timer(now, &mut conn.out, &mut self.app);
        self.apply(id, d);
        Ok(())
    }

    fn take_output(&mut self, id: u32) -> Option<Vec<u8>> {
        let conn = self.conns.get_mut(&id)?;
        let len = next_out(&conn.out[conn.read..])?;
        let msg = conn.out[conn.read..conn.read + len].to_vec();
        conn.read += len;
        Some(msg)
    }

    fn expect(&mut self, id: u32, template: &str) -> Result<(), String> {
        for _ in 0..MAX_WAITS {
            if let Some(actual) = self.take_output(id) {
                let expected = to_wire(&substitute_time(template, self.now / NANOS));
                return compare(&expected, &actual, &self.formats);
            }
            if self.conns.get(&id).is_none_or(|c| c.closed) {
                return Err("connection closed; expected a message".into());
            }
            self.wait(id)?;
        }
        Err("no message after waiting through deadlines".into())
    }

    fn expect_disconnect(&mut self, id: u32) -> Result<(), String> {
        for _ in 0..MAX_WAITS {
            if let Some(extra) = self.take_output(id) {
                return Err(format!(
                    "expected disconnect, got {}",
                    String::from_utf8_lossy(&extra).replace('\x01', "|")
                ));
            }
            if self.conns.get(&id).is_none_or(|c| c.closed) {
                return Ok(());
            }
            self.wait(id)?;
        }
        Err("still connected after waiting through deadlines".into())
    }

    fn run(&mut self, script: &str) -> Result<(), String> {
        let steps = parse_script(script)?;
        for step in steps {
            let id = step.conn;
            let r = match &step.action {
                Action::Connect => {
                    self.drop_conn(id);
                    self.conns.insert(id, Conn::default());
                    Ok(())
                }
                Action::Disconnect => {
                    self.drop_conn(id);
                    Ok(())
                }
                Action::ExpectDisconnect => self.expect_disconnect(id),
                Action::Send(m) => {
                    let bytes = to_wire(&substitute_time(m, self.now / NANOS));
                    self.send(id, &bytes);
                    Ok(())
                }
                Action::Expect(m) => self.expect(id, m),
            };
            r.map_err(|e| format!("line {}: {e}", step.line))?;
        }
        let ids: Vec<u32> = self.conns.keys().copied().collect();
        for id in ids {
            self.drop_conn(id);
        }
        Ok(())
    }
}

fn scripts() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut all = Vec::new();
    for dir in [
        "fix40", "fix41", "fix42", "fix43", "fix44", "fix50", "fix50sp1", "fix50sp2",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("conformance dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "def"))
            .collect();
        files.sort();
        all.extend(files);
    }
    all
}

#[test]
fn quickfix_acceptance_scripts_sans_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let formats =
        FieldFormats::parse(&std::fs::read_to_string(root.join("fields.fmt")).expect("fields.fmt"))
            .expect("formats");
    let mut passed = 0;
    let mut failed = Vec::new();
    let all = scripts();
    for path in &all {
        let name = format!(
            "{}/{}",
            path.parent()
                .and_then(|p| p.file_name())
                .map(|s| s.to_string_lossy())
                .unwrap_or_default(),
            path.file_name()
                .map(|s| s.to_string_lossy())
                .unwrap_or_default()
        );
        let text = std::fs::read_to_string(path).expect("script");
        let mut h = Harness::new(formats.clone());
        match h.run(&text) {
            Ok(()) => {
                passed += 1;
                println!("PASS {name}");
            }
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed.push(name);
            }
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    assert_eq!(passed + failed.len(), all.len());
    assert!(all.len() >= 467, "scripts missing: {}", all.len());
    assert!(
        failed.is_empty(),
        "{} scripts failed: {failed:?}",
        failed.len()
    );
}
