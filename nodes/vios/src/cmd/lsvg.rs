//! `lsvg`: the VIOS's volume groups. A VIOS that serves whole SAN disks
//! has rootvg alone, on its two internal disks (mirrored).

use super::args::{self, Arity};
use super::inventory::{Inventory, fnv};
use super::{CmdError, Command, Done, Env};
use pvmlab_common::model::ViosDevices;

const USAGE: &str = "\
Usage: lsvg [-map | -lv | -pv] [-field FieldName ...] [-fmt Delimiter] VolumeGroup ...
       lsvg";

const SPEC: args::Spec = &[("-lv", Arity::Flag), ("-pv", Arity::Flag)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Summary,
    Lv,
    Pv,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lsvg {
    /// None: list the volume groups.
    pub vg: Option<(String, View)>,
}

/// The logical volumes of a VIOS's rootvg: name, type, LPs, mount point.
const ROOT_LVS: &[(&str, &str, u64, &str)] = &[
    ("hd5", "boot", 1, "N/A"),
    ("hd6", "paging", 4, "N/A"),
    ("paging00", "paging", 2, "N/A"),
    ("hd8", "jfs2log", 1, "N/A"),
    ("hd4", "jfs2", 4, "/"),
    ("hd2", "jfs2", 10, "/usr"),
    ("hd9var", "jfs2", 2, "/var"),
    ("hd3", "jfs2", 8, "/tmp"),
    ("hd1", "jfs2", 20, "/home"),
    ("hd10opt", "jfs2", 4, "/opt"),
    ("hd11admin", "jfs2", 1, "/admin"),
    ("livedump", "jfs2", 1, "/var/adm/ras/livedump"),
    ("lg_dumplv", "sysdump", 2, "N/A"),
];

/// rootvg's identifier, from its first disk's PVID.
pub fn vg_id(inv: &Inventory) -> String {
    let pvid = inv
        .disks()
        .find(|(_, d)| d.vg.is_some())
        .map(|(_, d)| d.pvid.clone())
        .unwrap_or_default();
    format!("{pvid}00004c00{:08x}", fnv(&pvid))
}

/// rootvg's physical partition size.
pub const PP_MB: u64 = 512;

/// The logical volume manager's refusal of more space than is free.
pub const NO_SPACE: &str = "0516-404 allocp: This system cannot fulfill the allocation request.\nThere are not enough free partitions or not enough physical volumes\nto keep strictness and satisfy allocation requests.  The command\nshould be retried with different allocation characteristics.";

/// rootvg's disks (name, PPs), and its total and used PPs: every system
/// logical volume mirrored on each disk, and the media repository
/// (`mkrep`) once, on the first disk.
fn figures(inv: &Inventory, dev: &ViosDevices) -> (Vec<(String, u64)>, u64, u64) {
    let pvs: Vec<(String, u64)> = inv
        .disks()
        .filter(|(_, d)| d.vg == Some("rootvg"))
        .map(|(dev, d)| (dev.name.clone(), d.size_mb / PP_MB))
        .collect();
    let mirrors = pvs.len().max(1) as u64;
    let lps: u64 = ROOT_LVS.iter().map(|l| l.2).sum();
    let total: u64 = pvs.iter().map(|p| p.1).sum();
    (pvs, total, lps * mirrors + repository_pps(dev))
}

/// The media repository's physical partitions in rootvg.
fn repository_pps(dev: &ViosDevices) -> u64 {
    dev.repository
        .as_ref()
        .filter(|r| r.pool == "rootvg")
        .map_or(0, |r| r.size_mb / PP_MB)
}

/// rootvg as the HMC's REST API shows it (`VolumeGroup`), from the same
/// figures `lsvg rootvg` prints.
pub fn rootvg(inv: &Inventory, dev: &ViosDevices) -> pvmlab_common::model::VolumeGroup {
    let (_, total, used) = figures(inv, dev);
    pvmlab_common::model::VolumeGroup {
        name: "rootvg".into(),
        serial_id: vg_id(inv),
        size_mb: total * PP_MB,
        free_mb: total.saturating_sub(used) * PP_MB,
        pvs: inv
            .disks()
            .filter(|(_, d)| d.vg == Some("rootvg"))
            .map(|(dev, d)| pvmlab_common::model::Lun {
                id: String::new(),
                hdisk: dev.name.clone(),
                size_mb: d.size_mb,
                reserve_policy: d.reserve_policy.clone(),
                udid: d.udid.clone(),
            })
            .collect(),
    }
}

impl Command for Lsvg {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 1, USAGE)?;
        let view = match (a.has("-lv"), a.has("-pv")) {
            (false, false) => View::Summary,
            (true, false) => View::Lv,
            (false, true) => View::Pv,
            _ => return Err(CmdError::Usage(USAGE)),
        };
        match a.operands.first() {
            Some(vg) => Ok(Lsvg {
                vg: Some((vg.clone(), view)),
            }),
            None if view == View::Summary => Ok(Lsvg { vg: None }),
            None => Err(CmdError::Usage(USAGE)),
        }
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let Some((vg, view)) = self.vg else {
            return Ok("rootvg\n".to_string().into());
        };
        if vg != "rootvg" {
            return Err(CmdError::NoVg(vg));
        }
        let (pvs, total, used) = figures(&inv, env.dev);
        let mirrors = pvs.len().max(1) as u64;
        let repo = repository_pps(env.dev);
        let lps = (used - repo) / mirrors;
        let out = match view {
            View::Summary => {
                let l = |a: String, b: String| format!("{a:<45}{b}\n");
                [
                    l(
                        format!("VOLUME GROUP:       {vg}"),
                        format!("VG IDENTIFIER:  {}", vg_id(&inv)),
                    ),
                    l(
                        "VG STATE:           active".into(),
                        "PP SIZE:        512 megabyte(s)".into(),
                    ),
                    l(
                        "VG PERMISSION:      read/write".into(),
                        format!("TOTAL PPs:      {total} ({} megabytes)", total * 512),
                    ),
                    l(
                        "MAX LVs:            256".into(),
                        format!(
                            "FREE PPs:       {} ({} megabytes)",
                            total.saturating_sub(used),
                            total.saturating_sub(used) * 512
                        ),
                    ),
                    l(
                        format!("LVs:                {}", ROOT_LVS.len()),
                        format!("USED PPs:       {used} ({} megabytes)", used * 512),
                    ),
                    l(
                        format!("OPEN LVs:           {}", ROOT_LVS.len() - 1),
                        "QUORUM:         1 (Disabled)".into(),
                    ),
                    l(
                        format!("TOTAL PVs:          {}", pvs.len()),
                        "VG DESCRIPTORS: 3".into(),
                    ),
                    l("STALE PVs:          0".into(), "STALE PPs:      0".into()),
                    l(
                        format!("ACTIVE PVs:         {}", pvs.len()),
                        "AUTO ON:        yes".into(),
                    ),
                    "MAX PPs per VG:     32512\n".to_string(),
                    l(
                        "MAX PPs per PV:     1016".into(),
                        "MAX PVs:        32".into(),
                    ),
                    l(
                        "LTG size (Dynamic): 1024 kilobyte(s)".into(),
                        "AUTO SYNC:      no".into(),
                    ),
                    l(
                        "HOT SPARE:          no".into(),
                        "BB POLICY:      relocatable".into(),
                    ),
                    l(
                        "PV RESTRICTION:     none".into(),
                        "INFINITE RETRY: no".into(),
                    ),
                    l(
                        "DISK BLOCK SIZE:    512".into(),
                        "CRITICAL VG:    no".into(),
                    ),
                    "FS SYNC OPTION:     no\n".to_string(),
                ]
                .concat()
            }
            View::Lv => {
                let mut out = format!(
                    "{vg}:\nLV NAME             TYPE       LPs     PPs     PVs  LV STATE      MOUNT POINT\n"
                );
                for (name, ty, lp, mount) in ROOT_LVS {
                    let state = "open/syncd";
                    out.push_str(&format!(
                        "{name:<20}{ty:<11}{lp:<8}{:<8}{:<5}{state:<14}{mount}\n",
                        lp * mirrors,
                        mirrors
                    ));
                }
                if repo > 0 {
                    out.push_str(&format!(
                        "{:<20}{:<11}{repo:<8}{repo:<8}{:<5}{:<14}/var/vio/VMLibrary\n",
                        "VMLibrary", "jfs2", 1, "open/syncd"
                    ));
                }
                out
            }
            View::Pv => {
                let mut out = format!(
                    "{vg}:\nPV_NAME           PV STATE          TOTAL PPs   FREE PPs    FREE DISTRIBUTION\n"
                );
                for (i, (name, pps)) in pvs.iter().enumerate() {
                    let lps = lps + if i == 0 { repo } else { 0 };
                    let free = pps.saturating_sub(lps);
                    // The used partitions fill the middle fifth first
                    // (AIX's default placement), then spread outwards;
                    // the rest is free.
                    let r = pps / 5;
                    let mut d = [r, r, r, r, pps - 4 * r];
                    let mut left = lps.min(*pps);
                    for i in [2, 3, 1, 4, 0] {
                        let take = left.min(d[i]);
                        d[i] -= take;
                        left -= take;
                    }
                    out.push_str(&format!(
                        "{name:<18}{:<18}{pps:<12}{free:<12}{}..{}..{}..{}..{}\n",
                        "active", d[0], d[1], d[2], d[3], d[4]
                    ));
                }
                out
            }
        };
        Ok(out.into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn rootvg_on_the_internal_disks() {
        assert_eq!(run("lsvg"), ("rootvg\n".into(), 0));
        let (vg, _) = run("lsvg rootvg");
        assert!(
            vg.starts_with("VOLUME GROUP:       rootvg                   VG IDENTIFIER:  00f6db0a"),
            "{vg}"
        );
        assert!(vg.contains("TOTAL PVs:          2 "), "{vg}");
        let (pv, _) = run("lsvg -pv rootvg");
        assert!(
            pv.contains("\nhdisk0            active            558 "),
            "{pv}"
        );
        let (lv, _) = run("lsvg -lv rootvg");
        assert!(
            lv.contains("\nhd4                 jfs2       4       8       2    open/syncd    /\n"),
            "{lv}"
        );
    }

    #[test]
    fn another_volume_group_does_not_exist() {
        assert_eq!(
            run("lsvg datavg"),
            ("Volume group \"datavg\" does not exist.\n".into(), 1)
        );
        assert_eq!(run("lsvg -lv").1, 2);
        assert_eq!(run("lsvg -lv -pv rootvg").1, 2);
    }

    #[test]
    fn the_media_repository_takes_rootvgs_space() {
        use crate::cmd::testenv::{run_changing, with_devices};
        let free = |out: &str| {
            out.lines()
                .find(|l| l.contains("FREE PPs:"))
                .map(str::to_string)
                .unwrap()
        };
        let before = free(&run("lsvg rootvg").0);
        let (_, _, dev) = run_changing("mkrep -sp rootvg -size 2G");
        with_devices(dev.unwrap(), |env| {
            let out = |l: &str| crate::cmd::run(env, l).0.output;
            assert_ne!(free(&out("lsvg rootvg")), before);
            let lv = out("lsvg -lv rootvg");
            assert!(
                lv.contains("VMLibrary           jfs2       4       4       1    open/syncd    /var/vio/VMLibrary\n"),
                "{lv}"
            );
        });
    }
}
