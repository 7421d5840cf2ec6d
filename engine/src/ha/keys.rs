//! The etcd keys and values of hot standby.
//!
//! - `ringfix/ha/nodes/<HaNodeName>`: `{"repl": "H:P"}`, on the node's
//!   lease: a live node (a second one with the same name refuses to start).
//! - `ringfix/ha/leader/<session>`: `{"node": N, "repl": "H:P"}`, on the
//!   leader's lease. Its `create_revision` is the fencing token.
//! - `ringfix/ha/insync/<session>`: `{"nodes": [N, ...]}`, no lease: the
//!   nodes that hold every record the leader may have sent (beyond the
//!   async window), so may take over. Written only by the leader, in a
//!   transaction guarded by its election key, or by the winner together
//!   with the election key.

use serde_json::{json, Value};

/// Prefix of every key.
pub const PREFIX: &str = "ringfix/ha/";

/// A live node's key.
pub fn node(name: &str) -> Vec<u8> {
    format!("{PREFIX}nodes/{name}").into_bytes()
}

/// A session's election key.
pub fn leader(session: &str) -> Vec<u8> {
    format!("{PREFIX}leader/{session}").into_bytes()
}

/// A session's in-sync set.
pub fn insync(session: &str) -> Vec<u8> {
    format!("{PREFIX}insync/{session}").into_bytes()
}

/// The node key's value.
pub fn node_value(repl: &str) -> Vec<u8> {
    json!({ "repl": repl }).to_string().into_bytes()
}

/// The election key's value.
pub fn leader_value(node: &str, repl: &str) -> Vec<u8> {
    json!({ "node": node, "repl": repl })
        .to_string()
        .into_bytes()
}

/// The leader's node name in an election key's value.
pub fn leader_node(value: &[u8]) -> String {
    serde_json::from_slice::<Value>(value)
        .ok()
        .and_then(|v| v["node"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The in-sync set's value.
pub fn insync_value(nodes: &[String]) -> Vec<u8> {
    json!({ "nodes": nodes }).to_string().into_bytes()
}

/// The names in an in-sync set's value.
pub fn insync_nodes(value: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(value)
        .ok()
        .and_then(|v| {
            v["nodes"].as_array().map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}
