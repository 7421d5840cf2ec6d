//! Hosts in network namespaces for one test: each host a namespace with
//! one veth into a bridge that lives in its own namespace (nothing is
//! added to the machine's own namespace), addresses 10.77.0.x/24 that
//! exist only inside them. Partitions are blackhole routes inside a
//! host's namespace. Names carry the test process's pid and a counter,
//! so parallel tests never collide; everything is deleted on drop (also
//! after a failed test), and namespaces left by dead test processes are
//! deleted when the next set is made.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);
const PREFIX: &str = "rfx";

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .expect("run ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deletes namespaces made by test processes that no longer run.
fn sweep() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let pid: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

/// One host.
#[derive(Clone, Debug)]
pub struct Host {
    /// Its namespace.
    pub ns: String,
    /// Its address.
    pub ip: String,
}

/// A set of hosts on one bridge.
pub struct Net {
    switch: String,
    /// The hosts, in the order given.
    pub hosts: Vec<Host>,
}

impl Net {
    /// `count` hosts, 10.77.0.1 and up.
    pub fn new(count: usize) -> Self {
        sweep();
        let id = format!(
            "{PREFIX}{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let switch = format!("{id}s");
        ip(&["netns", "add", &switch]);
        let mut net = Self {
            switch: switch.clone(),
            hosts: Vec::new(),
        };
        ip(&["-n", &switch, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &switch, "link", "set", "br0", "up"]);
        for i in 0..count {
            let ns = format!("{id}h{i}");
            ip(&["netns", "add", &ns]);
            let host = Host {
                ns: ns.clone(),
                ip: format!("10.77.0.{}", i + 1),
            };
            net.hosts.push(host.clone());
            // Made inside the host's namespace, the other end moved to the
            // switch: no interface ever appears outside the test's own.
            let port = format!("p{i}");
            ip(&[
                "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &port,
            ]);
            ip(&["-n", &ns, "link", "set", &port, "netns", &switch]);
            ip(&["-n", &switch, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &switch, "link", "set", &port, "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", host.ip),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        net
    }

    /// A command run inside `host`'s namespace.
    pub fn command(&self, host: usize, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.hosts[host].ns, program]);
        c
    }

    /// Drops everything `host` sends to `to` (and so every answer).
    pub fn cut(&self, host: usize, to: usize) {
        let dst = format!("{}/32", self.hosts[to].ip);
        ip(&[
            "-n",
            &self.hosts[host].ns,
            "route",
            "add",
            "blackhole",
            &dst,
        ]);
    }

    /// Undoes [`cut`](Self::cut).
    pub fn heal(&self, host: usize, to: usize) {
        let dst = format!("{}/32", self.hosts[to].ip);
        ip(&[
            "-n",
            &self.hosts[host].ns,
            "route",
            "del",
            "blackhole",
            &dst,
        ]);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for h in &self.hosts {
            let _ = Command::new("ip").args(["netns", "del", &h.ns]).status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.switch])
            .status();
    }
}
