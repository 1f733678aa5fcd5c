//! The padmin commands `viosvrcmd` runs: lsmap (vSCSI and NPIV), lsdev,
//! lspv, ioslevel and errlog, in the VIOS's own column layouts.

use pvmlab_common::model::ViosDevices;
use pvmlab_common::proto::vios::Client;

/// Where the VIOS sits: for location codes and its level.
pub struct Site {
    pub type_model: String,
    pub serial: String,
    pub lpar_id: u32,
    pub level: String,
}

impl Site {
    fn loc(&self, lpar: u32, slot: u32) -> String {
        format!(
            "U{}.{}-V{lpar}-C{slot}",
            self.type_model.replace('-', "."),
            self.serial
        )
    }
}

/// Runs one command line; returns its output and exit status.
pub fn run(
    site: &Site,
    dev: &ViosDevices,
    clients: &[Client],
    errlog: &crate::errlog::Errlog,
    line: &str,
) -> (String, u32) {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["lsmap", "-all"] => (lsmap(site, dev, None), 0),
        ["lsmap", "-vadapter", v] => match dev.vscsi.iter().find(|m| m.vhost == *v) {
            Some(_) => (lsmap(site, dev, Some(v)), 0),
            None => (
                format!("Device \"{v}\" is not a Server Virtual SCSI Adapter (SVSA).\n"),
                1,
            ),
        },
        ["lsmap", "-all", "-npiv"] => (npiv(site, dev, clients), 0),
        ["lsdev", "-type", "disk"] => {
            let mut out = format!("{:<17}{:<12}{}\n", "name", "status", "description");
            out.push_str(&format!(
                "{:<17}{:<12}{}\n",
                "hdisk0", "Available", "SAS Disk Drive"
            ));
            for l in &dev.luns {
                out.push_str(&format!(
                    "{:<17}{:<12}{}\n",
                    l.hdisk, "Available", "MPIO IBM 2145 FC Disk"
                ));
            }
            (out, 0)
        }
        ["lsdev", "-dev", d, "-attr", rest @ ..] => match dev.luns.iter().find(|l| l.hdisk == *d) {
            Some(l) => match rest {
                [] => (
                    format!(
                        "attribute       value            description                          user_settable\n\nalgorithm       round_robin      Algorithm                            True\nreserve_policy  {:<16} Reserve Policy                       True\nunique_id       {} Unique device identifier False\n",
                        l.reserve_policy, l.udid
                    ),
                    0,
                ),
                ["reserve_policy"] => (format!("value\n\n{}\n", l.reserve_policy), 0),
                ["unique_id"] => (format!("value\n\n{}\n", l.udid), 0),
                [a] => (
                    format!("Attribute \"{a}\" is not valid for device \"{d}\".\n"),
                    1,
                ),
                _ => (usage(), 1),
            },
            None => (
                format!("Device \"{d}\" is not in the Available state or does not exist.\n"),
                1,
            ),
        },
        ["lspv"] => {
            let mut out = format!("{:<17}{:<37}{:<17}{}\n", "NAME", "PVID", "VG", "STATUS");
            out.push_str(&format!(
                "{:<17}{:<37}{:<17}{}\n",
                "hdisk0", "00f6db0a6c7aea6e", "rootvg", "active"
            ));
            for l in &dev.luns {
                let pvid: String = format!("00ced82c{:08x}", fnv(&l.id));
                out.push_str(&format!("{:<17}{:<37}{}\n", l.hdisk, pvid, "None"));
            }
            (out, 0)
        }
        ["ioslevel"] => (format!("{}\n", site.level.trim_start_matches("VIOS ")), 0),
        ["errlog"] | ["errlog", "-ls"] => (errlog.render(), 0),
        [] => (String::new(), 0),
        [cmd, ..] if KNOWN.contains(cmd) => (usage(), 1),
        [cmd, ..] => (format!("rksh: {cmd}:  not found.\n"), 127),
    }
}

const KNOWN: &[&str] = &["lsmap", "lsdev", "lspv", "ioslevel", "errlog"];

fn usage() -> String {
    "The command's arguments are not valid; supported here: lsmap -all [-npiv], lsmap -vadapter <vhost>, lsdev -type disk, lsdev -dev <hdisk> -attr [attr], lspv, ioslevel, errlog.\n".into()
}

fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn lsmap(site: &Site, dev: &ViosDevices, only: Option<&str>) -> String {
    let mut out = String::new();
    for m in dev
        .vscsi
        .iter()
        .filter(|m| only.is_none_or(|v| v == m.vhost))
    {
        out.push_str(
            "SVSA            Physloc                                      Client Partition ID\n",
        );
        out.push_str(
            "--------------- -------------------------------------------- ------------------\n",
        );
        out.push_str(&format!(
            "{:<16}{:<45}0x{:08x}\n\n",
            m.vhost,
            site.loc(site.lpar_id, m.server_slot),
            m.client_lpar_id
        ));
        out.push_str(&format!("VTD                   {}\n", m.vtd));
        out.push_str("Status                Available\n");
        out.push_str("LUN                   0x8100000000000000\n");
        out.push_str(&format!("Backing device        {}\n", m.backing));
        let lun: String = m.lun_id.chars().filter(char::is_ascii_digit).collect();
        out.push_str(&format!("Physloc               U78C9.001.WZS0000-P1-C1-T1-W500507680140F32C-L{:X}000000000000\n", lun.parse::<u32>().unwrap_or(0)));
        out.push_str("Mirrored              false\n\n");
    }
    out
}

fn npiv(site: &Site, dev: &ViosDevices, clients: &[Client]) -> String {
    let mut out = String::new();
    for m in &dev.npiv {
        let c = clients.iter().find(|c| c.lpar_id == m.client_lpar_id);
        let logged = c.is_some_and(|c| c.running);
        out.push_str("Name        Physloc                           ClntID  ClntName     ClntOS\n");
        out.push_str("----------- --------------------------------- ------- ------------ ------\n");
        let (name, os) = match c.filter(|_| logged) {
            Some(c) => (c.name.as_str(), c.os.as_str()),
            None => ("", ""),
        };
        out.push_str(&format!(
            "{:<12}{:<37}{:<7}{:<13}{}\n\n",
            m.vfchost,
            site.loc(site.lpar_id, m.server_slot),
            m.client_lpar_id,
            name,
            os
        ));
        if logged {
            out.push_str("Status:LOGGED_IN\n");
            out.push_str(&format!(
                "FC name:{:<23}FC  loc code:U78C0.001.DBJ0563-P2-C1-T{}\n",
                m.fcs,
                m.fcs.trim_start_matches("fcs").parse::<u32>().unwrap_or(0) + 1
            ));
            out.push_str("Ports logged in:35\n");
            out.push_str("Flags:a<LOGGED_IN,STRIP_MERGE>\n");
            out.push_str(&format!(
                "VFC client name:{:<16}VFC client DRC:{}-T1\n\n",
                "fcs0",
                site.loc(m.client_lpar_id, m.client_slot)
            ));
        } else {
            out.push_str("Status:NOT_LOGGED_IN\n");
            out.push_str(&format!(
                "FC name:{:<23}FC  loc code:U78C0.001.DBJ0563-P2-C1-T{}\n",
                m.fcs,
                m.fcs.trim_start_matches("fcs").parse::<u32>().unwrap_or(0) + 1
            ));
            out.push_str("Ports logged in:0\n");
            out.push_str("Flags:4<NOT_LOGGED>\n");
            out.push_str(&format!("VFC client name:{:<16}VFC client DRC:\n\n", ""));
        }
    }
    out
}
