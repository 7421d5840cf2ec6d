//! A small blocking client for etcd's v3 JSON gateway (`/v3/...`): leases,
//! ranges, transactions. Keys and values travel base64-encoded; 64-bit
//! numbers come back as JSON strings. Calls time out (the HA threads must
//! never wait on a dead etcd longer than a fraction of the lease TTL), and
//! a failed call moves on to the next endpoint.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

/// What went wrong talking to etcd.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// No endpoint answered (connection refused, timeout, ...).
    #[error("etcd unreachable at {endpoint}: {reason}")]
    Unreachable {
        /// The last endpoint tried.
        endpoint: String,
        /// The transport error.
        reason: String,
    },
    /// etcd answered with an error status.
    #[error("etcd {endpoint}{path}: HTTP {status}: {body}")]
    Status {
        /// The endpoint.
        endpoint: String,
        /// The API path.
        path: &'static str,
        /// The HTTP status.
        status: u16,
        /// The response body (etcd's error message).
        body: String,
    },
    /// An answer that is not what the API documents.
    #[error("etcd {path}: unexpected answer: {0}", path = .1)]
    Malformed(String, &'static str),
}

/// One key-value pair as etcd stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kv {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
    /// Revision of the key's creation (the election's fencing token).
    pub create_revision: i64,
    /// Revision of its last change.
    pub mod_revision: i64,
    /// The lease it is attached to (0: none).
    pub lease: i64,
}

/// A transaction guard.
#[derive(Clone, Debug)]
pub enum Compare {
    /// The key's create_revision equals this (0: the key does not exist).
    CreateRevision(Vec<u8>, i64),
    /// The key's mod_revision equals this (0: the key does not exist).
    ModRevision(Vec<u8>, i64),
}

/// A transaction operation.
#[derive(Clone, Debug)]
pub enum Op {
    /// Put key = value, attached to a lease (0: none).
    Put(Vec<u8>, Vec<u8>, i64),
    /// Read one key.
    Get(Vec<u8>),
}

/// Outcome of a transaction.
#[derive(Clone, Debug)]
pub struct TxnResult {
    /// Whether every compare held (and the success branch ran).
    pub succeeded: bool,
    /// The store revision after the transaction: the create_revision of a
    /// key the success branch created.
    pub revision: i64,
    /// For each `Op::Get` of the branch that ran, the key if it exists.
    pub gets: Vec<Option<Kv>>,
}

/// The client. Not shared between threads: each HA thread has its own.
pub struct Etcd {
    agent: ureq::Agent,
    endpoints: Vec<String>,
    current: usize,
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// A JSON int64 (etcd writes them as strings; absent means 0).
fn int(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    v.as_str()
        .and_then(|s| B64.decode(s).ok())
        .unwrap_or_default()
}

fn kv(v: &Value) -> Kv {
    Kv {
        key: bytes(&v["key"]),
        value: bytes(&v["value"]),
        create_revision: int(&v["create_revision"]),
        mod_revision: int(&v["mod_revision"]),
        lease: int(&v["lease"]),
    }
}

impl Etcd {
    /// A client for `endpoints` (`http://H:P`); every call gives up after
    /// `timeout` per endpoint.
    pub fn new(endpoints: &[String], timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            endpoints: endpoints.to_vec(),
            current: 0,
        }
    }

    /// The endpoint the next call goes to first.
    pub fn endpoint(&self) -> &str {
        self.endpoints
            .get(self.current)
            .map_or("(no endpoint)", String::as_str)
    }

