//! `pvmlab ready [--node N]`: exits 0 when the node (or every node of the
//! lab) reports ready, 1 otherwise, printing what it still waits for. The
//! compose lab's health checks run it, so `docker compose up --wait`
//! returns when automation can run its first command, as `up` does.

use crate::client::Clients;
use pvmlab_common::lab::LabDir;

pub fn ready(lab: &LabDir, node: Option<&str>) -> anyhow::Result<bool> {
    let topo = crate::lab_topology(lab)?;
    let nodes: Vec<_> = topo
        .nodes()
        .into_iter()
        .filter(|n| node.is_none_or(|w| n.name == w))
        .collect();
    if nodes.is_empty() {
        anyhow::bail!("the lab has no node {}", node.unwrap_or_default());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let clients = Clients::new(lab)?;
        let mut all = true;
        for n in &nodes {
            match clients.health(n).await {
                Ok(h) if h.ready => {}
                Ok(h) => {
                    all = false;
                    println!("{}: waiting: {}", n.name, h.detail);
                }
                Err(_) => {
                    all = false;
                    println!("{}: not answering", n.name);
                }
            }
        }
        Ok(all)
    })
}
