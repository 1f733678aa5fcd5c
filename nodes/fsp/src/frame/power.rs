//! Power: the frame's own clock, its power on and off, and what the service
//! processor's own start and stop mean for them.

use super::*;

impl Hypervisor {
    /// At process start: a frame that was on (or being powered on) when the
    /// service processor stopped comes back up; its partitions' memory did
    /// not survive, so they start from their profiles again.
    pub fn boot(self: Arc<Self>) {
        tokio::spawn(Self::tick(Arc::downgrade(&self)));
        let state = self.with(|s| s.state.frame.state.clone());
        let on = !matches!(
            state.as_str(),
            frame_state::POWER_OFF | frame_state::POWER_OFF_IN_PROGRESS
        );
        let standby = state == frame_state::STANDBY;
        let clean = self.with(|l| l.state.clean_stop);
        if on && !clean {
            self.after_failure
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let _ = self.change(|p, _| {
            p.clean_stop = false;
            p.frame.state = frame_state::POWER_OFF.into();
            for l in p.lpars.values_mut() {
                stop_partition(l);
            }
            Ok(())
        });
        if on {
            tokio::spawn(async move {
                if let Err(e) = self.power_on(standby).await {
                    tracing::error!("power on at boot failed: {e}");
                }
            });
        }
    }

    /// The hypervisor's clock: every millisecond, each running client
    /// partition that wants it (its workload writes, or its first tick is
    /// due) ticks and writes what it owes. With none, it sleeps until told
    /// of a change. It holds the hypervisor weakly, and ends with it.
    async fn tick(me: std::sync::Weak<Self>) {
        let mut every = tokio::time::interval(Duration::from_millis(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut active: Vec<Arc<crate::workload::Running>> = Vec::new();
        loop {
            let wake = {
                let Some(me) = me.upgrade() else { return };
                if me
                    .clock_dirty
                    .swap(false, std::sync::atomic::Ordering::SeqCst)
                {
                    active = me.with(|l| l.running.values().cloned().collect());
                }
                me.clock.clone()
            };
            // Registered before the look, so a change after it is not missed.
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            active.retain(|r| r.wants_clock());
            let now = std::time::Instant::now();
            for r in &active {
                r.step(now);
            }
            if active.is_empty() {
                // Nothing to step: sleep until a change, looking now and
                // then whether the hypervisor is still there.
                let _ = tokio::time::timeout(Duration::from_secs(10), woken).await;
                every.reset();
            } else {
                every.tick().await;
            }
        }
    }

    /// Tells the clock that which partitions want it may have changed.
    pub(crate) fn wake_clock(&self) {
        self.clock_dirty
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.clock.notify_one();
    }

    /// The service processor stops in order: its next start is no failure.
    pub fn stop_cleanly(&self) {
        let _ = self.change(|p, _| {
            p.clean_stop = true;
            Ok(())
        });
    }

    /// Powers the frame on; partitions whose default profile has auto start
    /// are activated, unless the frame comes up to Standby.
    pub async fn power_on(self: &Arc<Self>, standby: bool) -> Result<(), FspError> {
        self.change(|p, _| {
            if p.frame.state != frame_state::POWER_OFF {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: frame_state::POWER_OFF.into(),
                });
            }
            p.frame.state = frame_state::INITIALIZING.into();
            Ok(())
        })?;
        tokio::time::sleep(IPL_TIME).await;
        let after_failure = self
            .after_failure
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        let autostart = self.change(|p, _| {
            if p.frame.state != frame_state::INITIALIZING {
                return Ok(Vec::new()); // powered off meanwhile
            }
            p.frame.state = if standby {
                frame_state::STANDBY
            } else {
                frame_state::OPERATING
            }
            .into();
            apply_mem_settings(&mut p.frame);
            // userinit: partitions start only when someone starts them.
            if standby || p.frame.power_on_lpar_start_policy == "userinit" {
                return Ok(Vec::new());
            }
            Ok(p.lpars
                .values()
                .filter(|l| {
                    l.profile(&l.default_profile)
                        .is_some_and(|pr| pr.auto_start)
                })
                // VIOS first: clients depend on them.
                .map(|l| {
                    let hold = after_failure && l.remote_restart_capable && !l.is_vios();
                    (hold, !l.is_vios(), l.id, l.default_profile.clone())
                })
                .collect::<Vec<_>>())
        })?;
        let mut autostart = autostart;
        autostart.sort();
        let (held, now): (Vec<_>, Vec<_>) = autostart.into_iter().partition(|a| a.0);
        if !held.is_empty() {
            // The HMCs reconnect and mark stale copies within this time; an
            // activation then refuses them.
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(HOLD_AFTER_FAILURE).await;
                me.auto_start(held, "held auto start refused");
            });
        }
        // VIOS first (the sort put them first), then clients: in one change.
        self.auto_start(now, "auto start failed");
        tracing::info!("frame powered on");
        Ok(())
    }

    /// Starts auto start partitions (held, VIOS, id, profile) in one
    /// change, logging those that cannot start.
    fn auto_start(self: &Arc<Self>, which: Vec<(bool, bool, u32, String)>, failed: &str) {
        let which: Vec<(u32, String)> = which.into_iter().map(|(_, _, id, p)| (id, p)).collect();
        match self.activate_many(&which) {
            Ok(refused) => {
                for (id, e) in refused {
                    tracing::warn!(lpar = id, "{failed}: {e}");
                }
            }
            Err(e) => tracing::warn!("{failed}: {e}"),
        }
    }

    /// Powers the frame off: every partition stops and its memory is gone.
    pub async fn power_off(self: &Arc<Self>, immediate: bool) -> Result<(), FspError> {
        self.change(|p, links| {
            if matches!(
                p.frame.state.as_str(),
                frame_state::POWER_OFF | frame_state::POWER_OFF_IN_PROGRESS
            ) {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: "a powered-on state".into(),
                });
            }
            p.frame.state = frame_state::POWER_OFF_IN_PROGRESS.into();
            for l in p.lpars.values_mut() {
                if l.holds_resources() {
                    l.state = lpar_state::SHUTTING_DOWN.into();
                }
            }
            for (_, link) in links.drain() {
                let _ = link.tx.try_send(Ok(ViosCommand {
                    kind: Some(vios_command::Kind::Shutdown(Shutdown { immediate })),
                }));
            }
            Ok(())
        })?;
        tokio::time::sleep(if immediate { STOP_NOW } else { IPL_TIME }).await;
        self.change(|p, _| {
            for l in p.lpars.values_mut() {
                stop_partition(l);
            }
            p.frame.state = frame_state::POWER_OFF.into();
            Ok(())
        })?;
        // Memory arriving for migration shells is gone with the power.
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .incoming
            .clear();
        tracing::info!("frame powered off");
        Ok(())
    }
}

