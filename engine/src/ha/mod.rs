//! Hot standby: leadership per session through etcd, and the journal
//! replicated from the leader to standby nodes.
//!
//! ```text
//!            etcd (v3 JSON gateway)
//!   lease + ringfix/ha/leader/<session>   ringfix/ha/insync/<session>
//!        ^  keepalive, campaign, poll          ^ guarded by the key
//!        |                                     |
//!   node A (leader of S)                  node B (standby of S)
//!   reactor -> ReplicatedStore ----TCP---> Replica -> FileStore
//!              (FileStore + feed)  <--ack--
//!   output held until released(head)  (sync: acked; async: window)
//! ```
//!
//! - **Election.** Each node holds one lease (`HaLeaseTtl`) and a node key
//!   on it (`ringfix/ha/nodes/<HaNodeName>`: a second live node with the
//!   same name refuses to start). A session's leader holds
//!   `ringfix/ha/leader/<session>` on its lease; the key's
//!   `create_revision` is the **fencing token** carried in every
//!   replicated record.
//! - **Fencing.** The leader's local deadline is the send time (on
//!   CLOCK_BOOTTIME) of its last successful keepalive + TTL - 1 s
//!   ([`HA_SAFETY_MARGIN`](crate::config::HA_SAFETY_MARGIN)); the lease
//!   cannot expire before it. [`SessionHa::may_lead`] turns false at the
//!   deadline by itself (an atomic compare, no thread needs to notice), and
//!   the elector then steps down and revokes the lease.
//! - **In-sync set.** A standby may take over only when listed in
//!   `ringfix/ha/insync/<session>`: it holds every record the leader may
//!   have sent (sync: all of them; async: all but the last `HaMaxUnacked`).
//!   The leader adds a standby once it caught up and removes it (in etcd
//!   first) before it stops waiting for it: after `HaSyncTimeout` without
//!   progress, or when its stream breaks. In sync mode, no standby left
//!   means the fallback to async, logged and counted.
//! - **Replication.** [`ReplicatedStore`] wraps the leader's store and
//!   queues each record for every peer's stream (one TCP stream per node
//!   pair and direction); a (re)joining standby first gets what it lacks
//!   from the journal, then the live records. The standby writes them
//!   into its own [`FileStore`](crate::store::FileStore) and acknowledges.
//!   With certificates in `[DEFAULT]` the streams run over TLS (the leader
//!   the client, the standby the server, both with certificates).

pub mod clock;
mod elector;
pub mod etcd;
pub mod keys;
mod node;
mod replica;
mod sender;
mod shared;
mod store;
mod tls;
mod wire;

#[cfg(test)]
mod tests;

pub use node::{status_file, HaError, HaEvent, HaNode, HaSessionSpec};
pub use replica::{Replica, SlotState};
pub use shared::{SessionHa, MAX_PEERS};
pub use store::ReplicatedStore;
pub use tls::ReplicationTls;
