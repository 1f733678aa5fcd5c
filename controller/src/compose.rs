//! `pvmlab compose generate [--topology FILE] [--out DIR]`: the
//! docker-compose lab of a topology. Every HMC, FSP and VIOS is a
//! container of the one pvmlab image (`docker/Dockerfile`), on a private
//! network at the address the topology gives it, moved into the compose
//! subnet (its last octet kept). A one-shot `pvmlab prepare` service writes
//! the topology and makes the certificates into the lab directory, which
//! every container shares (`DIR/lab`, bound from the host so that the
//! host's `pvmlab --lab DIR/lab …` drives the same lab: status, faults,
//! chaos, evacuate); the SAN lives in it too. HMC SSH is published on the
//! host from port 2221 up, and the Toxiproxy-compatible fault API on 8474.

use crate::launcher::binary;
use pvmlab_common::model::Role;
use pvmlab_common::topology::{DEFAULT_LAB, Topology};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The compose network's /24 (the project's own; a private range no lab
/// host is expected to use).
pub const SUBNET: &str = "10.89.0";
pub const IMAGE: &str = "pvmlab:latest";
/// The first host port HMC SSH is published on.
pub const SSH_BASE: u16 = 2221;

/// The compose file and the topology it runs, for a topology's text.
pub fn generate(text: &str, origin: &str) -> anyhow::Result<(String, String)> {
    let topo = Topology::parse(origin, text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let moved = addresses_in_subnet(&topo)?;
    let lab_topology = lab_topology(text, origin, &moved)?;
    Ok((compose_file(&topo, origin, &moved), lab_topology))
}

/// Each node's address and where it moves in the compose network: its last
/// number kept, so two nodes must not meet there.
fn addresses_in_subnet(topo: &Topology) -> anyhow::Result<BTreeMap<String, String>> {
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for n in topo.nodes() {
        let last = n.address.rsplit('.').next().unwrap_or_default();
        let new = format!("{SUBNET}.{last}");
        if last.parse::<u8>().map_or(true, |o| !(2..254).contains(&o)) {
            anyhow::bail!(
                "{}: address {} cannot move into {SUBNET}.0/24 (its last number must be 2 to 253; 254 is the fault API's)",
                n.name,
                n.address
            );
        }
        if let Some(other) = taken.insert(new.clone(), n.name.clone())
            && other != n.name
        {
            anyhow::bail!(
                "{} and {} would both be {new} in the compose network: give them addresses that differ in their last number",
                other,
                n.name
            );
        }
        moved.insert(n.address.clone(), new);
    }
    Ok(moved)
}

/// The topology text the containers run: the user's own, with the
/// addresses moved and SSH on port 22 inside each HMC's own container.
fn lab_topology(
    text: &str,
    origin: &str,
    moved: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let mut lab_topology = text.to_string();
    for (old, new) in moved {
        lab_topology = lab_topology.replace(&format!("\"{old}\""), &format!("\"{new}\""));
    }
    Topology::parse(origin, &lab_topology)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .map(|t| {
            if t.lab.ssh_port == 22 {
                lab_topology.clone()
            } else {
                lab_topology.replace(&format!("ssh_port = {}", t.lab.ssh_port), "ssh_port = 22")
            }
        })
}

/// compose.yaml: the one-shot `prepare`, a service per node at its moved
/// address, and the fault API.
fn compose_file(topo: &Topology, origin: &str, moved: &BTreeMap<String, String>) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# The docker-compose lab of {origin}, made by `pvmlab compose generate`;\n# generate it again rather than edit it. Build the image first: docker/build.sh\n# (lab {})\n\nx-node: &node\n  image: {IMAGE}\n  volumes:\n    - ./lab:/lab\n  depends_on:\n    prepare:\n      condition: service_completed_successfully\n  restart: \"no\"\n\nservices:\n  prepare:\n    image: {IMAGE}\n    command: [\"--lab\", \"/lab\", \"prepare\", \"--topology\", \"/lab-topology.toml\"]\n    volumes:\n      - ./lab:/lab\n      - ./topology.toml:/lab-topology.toml:ro\n    network_mode: none",
        topo.lab.name
    );
    let mut ssh = SSH_BASE;
    for n in topo.nodes() {
        let binary = binary(n.role);
        let _ = writeln!(
            y,
            "  {name}:\n    <<: *node\n    hostname: {name}\n    entrypoint: [\"/usr/local/bin/{binary}\"]\n    command: [\"--lab\", \"/lab\", \"--name\", \"{name}\"]\n    networks:\n      pvmlab:\n        ipv4_address: {addr}",
            name = n.name,
            addr = moved[&n.address],
        );
        // Healthy once the node says it is ready (an HMC: connected to its
        // frames and their remote restart data gathered), so that
        // `docker compose up --wait` returns when the lab can be driven.
        let _ = writeln!(
            y,
            "    healthcheck:\n      test: [\"CMD\", \"/usr/local/bin/pvmlab\", \"--lab\", \"/lab\", \"ready\", \"--node\", \"{}\"]\n      interval: 2s\n      timeout: 5s\n      retries: 60\n      start_period: 60s",
            n.name
        );
        if n.role == Role::Hmc {
            // On the host's loopback only, as the process lab's nodes are.
            let _ = writeln!(y, "    ports:\n      - \"127.0.0.1:{ssh}:22\"");
            ssh += 1;
        }
    }
    // The controller's Toxiproxy-compatible fault API, on the lab network
    // (it reaches every node) and on the host's loopback.
    let _ = writeln!(
        y,
        "  toxiproxy:\n    <<: *node\n    command: [\"--lab\", \"/lab\", \"toxiproxy\", \"--listen\", \"{SUBNET}.254:8474\"]\n    networks:\n      pvmlab:\n        ipv4_address: {SUBNET}.254\n    ports:\n      - \"127.0.0.1:8474:8474\""
    );
    let _ = writeln!(
        y,
        "\nnetworks:\n  pvmlab:\n    ipam:\n      config:\n        - subnet: {SUBNET}.0/24"
    );
    y
}

