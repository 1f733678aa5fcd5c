//! What each step of a chaos scenario does to the lab.

use super::report::Migration;
use super::runner::Runner;
use super::scenario::Step;
use crate::fault::Request;
use pvmlab_common::fault::{Settings, parse_rate};
use pvmlab_common::model::Role;
use pvmlab_common::proto::fsp::{GetWorkloadRequest, SetWorkloadRequest};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fault a fault step asks for (with `link`, at both ends), as
/// `pvmlab fault add` would ask for it; any other step asks for none.
pub(super) fn fault_request(step: &Step) -> anyhow::Result<Request> {
    let Step::Fault {
        peer,
        kind,
        rate,
        latency,
        jitter,
        timeout,
        direction,
        ..
    } = step
    else {
        anyhow::bail!("not a fault step");
    };
    Ok(Request {
        name: String::new(),
        kind: kind.clone(),
        peer: peer.clone(),
        direction: direction.clone(),
        settings: Settings {
            rate_bytes_per_s: match rate {
                Some(r) => parse_rate(r)?,
                None => 0,
            },
            latency_ms: latency.unwrap_or(0),
            jitter_ms: jitter.unwrap_or(0),
            timeout_ms: timeout.unwrap_or(0),
            ..Default::default()
        },
    })
}

impl Runner {
    pub(super) async fn step(
        self: Arc<Self>,
        step: &Step,
        background: &mut Vec<tokio::task::JoinHandle<()>>,
    ) -> anyhow::Result<String> {
        match step {
            Step::Workload {
                lpar,
                rate,
                working_set,
                pattern,
                disk_iops,
                packets,
            } => {
                let (frame, _) = self
                    .where_is(lpar)
                    .await
                    .ok_or_else(|| anyhow::anyhow!("{lpar} is on no frame"))?;
                let node = self
                    .topo
                    .node(&frame)
                    .ok_or_else(|| anyhow::anyhow!("{frame}"))?;
                let mut fsp = self.clients.fsp(&node).await?;
                fsp.set_workload(SetWorkloadRequest {
                    lpar_name: lpar.clone(),
                    workload: Some(pvmlab_common::model::Workload {
                        rate_mb_s: *rate,
                        working_set_mb: *working_set,
                        pattern: pattern.clone(),
                        disk_iops: *disk_iops,
                        packets_per_s: *packets,
                        ..Default::default()
                    }),
                })
                .await?;
                Ok(format!("on {frame}"))
            }
            Step::Hmc { line, hmc } => {
                let hmc = hmc.as_deref().unwrap_or(&self.hmc);
                let (out, code) = self.hmc_line(hmc, line).await;
                anyhow::ensure!(code == 0, "exit {code}: {}", out.trim_end());
                Ok("exit 0".into())
            }
            Step::Migrate {
                lpar,
                to,
                hmc,
                background: bg,
            } => {
                let hmc = hmc.clone().unwrap_or_else(|| self.hmc.clone());
                if !self.log().in_flight.insert(lpar.clone()) {
                    return Ok("skipped: already migrating".into());
                }
                let Some((from, _)) = self.where_is(lpar).await else {
                    self.log().in_flight.remove(lpar);
                    return Ok("skipped: on no frame now".into());
                };
                let to = if to == "*" {
                    match self.frames.iter().find(|f| **f != from) {
                        Some(f) => f.clone(),
                        None => from.clone(),
                    }
                } else {
                    to.clone()
                };
                if from == to {
                    self.log().in_flight.remove(lpar);
                    return Ok(format!("skipped: already on {to}"));
                }
                let me = self.clone();
                let lpar = lpar.clone();
                let job = async move { me.migrate(&hmc, &lpar, &from, &to).await };
                if *bg {
                    background.push(tokio::spawn(job));
                    Ok("started".into())
                } else {
                    job.await;
                    Ok(self
                        .log()
                        .migrations
                        .last()
                        .map(|m| m.result.clone())
                        .unwrap_or_default())
                }
            }
            Step::Wait { ms } => {
                tokio::time::sleep(Duration::from_millis(*ms)).await;
                Ok(String::new())
            }
            Step::WaitPaths { frame, ms } => self.wait_paths(frame, *ms).await,
            Step::WaitMigrations => {
                let n = background.len();
                for j in background.drain(..) {
                    let _ = j.await;
                }
                Ok(format!("{n} ended"))
            }
            Step::Fault {
                node, peer, link, ..
            } => {
                let req = fault_request(step)?;
                crate::fault::add(&self.clients, &self.topo, node, req, *link).await?;
                self.log().faults += 1;
                let vios = |n: &str| self.topo.node(n).is_some_and(|d| d.role == Role::Vios);
                let mut cut = self.cut_vios.lock().unwrap_or_else(|e| e.into_inner());
                for n in [node, peer].into_iter().filter(|n| vios(n)) {
                    cut.insert(n.clone());
                }
                drop(cut);
                self.note_redundancy();
                Ok("on".into())
            }
            Step::Node { node, fault } => {
                let (lab, n, f) = (self.lab.clone(), node.clone(), fault.clone());
                tokio::task::spawn_blocking(move || crate::node_fault::run(&lab, &n, &f)).await??;
                self.log().faults += 1;
                match fault.as_str() {
                    "kill" => {
                        self.killed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(node.clone());
                    }
                    "pause" => {
                        self.paused
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(node.clone());
                    }
                    "resume" => {
                        self.paused
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(node);
                    }
                    _ => {
                        self.killed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(node);
                    }
                }
                self.note_redundancy();
                Ok("done".into())
            }
            Step::Frame { frame, fault } => {
                let (lab, fr, f) = (self.lab.clone(), frame.clone(), fault.clone());
                tokio::task::spawn_blocking(move || crate::frame_fault::run(&lab, &fr, &f))
                    .await??;
                let mut down = self.down_frames.lock().unwrap_or_else(|e| e.into_inner());
                if fault == "restore" {
                    down.remove(frame);
                } else {
                    self.log().faults += 1;
                    down.insert(frame.clone());
                }
                Ok("done".into())
            }
            Step::Heal => self.heal().await,
            Step::Recover { lpar, hmc } => {
                let hmc = hmc.clone().unwrap_or_else(|| self.hmc.clone());
                self.recover(&hmc, lpar).await
            }
            Step::RecoverAll => self.recover_all().await,
            Step::Evacuate { frame } => {
                let outcomes = crate::evacuate::evacuate(&self.lab, frame, &self.hmc).await?;
                let done = outcomes.iter().filter(|o| o.target.is_some()).count();
                self.log().recoveries += done;
                Ok(format!("{done} of {} restarted", outcomes.len()))
            }
            Step::Assert { lpar, frame, state } => {
                let at = self.where_is(lpar).await;
                let ok = match &at {
                    None => false,
                    Some((f, s)) => {
                        frame.as_ref().is_none_or(|x| x == f)
                            && state.as_ref().is_none_or(|x| x == s)
                    }
                };
                if !ok {
                    self.violation(
                        "assert",
                        format!("{lpar}: wanted {frame:?} {state:?}, found {at:?}"),
                    );
                }
                Ok(format!("{at:?}"))
            }
        }
    }

