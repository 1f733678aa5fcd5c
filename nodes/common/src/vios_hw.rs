//! The physical hardware a VIOS partition owns, named once so that the
//! VIOS's own command line (`lsdev`, `lsmap -npiv`, `fcstat`) and the HMC's
//! REST entries (`PhysicalFibreChannelPort`) show the same location codes
//! and WWPNs.

/// FNV-1a: a stable 32-bit hash of a name, for serial-like values.
pub fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The I/O drawer of a frame's VIOS adapters.
pub fn drawer(frame_serial: &str) -> String {
    format!("U78C9.001.{frame_serial}")
}

/// The location code of FC port `port` of the VIOS with partition id
/// `lpar_id`: two ports per card, the first card in slot P2-C<lpar id>.
pub fn fc_location(frame_serial: &str, lpar_id: u32, port: u32) -> String {
    format!(
        "{}-P2-C{}-T{}",
        drawer(frame_serial),
        lpar_id + 4 * (port / 2),
        port % 2 + 1
    )
}

/// The WWPN of that port.
pub fn fc_wwpn(frame_serial: &str, lpar_id: u32, port: u32) -> String {
    format!(
        "10000090FA{:06X}",
        fnv(&format!("{frame_serial}/{lpar_id}/fcs{port}")) & 0xFF_FFFF
    )
}

/// How many FC ports a VIOS has: two per card, as many cards as the ports
/// its NPIV mappings name (`fcsN`), at least one card.
pub fn fc_ports<'a>(mapped: impl IntoIterator<Item = &'a str>) -> u32 {
    mapped
        .into_iter()
        .filter_map(|n| n.strip_prefix("fcs")?.parse::<u32>().ok())
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .max(2)
        .next_multiple_of(2)
}

/// The kind of a physical card a VIOS owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// The Ethernet card whose ports back the SEAs.
    Ethernet,
    /// A two-port Fibre Channel card (the NPIV and SAN paths).
    FibreChannel,
    /// The SAS controller of rootvg's internal disks.
    Sas,
}

/// A physical card in the frame's I/O drawer: planar `P<planar>`, slot
/// `C<slot>`. The HMC lists it as a slot (`lshwres -r io`), the owning
/// VIOS's profile requires it (`io_slots`), the VIOS shows it as devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card {
    pub kind: CardKind,
    pub planar: u32,
    pub slot: u32,
}

impl Card {
    /// The slot's DRC index: kind, planar and slot in its bytes, so that a
    /// profile's `io_slots` entry names the card it stands for.
    pub fn drc_index(&self) -> u32 {
        let kind = match self.kind {
            CardKind::Ethernet => 1,
            CardKind::FibreChannel => 2,
            CardKind::Sas => 3,
        };
        0x2100_0000 | kind << 16 | (self.planar & 0xFF) << 8 | (self.slot & 0xFF)
    }

    /// The card a DRC index of [`Card::drc_index`]'s form stands for.
    pub fn from_drc_index(drc: u32) -> Option<Card> {
        if drc >> 24 != 0x21 {
            return None;
        }
        let kind = match (drc >> 16) & 0xFF {
            1 => CardKind::Ethernet,
            2 => CardKind::FibreChannel,
            3 => CardKind::Sas,
            _ => return None,
        };
        let (planar, slot) = ((drc >> 8) & 0xFF, drc & 0xFF);
        (planar > 0 && slot > 0).then_some(Card { kind, planar, slot })
    }

    /// `U78C9.001.<serial>-P<planar>-C<slot>`.
    pub fn location(&self, frame_serial: &str) -> String {
        format!("{}-P{}-C{}", drawer(frame_serial), self.planar, self.slot)
    }
}

/// The cards of the VIOS with partition id `lpar_id` and `fc_ports` FC
/// ports: the Ethernet card in P1-C<id>, the FC cards in P2-C<id>,
/// P2-C<id+4> …, the SAS controller in P1-C<id+16>.
pub fn cards(lpar_id: u32, fc_ports: u32) -> Vec<Card> {
    let mut v = vec![Card {
        kind: CardKind::Ethernet,
        planar: 1,
        slot: lpar_id,
    }];
    v.extend((0..fc_ports.div_ceil(2)).map(|c| Card {
        kind: CardKind::FibreChannel,
        planar: 2,
        slot: lpar_id + 4 * c,
    }));
    v.push(Card {
        kind: CardKind::Sas,
        planar: 1,
        slot: lpar_id + 16,
    });
    v
}

/// The profile `io_slots` entry requiring a card: `<drc>/none/1` (no I/O
/// pool, required).
pub fn io_slot(card: &Card) -> String {
    format!("{:08X}/none/1", card.drc_index())
}

/// The MAC of Ethernet port `port` of the VIOS with partition id `lpar_id`.
pub fn ent_mac(frame_serial: &str, lpar_id: u32, port: u32) -> String {
    format!(
        "00145E{:06X}",
        fnv(&format!("{frame_serial}/{lpar_id}/ent{port}")) & 0xFF_FFFF
    )
}

/// The MAC address the hypervisor gives a virtual Ethernet adapter made
/// without one: locally administered, from the frame's serial, the
/// partition's id and the slot (what `lshwres` and the partition's own
/// `entstat` both show).
pub fn virtual_eth_mac(frame_serial: &str, lpar_id: u32, slot: u32) -> String {
    let h = frame_serial.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    // First byte: locally administered (bit 1 set), unicast (bit 0 clear).
    let prefix = (h & 0x00FC_FFFF) | 0x0002_0000;
    format!("{prefix:06X}{:02X}{:04X}", lpar_id & 0xFF, slot & 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_is_named_by_its_drc_index() {
        let cs = cards(2, 4);
        assert_eq!(cs.len(), 4);
        for c in &cs {
            assert_eq!(Card::from_drc_index(c.drc_index()), Some(*c));
        }
        assert_eq!(cs[1].location("S"), "U78C9.001.S-P2-C2");
        assert_eq!(
            fc_location("S", 2, 2).rsplit_once("-T").unwrap().0,
            cs[2].location("S")
        );
        assert_eq!(io_slot(&cs[0]), "21010102/none/1");
        assert_eq!(Card::from_drc_index(0x2101_0001), None);
        assert_eq!(Card::from_drc_index(0x1234), None);
    }

    #[test]
    fn ports_come_two_to_a_card() {
        assert_eq!(fc_ports([]), 2);
        assert_eq!(fc_ports(["fcs2"]), 4);
        assert_eq!(fc_location("21A5E8V", 1, 1), "U78C9.001.21A5E8V-P2-C1-T2");
        assert_eq!(fc_location("21A5E8V", 1, 2), "U78C9.001.21A5E8V-P2-C5-T1");
        assert_eq!(fc_wwpn("S", 1, 0).len(), 16);
    }
}
