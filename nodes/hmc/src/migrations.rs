//! The migrations this HMC runs now: each one's stop switch (`migrlpar -o
//! s`), the per-frame limit of concurrent migrations, and the lock on
//! planning a destination frame's VIOS slots, which remote restarts take
//! too. Part of the HMC's own state (`crate::hmc::Hmc`); `crate::lpm`
//! drives the migrations themselves.

use crate::error::CmdError;
use pvmlab_common::proto::hmc::FrameView;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, watch};

/// Migrations this HMC runs now, and the per-frame limits.
#[derive(Default)]
pub struct Registry {
    /// Each running migration's stop switch, by partition name.
    stops: Mutex<HashMap<String, watch::Sender<bool>>>,
    frames: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// One migration at a time plans a destination frame's VIOS slots,
    /// from its validation until its shell (which records them) shows.
    planning: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Registry {
    /// A migration's stop switch, unless one of the partition's runs.
    pub(crate) fn start(
        &self,
        lpar: &str,
    ) -> Result<(Running<'_>, watch::Receiver<bool>), CmdError> {
        let (stop_tx, stop) = watch::channel(false);
        let mut stops = self.stops.lock().unwrap_or_else(|e| e.into_inner());
        if stops.contains_key(lpar) {
            return Err(CmdError::Usage(format!(
                "The partition {lpar} is already being migrated."
            )));
        }
        stops.insert(lpar.to_string(), stop_tx);
        Ok((Running(self, lpar.to_string()), stop))
    }

    /// The lock on planning a destination frame's VIOS slots, which
    /// migrations and remote restarts take alike: two never pick one slot.
    pub(crate) fn planning(&self, frame: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.planning
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(frame.to_string())
            .or_default()
            .clone()
    }

    pub(crate) fn frame_slots(&self, f: &FrameView) -> Arc<Semaphore> {
        let n = f
            .frame
            .as_ref()
            .map(|f| f.num_active_migrations_supported)
            .filter(|n| *n > 0)
            .unwrap_or(16);
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(f.name.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(n as usize)))
            .clone()
    }

    pub fn running(&self, lpar: &str) -> bool {
        self.stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(lpar)
    }

    /// Asks a running migration to stop; false if this HMC runs none.
    pub fn stop(&self, lpar: &str) -> bool {
        match self
            .stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(lpar)
        {
            Some(s) => {
                let _ = s.send(true);
                true
            }
            None => false,
        }
    }
}

/// Removes the stop switch when the migration ends, however it ends.
pub(crate) struct Running<'a>(&'a Registry, String);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0
            .stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.1);
    }
}
