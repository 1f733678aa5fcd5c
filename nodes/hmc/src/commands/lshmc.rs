//! `lshmc -V | -n | -v`: the HMC's version, network settings and VPD.
//! Ansible reads `-V` line by line for `Version:`, `Release:`,
//! `Service Pack:`, `HMC Build level` and `base_version=`.

use super::opts::{self, flag};
use crate::error::CmdResult;
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[flag(&["-V"]), flag(&["-n"]), flag(&["-v"]), flag(&["-b"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let hmc = ctx.hmc;
    let (ver, rel, sp) = crate::hmc::version_parts(&hmc.version);
    if o.has("-V") {
        return Ok(format!(
            "\"version= Version: {ver}\n Release: {rel}\n Service Pack: {sp}\nHMC Build level 2507111519\n\",\"base_version=V{ver}R{rel}\n\"\n"
        ));
    }
    if o.has("-n") {
        return Ok(format!(
            "hostname={},domain=pvmlab.local,ipaddr={},networkmask=255.0.0.0,gateway=,nameserver=,domainsuffix=,ssh=enable,remote_webui_access=enable,lparcomm=enable\n",
            hmc.name, hmc.address
        ));
    }
    if o.has("-v") {
        return Ok(format!(
            "\"vpd=*FC ????????\n*VC 20.0\n*N2 Fri Jul 11 15:19:00 UTC 2025\n*FC ????????\n*DS Hardware Management Console\n*TM 7063-CR2\n*SE {}\n*MN IBM\n*PN N/A\n*SZ 32768\n*OS Embedded Operating System\n*NA {}\n*FC ????????\n*DS Platform Firmware\n*RM V{ver}R{rel}M{sp}\n\"\n",
            serial(&hmc.name),
            hmc.address
        ));
    }
    if o.has("-b") {
        return Ok("bios=Hardware Management Console\n".into());
    }
    Err("Usage: lshmc -V | -n | -v | -b".to_string().into())
}

/// A stable made-up serial number per HMC name.
fn serial(name: &str) -> String {
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("21{:05X}", h & 0xFFFFF)
}
