//! Whole-frame failures the controller injects (`pvmlab fault frame`), and
//! the administrator's way back. Unlike `power_off`, nothing shuts down in
//! order: the frame drops at once, as on a loss of power or a checkstop,
//! and every partition's memory is gone. A lost FSP (the process killed)
//! is the controller's to do; this is what a frame whose FSP lives sees.

use super::*;
use pvmlab_common::proto::fsp::FrameFault;

/// The state a failed frame is left in, and the fault's name for the log;
/// None for what is no failure (restore).
fn failed_state(fault: FrameFault) -> Option<(&'static str, &'static str)> {
    match fault {
        FrameFault::PowerOff => Some((frame_state::POWER_OFF, "power-off")),
        FrameFault::Error => Some((frame_state::ERROR, "error")),
        FrameFault::Dump => Some((frame_state::ERROR_DUMP, "dump")),
        FrameFault::Restore | FrameFault::Unspecified => None,
    }
}

impl Hypervisor {
    /// The controller's frame fault: a failure, or the way back from one.
    pub async fn frame_fault(self: &Arc<Self>, fault: FrameFault) -> Result<(), FspError> {
        match fault {
            FrameFault::Restore => self.restore().await,
            _ => self.crash(fault),
        }
    }

    /// Drops the frame into the state of `fault`.
    fn crash(&self, fault: FrameFault) -> Result<(), FspError> {
        let (state, fault) = failed_state(fault).ok_or_else(|| {
            FspError::Invalid("unknown frame fault; valid: power-off, error, dump".into())
        })?;
        self.change(|p, links| {
            if frame_state::is_down(&p.frame.state) {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: "a powered-on state".into(),
                });
            }
            // The VIOS operating systems die with their partitions.
            for (_, link) in links.drain() {
                let _ = link.tx.try_send(Ok(ViosCommand {
                    kind: Some(vios_command::Kind::Shutdown(Shutdown { immediate: true })),
                }));
            }
            for l in p.lpars.values_mut() {
                stop_partition(l);
            }
            p.frame.state = state.into();
            Ok(())
        })?;
        self.after_failure
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .incoming
            .clear();
        tracing::warn!(fault, "frame failed");
        Ok(())
    }

    /// Brings a failed frame back as an administrator would: a frame in
    /// Error is powered off first, then the frame is powered on. Partitions
    /// with auto start come up; the remote restart capable ones only once an
    /// HMC has had the time to mark those restarted elsewhere meanwhile.
    async fn restore(self: &Arc<Self>) -> Result<(), FspError> {
        self.change(|p, _| {
            if !frame_state::is_down(&p.frame.state) {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: "Power Off, Error or Error - Dump in progress".into(),
                });
            }
            p.frame.state = frame_state::POWER_OFF.into();
            Ok(())
        })?;
        self.power_on(false).await
    }
}
