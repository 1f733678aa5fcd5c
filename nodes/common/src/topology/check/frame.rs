//! `[[frame]]`: the frame's own values, then its VIOS and partitions, then
//! whether the partitions that start with it fit in its memory.

use super::partition::{self, OnFrame};
use super::{Fault, Seen, check_name, vios};
use crate::topology::build::{firmware_mem_mb, parse_mtms};
use crate::topology::schema::FrameDef;
use crate::topology::tables::{CAPABILITIES, FRAME_POWER_STATES, GENERATIONS};

pub(super) fn check(f: &FrameDef, seen: &mut Seen) -> Result<(), Fault> {
    identity(f, seen)?;
    processors(f)?;
    settings(f, seen)?;
    seen.claim(&f.address, f.name.get_ref())?;
    let mut on_frame = OnFrame::default();
    for v in &f.vios {
        vios::check(v, f.name.get_ref(), seen)?;
        on_frame
            .vios_ids
            .insert(*v.id.get_ref(), v.name.get_ref().clone());
    }
    let mut at_start = 0u64;
    for p in partition::of(f) {
        at_start += partition::check(&p, f, &mut on_frame)?;
    }
    memory(f, at_start)
}

/// The name and the serial an HMC knows the frame by: both unique.
fn identity(f: &FrameDef, seen: &mut Seen) -> Result<(), Fault> {
    check_name(&f.name, "frame")?;
    if !seen.frames.insert(f.name.get_ref().clone()) {
        return Err(Fault::at(
            f.name.span(),
            "name",
            format!("duplicate frame name {}", f.name.get_ref()),
        ));
    }
    if parse_mtms(f.mtms.get_ref()).is_none() {
        return Err(Fault::at(
            f.mtms.span(),
            "mtms",
            format!(
                "{:?} is not type-model*serial such as 8286-42A*21A5E8V",
                f.mtms.get_ref()
            ),
        ));
    }
    if !seen.serials.insert(f.mtms.get_ref().clone()) {
        return Err(Fault::at(
            f.mtms.span(),
            "mtms",
            format!("duplicate serial {}", f.mtms.get_ref()),
        ));
    }
    Ok(())
}

