//! A frame's slice of the topology: what its FSP and VIOS read instead of
//! the whole file. A site of 64 frames and 10,000 partitions is a 10 MB
//! file, and parsing it takes some 200 MB; in every one of 190 processes
//! that is more than the machine has. A slice holds the file's sections
//! other than frames as written, the frame itself as written, and every
//! other frame as a stub: what a node of this frame may ask of another
//! frame (its name, address and serial, its VIOS and which are movers),
//! without its partitions.
//!
//! The HMCs read a slice with every frame a stub: they learn partitions
//! from the frames themselves.
//!
//! The controller writes the slices when it brings the lab up, from the
//! file it has checked; each starts with the hash of that file, and a node
//! whose slice does not match the lab's topology reads the whole file.

use super::schema::{FrameDef, Topology};
use serde::Serialize;
use std::fmt::Write as _;

/// The first line of a slice: which topology it was cut from.
fn header(full: &str) -> String {
    format!(
        "# slice of topology.toml xxh3={:016x}\n",
        xxhash_rust::xxh3::xxh3_64(full.as_bytes())
    )
}

/// Whether `slice` was cut from `full`.
pub fn matches(slice: &str, full: &str) -> bool {
    slice.starts_with(&header(full))
}

/// The top-level sections of a TOML text: each header line whose first key
/// is its own (`[lab]`, `[[frame]]`) starts one; nested ones
/// (`[[frame.lpar]]`) stay in the section above them. Text before the
/// first header belongs to none.
fn sections(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut starts: Vec<(String, usize)> = Vec::new();
    let mut at = 0;
    let mut in_string = None::<&str>;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        // Multi-line strings may hold what looks like a header.
        for q in ["\"\"\"", "'''"] {
            if line.matches(q).count() % 2 == 1 {
                in_string = match in_string {
                    Some(open) if open == q => None,
                    None => Some(q),
                    other => other,
                };
            }
        }
        if in_string.is_none() && t.starts_with('[') {
            let inner = t.trim_start_matches('[');
            let key = inner.split([']', '.']).next().unwrap_or("").trim();
            let key = key.trim_matches('"').trim_matches('\'');
            if !inner.split(']').next().unwrap_or("").contains('.') {
                starts.push((key.to_string(), at));
            }
        }
        at += line.len();
    }
    let mut out = Vec::new();
    for (i, (key, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |s| s.1);
        out.push((key.clone(), *start..end));
    }
    out
}

#[derive(Serialize)]
struct StubFrame<'a> {
    name: &'a str,
    mtms: &'a str,
    proc_generation: &'a str,
    compat_modes: &'a [String],
    memory_mb: u64,
    processors: f64,
    lmb_mb: u64,
    firmware: &'a str,
    capabilities: &'a [String],
    managed_by: &'a [String],
    password: &'a str,
    address: &'a str,
    power: &'a str,
    max_lpars: u32,
    vios: Vec<StubVios<'a>>,
}

#[derive(Serialize)]
struct StubVios<'a> {
    id: u32,
    name: &'a str,
    address: &'a str,
    msp: bool,
    profile: [(); 0],
}

fn stub(f: &FrameDef) -> String {
    let s = StubFrame {
        name: f.name.get_ref(),
        mtms: f.mtms.get_ref(),
        proc_generation: f.proc_generation.get_ref(),
        compat_modes: f.compat_modes.get_ref(),
        memory_mb: f.memory_mb,
        processors: f.processors,
        lmb_mb: *f.lmb_mb.get_ref(),
        firmware: &f.firmware,
        capabilities: f.capabilities.get_ref(),
        managed_by: f.managed_by.get_ref(),
        password: &f.password,
        address: f.address.get_ref(),
        power: f.power.get_ref(),
        max_lpars: f.max_lpars,
        vios: f
            .vios
            .iter()
            .map(|v| StubVios {
                id: *v.id.get_ref(),
                name: v.name.get_ref(),
                address: v.address.get_ref(),
                msp: v.msp,
                profile: [],
            })
            .collect(),
    };
    #[derive(Serialize)]
    struct Doc<'a> {
        frame: [StubFrame<'a>; 1],
    }
    toml::to_string(&Doc { frame: [s] }).unwrap_or_default()
}

