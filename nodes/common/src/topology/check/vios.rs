//! `[[frame.vios]]`: a VIOS is a node of its own (an address) and sees only
//! the LUNs zoned to it.

use super::{Fault, Seen};
use crate::topology::nodes::vios_node_name;
use crate::topology::schema::ViosDef;

pub(super) fn check(v: &ViosDef, frame: &str, seen: &mut Seen) -> Result<(), Fault> {
    seen.claim(&v.address, &vios_node_name(frame, v.name.get_ref()))?;
    if let Some(l) = v.luns.get_ref().iter().find(|l| !seen.luns.contains(*l)) {
        return Err(Fault::at(
            v.luns.span(),
            "luns",
            format!("no LUN {l:?} on the SAN"),
        ));
    }
    if let Some(m) = v
        .vscsi
        .iter()
        .find(|m| !v.luns.get_ref().contains(m.lun.get_ref()))
    {
        return Err(Fault::at(
            m.lun.span(),
            "lun",
            format!(
                "LUN {} is not zoned to {}",
                m.lun.get_ref(),
                v.name.get_ref()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::tests::{message, section};

    fn vios(extra: &str) -> ViosDef {
        section(&format!(
            "id = 1\nname = \"vios1\"\naddress = \"127.0.0.4\"\n{extra}profile = []\n"
        ))
    }

    fn with_lun(id: &str) -> Seen {
        let mut seen = Seen::default();
        seen.luns.insert(id.into());
        seen
    }

    #[test]
    fn a_vios_takes_its_address_by_its_node_name() {
        let mut seen = Seen::default();
        check(&vios(""), "f1", &mut seen).unwrap();
        assert_eq!(
            message(check(&vios(""), "f2", &mut seen), "address"),
            "127.0.0.4 is already the address of f1-vios1"
        );
    }

    #[test]
    fn it_sees_only_luns_on_the_san_and_zoned_to_it() {
        let zoned = vios("luns = [\"lun01\"]\nvscsi = [{ server_slot = 11, lun = \"lun01\" }]\n");
        check(&zoned, "f1", &mut with_lun("lun01")).unwrap();
        assert_eq!(
            message(check(&zoned, "f1", &mut with_lun("lun02")), "luns"),
            "no LUN \"lun01\" on the SAN"
        );
        let unzoned = vios("vscsi = [{ server_slot = 11, lun = \"lun01\" }]\n");
        assert_eq!(
            message(check(&unzoned, "f1", &mut with_lun("lun01")), "lun"),
            "LUN lun01 is not zoned to vios1"
        );
    }
}