    async fn migrate(&self, hmc: &str, lpar: &str, from: &str, to: &str) {
        let t = Instant::now();
        let (out, code) = self
            .hmc_line(
                hmc,
                &format!("migrlpar -o m -m {from} -t {to} -p {lpar} -v"),
            )
            .await;
        let result = if code == 0 {
            if !out.contains("memory_integrity=ok") {
                self.violation(
                    "memory digest",
                    format!("{lpar} {from} -> {to}: {}", out.trim()),
                );
            }
            "completed"
        } else if out.contains("migrlpar -o r") || code == 255 {
            // Stopped midway (or its HMC died): recovered later.
            "failed"
        } else {
            "refused"
        };
        let mut log = self.log();
        log.in_flight.remove(lpar);
        log.migrations.push(Migration {
            lpar: lpar.into(),
            from: from.into(),
            to: to.into(),
            result: result.into(),
            secs: t.elapsed().as_secs_f64(),
            detail: out.trim().chars().take(300).collect(),
        });
    }
}

impl Runner {
    /// Polls the frame's running client partitions' paths until all are
    /// Enabled, or fails naming those that are not after `ms`.
    async fn wait_paths(&self, frame: &str, ms: u64) -> anyhow::Result<String> {
        let node = self
            .topo
            .node(frame)
            .filter(|n| n.role == Role::Fsp)
            .ok_or_else(|| anyhow::anyhow!("no frame named {frame}"))?;
        let t = Instant::now();
        loop {
            let lpars: Vec<String> = self
                .views()
                .await
                .into_iter()
                .flat_map(|v| v.frames)
                .filter(|f| f.name == frame)
                .flat_map(|f| f.partitions)
                .filter(|p| p.lpar_env != "vioserver" && p.state == "Running")
                .map(|p| p.name)
                .collect();
            let mut not_enabled = Vec::new();
            let mut fsp = self.clients.fsp(&node).await?;
            for l in lpars {
                let req = GetWorkloadRequest {
                    lpar_name: l.clone(),
                    digest: false,
                };
                if let Ok(w) = fsp.get_workload(req).await {
                    for p in w.into_inner().io.map(|io| io.paths).unwrap_or_default() {
                        if p.status != "Enabled" {
                            not_enabled.push(format!("{l} {} {} {}", p.disk, p.parent, p.status));
                        }
                    }
                }
            }
            if not_enabled.is_empty() {
                return Ok(format!("all Enabled after {} ms", t.elapsed().as_millis()));
            }
            if t.elapsed() >= Duration::from_millis(ms) {
                anyhow::bail!("after {ms} ms: {}", not_enabled.join(", "));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::fault::{Direction, Fault, Kind};

    fn step(kind: &str, rate: Option<&str>, latency: Option<u32>) -> Step {
        Step::Fault {
            node: "sys2-vios1".into(),
            peer: "sys3-vios1".into(),
            kind: kind.into(),
            rate: rate.map(str::to_string),
            latency,
            jitter: None,
            timeout: None,
            direction: "both".into(),
            link: true,
        }
    }

    fn typed(r: &Request) -> Fault {
        Fault::from_settings(&r.name, &r.peer, &r.direction, &r.kind, &r.settings).expect("a fault")
    }

    #[test]
    fn a_fault_step_asks_for_its_fault() {
        let r = fault_request(&step("bandwidth", Some("160mbit"), None)).expect("request");
        let f = typed(&r);
        assert_eq!(
            (f.peer.as_str(), f.direction),
            ("sys3-vios1", Direction::Both)
        );
        assert!(matches!(f.kind, Kind::Bandwidth(b) if b.rate == 20_000_000));
        let f = typed(&fault_request(&step("latency", None, Some(40))).expect("request"));
        assert_eq!(f.kind.detail(), "40 ms ± 0 ms");
        assert!(fault_request(&step("bandwidth", Some("fast"), None)).is_err());
        assert!(fault_request(&Step::Heal).is_err());
    }

    /// Every fault the random mix draws is one a node takes.
    #[test]
    fn the_random_mix_draws_good_faults() {
        let s: super::super::scenario::Scenario = toml::from_str(
            "name = \"soak\"\n[random]\nsteps = 200\nlpars = [\"a\"]\nframes = [\"sys1\", \"sys2\"]\nlinks = [[\"sys1-vios1\", \"sys2-vios1\"]]\n",
        )
        .expect("scenario");
        let faults: Vec<Fault> = s
            .schedule(3)
            .iter()
            .filter(|s| matches!(s, Step::Fault { .. }))
            .map(|s| typed(&fault_request(s).expect("request")))
            .collect();
        assert!(!faults.is_empty());
        for f in &faults {
            assert_eq!(f.validate("sys1-vios1"), Ok(()), "{f}");
        }
    }
}
