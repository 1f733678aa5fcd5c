//! `pvmlab fault node <node> kill|pause|resume|restart`: process faults.
//! kill is a crash (SIGKILL: nothing flushed, nothing said goodbye);
//! pause freezes the process (SIGSTOP), so its peers see a node that holds
//! its connections open and answers nothing, until resume (SIGCONT);
//! restart kills it and starts it again on its data, as a reboot would.

use crate::launcher;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pvmlab_common::lab::LabDir;

pub const ACTIONS: [&str; 4] = ["kill", "pause", "resume", "restart"];

pub fn run(lab: &LabDir, node: &str, action: &str) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    if topo.node(node).is_none() {
        anyhow::bail!("no node named {node} in the lab");
    }
    let pid = launcher::running_pid(lab, node);
    let signal = |s: Signal| -> anyhow::Result<()> {
        let pid = pid.ok_or_else(|| anyhow::anyhow!("{node} is not running"))?;
        kill(Pid::from_raw(pid), s)?;
        Ok(())
    };
    match action {
        "kill" => {
            signal(Signal::SIGKILL)?;
            println!("{node} killed");
        }
        "pause" => {
            signal(Signal::SIGSTOP)?;
            println!("{node} paused");
        }
        "resume" => {
            signal(Signal::SIGCONT)?;
            println!("{node} resumed");
        }
        _ => {
            if pid.is_some() {
                // A paused process must be able to die.
                let _ = signal(Signal::SIGCONT);
                launcher::kill_nodes(lab, &[node.to_string()]);
                for _ in 0..100 {
                    if launcher::running_pid(lab, node).is_none() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
            launcher::restart_nodes(lab, &[node.to_string()], 60)?;
            println!("{node} restarted");
        }
    }
    Ok(())
}
