//! VIOS attach: the operating system of a VIOS partition holds a stream
//! to the hypervisor while it runs; the hypervisor sends it its shutdowns.

use super::*;

impl Hypervisor {
    /// The VIOS operating system attaches to its partition. Accepted while
    /// the partition is starting, running (the OS came back) or in error
    /// (it rebooted after a crash); refused when it is not activated.
    pub fn attach_vios(
        self: &Arc<Self>,
        id: u32,
        peer: &str,
        os_version: &str,
        rmc_ipaddr: &str,
    ) -> Result<mpsc::Receiver<Result<ViosCommand, tonic::Status>>, FspError> {
        if self.is_walking(id) {
            return Err(FspError::NotPermitted(format!(
                "partition {id} is booting from its firmware (lpar_netboot); its operating system is not running yet"
            )));
        }
        let (tx, rx) = mpsc::channel(4);
        let generation = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.generation += 1;
            live.generation
        };
        let name = self.change(|p, links| {
            let frame = p.frame.name.clone();
            let lpar = p
                .lpars
                .get_mut(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if !lpar.is_vios() || vios_node_name(&frame, &lpar.name) != peer {
                return Err(FspError::NotPermitted(format!(
                    "{peer} is not the operating system of partition {id} on {frame}"
                )));
            }
            if !matches!(
                lpar.state.as_str(),
                lpar_state::STARTING | lpar_state::RUNNING | lpar_state::ERROR
            ) {
                return Err(FspError::LparState {
                    name: lpar.name.clone(),
                    state: lpar.state.clone(),
                    needed: "Starting or Running".into(),
                });
            }
            lpar.state = lpar_state::RUNNING.into();
            lpar.rmc_state = "active".into();
            lpar.os_version = os_version.to_string();
            lpar.rmc_ipaddr = rmc_ipaddr.to_string();
            lpar.ref_code = String::new();
            links.insert(
                id,
                ViosLink {
                    generation,
                    tx: tx.clone(),
                },
            );
            Ok(lpar.name.clone())
        })?;
        let _ = tx.try_send(Ok(ViosCommand {
            kind: Some(vios_command::Kind::Attached(Attached {
                partition_name: name.clone(),
            })),
        }));
        let me = self.clone();
        tokio::spawn(async move {
            tx.closed().await;
            me.vios_lost(id, generation);
        });
        tracing::info!(lpar = %name, "VIOS attached");
        Ok(rx)
    }

    /// The VIOS's stream ended without the hypervisor shutting it down: its
    /// operating system is gone, so the partition is in Error.
    fn vios_lost(&self, id: u32, generation: u64) {
        let _ = self.change(|p, links| {
            if links.get(&id).is_some_and(|l| l.generation == generation) {
                links.remove(&id);
                if let Some(l) = p
                    .lpars
                    .get_mut(&id)
                    .filter(|l| l.state == lpar_state::RUNNING)
                {
                    tracing::warn!(lpar = %l.name, "VIOS operating system lost");
                    l.state = lpar_state::ERROR.into();
                    l.rmc_state = "inactive".into();
                    l.ref_code = "B2008105".into();
                }
            }
            Ok(())
        });
    }
}