/// The slice of `full` (already checked as `topo`) for the nodes of frame
/// `frame`, or with none every frame a stub (the HMCs').
pub fn slice(full: &str, topo: &Topology, frame: Option<&str>) -> String {
    let mut out = header(full);
    let mut frames = topo.frame.iter();
    for (key, range) in sections(full) {
        if key != "frame" {
            out.push_str(&full[range]);
            continue;
        }
        let Some(f) = frames.next() else { continue };
        if Some(f.name.get_ref().as_str()) == frame {
            out.push_str(&full[range]);
        } else {
            let _ = writeln!(out, "\n{}", stub(f));
        }
    }
    out
}

impl Topology {
    /// A slice as the controller wrote it: not checked again (the file it
    /// was cut from was), and its stubs would not pass the check.
    pub fn parse_slice(file: &str, text: &str) -> Result<Topology, super::TopologyError> {
        toml::from_str(text).map_err(|e| super::TopologyError {
            file: file.into(),
            line: 0,
            field: "-".into(),
            message: e.message().trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::site::{SiteSpec, site};
    use crate::topology::DEFAULT_LAB;

    #[test]
    fn a_slice_holds_its_frame_whole_and_the_others_as_stubs() {
        let full = Topology::parse("default", DEFAULT_LAB).unwrap();
        let s = slice(DEFAULT_LAB, &full, Some("sys2"));
        assert!(matches(&s, DEFAULT_LAB) && !matches(&s, "other"));
        let t = Topology::parse_slice("slice", &s).unwrap_or_else(|e| panic!("{e}\n{s}"));
        assert_eq!(t.hmc.len(), full.hmc.len());
        assert_eq!(t.lun.len(), full.lun.len());
        let names: Vec<&str> = t.frame.iter().map(|f| f.name.get_ref().as_str()).collect();
        assert_eq!(names, ["sys1", "sys2", "sys3"], "every frame, in order");
        let me = t.frame("sys2").unwrap();
        let was = full.frame("sys2").unwrap();
        assert_eq!(me.partitions(), was.partitions(), "its own frame whole");
        for v in &me.vios {
            let w = was.vios.iter().find(|w| w.name == v.name).unwrap();
            assert_eq!(v.devices(&t, me), w.devices(&full, was));
        }
        let other = t.frame("sys1").unwrap();
        assert!(other.lpar.is_empty());
        assert_eq!(other.vios.len(), 2);
        assert!(other.vios.iter().all(|v| v.msp));
        assert_eq!(
            other.address.get_ref(),
            full.frame("sys1").unwrap().address.get_ref()
        );
    }

    #[test]
    fn a_slice_of_a_large_site_is_small() {
        let text = site(&SiteSpec {
            frames: 64,
            lpars: 10_000,
            idle: true,
            ..Default::default()
        })
        .unwrap();
        let full = Topology::parse("site", &text).unwrap();
        let name = full.frame[5].name.get_ref().clone();
        let s = slice(&text, &full, Some(&name));
        let heads = slice(&text, &full, None);
        let h = Topology::parse_slice("heads", &heads).unwrap();
        assert!(
            h.frame
                .iter()
                .all(|f| f.lpar.is_empty() && f.vios.len() == 2)
        );
        assert_eq!(h.frame.len(), 64);
        assert!(s.len() * 8 < text.len(), "{} of {}", s.len(), text.len());
        let t = Topology::parse_slice("slice", &s).unwrap();
        assert_eq!(t.frame.len(), 64);
        assert_eq!(t.frame(&name).unwrap().lpar.len(), full.frame[5].lpar.len());
    }

    #[test]
    fn headers_in_strings_and_nested_tables_start_no_section() {
        let text = "[lab]\nname = \"x\"\n[[frame]]\nname = \"a\"\ns = \"\"\"\n[[hmc]]\n\"\"\"\n[[frame.lpar]]\nid = 1\n[[hmc]]\nname = \"h\"\n";
        let keys: Vec<String> = sections(text).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["lab", "frame", "hmc"]);
    }
}