/// What an IPL does with the memory settings chhwres -r mem -o s left
/// pending: the huge pages requested are configured, the mirroring mode
/// and the memory region size asked take effect.
fn apply_mem_settings(f: &mut pvmlab_common::model::Frame) {
    let Some(m) = f.mem.as_mut() else { return };
    m.configured_huge_pages = m.requested_huge_pages;
    if !m.pend_mirroring_mode.is_empty() {
        m.mirroring_mode = m.pend_mirroring_mode.clone();
    }
    if m.pend_region_size_mb != 0 {
        f.lmb_mb = m.pend_region_size_mb;
        m.pend_region_size_mb = 0;
    }
}

#[cfg(test)]
mod mem_settings {
    use super::*;
    use pvmlab_common::model::MemSettings;

    #[test]
    fn an_ipl_applies_the_pending_memory_settings() {
        let mut f = Frame {
            lmb_mb: 256,
            mem: Some(MemSettings {
                requested_huge_pages: 2,
                pend_mirroring_mode: "sys_firmware_only".into(),
                pend_region_size_mb: 128,
                ..Default::default()
            }),
            ..Default::default()
        };
        apply_mem_settings(&mut f);
        let m = f.mem.clone().unwrap();
        assert_eq!(
            (m.configured_huge_pages, m.mirroring_mode.as_str()),
            (2, "sys_firmware_only")
        );
        assert_eq!((f.lmb_mb, m.pend_region_size_mb), (128, 0));
        let mut none = Frame {
            lmb_mb: 256,
            ..Default::default()
        };
        apply_mem_settings(&mut none);
        assert_eq!((none.lmb_mb, none.mem), (256, None));
    }
}
