//! `[[lun]]`: the SAN's LUNs, which VIOS zone by id, masked to client
//! virtual FC WWPNs by `wwpns`.

use super::{Fault, Seen};
use crate::topology::schema::LunDef;

pub(super) fn check(l: &LunDef, seen: &mut Seen) -> Result<(), Fault> {
    if !seen.luns.insert(l.id.get_ref().clone()) {
        return Err(Fault::at(
            l.id.span(),
            "id",
            format!("duplicate LUN id {}", l.id.get_ref()),
        ));
    }
    if let Some(bad) = l
        .wwpns
        .get_ref()
        .iter()
        .find(|w| w.len() != 16 || !w.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Fault::at(
            l.wwpns.span(),
            "wwpns",
            format!("{bad} is not a WWPN (16 hexadecimal digits)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::tests::{message, section};

    #[test]
    fn a_lun_id_is_given_once() {
        let mut seen = Seen::default();
        let lun: LunDef = section("id = \"lun01\"\nsize_mb = 1024\n");
        check(&lun, &mut seen).unwrap();
        assert_eq!(
            message(check(&lun, &mut seen), "id"),
            "duplicate LUN id lun01"
        );
        let lun: LunDef = section(
            "id = \"lun02\"\nsize_mb = 1024\nwwpns = [\"c050760431670040\", \"c05076043167\"]\n",
        );
        assert_eq!(
            message(check(&lun, &mut seen), "wwpns"),
            "c05076043167 is not a WWPN (16 hexadecimal digits)"
        );
    }
}
