//! The adapter plan: for each virtual SCSI and fibre channel client
//! adapter of the migrating partition, the destination VIOS that will
//! serve it and the slot the HMC creates there, keeping the multipath
//! layout (adapters served by N source VIOS partitions go to N
//! destination VIOS partitions). Pure: it reads the validation's inputs
//! and writes the plan's moves, errors and warnings.

use super::validate::{Inputs, Plan};
use crate::hscl::Hscl;
use pvmlab_common::model::{Partition, PartitionExt as _, Profile, ViosDevices, lpar_state};
use std::collections::{BTreeMap, HashMap};

/// The two kinds of virtual storage adapter a migration moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterKind {
    Scsi,
    Fc,
}

impl AdapterKind {
    /// The name the FSP and the migration record use.
    pub fn as_str(self) -> &'static str {
        use pvmlab_common::model::AdapterKindExt as _;
        pvmlab_common::model::AdapterKind::from(self).word()
    }

    /// The kind a migration record's slot names (`ViosSlot.kind`).
    pub fn of_name(name: &str) -> Option<AdapterKind> {
        [AdapterKind::Scsi, AdapterKind::Fc]
            .into_iter()
            .find(|k| k.as_str() == name)
    }

    fn title(self) -> &'static str {
        match self {
            AdapterKind::Scsi => "SCSI",
            AdapterKind::Fc => "fibre channel",
        }
    }
}

impl From<AdapterKind> for pvmlab_common::model::AdapterKind {
    fn from(k: AdapterKind) -> Self {
        match k {
            AdapterKind::Scsi => pvmlab_common::model::AdapterKind::Scsi,
            AdapterKind::Fc => pvmlab_common::model::AdapterKind::Fc,
        }
    }
}

/// Listings (lslparmigr) pick moves by the kind's name as they print it.
impl PartialEq<&str> for AdapterKind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// One virtual SCSI or fibre channel client adapter and where it goes.
#[derive(Clone, Debug)]
pub struct AdapterMove {
    pub kind: AdapterKind,
    pub client_slot: u32,
    pub dest_vios: u32,
    pub dest_vios_name: String,
    pub dest_slot: u32,
    pub luns: Vec<String>,
}

/// A client adapter of the migrating partition, as its side names its
/// server: the VIOS partition id and slot, unparsed.
struct Client {
    kind: AdapterKind,
    slot: u32,
    remote_lpar_id: String,
    remote_slot: String,
}

/// The client adapters that move: as the partition runs (active), else
/// as its profile has them.
fn clients(l: &Partition, prof: &Profile, active: bool) -> Vec<Client> {
    let (scsi, fc) = match &l.curr {
        Some(c) if active => (&c.scsi, &c.fc),
        _ => (&prof.virtual_scsi_adapters, &prof.virtual_fc_adapters),
    };
    let scsi = scsi.iter().filter(|a| !a.server).map(|a| Client {
        kind: AdapterKind::Scsi,
        slot: a.slot,
        remote_lpar_id: a.remote_lpar_id.clone(),
        remote_slot: a.remote_slot.clone(),
    });
    let fc = fc.iter().filter(|a| !a.server).map(|a| Client {
        kind: AdapterKind::Fc,
        slot: a.slot,
        remote_lpar_id: a.remote_lpar_id.clone(),
        remote_slot: a.remote_slot.clone(),
    });
    scsi.chain(fc).collect()
}

/// `virtual_scsi_mappings` and `virtual_fc_mappings`: client slot to the
/// destination VIOS asked for, by name and/or id (`slot/name/id`).
fn asked_mappings(i: &Inputs) -> BTreeMap<u32, (String, String)> {
    i.asked
        .get("virtual_scsi_mappings")
        .into_iter()
        .chain(i.asked.get("virtual_fc_mappings"))
        .flat_map(|v| v.split(','))
        .filter_map(|m| {
            let mut p = m.split('/');
            let slot = p.next()?.parse().ok()?;
            let name = p.next().unwrap_or("").to_string();
            let id = p.next().unwrap_or("").to_string();
            Some((slot, (name, id)))
        })
        .collect()
}

