//! The checks of a topology that serde has read: one pure function per
//! section, each refusing with the span of the value at fault. They run in
//! file order and stop at the first fault, so what a user sees is the
//! first thing wrong in their file; what a section declares (names,
//! addresses, LUNs) goes into `Seen` for the sections after it.

mod frame;
mod hmc;
mod lpar;
mod lun;
mod partition;
mod profile;
mod vios;

use super::Fault;
use super::schema::Topology;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Checks the whole file: the HMCs, the SAN's LUNs, then each frame with
/// its VIOS and partitions.
pub(super) fn topology(t: &Topology) -> Result<(), Fault> {
    let mut seen = Seen::default();
    for h in &t.hmc {
        hmc::check(h, &mut seen)?;
    }
    // A SAN without a table of its own still takes its address, so a
    // frame or VIOS given the same one is told.
    let san = match &t.san {
        Some(s) => s.address.clone(),
        None => Spanned::new(0..0, t.san_address()),
    };
    seen.claim(&san, super::nodes::SAN_NODE)?;
    for l in &t.lun {
        lun::check(l, &mut seen)?;
    }
    for f in &t.frame {
        frame::check(f, &mut seen)?;
    }
    Ok(())
}

/// What the sections checked so far declared, lab-wide.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// Every address taken, and whose it is.
    addresses: BTreeMap<String, String>,
    hmcs: BTreeSet<String>,
    luns: BTreeSet<String>,
    frames: BTreeSet<String>,
    serials: BTreeSet<String>,
}

impl Seen {
    /// Takes an address for a node: each node has its own, since nodes are
    /// reached by address.
    fn claim(&mut self, addr: &Spanned<String>, who: &str) -> Result<(), Fault> {
        if addr.get_ref().parse::<std::net::IpAddr>().is_err() {
            return Err(Fault::at(
                addr.span(),
                "address",
                format!("{:?} is not an IP address", addr.get_ref()),
            ));
        }
        if let Some(other) = self
            .addresses
            .insert(addr.get_ref().clone(), who.to_string())
        {
            return Err(Fault::at(
                addr.span(),
                "address",
                format!("{} is already the address of {other}", addr.get_ref()),
            ));
        }
        Ok(())
    }
}

/// HMC, frame and partition names: what the HMC's own commands accept.
fn check_name(name: &Spanned<String>, what: &str) -> Result<(), Fault> {
    let n = name.get_ref();
    let ok = !n.is_empty()
        && n.len() <= 47
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Fault::at(
            name.span(),
            "name",
            format!("{what} name {n:?} must be 1-47 letters, digits, '-', '_' or '.'"),
        ))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// A section read from TOML text as serde reads it inside a topology.
    pub fn section<T: DeserializeOwned>(text: &str) -> T {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// The message of a fault, for tests that expect one.
    pub fn message<T: std::fmt::Debug>(r: Result<T, Fault>, field: &str) -> String {
        let f = r.expect_err("should be refused");
        assert_eq!(f.field, field, "{}", f.message);
        f.message
    }

    fn spanned(s: &str) -> Spanned<String> {
        Spanned::new(0..0, s.to_string())
    }

    #[test]
    fn names_are_what_the_hmc_accepts() {
        assert!(check_name(&spanned("vios-1_a.b"), "partition").is_ok());
        assert_eq!(
            message(check_name(&spanned("a b"), "frame"), "name"),
            "frame name \"a b\" must be 1-47 letters, digits, '-', '_' or '.'"
        );
        assert!(check_name(&spanned(""), "HMC").is_err());
        assert!(check_name(&spanned(&"x".repeat(48)), "HMC").is_err());
        assert!(check_name(&spanned(&"x".repeat(47)), "HMC").is_ok());
    }

    #[test]
    fn an_address_is_an_ip_and_only_one_nodes() {
        let mut seen = Seen::default();
        assert_eq!(
            message(seen.claim(&spanned("hmc1.lab"), "hmc1"), "address"),
            "\"hmc1.lab\" is not an IP address"
        );
        seen.claim(&spanned("127.0.0.2"), "hmc1").unwrap();
        assert_eq!(
            message(seen.claim(&spanned("127.0.0.2"), "sys1"), "address"),
            "127.0.0.2 is already the address of hmc1"
        );
    }

    #[test]
    fn sections_are_checked_in_file_order() {
        // Both the HMC and the frame are wrong; the HMC comes first.
        let t: Topology = section(
            "[[hmc]]\nname = \"h 1\"\naddress = \"127.0.0.2\"\n[[frame]]\nname = \"f 1\"\nmtms = \"8286-42A*21A5E8V\"\nproc_generation = \"POWER8\"\ncompat_modes = [\"default\"]\nmemory_mb = 65536\nprocessors = 8\nfirmware = \"SV860\"\npassword = \"pw\"\naddress = \"127.0.0.3\"\n",
        );
        assert!(message(topology(&t), "name").starts_with("HMC name"));
    }
}
