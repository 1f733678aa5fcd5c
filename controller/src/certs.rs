//! The lab's certificates: a CA and one certificate per node, made once and
//! kept in the lab directory. A certificate that was not issued by the lab's
//! CA, or names another node or role, is an error rather than replaced
//! silently, since it means someone put it there.

use anyhow::{Context, bail};
use pvmlab_common::lab::{CONTROLLER_NODE, LabDir};
use pvmlab_common::model::Role;
use pvmlab_common::pki;
use pvmlab_common::topology::Topology;
use std::path::Path;

pub fn ensure(lab: &LabDir, topo: &Topology) -> anyhow::Result<()> {
    let (ca, ca_key) = (lab.ca_cert(), lab.ca_key());
    match (ca.exists(), ca_key.exists()) {
        (true, true) => {}
        (false, false) => pki::make_ca(&format!("pvmlab CA {}", topo.lab.name), &ca, &ca_key)?,
        _ => bail!(
            "{} and {} must both exist or both be absent; remove the one left to have a new CA made",
            ca.display(),
            ca_key.display()
        ),
    }
    let ca_pem = std::fs::read(&ca).with_context(|| ca.display().to_string())?;
    let mut nodes: Vec<(String, Role, Vec<String>)> = topo
        .nodes()
        .into_iter()
        .map(|n| (n.name, n.role, vec![n.address]))
        .collect();
    nodes.push((CONTROLLER_NODE.to_string(), Role::Controller, vec![]));
    for (name, role, addrs) in nodes {
        let (cert, key) = (lab.node_cert(&name), lab.node_key(&name));
        if cert.exists() && key.exists() {
            check(&ca_pem, &cert, &name, role)?;
        } else {
            pki::issue(&ca, &ca_key, &name, role, &addrs, &cert, &key)?;
        }
    }
    Ok(())
}

/// The certificate must be signed by the lab CA and name this node and role.
fn check(ca_pem: &[u8], cert: &Path, node: &str, role: Role) -> anyhow::Result<()> {
    let foreign = || {
        anyhow::anyhow!(
            "{} was not issued by this lab's CA; remove it (and its key) to have a new one made",
            cert.display()
        )
    };
    let (_, ca) = x509_parser::pem::parse_x509_pem(ca_pem).map_err(|_| foreign())?;
    let ca = ca.parse_x509().map_err(|_| foreign())?;
    let pem = std::fs::read(cert).with_context(|| cert.display().to_string())?;
    let (_, p) = x509_parser::pem::parse_x509_pem(&pem)
        .map_err(|_| anyhow::anyhow!("{} is not a PEM certificate", cert.display()))?;
    let c = p
        .parse_x509()
        .map_err(|_| anyhow::anyhow!("{} is not a certificate", cert.display()))?;
    c.verify_signature(Some(ca.public_key()))
        .map_err(|_| foreign())?;
    let cn = c
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok());
    let ou = c
        .subject()
        .iter_organizational_unit()
        .next()
        .and_then(|a| a.as_str().ok());
    if cn != Some(node) || ou != Some(role.as_str()) {
        bail!(
            "{} names {}/{} but belongs to {node}/{role}; remove it to have a new one made",
            cert.display(),
            cn.unwrap_or("?"),
            ou.unwrap_or("?")
        );
    }
    Ok(())
}
