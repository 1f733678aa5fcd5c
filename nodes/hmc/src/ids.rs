//! The identities the HMC gives the lab's objects: one UUID per frame and
//! per partition, the same on every front-end (REST's `PartitionUUID`,
//! `lssyscfg -F uuid`) and on every HMC that manages the frame.

use pvmlab_common::model::PartitionExt as _;
use pvmlab_common::proto::model::Partition;

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

/// A frame's UUID, from the frame's node name (`Frame.name`), which a
/// rename (`chsyscfg -r sys -i new_name=`, kept in `user_name`) leaves
/// alone, so the UUID never changes.
pub fn frame(node_name: &str) -> String {
    uuid("ManagedSystem", node_name)
}

/// A partition's UUID. A client partition's follows its name, so it moves
/// with the partition between frames, as the real one does. VIOS
/// partitions of different frames often share a name (every frame has
/// its `vios1`) and never move, so theirs follows the VIOS's own node
/// address, which is unique in the lab.
pub fn partition(p: &Partition) -> String {
    if p.is_vios() && !p.rmc_ipaddr.is_empty() {
        uuid("VirtualIOServer", &p.rmc_ipaddr)
    } else {
        uuid("LogicalPartition", &p.name)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = super::uuid("ManagedSystem", "sys1");
        assert_eq!(a, super::frame("sys1"));
        assert_ne!(a, super::frame("sys2"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
    }

    #[test]
    fn each_frames_vios_has_its_own_uuid() {
        let vios = |addr: &str| super::Partition {
            name: "vios1".into(),
            lpar_env: "vioserver".into(),
            rmc_ipaddr: addr.into(),
            ..Default::default()
        };
        assert_ne!(
            super::partition(&vios("127.42.0.31")),
            super::partition(&vios("127.42.0.33"))
        );
    }
}
