//! What partition firmware does when the HMC asks for more than a normal
//! boot (lpar_netboot): stop at the Open Firmware prompt, or boot from a
//! network install server. The boot is a fixed walk through states and
//! reference codes (`steps`, pure); `Hypervisor::walk` takes the partition
//! through it, step by step, unless it was stopped meanwhile.

use super::*;
use pvmlab_common::proto::fsp::{Boot, boot};

/// One step of a boot: the partition's state and reference code, and how
/// long the firmware or operating system stays at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub state: &'static str,
    pub refcode: &'static str,
    pub lasts: Duration,
}

const fn step(state: &'static str, refcode: &'static str, ms: u64) -> Step {
    Step {
        state,
        refcode,
        lasts: Duration::from_millis(ms),
    }
}

/// Partition firmware's self test and boot device search, then the Open
/// Firmware prompt, where it waits (no code).
const TO_OPEN_FIRMWARE: &[Step] = &[
    step(lpar_state::STARTING, "CA00E1F1", 60),
    step(lpar_state::STARTING, "CA00E1F5", 60),
    step(lpar_state::OPEN_FIRMWARE, "", 0),
];

/// A network install: firmware's BOOTP and TFTP (CA00E174-176), control
/// to the operating system (CA00E105), then AIX's network install codes
/// (0608 client.info by TFTP, 0611 the SPOT mounted over NFS, 0C54 BOS
/// installation), and the installed system running with no code.
const NETWORK: &[Step] = &[
    step(lpar_state::STARTING, "CA00E1F1", 60),
    step(lpar_state::OPEN_FIRMWARE, "CA00E174", 60),
    step(lpar_state::OPEN_FIRMWARE, "CA00E175", 60),
    step(lpar_state::OPEN_FIRMWARE, "CA00E176", 60),
    step(lpar_state::STARTING, "CA00E105", 60),
    step(lpar_state::RUNNING, "0608", 60),
    step(lpar_state::RUNNING, "0611", 60),
    step(lpar_state::RUNNING, "0C54", 150),
    step(lpar_state::RUNNING, "", 0),
];

/// The steps a boot request walks, the last one where the partition stays.
pub fn steps(b: &Boot) -> &'static [Step] {
    match b.kind {
        Some(boot::Kind::Network(_)) => NETWORK,
        Some(boot::Kind::OpenFirmware(_)) | None => TO_OPEN_FIRMWARE,
    }
}

/// Whether the partition still follows the walk: it shows step `at`'s
/// state and code (anything else means it was stopped or changed meanwhile,
/// and the firmware's walk ends).
pub fn still_at(l: &Partition, s: &Step) -> bool {
    l.state == s.state && l.ref_code == s.refcode
}

/// Whether the operating system's RMC daemon reaches the HMCs at step `s`:
/// only once the installed system runs (the last step of a network boot).
pub fn rmc_at(s: &Step, last: bool, rmc_inactive: bool) -> &'static str {
    if last && s.state == lpar_state::RUNNING && !rmc_inactive {
        "active"
    } else {
        "inactive"
    }
}

impl Hypervisor {
    pub(super) fn set_walking(&self, id: u32, on: bool) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if on {
            live.walking.insert(id);
        } else {
            live.walking.remove(&id);
        }
    }

    pub(super) fn is_walking(&self, id: u32) -> bool {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.walking.contains(&id)
    }

    /// Walks partition `id` through `steps` from the first (which the
    /// activation already set). A VIOS's operating system attaches once
    /// the walk is over: at its end, the installed VIOS runs.
    pub(super) fn walk(self: &Arc<Self>, id: u32, steps: &'static [Step]) {
        let me = self.clone();
        tokio::spawn(async move {
            me.walk_steps(id, steps).await;
            me.set_walking(id, false);
        });
    }

    async fn walk_steps(&self, id: u32, steps: &'static [Step]) {
        for (i, pair) in steps.windows(2).enumerate() {
            let (now, next) = (pair[0], pair[1]);
            tokio::time::sleep(now.lasts).await;
            let last = i + 2 == steps.len();
            let moved = self.change(|p, _| {
                let Some(l) = p.lpars.get_mut(&id).filter(|l| still_at(l, &now)) else {
                    return Ok(false);
                };
                l.state = next.state.into();
                l.ref_code = next.refcode.into();
                l.rmc_state = rmc_at(&next, last, l.rmc_inactive).into();
                Ok(true)
            });
            if !matches!(moved, Ok(true)) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::proto::fsp::boot::{NetBoot, OpenFirmware};

    fn net() -> Boot {
        Boot {
            kind: Some(boot::Kind::Network(NetBoot::default())),
        }
    }

    #[test]
    fn a_network_boot_goes_through_firmware_then_the_install_to_running() {
        let s = steps(&net());
        assert_eq!(s[0].state, lpar_state::STARTING);
        assert!(s.iter().any(|x| x.refcode == "CA00E175"), "BOOTP");
        let end = s.last().unwrap();
        assert_eq!((end.state, end.refcode), (lpar_state::RUNNING, ""));
        // Firmware codes come before the operating system's.
        let first_os = s.iter().position(|x| !x.refcode.starts_with("CA")).unwrap();
        assert!(
            s[..first_os]
                .iter()
                .all(|x| x.refcode.starts_with("CA00E1"))
        );
        assert_eq!(rmc_at(end, true, false), "active");
        assert_eq!(rmc_at(end, true, true), "inactive", "no RMC daemon");
        assert_eq!(rmc_at(&s[5], false, false), "inactive", "installing");
    }

    #[test]
    fn open_firmware_stops_at_the_prompt() {
        let b = Boot {
            kind: Some(boot::Kind::OpenFirmware(OpenFirmware {})),
        };
        let end = steps(&b).last().unwrap();
        assert_eq!(end.state, lpar_state::OPEN_FIRMWARE);
        assert_eq!(rmc_at(end, true, false), "inactive");
    }

    #[test]
    fn a_stopped_partition_leaves_the_walk() {
        let s = steps(&net())[1];
        let mut l = Partition {
            state: s.state.into(),
            ref_code: s.refcode.into(),
            ..Default::default()
        };
        assert!(still_at(&l, &s));
        l.state = lpar_state::SHUTTING_DOWN.into();
        assert!(!still_at(&l, &s));
    }
}
