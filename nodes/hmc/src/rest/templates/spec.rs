//! What a partition template says, read from its XML (the elements
//! Ansible's `powervm_lpar_instance` edits: `partitionName`,
//! `partitionId`, `currMaxVirtualIOSlots`, the shared or dedicated
//! processor section with `currHasDedicatedProcessors` and
//! `currSharingMode`, `currMinMemory`/`currMemory`/`currMaxMemory`,
//! `currProcessorCompatibilityMode`, and the adapters it adds:
//! `clientNetworkAdapters`, `virtualSCSIClientAdapters`,
//! `virtualFibreChannelClientAdapters`); the check of it against a managed
//! system; and the partition it deploys as, in the attribute names
//! `mksyscfg` takes, so a deploy is the command line's partition creation.

use super::super::quick::SHARING_MODES;
use crate::commands::config::{Attrs, ProfileInput};
use crate::commands::mksyscfg::{LparEnv, Mksyscfg, New, NewLpar};
use pvmlab_common::attrs::{check_profile, default_profile, fmt_units};
use pvmlab_common::proto::hmc::FrameView;

/// The profile a deployed partition gets, as a new partition's first one.
pub const PROFILE: &str = "default_profile";

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub lpar_name: String,
    /// None: the next free id.
    pub lpar_id: Option<u32>,
    pub env: Env,
    pub max_virtual_slots: u32,
    pub dedicated: bool,
    /// The profile's word (cap, uncap, share_idle_procs …).
    pub sharing_mode: String,
    pub min_procs: u32,
    pub desired_procs: u32,
    pub max_procs: u32,
    pub min_units: f64,
    pub desired_units: f64,
    pub max_units: f64,
    pub weight: u32,
    pub pool: u32,
    pub min_mem: u64,
    pub desired_mem: u64,
    pub max_mem: u64,
    pub compat_mode: String,
    pub srr: bool,
    /// `clientNetworkAdapters`: the virtual network (`VLAN<id>-<switch>`)
    /// of each client Ethernet adapter, and its slot if the template names one.
    pub networks: Vec<(Option<u32>, String)>,
    /// `virtualSCSIClientAdapters` and `virtualFibreChannelClientAdapters`:
    /// storage mapped through a VIOS once the partition exists.
    pub storage: Vec<Storage>,
}

/// A disk or FC port a deployed partition reaches through a VIOS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub vios: String,
    pub backing: crate::vmap::Backing,
    pub client_slot: Option<u32>,
    pub server_slot: Option<u32>,
    pub wwpns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    AixLinux,
    Vios,
    /// IBM i: its templates exist, but no frame of the lab runs it.
    IbmI,
}

/// The text of the first element `name` (any namespace) in `node`.
fn text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or_default().trim())
}

fn within<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn num<T: std::str::FromStr>(
    node: Option<roxmltree::Node<'_, '_>>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match node.and_then(|n| text(n, name)) {
        None | Some("") => Ok(default),
        Some(t) => t
            .parse()
            .map_err(|_| format!("The value {t:?} of {name} in the template is not valid.")),
    }
}

/// The direct child `name` of `node`, with text.
fn own(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|n| n.tag_name().name() == name)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn slot_of(node: roxmltree::Node<'_, '_>, name: &str) -> Result<Option<u32>, String> {
    own(node, name)
        .map(|t| {
            t.parse()
                .map_err(|_| format!("The value {t:?} of {name} in the template is not valid."))
        })
        .transpose()
}

