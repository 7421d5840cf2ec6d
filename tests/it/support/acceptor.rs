//! Starts the built `ringfix acceptor` on a temp copy of a config (free
//! port, absolute dictionary paths) and stops it on drop.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the acceptor may take to start listening.
const START_BOUND: Duration = Duration::from_secs(20);

/// Config keys whose values are file paths relative to the repository root.
const PATH_KEYS: [&str; 3] = [
    "DataDictionary",
    "TransportDataDictionary",
    "AppDataDictionary",
];

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `text` with `SocketAcceptPort` set to `port` and dictionary paths made
/// absolute against `root`; every other line kept as written.
pub fn rewrite_config(text: &str, port: u16, root: &Path) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let rewritten = match line.split_once('=') {
            Some((key, _)) if key.trim() == "SocketAcceptPort" => {
                format!("SocketAcceptPort={port}")
            }
            Some((key, value)) if PATH_KEYS.contains(&key.trim()) => {
                let v = Path::new(value.trim());
                if v.is_absolute() {
                    line.to_owned()
                } else {
                    format!("{}={}", key.trim(), root.join(v).display())
                }
            }
            _ => line.to_owned(),
        };
        out.push_str(&rewritten);
        out.push('\n');
    }
    out
}

/// A running acceptor process.
pub struct Acceptor {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The temp dir holding the config and the process output.
    pub dir: tempfile::TempDir,
}

impl Acceptor {
    /// Writes `config` (already rewritten) to a temp dir and starts
    /// `bin acceptor --config <file> --app <app>` there, waiting until it
    /// accepts connections. Fails with the process output if it exits.
    pub fn start(bin: &Path, config: &str, port: u16, app: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let cfg = dir.path().join("acceptor.cfg");
        std::fs::write(&cfg, config).map_err(|e| e.to_string())?;
        let out =
            std::fs::File::create(dir.path().join("stdout.log")).map_err(|e| e.to_string())?;
        let err =
            std::fs::File::create(dir.path().join("stderr.log")).map_err(|e| e.to_string())?;
        if !bin.exists() {
            return Err(format!("binary {} not built", bin.display()));
        }
        let child = Command::new(bin)
            .arg("acceptor")
            .arg("--config")
            .arg(&cfg)
            .arg("--app")
            .arg(app)
            .current_dir(dir.path())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut me = Self { child, addr, dir };
        me.wait_ready()?;
        Ok(me)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "`ringfix acceptor` exited with {status} before listening:\n{}",
                    self.output()
                ));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if start.elapsed() > START_BOUND {
                return Err(format!(
                    "`ringfix acceptor` not listening on {} after {}s:\n{}",
                    self.addr,
                    START_BOUND.as_secs(),
                    self.output()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of the process's stdout and stderr.
    pub fn output(&self) -> String {
        let tail = |name: &str| {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            tail("stdout.log"),
            tail("stderr.log")
        )
    }

    /// Path of a file in the temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
