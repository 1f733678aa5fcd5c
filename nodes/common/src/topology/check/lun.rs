//! `[[lun]]`: the SAN's LUNs, which VIOS zone by id.

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
    }
}
