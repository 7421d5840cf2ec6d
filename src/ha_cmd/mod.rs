//! `ringfix ha status --config F [--json]`: per HA session the leader's
//! name, the fencing token and the lease time left (from etcd), the
//! in-sync set, and each standby's lag in records and bytes (from the
//! local node's status file, which a leader writes every 0.5 s).
//!
//! Exit codes: 0 printed, 1 configuration without HA, etcd unreachable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use ringfix_engine::config::EngineConfig;
use ringfix_engine::ha::{etcd::Etcd, keys, status_file};
use serde_json::{json, Value};

/// Arguments of `ringfix ha`.
#[derive(Debug, Clone, clap::Args)]
pub struct HaArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: HaCommand,
}

/// `ringfix ha` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum HaCommand {
    /// Leaders, fencing tokens, lease time left and standby lag per session.
    Status {
        /// The node's configuration.
        #[arg(long, value_name = "F")]
        config: PathBuf,
        /// One JSON object: {"node", "sessions": [{"leader", "token", "standbys": [{"lag_records", ...}]}]}.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `ringfix ha`.
pub fn run(args: &HaArgs) -> ExitCode {
    let HaCommand::Status { config, json } = &args.command;
    match status(config) {
        Ok(doc) => {
            if *json {
                println!("{doc}");
            } else {
                print!("{}", text(&doc));
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("ringfix ha status: {msg}");
            ExitCode::from(1)
        }
    }
}

/// A status file older than this is from a node that no longer runs.
const FRESH: Duration = Duration::from_secs(5);

fn local_status(path: &std::path::Path) -> Option<Value> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    if SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default()
        > FRESH
    {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn status(config: &std::path::Path) -> Result<Value, String> {
    let cfg = EngineConfig::load(config).map_err(|e| e.to_string())?;
    let ha = cfg
        .ha()
        .ok_or_else(|| format!("{}: no session has HaEnabled=Y", config.display()))?
        .clone();
    let mut etcd = Etcd::new(&ha.etcd_endpoints, Duration::from_secs(2));
    let kvs = etcd
        .range_prefix(keys::PREFIX.as_bytes())
        .map_err(|e| e.to_string())?;
    let local = cfg
        .sessions
        .iter()
        .find(|s| s.ha.enabled)
        .and_then(|s| s.store.file_store_path.as_ref())
        .and_then(|dir| local_status(&status_file(dir, &ha.node_name)));
    let mut sessions = Vec::new();
    for s in cfg.sessions.iter().filter(|s| s.ha.enabled) {
        let name = s.id.to_string();
        let leader = kvs.iter().find(|kv| kv.key == keys::leader(&name));
        let insync = kvs
            .iter()
            .find(|kv| kv.key == keys::insync(&name))
            .map(|kv| keys::insync_nodes(&kv.value))
            .unwrap_or_default();
        let ttl_left = match leader {
            Some(kv) if kv.lease != 0 => etcd.time_to_live(kv.lease).ok().flatten(),
            _ => None,
        };
        let mine = local.as_ref().and_then(|l| {
            l["sessions"]
                .as_array()?
                .iter()
                .find(|e| e["session"] == name.as_str())
                .cloned()
        });
        let standbys = mine
            .as_ref()
            .map(|m| m["standbys"].clone())
            .unwrap_or_else(|| json!([]));
        sessions.push(json!({
            "session": name,
            "leader": leader.map(|kv| keys::leader_node(&kv.value)),
            "token": leader.map(|kv| kv.create_revision),
            "lease_ttl_left_s": ttl_left,
            "in_sync": insync,
            "local_role": mine.as_ref().map(|m| m["role"].clone()),
            "fallback": mine.as_ref().map(|m| m["fallback"].clone()),
            "standbys": standbys,
        }));
    }
    Ok(json!({
        "node": ha.node_name,
        "node_running": local.is_some(),
        "sessions": sessions,
    }))
}

fn text(doc: &Value) -> String {
    let mut out = format!("node {}", doc["node"].as_str().unwrap_or("?"));
    if doc["node_running"] != true {
        out.push_str(" (not running here: no standby figures)");
    }
    out.push('\n');
    for s in doc["sessions"].as_array().into_iter().flatten() {
        let leader = s["leader"].as_str().unwrap_or("(none)");
        out.push_str(&format!(
            "{}: leader {leader} token {} lease {}s left, in sync {}\n",
            s["session"].as_str().unwrap_or("?"),
            s["token"],
            s["lease_ttl_left_s"],
            s["in_sync"],
        ));
        for b in s["standbys"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  standby {}: {} records / {} bytes behind{}\n",
                b["name"].as_str().unwrap_or("?"),
                b["lag_records"],
                b["lag_bytes"],
                if b["in_sync"] == true {
                    ", in sync"
                } else {
                    ""
                },
            ));
        }
    }
    out
}
