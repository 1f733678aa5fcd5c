//! `[[hmc]]`: each HMC has a name of its own and an address of its own.

use super::{Fault, Seen, check_name};
use crate::topology::schema::HmcDef;

pub(super) fn check(h: &HmcDef, seen: &mut Seen) -> Result<(), Fault> {
    check_name(&h.name, "HMC")?;
    if !seen.hmcs.insert(h.name.get_ref().clone()) {
        return Err(Fault::at(
            h.name.span(),
            "name",
            format!("duplicate HMC name {}", h.name.get_ref()),
        ));
    }
    seen.claim(&h.address, h.name.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::tests::{message, section};

    fn hmc(name: &str, address: &str) -> HmcDef {
        section(&format!("name = \"{name}\"\naddress = \"{address}\"\n"))
    }

    #[test]
    fn an_hmc_is_checked() {
        let mut seen = Seen::default();
        check(&hmc("hmc1", "127.0.0.2"), &mut seen).unwrap();
        assert!(seen.hmcs.contains("hmc1"));
        assert_eq!(
            message(check(&hmc("hmc1", "127.0.0.3"), &mut seen), "name"),
            "duplicate HMC name hmc1"
        );
        assert_eq!(
            message(check(&hmc("hmc2", "127.0.0.2"), &mut seen), "address"),
            "127.0.0.2 is already the address of hmc1"
        );
        assert_eq!(
            message(check(&hmc("hmc/3", "127.0.0.4"), &mut seen), "name"),
            "HMC name \"hmc/3\" must be 1-47 letters, digits, '-', '_' or '.'"
        );
    }
}
