//! `Cluster` and `SharedStoragePool`: the lab's VIOS partitions form no
//! shared storage pool cluster, so each is an empty feed — 204 No
//! Content, as the HMC answers a feed without entries (pypowervm reads it
//! as an empty feed, hmc-mcp as an empty list) — and one of them by UUID
//! is not found. `Group` (the HMC's tag groups, which Ansible's inventory
//! reads) is empty the same way: the lab tags nothing.

use super::Reply;

pub const KINDS: [&str; 3] = ["Cluster", "SharedStoragePool", "Group"];

pub fn read(kind: &str, rest_of_path: &[&str]) -> Option<Reply> {
    match rest_of_path {
        [] | ["search", _] | ["quick", "All"] => Some(Reply::feed(kind, &[])),
        _ => None,
    }
}
