//! Dynamic LPAR of virtual adapters.

use super::*;
use pvmlab_common::model::AdapterKindExt as _;
use pvmlab_common::proto::model::AdapterKind;

/// The kind as the HMC's messages and attributes name it.
fn kind_name(kind: AdapterKind) -> Result<&'static str, FspError> {
    match kind {
        AdapterKind::Unspecified => Err(FspError::Invalid(
            "unknown adapter type (expected eth, scsi or fc)".into(),
        )),
        k => Ok(k.word()),
    }
}

/// The slots in use among a partition's current virtual adapters.
fn used_slots(c: &Resources) -> Vec<u32> {
    c.serial
        .iter()
        .map(|a| a.slot)
        .chain(c.scsi.iter().map(|a| a.slot))
        .chain(c.eth.iter().map(|a| a.slot))
        .chain(c.fc.iter().map(|a| a.slot))
        .collect()
}

/// Adds the adapter `spec` describes into a free slot of `c`.
fn add(
    c: &mut Resources,
    name: &str,
    kind: AdapterKind,
    slot: u32,
    spec: &str,
) -> Result<(), FspError> {
    use pvmlab_common::attrs::{parse_eth, parse_fc, parse_scsi};
    let invalid = FspError::Invalid;
    if used_slots(c).contains(&slot) {
        return Err(invalid(format!(
            "virtual slot {slot} of partition {name} is already in use"
        )));
    }
    if slot < 2 || slot >= c.max_virtual_slots {
        return Err(invalid(format!(
            "virtual slot {slot} is outside 2-{} for partition {name}",
            c.max_virtual_slots.saturating_sub(1)
        )));
    }
    match kind {
        AdapterKind::Eth => c.eth.push(parse_eth(spec).map_err(invalid)?),
        AdapterKind::Scsi => c.scsi.push(parse_scsi(spec).map_err(invalid)?),
        AdapterKind::Fc => c.fc.push(parse_fc(spec).map_err(invalid)?),
        AdapterKind::Unspecified => {
            kind_name(kind)?;
        }
    }
    Ok(())
}

/// Whether the adapter of `kind` in `slot` is required; None if there is none.
fn required(c: &Resources, kind: AdapterKind, slot: u32) -> Option<bool> {
    match kind {
        AdapterKind::Eth => c.eth.iter().find(|a| a.slot == slot).map(|a| a.required),
        AdapterKind::Scsi => c.scsi.iter().find(|a| a.slot == slot).map(|a| a.required),
        AdapterKind::Fc => c.fc.iter().find(|a| a.slot == slot).map(|a| a.required),
        AdapterKind::Unspecified => None,
    }
}

impl Hypervisor {
    /// Adds or removes a virtual adapter of a running partition. The slot
    /// must be free (add) or hold an adapter of that kind that is not
    /// required (remove). The profile is not changed, unless `profile`
    /// asks that a removed adapter go from the current profile too.
    pub fn change_adapter(
        &self,
        id: u32,
        add_it: bool,
        kind: AdapterKind,
        slot: u32,
        spec: &str,
        profile: bool,
    ) -> Result<Partition, FspError> {
        let kname = kind_name(kind)?;
        self.change(|p, _| {
            let l = p
                .lpars
                .get_mut(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if l.state != lpar_state::RUNNING {
                return Err(FspError::LparState {
                    name: l.name.clone(),
                    state: l.state.clone(),
                    needed: lpar_state::RUNNING.into(),
                });
            }
            let name = l.name.clone();
            let c = l.curr.get_or_insert_with(Default::default);
            if add_it {
                add(c, &name, kind, slot, spec)?;
                return Ok(l.clone());
            }
            match required(c, kind, slot) {
                None => {
                    return Err(FspError::Invalid(format!(
                        "partition {name} has no virtual {kname} adapter in slot {slot}"
                    )));
                }
                Some(true) => {
                    return Err(FspError::Invalid(format!(
                        "the adapter in slot {slot} is required by partition {name} and cannot be removed dynamically"
                    )));
                }
                Some(false) => {}
            }
            let is = |k: AdapterKind, s: u32| k == kind && s == slot;
            c.eth.retain(|a| !is(AdapterKind::Eth, a.slot));
            c.scsi.retain(|a| !is(AdapterKind::Scsi, a.slot));
            c.fc.retain(|a| !is(AdapterKind::Fc, a.slot));
            let current = l.curr_profile.clone();
            let in_profile = l.profiles.iter_mut().find(|pr| pr.name == current);
            if let Some(pr) = in_profile.filter(|_| profile) {
                pr.virtual_eth_adapters
                    .retain(|a| !is(AdapterKind::Eth, a.slot));
                pr.virtual_scsi_adapters
                    .retain(|a| !is(AdapterKind::Scsi, a.slot));
                pr.virtual_fc_adapters
                    .retain(|a| !is(AdapterKind::Fc, a.slot));
            }
            Ok(l.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources() -> Resources {
        Resources {
            max_virtual_slots: 10,
            ..Default::default()
        }
    }

    #[test]
    fn an_adapter_goes_into_a_free_slot_in_range() {
        let mut c = resources();
        add(&mut c, "lpar1", AdapterKind::Eth, 2, "2/0/1//0/0").unwrap();
        assert_eq!(used_slots(&c), vec![2]);
        assert_eq!(required(&c, AdapterKind::Eth, 2), Some(false));
        assert_eq!(required(&c, AdapterKind::Scsi, 2), None);
        let e = add(&mut c, "lpar1", AdapterKind::Eth, 2, "2/0/1//0/0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "virtual slot 2 of partition lpar1 is already in use"
        );
        let e = add(&mut c, "lpar1", AdapterKind::Eth, 10, "10/0/1//0/0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "virtual slot 10 is outside 2-9 for partition lpar1"
        );
        assert!(add(&mut c, "lpar1", AdapterKind::Unspecified, 3, "").is_err());
    }
}