/// Slots that migrations under way promised on the destination VIOS
/// partitions (their shells' records): not free, though not made yet.
fn promised_slots(dst: &[Partition]) -> HashMap<u32, Vec<u32>> {
    let mut taken: HashMap<u32, Vec<u32>> = HashMap::new();
    for s in dst
        .iter()
        .filter_map(|p| p.migration.as_ref().filter(|m| !m.source))
        .flat_map(|m| &m.dest_vios_slots)
    {
        taken.entry(s.vios_id).or_default().push(s.slot);
    }
    taken
}

/// The lowest slot from 10 that a VIOS uses nowhere, nor has promised.
pub(crate) fn next_free_slot(vios: &Partition, taken: &[u32]) -> u32 {
    let mut used: Vec<u32> = taken.to_vec();
    if let Some(c) = &vios.curr {
        used.extend(c.scsi.iter().map(|a| a.slot));
        used.extend(c.eth.iter().map(|a| a.slot));
        used.extend(c.fc.iter().map(|a| a.slot));
        used.extend(c.serial.iter().map(|a| a.slot));
    }
    for p in &vios.profiles {
        used.extend(p.virtual_scsi_adapters.iter().map(|a| a.slot));
        used.extend(p.virtual_eth_adapters.iter().map(|a| a.slot));
        used.extend(p.virtual_fc_adapters.iter().map(|a| a.slot));
    }
    (10..).find(|s| !used.contains(s)).unwrap_or(10)
}

/// The disks a source VIOS maps to the client through a vSCSI server
/// slot (0: any of its slots).
fn source_luns(devs: &ViosDevices, client: u32, src_slot: u32) -> Vec<String> {
    devs.vscsi
        .iter()
        .filter(|m| m.client_lpar_id == client && (src_slot == 0 || m.server_slot == src_slot))
        .map(|m| m.lun_id.clone())
        .collect()
}

/// Whether a destination VIOS sees every disk (no_reserve) or has a
/// fibre channel port for NPIV.
fn can_host(
    dst_devices: &HashMap<u32, ViosDevices>,
    v: &Partition,
    c: &Client,
    luns: &[String],
) -> bool {
    let Some(d) = dst_devices.get(&v.id) else {
        return false;
    };
    match c.kind {
        AdapterKind::Scsi => luns.iter().all(|lun| {
            d.luns
                .iter()
                .any(|x| &x.id == lun && x.reserve_policy == "no_reserve")
        }),
        AdapterKind::Fc => !d.npiv.is_empty(),
    }
}

fn push_once(to: &mut Vec<String>, msg: String) {
    if !to.contains(&msg) {
        to.push(msg);
    }
}

/// What the choice of a destination VIOS for one adapter came to.
enum Choice<'p> {
    Vios(&'p Partition),
    /// No destination VIOS can host it.
    Nobody,
    /// Refused, the error already in the plan.
    Refused,
}

/// The plan being built, and what it remembers between adapters.
struct Planner<'i, 'p> {
    i: &'i Inputs<'p>,
    plan: &'i mut Plan,
    dst_vios: Vec<&'p Partition>,
    asked: BTreeMap<u32, (String, String)>,
    /// Which destination VIOS each source VIOS went to, for the layout.
    layout: HashMap<u32, u32>,
    taken: HashMap<u32, Vec<u32>>,
}

