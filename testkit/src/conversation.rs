//! A FIX conversation written by the tests, as a QuickFIX FileLog and as a
//! pcap (through [`crate::pcap`]), for the replay tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ringfix_codec::{TimePrecision, UtcTimestamp};

use crate::pcap;

/// 2023-11-14T22:13:20Z in nanoseconds.
pub const T0: i64 = 1_700_000_000_000_000_000;
pub const SEC: i64 = 1_000_000_000;

/// One message of a conversation.
#[derive(Clone, Debug)]
pub struct Line {
    pub ts: i64,
    pub from_client: bool,
    pub bytes: Vec<u8>,
}

/// A conversation between CLIENT (initiator) and SERVER (acceptor).
#[derive(Default, Clone)]
pub struct Conv {
    pub lines: Vec<Line>,
}

/// SendingTime text of `ts`.
pub fn sending_time(ts: i64) -> String {
    let mut out = Vec::new();
    UtcTimestamp::from_nanos(ts).push(TimePrecision::Millis, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 3339 text of `ts` with nanoseconds (`2023-11-14T22:13:20.000000000Z`),
/// as `ringfix stats --json` prints times.
pub fn rfc3339_nanos(ts: i64) -> String {
    let mut out = Vec::new();
    UtcTimestamp::from_nanos(ts).push(TimePrecision::Nanos, &mut out);
    let s = String::from_utf8_lossy(&out);
    // YYYYMMDD-HH:MM:SS.nnnnnnnnn
    format!("{}-{}-{}T{}Z", &s[0..4], &s[4..6], &s[6..8], &s[9..])
}

impl Conv {
    /// A message from the client (`from_client`) or the server at `ts`;
    /// `body` after the header (`|` separated).
    pub fn msg(
        &mut self,
        ts: i64,
        from_client: bool,
        msg_type: &str,
        seq: u64,
        body: &str,
    ) -> &mut Self {
        let (s, t) = if from_client {
            ("CLIENT", "SERVER")
        } else {
            ("SERVER", "CLIENT")
        };
        let mut fields = format!(
            "35={msg_type}|34={seq}|49={s}|52={}|56={t}",
            sending_time(ts)
        );
        if !body.is_empty() {
            fields.push('|');
            fields.push_str(body);
        }
        self.lines.push(Line {
            ts,
            from_client,
            bytes: pcap::fix(&fields),
        });
        self
    }

    /// Logon from both sides at `ts` (client's sequence number `c`, server's `s`).
    pub fn logon(&mut self, ts: i64, c: u64, s: u64) -> &mut Self {
        self.msg(ts, true, "A", c, "98=0|108=30")
            .msg(ts + 10_000_000, false, "A", s, "98=0|108=30")
    }

    /// QuickFIX FileLog text: `YYYYMMDD-HH:MM:SS.sss : message`.
    pub fn file_log(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            out.extend_from_slice(sending_time(l.ts).as_bytes());
            out.extend_from_slice(b" : ");
            out.extend_from_slice(&l.bytes);
            out.push(b'\n');
        }
        out
    }

    /// A pcap: SYN handshake, then one segment per message at its time.
    pub fn pcap(&self) -> Vec<u8> {
        let client: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let server: SocketAddr = "10.0.0.2:9876".parse().unwrap();
        let mut seq = [1000u32, 5_000_000];
        let mut pkts = Vec::new();
        let t0 = self.lines.first().map_or(T0, |l| l.ts) - 1_000_000;
        for from_client in [true, false] {
            let (s, d, i) = ends(client, server, from_client);
            let flags = pcap::Flags {
                syn: true,
                syn_ack: !from_client,
                ..pcap::Flags::default()
            };
            let ip = pcap::ip_packet_flags(s, d, seq[i], flags, b"");
            seq[i] += 1;
            pkts.push(pcap::Pkt::new(
                t0 as u64,
                pcap::frame(pcap::Link::Ethernet, &ip),
            ));
        }
        for l in &self.lines {
            let (s, d, i) = ends(client, server, l.from_client);
            let ip = pcap::ip_packet(s, d, seq[i], false, &l.bytes);
            seq[i] = seq[i].wrapping_add(l.bytes.len() as u32);
            pkts.push(pcap::Pkt::new(
                l.ts as u64,
                pcap::frame(pcap::Link::Ethernet, &ip),
            ));
        }
        pcap::pcap(1, true, &pkts)
    }
}

fn ends(
    client: SocketAddr,
    server: SocketAddr,
    from_client: bool,
) -> (SocketAddr, SocketAddr, usize) {
    if from_client {
        (client, server, 0)
    } else {
        (server, client, 1)
    }
}

/// Writes `bytes` to a fresh file in `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