fn elements<'a, 'i>(
    root: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    root.descendants()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn networks(root: roxmltree::Node<'_, '_>) -> Result<Vec<(Option<u32>, String)>, String> {
    elements(root, "ClientNetworkAdapter")
        .filter_map(|a| {
            let name = elements(a, "ClientVirtualNetwork").find_map(|n| own(n, "name"))?;
            Some(slot_of(a, "VirtualSlotNumber").map(|s| (s, name)))
        })
        .collect()
}

fn storage(root: roxmltree::Node<'_, '_>) -> Result<Vec<Storage>, String> {
    use crate::vmap::Backing;
    let mut out = Vec::new();
    for a in elements(root, "VirtualSCSIClientAdapter") {
        let Some(disk) = elements(a, "PhysicalVolume").find_map(|n| own(n, "name")) else {
            continue;
        };
        out.push(Storage {
            vios: own(a, "connectingPartitionName")
                .ok_or("A virtual SCSI client adapter of the template names no VIOS.")?,
            backing: Backing::Disk(disk),
            client_slot: slot_of(a, "VirtualSlotNumber")?,
            server_slot: None,
            wwpns: Vec::new(),
        });
    }
    for a in elements(root, "VirtualFibreChannelClientAdapter") {
        let Some(port) = own(a, "portName") else {
            continue;
        };
        out.push(Storage {
            vios: own(a, "connectingPartitionName")
                .ok_or("A virtual FC client adapter of the template names no VIOS.")?,
            backing: Backing::Port(port),
            client_slot: slot_of(a, "VirtualSlotNumber")?,
            server_slot: slot_of(a, "remoteAdapterID")?,
            wwpns: own(a, "wwpns")
                .map(|w| w.split_whitespace().map(str::to_lowercase).collect())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// `VLAN<id>-<switch>`, the name the HMC gives a virtual network.
fn vlan_of(network: &str) -> Option<(u32, String)> {
    let (vlan, switch) = network.strip_prefix("VLAN")?.split_once('-')?;
    Some((vlan.parse().ok()?, switch.to_string()))
}

impl Spec {
    /// Reads a PartitionTemplate (its root element).
    pub fn parse(root: roxmltree::Node<'_, '_>) -> Result<Spec, String> {
        let r = Some(root);
        let env = match text(root, "partitionType").unwrap_or("AIX/Linux") {
            "AIX/Linux" => Env::AixLinux,
            "Virtual IO Server" => Env::Vios,
            "OS400" | "IBMi" => Env::IbmI,
            t => {
                return Err(format!(
                    "The partition type {t:?} in the template is not valid."
                ));
            }
        };
        let flag = |name: &str| -> Result<bool, String> {
            match text(root, name) {
                None | Some("") | Some("false") => Ok(false),
                Some("true") => Ok(true),
                Some(t) => Err(format!(
                    "The value {t:?} of {name} in the template is not valid."
                )),
            }
        };
        let dedicated = flag("currHasDedicatedProcessors")?;
        let mode = text(root, "currSharingMode").unwrap_or(if dedicated {
            "sre idle proces"
        } else {
            "uncapped"
        });
        let sharing_mode = SHARING_MODES
            .iter()
            .find(|(r, w)| *r == mode || *w == mode)
            .map(|(_, w)| w.to_string())
            .ok_or_else(|| format!("The sharing mode {mode:?} in the template is not valid."))?;
        let shared = within(root, "sharedProcessorConfiguration");
        let ded = within(root, "dedicatedProcessorConfiguration");
        let (min_procs, desired_procs, max_procs) = if dedicated {
            (
                num(ded, "minProcessors", 1)?,
                num(ded, "desiredProcessors", 1)?,
                num(ded, "maxProcessors", 1)?,
            )
        } else {
            (
                num(shared, "minVirtualProcessors", 1)?,
                num(shared, "desiredVirtualProcessors", 1)?,
                num(shared, "maxVirtualProcessors", 1)?,
            )
        };
        let id: u32 = num(r, "partitionId", 0)?;
        Ok(Spec {
            lpar_name: text(root, "partitionName").unwrap_or_default().to_string(),
            lpar_id: (id != 0).then_some(id),
            env,
            max_virtual_slots: num(r, "currMaxVirtualIOSlots", 20)?,
            dedicated,
            sharing_mode,
            min_procs,
            desired_procs,
            max_procs,
            min_units: num(shared, "minProcessingUnits", 0.1)?,
            desired_units: num(shared, "desiredProcessingUnits", 0.1)?,
            max_units: num(shared, "maxProcessingUnits", 0.1)?,
            weight: num(shared, "uncappedWeight", 128)?,
            pool: num(shared, "sharedProcessorPoolId", 0)?,
            min_mem: num(r, "currMinMemory", 1024)?,
            desired_mem: num(r, "currMemory", 2048)?,
            max_mem: num(r, "currMaxMemory", 2048)?,
            compat_mode: text(root, "currProcessorCompatibilityMode")
                .filter(|t| !t.is_empty())
                .unwrap_or("default")
                .to_string(),
            srr: flag("SimplifiedRemoteRestartEnable")?,
            networks: networks(root)?,
            storage: storage(root)?,
        })
    }

    /// The profile attributes of the partition, as `mksyscfg -i` takes them.
    pub fn attrs(&self) -> Attrs {
        let mut a: Vec<(&str, String)> = vec![
            ("min_mem", self.min_mem.to_string()),
            ("desired_mem", self.desired_mem.to_string()),
            ("max_mem", self.max_mem.to_string()),
            (
                "proc_mode",
                if self.dedicated { "ded" } else { "shared" }.into(),
            ),
            ("min_procs", self.min_procs.to_string()),
            ("desired_procs", self.desired_procs.to_string()),
            ("max_procs", self.max_procs.to_string()),
            ("sharing_mode", self.sharing_mode.clone()),
            ("max_virtual_slots", self.max_virtual_slots.to_string()),
            ("lpar_proc_compat_mode", self.compat_mode.clone()),
        ];
        if !self.dedicated {
            a.extend([
                ("min_proc_units", fmt_units(self.min_units)),
                ("desired_proc_units", fmt_units(self.desired_units)),
                ("max_proc_units", fmt_units(self.max_units)),
                ("shared_proc_pool_id", self.pool.to_string()),
            ]);
            if self.sharing_mode == "uncap" {
                a.push(("uncap_weight", self.weight.to_string()));
            }
        }
        if !self.networks.is_empty() {
            a.push(("virtual_eth_adapters", self.eth_adapters()));
        }
        a.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The client Ethernet adapters in the profile layout, the slots the
    /// template leaves open taken from 2 up (0 and 1 are the serial ones).
    fn eth_adapters(&self) -> String {
        let asked: Vec<u32> = self.networks.iter().filter_map(|(s, _)| *s).collect();
        let mut free = (2..).filter(|s| !asked.contains(s));
        self.networks
            .iter()
            .map(|(slot, net)| {
                let slot = slot.unwrap_or_else(|| free.next().unwrap_or(2));
                let (vlan, switch) = vlan_of(net).unwrap_or((1, "ETHERNET0".into()));
                format!("{slot}/0/{vlan}//0/0/{switch}//all/none")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Checks the template against managed system `f`, as the HMC's Check
    /// does before it deploys: the first thing that does not fit.
    pub fn check(&self, f: &FrameView) -> Result<(), String> {
        let sys = &f.name;
        let fr = f.frame.clone().unwrap_or_default();
        let name = &self.lpar_name;
        if name.is_empty() || name.len() > 47 {
            return Err("The partition name in the template must be 1 to 47 characters.".into());
        }
        if self.env == Env::IbmI {
            return Err(format!(
                "The managed system {sys} does not support IBM i partitions."
            ));
        }
        if f.partitions.iter().any(|p| &p.name == name) {
            return Err(format!(
                "A partition named {name} already exists on the managed system {sys}."
            ));
        }
        if let Some(id) = self.lpar_id {
            if fr.max_lpars > 0 && id > fr.max_lpars {
                return Err(format!(
                    "The partition ID {id} is more than the managed system's maximum of {}.",
                    fr.max_lpars
                ));
            }
            if f.partitions.iter().any(|p| p.id == id) {
                return Err(format!(
                    "The partition ID {id} is already used on the managed system {sys}."
                ));
            }
        }
        if !fr.compat_modes.is_empty()
            && self.compat_mode != "default"
            && !fr
                .compat_modes
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&self.compat_mode))
        {
            return Err(format!(
                "The processor compatibility mode {} is not supported by the managed system {sys}.",
                self.compat_mode
            ));
        }
        let prof = self.profile(f)?;
        check_profile(&prof).map_err(|e| format!("The template's values are not valid: {e}."))?;
        let lmb = fr.lmb_mb.max(1);
        for (what, mb) in [
            ("minimum", self.min_mem),
            ("desired", self.desired_mem),
            ("maximum", self.max_mem),
        ] {
            if mb % lmb != 0 {
                return Err(format!(
                    "The {what} memory {mb} MB is not a multiple of the managed system's logical memory block size {lmb} MB."
                ));
            }
        }
        if fr.memory_mb > 0 && self.desired_mem > fr.memory_mb {
            return Err(format!(
                "The desired memory {} MB is more than the managed system {sys} has ({} MB).",
                self.desired_mem, fr.memory_mb
            ));
        }
        let procs = if self.dedicated {
            f64::from(self.desired_procs)
        } else {
            self.desired_units
        };
        if fr.processors > 0.0 && procs > fr.processors + 1e-9 {
            return Err(format!(
                "The desired processors {} are more than the managed system {sys} has ({}).",
                fmt_units(procs),
                fmt_units(fr.processors)
            ));
        }
        let switches = super::super::network::switches(f);
        for (_, net) in &self.networks {
            let known = vlan_of(net).is_some_and(|(vlan, sw)| {
                switches
                    .iter()
                    .any(|(name, vlans)| *name == sw && vlans.contains_key(&vlan))
            });
            if !known {
                return Err(format!(
                    "The virtual network {net} does not exist on the managed system {sys}."
                ));
            }
        }
        for s in &self.storage {
            if !f
                .partitions
                .iter()
                .any(|p| p.name == s.vios && p.lpar_env == "vioserver")
            {
                return Err(format!(
                    "The Virtual I/O Server {} does not exist on the managed system {sys}.",
                    s.vios
                ));
            }
        }
        if !self.dedicated && self.pool != 0 && !fr.pools.iter().any(|p| p.id == self.pool) {
            return Err(format!(
                "The shared processor pool {} does not exist on the managed system {sys}.",
                self.pool
            ));
        }
        Ok(())
    }

    /// The profile the partition would get.
    fn profile(&self, f: &FrameView) -> Result<pvmlab_common::model::Profile, String> {
        let mut prof = default_profile(PROFILE);
        ProfileInput::parse(&self.attrs())
            .and_then(|i| i.apply(f, &mut prof))
            .map_err(|e| e.to_string())?;
        Ok(prof)
    }

    /// The `mksyscfg -r lpar` that deploys the template on `f`.
    pub fn command(&self, f: &FrameView) -> Result<Mksyscfg, String> {
        let env = match self.env {
            Env::AixLinux => LparEnv::AixLinux,
            Env::Vios => LparEnv::Vios,
            Env::IbmI => return Err(self.check(f).err().unwrap_or_default()),
        };
        Ok(Mksyscfg {
            frame: f.name.clone(),
            records: New::Lpars(vec![NewLpar {
                name: self.lpar_name.clone(),
                env,
                profile_name: PROFILE.into(),
                id: self.lpar_id.unwrap_or(0),
                remote_restart: self.srr,
                simplified_remote_restart: self.srr,
                msp: false,
                avail_priority: if env == LparEnv::Vios { 191 } else { 127 },
                profile: ProfileInput::parse(&self.attrs()).map_err(|e| e.to_string())?,
            }]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{Frame, Partition};

    fn frame() -> FrameView {
        FrameView {
            name: "sys2".into(),
            frame: Some(Frame {
                memory_mb: 65536,
                processors: 8.0,
                lmb_mb: 256,
                max_lpars: 32,
                compat_modes: vec!["default".into(), "POWER8".into()],
                ..Default::default()
            }),
            partitions: vec![Partition {
                id: 4,
                name: "aix72a".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn spec(body: &str) -> Result<Spec, String> {
        let x = super::super::store::builtin_body("QuickStart_lpar_rpa_2", "AIX/Linux").replace(
            "<partitionName kb=\"CUD\" kxe=\"false\">lpar</partitionName>",
            body,
        );
        let doc = format!("<PartitionTemplate xmlns=\"t\">{x}</PartitionTemplate>");
        let d = roxmltree::Document::parse(&doc).map_err(|e| e.to_string())?;
        Spec::parse(d.root_element())
    }

    #[test]
    fn the_quickstart_template_deploys_a_dedicated_aix_partition() {
        let s = spec("<partitionName>web01</partitionName>").unwrap();
        assert_eq!(s.lpar_name, "web01");
        assert!(s.dedicated);
        assert_eq!(s.sharing_mode, "share_idle_procs");
        assert_eq!(s.check(&frame()), Ok(()));
        let m = s.command(&frame()).unwrap();
        let New::Lpars(l) = m.records else {
            panic!("a partition")
        };
        assert_eq!(
            (l[0].name.as_str(), l[0].env, l[0].id),
            ("web01", LparEnv::AixLinux, 0)
        );
    }

    #[test]
    fn ansibles_shared_processor_edit_is_read() {
        // As updateProcMemSettingsToDom leaves it: the shared section in
        // place of the dedicated one, currHasDedicatedProcessors false.
        let x = super::super::store::builtin_body("QuickStart_lpar_rpa_2", "AIX/Linux")
            .replace(
                "<partitionName kb=\"CUD\" kxe=\"false\">lpar</partitionName>",
                "<partitionName>db09</partitionName>",
            )
            .replace(
                ">true</currHasDedicatedProcessors>",
                ">false</currHasDedicatedProcessors>",
            )
            .replace(
                ">sre idle proces</currSharingMode>",
                ">uncapped</currSharingMode>",
            );
        let doc = format!("<PartitionTemplate xmlns=\"t\">{x}</PartitionTemplate>");
        let d = roxmltree::Document::parse(&doc).unwrap();
        let s = Spec::parse(d.root_element()).unwrap();
        assert!(!s.dedicated);
        assert_eq!(s.sharing_mode, "uncap");
        let a = s.attrs();
        assert!(a.contains(&("proc_mode".into(), "shared".into())));
        assert!(a.contains(&("uncap_weight".into(), "128".into())));
        assert_eq!(s.check(&frame()), Ok(()));
    }

    #[test]
    fn the_adapters_ansible_adds_are_read_and_checked() {
        // As updateVirtualNWSettingsToDom, add_vscsi and updateFCSettingsToDom
        // leave them.
        let s = spec(
            "<partitionName>full1</partitionName>\
             <clientNetworkAdapters><ClientNetworkAdapter><VirtualSlotNumber>10</VirtualSlotNumber>\
             <clientVirtualNetworks><ClientVirtualNetwork><name>VLAN100-ETHERNET0</name></ClientVirtualNetwork>\
             </clientVirtualNetworks></ClientNetworkAdapter><ClientNetworkAdapter><clientVirtualNetworks>\
             <ClientVirtualNetwork><name>VLAN1-ETHERNET0</name></ClientVirtualNetwork></clientVirtualNetworks>\
             </ClientNetworkAdapter></clientNetworkAdapters>\
             <virtualSCSIClientAdapters><VirtualSCSIClientAdapter><associatedPhysicalVolume><PhysicalVolume>\
             <name>hdisk8</name></PhysicalVolume></associatedPhysicalVolume>\
             <connectingPartitionName>vios1</connectingPartitionName></VirtualSCSIClientAdapter></virtualSCSIClientAdapters>\
             <virtualFibreChannelClientAdapters><VirtualFibreChannelClientAdapter><locationCode>U-P2-C1-T1</locationCode>\
             <connectingPartitionName>vios1</connectingPartitionName><portName>fcs0</portName>\
             </VirtualFibreChannelClientAdapter></virtualFibreChannelClientAdapters>",
        )
        .unwrap();
        assert_eq!(
            s.eth_adapters(),
            "10/0/100//0/0/ETHERNET0//all/none,2/0/1//0/0/ETHERNET0//all/none"
        );
        assert_eq!(s.storage.len(), 2);
        assert_eq!(
            s.storage[0].backing,
            crate::vmap::Backing::Disk("hdisk8".into())
        );
        assert_eq!(
            s.storage[1].backing,
            crate::vmap::Backing::Port("fcs0".into())
        );
        // The frame has neither VLAN 100 nor a vios1.
        assert!(
            s.check(&frame())
                .unwrap_err()
                .contains("VLAN100-ETHERNET0 does not exist")
        );
    }

    #[test]
    fn what_does_not_fit_the_frame_fails_the_check() {
        let f = frame();
        let bad = |s: Spec| s.check(&f).unwrap_err();
        let ok = spec("<partitionName>web01</partitionName>").unwrap();
        assert!(
            bad(Spec {
                lpar_name: "aix72a".into(),
                ..ok.clone()
            })
            .contains("already exists")
        );
        assert!(
            bad(Spec {
                lpar_name: String::new(),
                ..ok.clone()
            })
            .contains("1 to 47")
        );
        assert!(
            bad(Spec {
                lpar_id: Some(4),
                ..ok.clone()
            })
            .contains("already used")
        );
        assert!(
            bad(Spec {
                lpar_id: Some(99),
                ..ok.clone()
            })
            .contains("maximum")
        );
        assert!(
            bad(Spec {
                desired_mem: 999_999 * 256,
                max_mem: 999_999 * 256,
                ..ok.clone()
            })
            .contains("more than")
        );
        assert!(
            bad(Spec {
                desired_mem: 1000,
                ..ok.clone()
            })
            .contains("not valid")
                || bad(Spec {
                    desired_mem: 1000,
                    ..ok.clone()
                })
                .contains("logical memory block")
        );
        assert!(
            bad(Spec {
                min_mem: 1000,
                desired_mem: 1000,
                ..ok.clone()
            })
            .contains("logical memory block")
        );
        assert!(
            bad(Spec {
                desired_mem: 8192,
                ..ok.clone()
            })
            .contains("min_mem <= desired_mem <= max_mem")
        );
        assert!(
            bad(Spec {
                compat_mode: "POWER10".into(),
                ..ok.clone()
            })
            .contains("compatibility")
        );
        assert!(
            bad(Spec {
                env: Env::IbmI,
                ..ok.clone()
            })
            .contains("IBM i")
        );
        assert!(spec("<partitionName>x</partitionName><currMemory>lots</currMemory>").is_err());
    }
}
