//! `chhwres -r mem -m <sys> -o s -a "requested_num_sys_huge_pages=<n>,
//! mem_mirroring_mode=none|sys_firmware_only,pend_mem_region_size=auto|16|
//! 32|64|128|256"`: the managed system's memory settings. As on the real
//! system they are pending until the frame's next power on (IPL), where the
//! hypervisor applies them; `lshwres -r mem --level sys` shows both.

use super::{Ctx, conn};
use crate::error::{CmdError, CmdResult};
use pvmlab_common::model::{Frame, MemSettings, check_mem_settings};
use pvmlab_common::proto::hmc::FrameView;

/// The attributes `-a` takes.
pub const ATTRS: &[&str] = &[
    "requested_num_sys_huge_pages",
    "mem_mirroring_mode",
    "pend_mem_region_size",
];

/// What `-a` asks to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemChange {
    pub huge_pages: Option<u32>,
    pub mirroring: Option<String>,
    /// 0: auto (the system chooses, which is what it has now).
    pub region_mb: Option<u64>,
}

impl MemChange {
    pub fn parse(a: Option<&str>) -> Result<MemChange, CmdError> {
        let a = a.ok_or_else(|| "The -a parameter is required.".to_string())?;
        let attrs = super::input_attrs(a, ATTRS)?;
        let bad = |k: &str, v: &str, valid: &str| -> CmdError {
            format!("An invalid attribute value was entered: {k}={v}. {valid}").into()
        };
        let mut c = MemChange::default();
        for (k, v) in &attrs {
            match k.as_str() {
                "requested_num_sys_huge_pages" => {
                    c.huge_pages = Some(
                        v.parse()
                            .map_err(|_| bad(k, v, "Specify a whole number."))?,
                    )
                }
                "mem_mirroring_mode" => {
                    if !matches!(v.as_str(), "none" | "sys_firmware_only") {
                        return Err(bad(k, v, "Valid values are none, sys_firmware_only."));
                    }
                    c.mirroring = Some(v.clone());
                }
                _ => {
                    c.region_mb = Some(match v.as_str() {
                        "auto" => 0,
                        "16" | "32" | "64" | "128" | "256" => v.parse().unwrap_or(0),
                        _ => {
                            return Err(bad(k, v, "Valid values are auto, 16, 32, 64, 128, 256."));
                        }
                    })
                }
            }
        }
        Ok(c)
    }
}

/// The settings after the change, or why the system refuses it (the
/// hypervisor's own rule, checked before anything is sent).
pub fn changed(f: &Frame, c: &MemChange) -> Result<MemSettings, String> {
    let mut s = f.mem.clone().unwrap_or_default();
    if let Some(n) = c.huge_pages {
        s.requested_huge_pages = n;
    }
    if let Some(m) = &c.mirroring {
        s.pend_mirroring_mode = m.clone();
    }
    if let Some(r) = c.region_mb {
        s.pend_region_size_mb = r;
    }
    check_mem_settings(f, &s)?;
    Ok(s)
}

pub async fn apply(ctx: &Ctx<'_>, frame: &FrameView, c: MemChange) -> CmdResult {
    let f = frame.frame.clone().unwrap_or_default();
    let mem = changed(&f, &c)?;
    let conn = conn(ctx, frame)?;
    let mut fsp = conn.fsp;
    fsp.change_frame(pvmlab_common::proto::fsp::ChangeFrameRequest {
        session: conn.session,
        mem: Some(mem.clone()),
        ..Default::default()
    })
    .await
    .map_err(|e| {
        crate::error::locked(&e).unwrap_or_else(|| {
            CmdError::Usage(format!(
                "An error occurred while changing the memory settings of {}: {}.",
                frame.name,
                e.message()
            ))
        })
    })?;
    let want = Some(mem);
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|x| x.name == frame.name && x.frame.as_ref().map(|y| &y.mem) == Some(&want))
        })
        .await;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_then_pending() {
        let f = Frame {
            memory_mb: 65536,
            firmware_mem_mb: 2048,
            ..Default::default()
        };
        assert_eq!(pvmlab_common::model::max_huge_pages(&f), 3);
        let c = MemChange::parse(Some(
            "requested_num_sys_huge_pages=2,mem_mirroring_mode=sys_firmware_only,pend_mem_region_size=128",
        ))
        .unwrap();
        let s = changed(&f, &c).unwrap();
        assert_eq!(
            (
                s.requested_huge_pages,
                s.pend_mirroring_mode.as_str(),
                s.pend_region_size_mb
            ),
            (2, "sys_firmware_only", 128)
        );
        assert_eq!(s.configured_huge_pages, 0, "applied at the next IPL");
        let too_many = MemChange::parse(Some("requested_num_sys_huge_pages=4")).unwrap();
        assert!(changed(&f, &too_many).is_err());
        for bad in [
            "requested_num_sys_huge_pages=lots",
            "mem_mirroring_mode=full",
            "pend_mem_region_size=48",
            "huge=1",
        ] {
            assert!(MemChange::parse(Some(bad)).is_err(), "{bad}");
        }
        assert!(MemChange::parse(None).is_err());
    }
}