    fn call(&mut self, path: &'static str, body: &Value) -> Result<Value, EtcdError> {
        let text = body.to_string();
        let mut last = None;
        for _ in 0..self.endpoints.len().max(1) {
            let endpoint = self.endpoint().to_owned();
            let url = format!("{endpoint}{path}");
            let sent = self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(text.as_str());
            match sent {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.body_mut().read_to_string().unwrap_or_default();
                    if status != 200 {
                        return Err(EtcdError::Status {
                            endpoint,
                            path,
                            status,
                            body,
                        });
                    }
                    return serde_json::from_str(&body)
                        .map_err(|e| EtcdError::Malformed(e.to_string(), path));
                }
                Err(e) => {
                    last = Some(EtcdError::Unreachable {
                        endpoint,
                        reason: e.to_string(),
                    });
                    self.current = (self.current + 1) % self.endpoints.len().max(1);
                }
            }
        }
        Err(last.unwrap_or(EtcdError::Unreachable {
            endpoint: String::new(),
            reason: "no endpoint configured".into(),
        }))
    }

    /// Grants a lease of `ttl` seconds; returns its ID.
    pub fn grant(&mut self, ttl: i64) -> Result<i64, EtcdError> {
        let v = self.call("/v3/lease/grant", &json!({ "TTL": ttl }))?;
        match int(&v["ID"]) {
            0 => Err(EtcdError::Malformed(v.to_string(), "/v3/lease/grant")),
            id => Ok(id),
        }
    }

    /// Renews a lease: `Some(ttl)` while it lives, `None` once it is gone
    /// (expired or revoked).
    pub fn keepalive(&mut self, lease: i64) -> Result<Option<i64>, EtcdError> {
        let v = match self.call("/v3/lease/keepalive", &json!({ "ID": lease.to_string() })) {
            Err(EtcdError::Status { body, .. }) if body.contains("not found") => return Ok(None),
            other => other?,
        };
        let result = v.get("result").unwrap_or(&v);
        Ok(match int(&result["TTL"]) {
            ttl if ttl > 0 => Some(ttl),
            _ => None,
        })
    }

    /// Seconds a lease has left, `None` if it is gone.
    pub fn time_to_live(&mut self, lease: i64) -> Result<Option<i64>, EtcdError> {
        let v = self.call("/v3/lease/timetolive", &json!({ "ID": lease.to_string() }))?;
        Ok(match int(&v["TTL"]) {
            ttl if ttl >= 0 && int(&v["grantedTTL"]) > 0 => Some(ttl),
            _ => None,
        })
    }

    /// Revokes a lease (its keys are deleted at once).
    pub fn revoke(&mut self, lease: i64) -> Result<(), EtcdError> {
        match self.call("/v3/lease/revoke", &json!({ "ID": lease.to_string() })) {
            Err(EtcdError::Status { body, .. }) if body.contains("not found") => Ok(()),
            other => other.map(drop),
        }
    }

    /// Every key starting with `prefix`.
    pub fn range_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Kv>, EtcdError> {
        let mut end = prefix.to_vec();
        // The range end is the prefix with its last byte raised by one.
        while let Some(last) = end.pop() {
            if last < 0xff {
                end.push(last + 1);
                break;
            }
        }
        let v = self.call(
            "/v3/kv/range",
            &json!({ "key": b64(prefix), "range_end": b64(&end) }),
        )?;
        Ok(v["kvs"]
            .as_array()
            .map(|a| a.iter().map(kv).collect())
            .unwrap_or_default())
    }

    /// One key.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Kv>, EtcdError> {
        let v = self.call("/v3/kv/range", &json!({ "key": b64(key) }))?;
        Ok(v["kvs"].as_array().and_then(|a| a.first()).map(kv))
    }

    /// Puts key = value (attached to `lease` unless 0).
    pub fn put(&mut self, key: &[u8], value: &[u8], lease: i64) -> Result<(), EtcdError> {
        let mut body = json!({ "key": b64(key), "value": b64(value) });
        if lease != 0 {
            body["lease"] = json!(lease.to_string());
        }
        self.call("/v3/kv/put", &body).map(drop)
    }

    /// Deletes one key.
    pub fn delete(&mut self, key: &[u8]) -> Result<(), EtcdError> {
        self.call("/v3/kv/deleterange", &json!({ "key": b64(key) }))
            .map(drop)
    }

    /// Runs a transaction: `success` if every compare holds, else `failure`.
    pub fn txn(
        &mut self,
        compare: &[Compare],
        success: &[Op],
        failure: &[Op],
    ) -> Result<TxnResult, EtcdError> {
        let compare: Vec<Value> = compare
            .iter()
            .map(|c| match c {
                Compare::CreateRevision(k, rev) => json!({
                    "key": b64(k), "result": "EQUAL", "target": "CREATE",
                    "create_revision": rev.to_string()
                }),
                Compare::ModRevision(k, rev) => json!({
                    "key": b64(k), "result": "EQUAL", "target": "MOD",
                    "mod_revision": rev.to_string()
                }),
            })
            .collect();
        let ops = |ops: &[Op]| -> Vec<Value> {
            ops.iter()
                .map(|op| match op {
                    Op::Put(k, v, lease) => {
                        let mut put = json!({ "key": b64(k), "value": b64(v) });
                        if *lease != 0 {
                            put["lease"] = json!(lease.to_string());
                        }
                        json!({ "request_put": put })
                    }
                    Op::Get(k) => json!({ "request_range": { "key": b64(k) } }),
                })
                .collect()
        };
        let body = json!({
            "compare": compare,
            "success": ops(success),
            "failure": ops(failure),
        });
        let v = self.call("/v3/kv/txn", &body)?;
        let gets = v["responses"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| r.get("response_range"))
                    .map(|r| r["kvs"].as_array().and_then(|a| a.first()).map(kv))
                    .collect()
            })
            .unwrap_or_default();
        Ok(TxnResult {
            succeeded: v["succeeded"].as_bool().unwrap_or(false),
            revision: int(&v["header"]["revision"]),
            gets,
        })
    }
}
