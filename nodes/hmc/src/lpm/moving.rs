//! The memory move of an active migration: the HMC asks the source mover
//! service partition to migrate and follows its events, writing the
//! source's record as they come. It never touches a page: the memory
//! goes from MSP to MSP.

use super::phases::{Abort, Migrating};
use super::record::source_rec;
use super::steps;
use pvmlab_common::model::migration_state;
use pvmlab_common::proto::mover::MigrateRequest;
use pvmlab_common::proto::mover::Phase;
use pvmlab_common::proto::mover::mover_client::MoverClient;
use pvmlab_common::topology::vios_node_name;
use std::time::{Duration, Instant};

impl Migrating<'_, '_> {
    /// The MSP pair's request: the destination MSP's address, the
    /// partition's ids on both sides, the downtime budget.
    fn mover_request(&self) -> Result<(pvmlab_common::net::Chan, MigrateRequest), Abort> {
        let (ctx, src, dst, plan) = (self.ctx, &self.src, &self.dst, &self.plan);
        let (sm, dm) = (
            plan.source_msp.clone().unwrap_or_default(),
            plan.dest_msp.clone().unwrap_or_default(),
        );
        let smsp = src
            .partitions
            .iter()
            .find(|p| p.id == sm.0)
            .cloned()
            .unwrap_or_default();
        let dmsp = dst
            .partitions
            .iter()
            .find(|p| p.id == dm.0)
            .cloned()
            .unwrap_or_default();
        let chan = crate::hmc::vios_channel(ctx, &src.name, &smsp)
            .map_err(|e| Abort::Failed(e.to_string()))?;
        let req = MigrateRequest {
            migration_id: self.mig.id.clone(),
            source_lpar_id: self.lpar.id,
            dest_msp_node: vios_node_name(&dst.name, &dmsp.name),
            dest_msp_addr: format!("{}:{}", dmsp.rmc_ipaddr, ctx.hmc.grpc_port),
            dest_lpar_id: self.mig.dest_lpar_id,
            max_downtime_ms: 20,
            max_passes: 30,
            timeout_ms: 600_000,
        };
        Ok((chan, req))
    }

    /// Phase `Move`: until the source MSP says the migration completed.
    /// A stop counts only while the migration is still starting.
    pub(super) async fn move_memory(&mut self) -> Result<(), Abort> {
        let (chan, req) = self.mover_request()?;
        let mut events = MoverClient::new(chan)
            .migrate(req)
            .await
            .map_err(|e| Abort::Failed(e.message().to_string()))?
            .into_inner();
        let (ctx, src, lpar) = (self.ctx, &self.src, &self.lpar);
        let (ops, mig) = (&self.src_ops, &mut self.mig);
        let mut last_update = Instant::now();
        loop {
            let ev = tokio::select! {
                ev = events.message() => ev,
                _ = self.stop.changed() => {
                    if mig.state == migration_state::STARTING {
                        return Err(Abort::Stopped);
                    }
                    continue;
                }
            };
            let ev = match ev {
                Ok(Some(ev)) => ev,
                Ok(None) => {
                    return Err(Abort::Failed(
                        "the mover service partition ended the migration early".into(),
                    ));
                }
                Err(e) => {
                    // The MSP has rolled the source back if it could; whether
                    // the partition resumed on the destination is the
                    // destination's to say.
                    if let Some(f) = self.dst_ops.view(ctx, &self.dst.name).await {
                        if f.partitions.iter().any(|p| {
                            p.id == mig.dest_lpar_id
                                && p.migration.as_ref().is_some_and(|m| m.resumed)
                        }) {
                            mig.resumed = true;
                        }
                    }
                    return Err(Abort::Failed(e.message().to_string()));
                }
            };
            // The MigrateEvent lines, one unit: what each phase of the
            // mover means for the record.
            mig.stats = ev.stats.clone();
            let mut persist = last_update.elapsed() >= Duration::from_millis(250);
            match ev.phase() {
                Phase::Suspended => {
                    mig.state = migration_state::IN_PROGRESS.into();
                    persist = true;
                }
                Phase::Resumed => {
                    mig.resumed = true;
                    persist = true;
                }
                Phase::Completed => {
                    let _ = ops
                        .step(ctx, src, lpar.id, steps::update(source_rec(mig)))
                        .await;
                    return Ok(());
                }
                _ => {}
            }
            if persist {
                last_update = Instant::now();
                let _ = ops
                    .step(ctx, src, lpar.id, steps::update(source_rec(mig)))
                    .await;
            }
        }
    }
}
