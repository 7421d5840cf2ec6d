//! Hot standby test rig: a real etcd, a relay that can be cut, hosts in
//! network namespaces.

pub mod cluster;
pub mod etcd;
pub mod netns;
pub mod proxy;
