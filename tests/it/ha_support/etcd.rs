//! A real etcd (Debian's `etcd-server`) for one test: its data in a
//! temporary directory, on loopback or inside a network namespace.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ringfix_engine::ha::etcd::Etcd as Client;

/// A free TCP port on loopback (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running etcd, killed (and its data removed) on drop.
pub struct Etcd {
    child: Child,
    _dir: tempfile::TempDir,
    /// `http://IP:PORT`.
    pub url: String,
    /// The namespace it runs in, if any.
    pub netns: Option<String>,
}

impl Etcd {
    /// etcd on 127.0.0.1.
    pub fn local() -> Self {
        Self::start(None, "127.0.0.1", free_port(), free_port())
    }

    /// etcd inside namespace `ns` at `ip`.
    pub fn in_netns(ns: &str, ip: &str) -> Self {
        Self::start(Some(ns), ip, 2379, 2380)
    }

    fn start(ns: Option<&str>, ip: &str, client: u16, peer: u16) -> Self {
        // tmpfs when there is one: etcd fsyncs every write.
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm"
        } else {
            "/tmp"
        };
        let dir = tempfile::Builder::new()
            .prefix("ringfix-etcd")
            .tempdir_in(base)
            .expect("temp dir");
        // etcd wants its data directory private.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700));
        let url = format!("http://{ip}:{client}");
        let peer_url = format!("http://{ip}:{peer}");
        let mut cmd = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "etcd"]);
                c
            }
            None => Command::new("etcd"),
        };
        cmd.args(["--name", "t", "--data-dir"])
            .arg(dir.path())
            .args(["--listen-client-urls", &url])
            .args(["--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("t={peer_url}")])
            .args(["--logger", "zap", "--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd
            .spawn()
            .expect("start etcd (Debian package etcd-server; .ci/run installs it)");
        let etcd = Self {
            child,
            _dir: dir,
            url,
            netns: ns.map(str::to_owned),
        };
        etcd.wait_ready();
        etcd
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = match &self.netns {
                None => Client::new(std::slice::from_ref(&self.url), Duration::from_millis(500))
                    .get(b"ready")
                    .is_ok(),
                Some(_) => self.ctl(&["get", "ready"]).status.success(),
            };
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "etcd did not start at {}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A client (for tests on loopback).
    pub fn client(&self) -> Client {
        Client::new(std::slice::from_ref(&self.url), Duration::from_secs(2))
    }

    /// Runs `etcdctl` against this etcd (in its namespace).
    pub fn ctl(&self, args: &[&str]) -> Output {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "etcdctl"]);
                c
            }
            None => Command::new("etcdctl"),
        };
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.url))
            .args(args)
            .output()
            .expect("run etcdctl")
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
