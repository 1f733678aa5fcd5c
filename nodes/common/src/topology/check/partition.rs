//! What every partition of a frame, VIOS or client, must be: a unique
//! name and id, and profiles the frame can run. Returns the memory it takes
//! when the frame starts, for the frame's own check.

use super::{Fault, check_name, lpar, profile};
use crate::topology::profile::build_profile;
use crate::topology::schema::{FrameDef, LparDef, ProfileTable};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A VIOS or client partition as these checks see it.
pub(super) struct Part<'a> {
    id: &'a Spanned<u32>,
    name: &'a Spanned<String>,
    profiles: &'a [ProfileTable],
    /// A client partition's own section; None for a VIOS.
    lpar: Option<&'a LparDef>,
}

/// The frame's partitions in file order, VIOS first.
pub(super) fn of(f: &FrameDef) -> impl Iterator<Item = Part<'_>> {
    f.vios
        .iter()
        .map(|v| Part {
            id: &v.id,
            name: &v.name,
            profiles: &v.profile,
            lpar: None,
        })
        .chain(f.lpar.iter().map(|l| Part {
            id: &l.id,
            name: &l.name,
            profiles: &l.profile,
            lpar: Some(l),
        }))
}

/// What the frame's partitions checked so far declared.
#[derive(Debug, Default)]
pub(super) struct OnFrame {
    names: BTreeSet<String>,
    ids: BTreeSet<u32>,
    /// The frame's VIOS by id, which client adapters name.
    pub vios_ids: BTreeMap<u32, String>,
}

pub(super) fn check(p: &Part, f: &FrameDef, on: &mut OnFrame) -> Result<u64, Fault> {
    let (id, name) = (p.id, p.name);
    check_name(name, "partition")?;
    if !on.names.insert(name.get_ref().clone()) {
        return Err(Fault::at(
            name.span(),
            "name",
            format!(
                "duplicate partition name {} on frame {}",
                name.get_ref(),
                f.name.get_ref()
            ),
        ));
    }
    if *id.get_ref() == 0 || *id.get_ref() > f.max_lpars {
        return Err(Fault::at(
            id.span(),
            "id",
            format!("partition id {} is outside 1-{}", id.get_ref(), f.max_lpars),
        ));
    }
    if !on.ids.insert(*id.get_ref()) {
        return Err(Fault::at(
            id.span(),
            "id",
            format!(
                "duplicate partition id {} on frame {}",
                id.get_ref(),
                f.name.get_ref()
            ),
        ));
    }
    if let Some(l) = p.lpar {
        lpar::check(l)?;
    }
    if p.profiles.is_empty() {
        return Err(Fault::at(
            name.span(),
            "profile",
            format!("partition {} has no profile", name.get_ref()),
        ));
    }
    let mut prof_names = BTreeSet::new();
    let mut at_start = 0;
    for table in p.profiles {
        let prof = build_profile(table)?;
        if !prof_names.insert(prof.name.clone()) {
            return Err(Fault::at(
                name.span(),
                "profile",
                format!("duplicate profile name {}", prof.name),
            ));
        }
        let span = table.keys().next().map(|k| k.span()).unwrap_or(name.span());
        profile::check(&prof, span, name.get_ref(), f, &on.vios_ids)?;
        if prof.auto_start {
            at_start = at_start.max(prof.desired_mem);
        }
    }
    if let Some(dp) = p.lpar.and_then(|l| l.default_profile.as_ref())
        && !prof_names.contains(dp.get_ref())
    {
        return Err(Fault::at(
            dp.span(),
            "default_profile",
            format!(
                "partition {} has no profile {}",
                name.get_ref(),
                dp.get_ref()
            ),
        ));
    }
    Ok(at_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::frame::tests::frame;
    use crate::topology::check::tests::message;

    const PROFILE: &str = "min_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n";

    /// A frame with one client partition of id 2 after `extra` (more of its
    /// keys) and one profile per name given.
    fn with_lpar(name: &str, extra: &str, profiles: &[&str]) -> FrameDef {
        let mut t = format!("[[lpar]]\nid = 2\nname = \"{name}\"\n{extra}");
        if profiles.is_empty() {
            t.push_str("profile = []\n");
        }
        for p in profiles {
            t.push_str(&format!("[[lpar.profile]]\nname = \"{p}\"\n{PROFILE}"));
        }
        frame(&t)
    }

    /// The first partition's check on a fresh frame.
    fn first(f: &FrameDef) -> Result<u64, Fault> {
        let p = of(f).next().expect("a partition");
        check(&p, f, &mut OnFrame::default())
    }

    #[test]
    fn a_plain_partition_passes_and_takes_no_memory_at_start() {
        assert_eq!(first(&with_lpar("a", "", &["p"])), Ok(0));
    }

    #[test]
    fn one_that_starts_with_the_frame_takes_its_largest_profile() {
        let f = frame(&format!(
            "[[lpar]]\nid = 2\nname = \"a\"\n[[lpar.profile]]\nname = \"p\"\n{PROFILE}auto_start = 1\n[[lpar.profile]]\nname = \"q\"\nmin_mem = 1024\ndesired_mem = 4096\nmax_mem = 4096\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\nauto_start = 1\n"
        ));
        assert_eq!(first(&f), Ok(4096));
    }

    #[test]
    fn names_and_ids_are_unique_on_the_frame() {
        let f = with_lpar("a", "", &["p"]);
        let mut on = OnFrame::default();
        let p = of(&f).next().unwrap();
        check(&p, &f, &mut on).unwrap();
        assert_eq!(
            message(check(&p, &f, &mut on), "name"),
            "duplicate partition name a on frame f1"
        );
        on.names.clear();
        assert_eq!(
            message(check(&p, &f, &mut on), "id"),
            "duplicate partition id 2 on frame f1"
        );
        assert_eq!(
            message(first(&with_lpar("a b", "", &["p"])), "name"),
            "partition name \"a b\" must be 1-47 letters, digits, '-', '_' or '.'"
        );
    }

    #[test]
    fn an_id_is_within_the_frames_partitions() {
        let f = frame(&format!(
            "max_lpars = 1\n[[lpar]]\nid = 2\nname = \"a\"\n[[lpar.profile]]\nname = \"p\"\n{PROFILE}"
        ));
        assert_eq!(message(first(&f), "id"), "partition id 2 is outside 1-1");
        let zero = frame(&format!(
            "[[lpar]]\nid = 0\nname = \"a\"\n[[lpar.profile]]\nname = \"p\"\n{PROFILE}"
        ));
        assert_eq!(
            message(first(&zero), "id"),
            "partition id 0 is outside 1-200"
        );
    }

    #[test]
    fn profiles_are_there_unique_and_named_by_default_profile() {
        assert_eq!(
            message(first(&with_lpar("a", "", &[])), "profile"),
            "partition a has no profile"
        );
        assert_eq!(
            message(first(&with_lpar("a", "", &["p", "p"])), "profile"),
            "duplicate profile name p"
        );
        assert_eq!(
            message(
                first(&with_lpar("a", "default_profile = \"q\"\n", &["p"])),
                "default_profile"
            ),
            "partition a has no profile q"
        );
        first(&with_lpar("a", "default_profile = \"q\"\n", &["p", "q"])).unwrap();
    }

    #[test]
    fn a_vios_is_checked_as_a_partition_too() {
        let f =
            frame("[[vios]]\nid = 1\nname = \"vios1\"\naddress = \"127.0.0.4\"\nprofile = []\n");
        assert_eq!(
            message(first(&f), "profile"),
            "partition vios1 has no profile"
        );
    }
}
