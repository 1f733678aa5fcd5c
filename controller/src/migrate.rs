//! `pvmlab migrate <src> <lpar> <dst>`: `migrlpar -o m` on an HMC, with a
//! progress bar fed by `lslparmigr` (the memory moved, as the HMC's
//! "Progress (%)"), then the migration's statistics.

use crate::client::Clients;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::Role;
use std::time::Duration;

pub fn run(lab: &LabDir, hmc: &str, src: &str, lpar: &str, dst: &str) -> anyhow::Result<u32> {
    let topo = crate::lab_topology(lab)?;
    let node = topo
        .node(hmc)
        .filter(|n| n.role == Role::Hmc)
        .ok_or_else(|| anyhow::anyhow!("no HMC named {hmc} in this lab"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let clients = Clients::new(lab)?;
        let line = format!("migrlpar -o m -m {src} -t {dst} -p {lpar} -v");
        let (c2, n2) = (Clients::new(lab)?, node.clone());
        let mut job = tokio::spawn(async move { c2.run(&n2, "hscroot", &line).await });
        let bar = indicatif::ProgressBar::new(100);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:40}] {pos:>3}% {msg}",
            )?
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("{lpar} {src} -> {dst}"));
        let query = format!(
            "lslparmigr -r lpar -m {src} --filter lpar_names={lpar} -F migration_state,progress,bytes_transmitted,bytes_remaining"
        );
        let reply = loop {
            tokio::select! {
                r = &mut job => break r??,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if let Ok(r) = clients.run(&node, "hscroot", &query).await {
                        let f: Vec<&str> = r.output.trim().split(',').collect();
                        if let [state, progress, sent, left] = f.as_slice() {
                            bar.set_position(progress.parse().unwrap_or(0));
                            let mb = |s: &str| s.parse::<u64>().unwrap_or(0) / (1 << 20);
                            bar.set_message(format!("{state}, {} MiB sent, {} MiB to go", mb(sent), mb(left)));
                        }
                    }
                    bar.tick();
                }
            }
        };
        if reply.exit_status == 0 {
            bar.set_position(100);
            bar.finish_with_message("completed");
        } else {
            bar.abandon_with_message("failed");
        }
        for kv in reply.output.trim().split(',') {
            println!("{kv}");
        }
        Ok(reply.exit_status)
    })
}
