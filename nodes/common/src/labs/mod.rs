//! Labs made to measure. `site`: a generated site of any size (`pvmlab
//! init --frames`). `remote_restart_lab`, for the remote restart tests and
//! benchmark: one HMC, `frames` POWER8 frames with one VIOS each (every LUN of the SAN
//! zoned to every VIOS, VLAN 1 bridged), and on the first frame `lpars`
//! simplified remote restart capable partitions, each booting from its own
//! LUN through a virtual SCSI adapter.

mod catalog;
pub mod site;

/// The topology text, on loopback addresses `{subnet}.x`.
pub fn remote_restart_lab(name: &str, subnet: &str, frames: usize, lpars: usize) -> String {
    let luns: Vec<String> = (1..=lpars).map(|i| format!("\"rr{i:02}\"")).collect();
    let mut t = format!(
        "[lab]\nname = \"{name}\"\n\n[[hmc]]\nname = \"hmc1\"\naddress = \"{subnet}.11\"\n"
    );
    for i in 1..=lpars {
        t.push_str(&format!("\n[[lun]]\nid = \"rr{i:02}\"\nsize_mb = 10240\n"));
    }
    for f in 1..=frames {
        let clients = if f == 1 { lpars } else { 0 };
        let server: Vec<String> = (1..=clients)
            .map(|i| format!("\"{}/server/{}/rr{i}/3/1\"", 10 + i, 1 + i))
            .collect();
        t.push_str(&format!(
            "\n[[frame]]\nname = \"fr{f}\"\nmtms = \"8286-42A*21C00{f}V\"\nproc_generation = \"POWER8\"\n\
             compat_modes = [\"default\", \"POWER7\", \"POWER8\"]\nmemory_mb = 65536\nprocessors = 16\n\
             firmware = \"SV860_180\"\ncapabilities = [\"active_lpar_mobility_capable\", \"inactive_lpar_mobility_capable\", \
             \"powervm_lpar_remote_restart_capable\", \"powervm_lpar_simplified_remote_restart_capable\"]\n\
             managed_by = [\"hmc1\"]\npassword = \"abc123\"\naddress = \"{subnet}.2{f}\"\n\
             \n[[frame.vios]]\nid = 1\nname = \"vios1\"\naddress = \"{subnet}.3{f}\"\nluns = [{}]\n\
             [[frame.vios.profile]]\nname = \"default_profile\"\nmin_mem = 2048\ndesired_mem = 4096\nmax_mem = 8192\n\
             min_proc_units = 0.5\ndesired_proc_units = 1.0\nmax_proc_units = 2.0\nmin_procs = 1\ndesired_procs = 2\nmax_procs = 4\n\
             max_virtual_slots = 200\nvirtual_scsi_adapters = [{}]\nauto_start = 1\n\
             [[frame.vios.sea]]\nname = \"ent5\"\nreal_adapter = \"ent0\"\nvirt_adapters = [\"ent2\"]\npvid = 1\nvlans = [1]\n",
            luns.join(", "),
            server.join(", ")
        ));
        for i in 1..=clients {
            t.push_str(&format!(
                "\n[[frame.vios.vscsi]]\nserver_slot = {}\nlun = \"rr{i:02}\"\n",
                10 + i
            ));
        }
        for i in 1..=clients {
            t.push_str(&format!(
                "\n[[frame.lpar]]\nid = {}\nname = \"rr{i}\"\nos_version = \"AIX 7.3 7300-02-01-2346\"\n\
                 remote_restart_capable = true\nsimplified_remote_restart_capable = true\n\
                 [[frame.lpar.profile]]\nname = \"default_profile\"\nmin_mem = 1024\ndesired_mem = 4096\nmax_mem = 8192\n\
                 min_proc_units = 0.1\ndesired_proc_units = 0.5\nmax_proc_units = 1.0\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 2\n\
                 virtual_scsi_adapters = [\"3/client/1/vios1/{}/1\"]\n\
                 virtual_eth_adapters = [\"2/0/1//0/0/ETHERNET0//all/none\"]\nauto_start = 1\n",
                1 + i,
                10 + i
            ));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_restart_lab_loads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, remote_restart_lab("rr", "127.44.9", 3, 8)).unwrap();
        let t = crate::topology::Topology::load(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.frame.len(), 3);
        assert_eq!(t.frame[0].lpar.len(), 8);
    }
}
