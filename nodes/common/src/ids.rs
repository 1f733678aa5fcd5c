//! The UUIDs the lab gives its objects (frames, partitions), stable across
//! restarts and the same on every HMC, as a real HMC keeps one per object.

use crate::model::PartitionExt as _;
use crate::proto::model::Partition;

/// A stable UUID for an object of the lab (a frame, a partition): the
/// same name gives the same UUID on every HMC and across restarts, as the
/// real HMC keeps one per object.
pub fn uuid(kind: &str, name: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(format!("pvmlab/{kind}/{name}").as_bytes());
    let b = h.to_be_bytes();
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        (b[6] & 0x0f) | 0x50,
        b[7],
        (b[8] & 0x3f) | 0x80,
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

/// The UUID a partition of the topology starts with. A client partition's
/// comes from its name, unique in the lab. VIOS partitions of different
/// frames often share a name (every frame has its `vios1`) and never
/// move, so theirs comes from the VIOS's own node address.
pub fn first_partition_uuid(p: &Partition) -> String {
    if p.is_vios() && !p.rmc_ipaddr.is_empty() {
        uuid("VirtualIOServer", &p.rmc_ipaddr)
    } else {
        uuid("LogicalPartition", &p.name)
    }
}
