//! `ManagedSystem/{uuid}/SharedProcessorPool`: a frame's shared processor
//! pools (the default pool 0 and the named ones), with the partitions each
//! serves.

use super::{Get, Reply, xml};
use pvmlab_common::proto::hmc::FrameView;

pub fn read(g: &Get<'_>, f: &FrameView, rest_of_path: &[&str]) -> Option<Reply> {
    let fr = f.frame.clone().unwrap_or_default();
    let sys = crate::ids::frame(&f.name);
    let mut pools: Vec<(u32, String, f64, f64)> = vec![(0, "DefaultPool".into(), 0.0, 0.0)];
    pools.extend(fr.pools.iter().filter(|p| p.id != 0).map(|p| {
        (
            p.id,
            p.name.clone(),
            p.max_pool_proc_units,
            p.reserved_pool_proc_units,
        )
    }));
    let entries: Vec<(String, String)> = pools
        .iter()
        .map(|(id, name, max, reserved)| {
            let uuid = crate::ids::uuid("SharedProcessorPool", &format!("{}/{id}", f.name));
            let members: String = f
                .partitions
                .iter()
                .filter(|p| p.curr.as_ref().is_some_and(|c| c.proc_mode != "ded" && c.shared_proc_pool_id == *id))
                .map(|p| {
                    let kind = if p.lpar_env == "vioserver" { "VirtualIOServer" } else { "LogicalPartition" };
                    format!(
                        "<link href=\"{}/rest/api/uom/ManagedSystem/{sys}/{kind}/{}\" rel=\"related\"/>",
                        g.base,
                        super::partition::uuid(&f.name, p)
                    )
                })
                .collect();
            let used: f64 = f
                .partitions
                .iter()
                .filter_map(|p| p.curr.as_ref())
                .filter(|c| c.proc_mode != "ded" && c.shared_proc_pool_id == *id)
                .map(|c| c.proc_units)
                .sum();
            let body = format!(
                "<AssignedPartitions kb=\"CUD\" kxe=\"false\">{members}</AssignedPartitions>{}{}{}{}{}",
                xml::el("CurrentReservedProcessingUnits", "ROR", &format!("{reserved:.2}")),
                xml::el("MaximumProcessingUnits", "CUD", &format!("{max:.2}")),
                xml::el("PoolID", "ROR", &id.to_string()),
                xml::el("AvailableProcUnits", "CUD", &format!("{:.2}", (max - used).max(0.0))),
                xml::el("PoolName", "CUR", name),
            );
            (uuid.clone(), xml::entry(&g.base, "SharedProcessorPool", &uuid, &body))
        })
        .collect();
    super::collection("SharedProcessorPool", entries, rest_of_path)
}
