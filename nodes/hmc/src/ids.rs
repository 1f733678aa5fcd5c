//! The identities the HMC gives the lab's objects: one UUID per frame and
//! per partition, the same on every front-end (REST's `PartitionUUID`,
//! `lssyscfg -F uuid`) and on every HMC that manages the frame.

use pvmlab_common::proto::model::Partition;

pub use pvmlab_common::ids::uuid;

/// A frame's UUID, from the frame's node name (`Frame.name`), which a
/// rename (`chsyscfg -r sys -i new_name=`, kept in `user_name`) leaves
/// alone, so the UUID never changes.
pub fn frame(node_name: &str) -> String {
    uuid("ManagedSystem", node_name)
}

/// A partition's UUID: the one it was given when it was created, which
/// moves with it between frames and survives a rename, as the real one
/// does. A partition saved before partitions kept theirs gets the rule
/// they were first given by (`pvmlab_common::ids::first_partition_uuid`).
pub fn partition(p: &Partition) -> String {
    if p.uuid.is_empty() {
        pvmlab_common::ids::first_partition_uuid(p)
    } else {
        p.uuid.clone()
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
