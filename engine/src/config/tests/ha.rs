//! The hot standby keys: defaults, syntax and the rules with HaEnabled=Y.

use std::time::Duration;

use crate::config::*;

const BASE: &str = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=5001\n\
                    FileStorePath=/tmp/s\n";
const HA: &str = "HaEnabled=Y\nHaEtcdEndpoints=http://10.0.0.1:2379,http://10.0.0.2:2379/\n\
                  HaNodeName=node-a\nHaReplicationListen=10.0.1.1:7000\nHaPeers=10.0.1.2:7000\n";
const SESSION: &str = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n";

fn parse(extra: &str) -> Result<EngineConfig, String> {
    EngineConfig::parse(&format!("{BASE}{HA}{extra}{SESSION}"), "s.cfg").map_err(|e| e.to_string())
}

#[test]
fn defaults_and_values() {
    let cfg = parse("").unwrap();
    let ha = cfg.ha().unwrap();
    assert_eq!(
        ha.etcd_endpoints,
        ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]
    );
    assert_eq!(ha.node_name, "node-a");
    assert_eq!(ha.lease_ttl, Duration::from_secs(2));
    assert_eq!(ha.mode, HaReplication::Sync);
    assert_eq!(ha.sync_timeout, Duration::from_millis(500));
    assert_eq!(ha.max_unacked, 1024);
    assert_eq!(ha.peers.len(), 1);
    assert_eq!(ha.peers[0].port, 7000);
    let cfg =
        parse("HaReplication=async\nHaSyncTimeout=250ms\nHaMaxUnacked=64\nHaLeaseTtl=3\n").unwrap();
    let ha = cfg.ha().unwrap();
    assert_eq!(ha.mode, HaReplication::Async);
    assert_eq!(ha.sync_timeout, Duration::from_millis(250));
    assert_eq!(ha.max_unacked, 64);
    assert_eq!(ha.lease_ttl, Duration::from_secs(3));
    // Without HaEnabled nothing is required.
    let plain = EngineConfig::parse(&format!("{BASE}{SESSION}"), "s.cfg").unwrap();
    assert!(plain.ha().is_none());
}

#[test]
fn lease_ttl_at_or_below_the_margin_is_an_error() {
    for ttl in ["1", "0", "x"] {
        let e = parse(&format!("HaLeaseTtl={ttl}\n")).unwrap_err();
        assert!(
            e.contains("HaLeaseTtl") && e.contains("safety margin"),
            "{e}"
        );
    }
}

#[test]
fn store_rules_name_their_key() {
    let e = parse("PersistMessages=N\n").unwrap_err();
    assert!(
        e.contains("PersistMessages") && e.contains("HaEnabled"),
        "{e}"
    );
    let memory = format!("[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=5001\n{HA}{SESSION}");
    let e = EngineConfig::parse(&memory, "s.cfg")
        .unwrap_err()
        .to_string();
    assert!(e.contains("HaEnabled") && e.contains("memory store"), "{e}");
}

#[test]
fn bad_syntax_and_missing_keys() {
    let e = parse("HaReplication=semi\n").unwrap_err();
    assert!(
        e.contains("HaReplication") && e.contains("sync or async"),
        "{e}"
    );
    let e = parse("HaEtcdEndpoints=https://h:1\n").unwrap_err();
    assert!(e.contains("HaEtcdEndpoints"), "{e}");
    let e = parse("HaPeers=nohost\n").unwrap_err();
    assert!(e.contains("HaPeers"), "{e}");
    let e = parse("HaNodeName=a/b\n").unwrap_err();
    assert!(e.contains("HaNodeName"), "{e}");
    let e = parse("HaSyncTimeout=0ms\n").unwrap_err();
    assert!(e.contains("HaSyncTimeout"), "{e}");
    let e = parse("HaPeers=10.0.1.1:7000\n").unwrap_err();
    assert!(e.contains("HaPeers") && e.contains("own"), "{e}");
    let no_name = format!(
        "{BASE}HaEnabled=Y\nHaEtcdEndpoints=http://h:1\nHaReplicationListen=h:2\n{SESSION}"
    );
    let e = EngineConfig::parse(&no_name, "s.cfg")
        .unwrap_err()
        .to_string();
    assert!(e.contains("HaNodeName is required"), "{e}");
}

#[test]
fn node_keys_agree_between_sessions() {
    let two = format!(
        "{BASE}{HA}{SESSION}[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\n\
         SocketAcceptPort=5002\nHaNodeName=node-b\n"
    );
    let e = EngineConfig::parse(&two, "s.cfg").unwrap_err().to_string();
    assert!(e.contains("HaNodeName") && e.contains("[DEFAULT]"), "{e}");
}