/// The processor generation, and the compatibility modes it can run.
fn processors(f: &FrameDef) -> Result<(), Fault> {
    let Some((_, modes)) = GENERATIONS
        .iter()
        .find(|(g, _)| g == f.proc_generation.get_ref())
    else {
        let known: Vec<&str> = GENERATIONS.iter().map(|g| g.0).collect();
        return Err(Fault::at(
            f.proc_generation.span(),
            "proc_generation",
            format!(
                "unknown processor generation {:?} (known: {})",
                f.proc_generation.get_ref(),
                known.join(", ")
            ),
        ));
    };
    if let Some(m) = f
        .compat_modes
        .get_ref()
        .iter()
        .find(|m| !modes.contains(&m.as_str()))
    {
        return Err(Fault::at(
            f.compat_modes.span(),
            "compat_modes",
            format!(
                "unknown processor mode {m:?} for {} (known: {})",
                f.proc_generation.get_ref(),
                modes.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Capabilities, managing HMCs, power state and memory block size.
fn settings(f: &FrameDef, seen: &Seen) -> Result<(), Fault> {
    if let Some(c) = f
        .capabilities
        .get_ref()
        .iter()
        .find(|c| !CAPABILITIES.contains(&c.as_str()))
    {
        return Err(Fault::at(
            f.capabilities.span(),
            "capabilities",
            format!("unknown capability {c:?}"),
        ));
    }
    if let Some(h) = f
        .managed_by
        .get_ref()
        .iter()
        .find(|h| !seen.hmcs.contains(*h))
    {
        return Err(Fault::at(
            f.managed_by.span(),
            "managed_by",
            format!("no HMC named {h:?} in this topology"),
        ));
    }
    if !FRAME_POWER_STATES.contains(&f.power.get_ref().as_str()) {
        return Err(Fault::at(
            f.power.span(),
            "power",
            format!(
                "{:?} is not one of {}",
                f.power.get_ref(),
                FRAME_POWER_STATES.join(", ")
            ),
        ));
    }
    let lmb = *f.lmb_mb.get_ref();
    if ![16, 32, 64, 128, 256].contains(&lmb) {
        return Err(Fault::at(
            f.lmb_mb.span(),
            "lmb_mb",
            format!("logical memory block size {lmb} is not 16, 32, 64, 128 or 256"),
        ));
    }
    Ok(())
}

/// The partitions that start with the frame must fit beside its firmware.
fn memory(f: &FrameDef, at_start: u64) -> Result<(), Fault> {
    let usable = f.memory_mb.saturating_sub(firmware_mem_mb(f.memory_mb));
    if at_start > usable {
        return Err(Fault::at(
            f.name.span(),
            "memory_mb",
            format!(
                "partitions that start with frame {} want {at_start} MB but only {usable} MB is available",
                f.name.get_ref()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::topology::check::tests::{message, section};

    /// A frame with nothing in it, on 127.0.0.3, as small as `extra`
    /// (more `key = value` lines, or tables after them) leaves it.
    pub const FRAME: &str = "name = \"f1\"\nmtms = \"8286-42A*21A5E8V\"\nproc_generation = \"POWER8\"\ncompat_modes = [\"default\", \"POWER8\"]\nmemory_mb = 65536\nprocessors = 8\nfirmware = \"SV860\"\npassword = \"pw\"\naddress = \"127.0.0.3\"\n";

    pub fn frame(extra: &str) -> FrameDef {
        section(&format!("{FRAME}{extra}"))
    }

    fn with(from: &str, to: &str) -> FrameDef {
        assert!(FRAME.contains(from), "{from}");
        section(&FRAME.replace(from, to))
    }

    fn refused(f: &FrameDef, field: &str) -> String {
        message(check(f, &mut Seen::default()), field)
    }

    #[test]
    fn a_plain_frame_passes() {
        let mut seen = Seen::default();
        check(&frame(""), &mut seen).unwrap();
        assert!(seen.frames.contains("f1") && seen.addresses.contains_key("127.0.0.3"));
    }

    #[test]
    fn names_and_serials_are_unique() {
        let mut seen = Seen::default();
        check(&frame(""), &mut seen).unwrap();
        let again = with("127.0.0.3", "127.0.0.4");
        assert_eq!(
            message(check(&again, &mut seen), "name"),
            "duplicate frame name f1"
        );
        let other = section::<FrameDef>(
            &FRAME
                .replace("127.0.0.3", "127.0.0.4")
                .replace("\"f1\"", "\"f2\""),
        );
        assert_eq!(
            message(check(&other, &mut seen), "mtms"),
            "duplicate serial 8286-42A*21A5E8V"
        );
        assert_eq!(
            refused(&with("\"f1\"", "\"f 1\""), "name"),
            "frame name \"f 1\" must be 1-47 letters, digits, '-', '_' or '.'"
        );
    }

    #[test]
    fn an_mtms_is_type_model_serial() {
        assert_eq!(
            refused(&with("8286-42A*21A5E8V", "8286-42A"), "mtms"),
            "\"8286-42A\" is not type-model*serial such as 8286-42A*21A5E8V"
        );
    }

    #[test]
    fn the_processor_is_one_the_lab_knows() {
        assert_eq!(
            refused(&with("\"POWER8\"\n", "\"POWER5\"\n"), "proc_generation"),
            "unknown processor generation \"POWER5\" (known: POWER6, POWER6+, POWER7, POWER7+, POWER8, POWER9, POWER10)"
        );
        assert_eq!(
            refused(&with("\"POWER8\"]", "\"POWER9\"]"), "compat_modes"),
            "unknown processor mode \"POWER9\" for POWER8 (known: default, POWER6, POWER6_Plus, POWER7, POWER8)"
        );
    }

    #[test]
    fn settings_are_known_values() {
        assert_eq!(
            refused(&frame("capabilities = [\"flying\"]\n"), "capabilities"),
            "unknown capability \"flying\""
        );
        assert_eq!(
            refused(&frame("managed_by = [\"hmc9\"]\n"), "managed_by"),
            "no HMC named \"hmc9\" in this topology"
        );
        assert_eq!(
            refused(&frame("power = \"On\"\n"), "power"),
            "\"On\" is not one of Operating, Standby, Power Off"
        );
        assert_eq!(
            refused(&frame("lmb_mb = 100\n"), "lmb_mb"),
            "logical memory block size 100 is not 16, 32, 64, 128 or 256"
        );
        let mut seen = Seen::default();
        seen.hmcs.insert("hmc1".into());
        check(&frame("managed_by = [\"hmc1\"]\n"), &mut seen).unwrap();
    }

    #[test]
    fn the_address_is_the_frames_own() {
        let mut seen = Seen::default();
        seen.claim(&toml::Spanned::new(0..0, "127.0.0.3".into()), "hmc1")
            .unwrap();
        assert_eq!(
            message(check(&frame(""), &mut seen), "address"),
            "127.0.0.3 is already the address of hmc1"
        );
    }

    #[test]
    fn partitions_that_start_with_the_frame_fit_beside_its_firmware() {
        // 65536 MB less 2048 MB of firmware.
        let f = frame("");
        memory(&f, 63488).unwrap();
        assert_eq!(
            message(memory(&f, 63489), "memory_mb"),
            "partitions that start with frame f1 want 63489 MB but only 63488 MB is available"
        );
    }
}