pub fn run(topology: Option<&Path>, out: &Path) -> anyhow::Result<()> {
    let (text, origin) = match topology {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (DEFAULT_LAB.to_string(), "the default lab".to_string()),
    };
    let (compose, topo) = generate(&text, &origin)?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("compose.yaml"), compose)?;
    std::fs::write(out.join("topology.toml"), topo)?;
    println!(
        "wrote {0}/compose.yaml and {0}/topology.toml; bring it up with: docker compose -f {0}/compose.yaml up",
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lab_becomes_one_container_per_node() {
        let (y, topo) = generate(DEFAULT_LAB, "default").unwrap();
        let t = Topology::parse("t", &topo).unwrap();
        assert!(t.nodes().iter().all(|n| n.address.starts_with("10.89.0.")));
        for n in t.nodes() {
            assert!(
                y.contains(&format!("  {}:\n    <<: *node\n", n.name)),
                "{}",
                n.name
            );
            assert!(y.contains(&format!("ipv4_address: {}\n", n.address)));
        }
        assert!(y.contains("\"127.0.0.1:2221:22\"") && y.contains("\"127.0.0.1:2222:22\""));
        assert_eq!(t.lab.ssh_port, 22);
    }

    #[test]
    fn the_shipped_compose_files_are_the_generated_ones() {
        let (y, t) = generate(DEFAULT_LAB, "the default lab").unwrap();
        assert_eq!(
            include_str!("../../docker/compose.yaml"),
            y,
            "run: pvmlab compose generate"
        );
        assert_eq!(
            include_str!("../../docker/topology.toml"),
            t,
            "run: pvmlab compose generate"
        );
    }

    #[test]
    fn clashing_addresses_are_refused() {
        let text = DEFAULT_LAB.replacen("address = \"127.42.0.12\"", "address = \"127.9.9.11\"", 1);
        let e = generate(&text, "x").unwrap_err().to_string();
        assert!(e.contains("would both be 10.89.0.11"), "{e}");
    }

    #[test]
    fn an_address_must_fit_beside_the_fault_api() {
        let text =
            DEFAULT_LAB.replacen("address = \"127.42.0.12\"", "address = \"127.9.9.254\"", 1);
        let e = generate(&text, "x").unwrap_err().to_string();
        assert!(
            e.contains("address 127.9.9.254 cannot move into 10.89.0.0/24"),
            "{e}"
        );
    }

    #[test]
    fn a_non_default_ssh_port_becomes_22_in_the_containers() {
        let text = DEFAULT_LAB.replacen("[lab]\n", "[lab]\nssh_port = 2022\n", 1);
        assert!(
            text.contains("ssh_port = 2022"),
            "the default lab has a [lab] table"
        );
        let (_, t) = generate(&text, "x").unwrap();
        assert!(t.contains("ssh_port = 22\n") && !t.contains("2022"));
    }
}