impl<'p> Planner<'_, 'p> {
    /// The VIOS -i names for the adapter, if it can host it.
    fn asked_for(&mut self, c: &Client, luns: &[String], name: &str, id: &str) -> Choice<'p> {
        let v = self.dst_vios.iter().copied().find(|v| {
            (name.is_empty() || v.name == name) && (id.is_empty() || v.id.to_string() == id)
        });
        match v {
            Some(v) if can_host(self.i.dst_devices, v, c, luns) => Choice::Vios(v),
            Some(v) => {
                self.plan.errors.push(
                    Hscl::CannotHost {
                        vios: v.name.clone(),
                        slot: c.slot,
                        detail: None,
                    }
                    .to_string(),
                );
                Choice::Refused
            }
            None => {
                self.plan.errors.push(format!(
                    "The Virtual I/O Server partition {name}{id} named for adapter {} was not found on the destination managed system.",
                    c.slot
                ));
                Choice::Refused
            }
        }
    }

    /// A VIOS that can host the adapter, keeping the layout: the one its
    /// source VIOS's other adapters went to, else one not used yet, else
    /// (losing redundancy, as --mpio allows) any.
    fn automatic(&mut self, c: &Client, luns: &[String], src_vios: u32) -> Choice<'p> {
        let cands: Vec<&'p Partition> = self
            .dst_vios
            .iter()
            .copied()
            .filter(|v| can_host(self.i.dst_devices, v, c, luns))
            .collect();
        if let Some(d) = self.layout.get(&src_vios) {
            if let Some(v) = cands.iter().copied().find(|v| v.id == *d) {
                return Choice::Vios(v);
            }
        }
        let used: Vec<u32> = self.layout.values().copied().collect();
        if let Some(v) = cands.iter().copied().find(|v| !used.contains(&v.id)) {
            return Choice::Vios(v);
        }
        let Some(v) = cands.first().copied() else {
            return Choice::Nobody;
        };
        match self.i.asked.mpio {
            0 => Choice::Vios(v),
            2 => {
                push_once(&mut self.plan.warnings, Hscl::NoRedundancy.to_string());
                Choice::Vios(v)
            }
            _ => {
                push_once(&mut self.plan.errors, Hscl::NoRedundancy.to_string());
                Choice::Refused
            }
        }
    }

    fn adapter(&mut self, c: Client) {
        let l = self.i.lpar;
        let Ok(src_vios) = c.remote_lpar_id.parse::<u32>() else {
            self.plan.errors.push(format!(
                "The virtual {} adapter {} of the migrating partition does not name one Virtual I/O Server partition ({}).",
                c.kind.title(),
                c.slot,
                c.remote_lpar_id
            ));
            return;
        };
        let src_slot: u32 = c.remote_slot.parse().unwrap_or(0);
        let Some(devs) = self.i.src_devices.get(&src_vios) else {
            self.plan.errors.push(
                Hscl::RmcFailed {
                    lpar: String::new(),
                    detail: None,
                }
                .to_string(),
            );
            return;
        };
        let luns = match c.kind {
            AdapterKind::Scsi => source_luns(devs, l.id, src_slot),
            AdapterKind::Fc => Vec::new(),
        };
        for lun in &luns {
            if let Some(d) = devs.luns.iter().find(|d| &d.id == lun) {
                if d.reserve_policy != "no_reserve" {
                    self.plan.errors.push(format!("The disk {} ({lun}) that backs virtual SCSI adapter {} has reserve_policy={} on the source Virtual I/O Server; it must be no_reserve.", d.hdisk, c.slot, d.reserve_policy));
                }
            }
        }
        let choice = match self.asked.get(&c.slot).cloned() {
            Some((name, id)) => self.asked_for(&c, &luns, &name, &id),
            None => self.automatic(&c, &luns, src_vios),
        };
        let v = match choice {
            Choice::Vios(v) => v,
            Choice::Refused => return,
            Choice::Nobody => {
                self.plan.errors.push(match c.kind {
                    AdapterKind::Scsi => format!("The migrating partition's virtual SCSI adapter {} cannot be hosted by the existing virtual I/O server (VIOS) partitions on the destination managed system. None of them sees every disk of the adapter through a no_reserve LUN.", c.slot),
                    AdapterKind::Fc => Hscl::FcCannotHost(c.slot).to_string(),
                });
                return;
            }
        };
        self.layout.insert(src_vios, v.id);
        let t = self.taken.entry(v.id).or_default();
        let dest_slot = next_free_slot(v, t);
        t.push(dest_slot);
        self.plan.moves.push(AdapterMove {
            kind: c.kind,
            client_slot: c.slot,
            dest_vios: v.id,
            dest_vios_name: v.name.clone(),
            dest_slot,
            luns,
        });
    }
}

/// Maps each client vSCSI and vFC adapter to a destination VIOS that can
/// host it (see the module's doc).
pub(crate) fn plan_adapters(i: &Inputs, prof: &Profile, plan: &mut Plan) {
    let dst_vios = i
        .dst
        .partitions
        .iter()
        .filter(|p| p.is_vios() && p.state == lpar_state::RUNNING)
        .collect();
    let items = clients(i.lpar, prof, plan.active);
    let mut planner = Planner {
        i,
        plan,
        dst_vios,
        asked: asked_mappings(i),
        layout: HashMap::new(),
        taken: promised_slots(&i.dst.partitions),
    };
    for c in items {
        planner.adapter(c);
    }
}
