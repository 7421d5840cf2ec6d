//! A TCP relay on loopback that can be cut: stands for the network
//! between a node and etcd in tests without namespaces.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Relays connections to `target` until cut.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    cut: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Proxy {
    /// A relay to `target` (`host:port`).
    pub fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let target = target.to_owned();
        let (c, s, cs) = (cut.clone(), stop.clone(), conns.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                if c.load(SeqCst) {
                    // Cut: accept and say nothing, as a black hole would.
                    cs.lock().unwrap().push(client);
                    continue;
                }
                let Ok(server) =
                    TcpStream::connect_timeout(&target.parse().unwrap(), Duration::from_secs(1))
                else {
                    continue;
                };
                {
                    let mut v = cs.lock().unwrap();
                    v.push(client.try_clone().unwrap());
                    v.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let c = c.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if c.load(SeqCst) || to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            cut,
            conns,
            stop,
            port,
        }
    }

    /// From now on nothing gets through (open connections stall).
    pub fn cut(&self) {
        self.cut.store(true, SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        self.cut.store(true, SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
