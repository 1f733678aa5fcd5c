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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_two_to_a_card() {
        assert_eq!(fc_ports([]), 2);
        assert_eq!(fc_ports(["fcs2"]), 4);
        assert_eq!(fc_location("21A5E8V", 1, 1), "U78C9.001.21A5E8V-P2-C1-T2");
        assert_eq!(fc_location("21A5E8V", 1, 2), "U78C9.001.21A5E8V-P2-C5-T1");
        assert_eq!(fc_wwpn("S", 1, 0).len(), 16);
    }
}
