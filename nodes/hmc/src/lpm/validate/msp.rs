//! The mover service partitions of an active migration: the ones `-i`
//! names, or the first ready one of each frame.

use super::{Asked, Inputs, Plan};
use crate::hscl::Hscl;
use pvmlab_common::model::{Partition, PartitionExt as _, lpar_state};
use pvmlab_common::proto::hmc::FrameView;

/// How `-i` names a mover service partition: `<side>_msp_name`, `_id`
/// and `_ipaddr` (the address its RMC connection, and so its mover
/// traffic, uses), each optional; all given must fit the one partition.
struct MspAsked<'a> {
    name: Option<&'a str>,
    id: Option<&'a str>,
    ipaddr: Option<&'a str>,
}

impl<'a> MspAsked<'a> {
    fn of(a: &'a Asked, side: &str) -> MspAsked<'a> {
        MspAsked {
            name: a.get(&format!("{side}_msp_name")),
            id: a.get(&format!("{side}_msp_id")),
            ipaddr: a.get(&format!("{side}_msp_ipaddr")),
        }
    }

    fn any(&self) -> Option<&'a str> {
        self.name.or(self.id).or(self.ipaddr)
    }

    /// The VIOS partition of a frame that fits.
    fn find<'f>(&self, f: &'f FrameView) -> Option<&'f Partition> {
        f.partitions.iter().find(|p| {
            p.is_vios()
                && self.name.is_none_or(|n| p.name == n)
                && self.id.is_none_or(|i| p.id.to_string() == i)
                && self.ipaddr.is_none_or(|a| p.rmc_ipaddr == a)
        })
    }
}

fn ready_msp(p: &Partition) -> bool {
    p.msp && p.state == lpar_state::RUNNING && p.rmc_state == "active"
}

fn pick(f: &FrameView, asked: &MspAsked, side: &str, plan: &mut Plan) -> Option<(u32, String)> {
    let Some(what) = asked.any() else {
        let found = f.partitions.iter().find(|p| ready_msp(p));
        if found.is_none() {
            plan.errors.push(format!(
                "There is no mover service partition with an active RMC connection on the {side} managed system {}. If no movers are available, the migration fails.",
                f.name
            ));
        }
        return found.map(|p| (p.id, p.name.clone()));
    };
    let refused = match asked.find(f) {
        Some(p) if ready_msp(p) => return Some((p.id, p.name.clone())),
        Some(p) if !p.msp => Hscl::NotMsp(p.name.clone()).to_string(),
        Some(p) => Hscl::MspUnreachable(p.name.clone()).to_string(),
        None => format!(
            "The {side} mover service partition {what} was not found on the managed system {}.",
            f.name
        ),
    };
    plan.errors.push(refused);
    None
}

/// Both sides' movers, into the plan.
pub(super) fn pick_both(i: &Inputs, plan: &mut Plan) {
    let a = i.asked;
    plan.source_msp = pick(i.src, &MspAsked::of(a, "source"), "source", plan);
    plan.dest_msp = pick(i.dst, &MspAsked::of(a, "dest"), "destination", plan);
}
