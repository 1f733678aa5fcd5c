//! How a chaos run puts the lab back: the heal (faults cleared, nodes
//! resumed and restarted, frames restored) and the recovery of unfinished
//! migrations and restarted partitions' stale copies.

use super::runner::Runner;
use pvmlab_common::model::rr_status;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

impl Runner {
    pub(super) async fn heal(&self) -> anyhow::Result<String> {
        crate::fault::clear(&self.clients, &self.topo, None).await?;
        self.cut_vios
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let paused: Vec<String> =
            std::mem::take(&mut *self.paused.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let killed: Vec<String> =
            std::mem::take(&mut *self.killed.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let frames: Vec<String> =
            std::mem::take(&mut *self.down_frames.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let lab = self.lab.clone();
        let summary = format!(
            "links cleared, {} resumed, {} restarted, {} frames restored",
            paused.len(),
            killed.len(),
            frames.len()
        );
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            for n in &paused {
                crate::node_fault::run(&lab, n, "resume")?;
            }
            if !killed.is_empty() {
                crate::launcher::restart_nodes(&lab, &killed, 90)?;
            }
            for f in &frames {
                crate::frame_fault::run(&lab, f, "restore")?;
            }
            Ok(())
        })
        .await??;
        Ok(summary)
    }

    /// migrlpar -o r on the frame that holds the partition's migration
    /// record (the source preferred), retried while a dead HMC's lease or
    /// a reconnecting frame stands in the way.
    pub(super) async fn recover(&self, hmc: &str, lpar: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut holder = None;
            for v in self.views().await {
                for f in &v.frames {
                    for p in f.partitions.iter().filter(|p| p.name == lpar) {
                        if let Some(m) = &p.migration {
                            if holder.is_none() || m.source {
                                holder = Some(f.name.clone());
                            }
                        }
                    }
                }
            }
            let Some(frame) = holder else {
                return Ok("nothing to recover".into());
            };
            let (out, code) = self
                .hmc_line(hmc, &format!("migrlpar -o r -m {frame} -p {lpar}"))
                .await;
            if code == 0 {
                self.log().recoveries += 1;
                return Ok(format!("recovered from {frame}"));
            }
            if Instant::now() > deadline {
                anyhow::bail!("{}", out.trim());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    pub(super) async fn recover_all(&self) -> anyhow::Result<String> {
        let mut names = BTreeSet::new();
        let mut stale = BTreeSet::new();
        for v in self.views().await {
            for f in &v.frames {
                for p in &f.partitions {
                    if p.migration.is_some() {
                        names.insert(p.name.clone());
                    }
                    if p.remote_restart_status == rr_status::RESTARTED {
                        stale.insert((f.name.clone(), p.name.clone()));
                    }
                }
            }
        }
        let mut done = Vec::new();
        for n in &names {
            let o = self.recover(&self.hmc, n).await?;
            done.push(format!("{n}: {o}"));
        }
        for (frame, lpar) in &stale {
            let (out, code) = self
                .hmc_line(
                    &self.hmc,
                    &format!("rrstartlpar -o cleanup -m {frame} -p {lpar}"),
                )
                .await;
            if code != 0 {
                anyhow::bail!("cleanup of {lpar} on {frame}: {}", out.trim());
            }
            self.log().recoveries += 1;
            done.push(format!("{lpar}: stale copy on {frame} cleaned up"));
        }
        Ok(if done.is_empty() {
            "nothing to recover".into()
        } else {
            done.join("; ")
        })
    }
}
