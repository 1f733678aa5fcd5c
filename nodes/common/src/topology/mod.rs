//! The topology file: which HMCs, frames, VIOS and client partitions a lab
//! has. Profiles use the HMC's own attribute names and adapter layouts, and
//! go through the same attribute table as `mksyscfg` input, so a topology
//! that loads is one an HMC would accept.
//!
//! Reading a file goes in three steps, one module each: `schema` (what serde
//! takes from the TOML), `check` (one pure function per section, refusing
//! what a real HMC or frame would not have) and the model built from a
//! checked file (`build` for frames, partitions and VIOS devices, `nodes`
//! for the processes and their addresses).

mod build;
mod check;
mod nodes;
mod profile;
mod schema;
pub mod slice;
mod tables;

pub use build::{firmware_mem_mb, logical_serial, parse_mtms};
pub use nodes::{NodeDef, SAN_NODE, vios_node_name};
pub use schema::{
    DEFAULT_GRPC_PORT, FrameDef, HmcDef, LabDef, LparDef, LunDef, NpivDef, PoolDef, SeaDef,
    Topology, ViosDef, VscsiDef, WorkloadDef,
};
pub use tables::{CAPABILITIES, FRAME_POWER_STATES, GENERATIONS};

use std::ops::Range;
use std::path::Path;

/// The lab that `pvmlab up` brings up when no topology is given, and that
/// `pvmlab init` writes out to edit.
pub const DEFAULT_LAB: &str = include_str!("../default-lab.toml");

/// What was wrong with a topology, with the file, line and field at fault.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct TopologyError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// A check's refusal before it is placed in a file: the byte span of the
/// value at fault, which `parse` turns into a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub span: Range<usize>,
    pub field: String,
    pub message: String,
}

impl Fault {
    pub fn at(span: Range<usize>, field: &str, message: impl Into<String>) -> Fault {
        Fault {
            span,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl Topology {
    /// Loads and checks a topology file; every error names the file, the line
    /// and the field.
    pub fn load(path: &Path) -> Result<Topology, TopologyError> {
        Topology::parse(&path.display().to_string(), &Topology::read(path)?)
    }

    /// A topology file's text, or an error naming it.
    pub fn read(path: &Path) -> Result<String, TopologyError> {
        std::fs::read_to_string(path).map_err(|e| TopologyError {
            file: path.display().to_string(),
            line: 0,
            field: "-".into(),
            message: format!("cannot read: {e}"),
        })
    }

    pub fn parse(file: &str, text: &str) -> Result<Topology, TopologyError> {
        let topo: Topology = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            TopologyError {
                file: file.into(),
                line: line_of(text, at),
                field: field_of(e.message(), text, at),
                message: e.message().trim().to_string(),
            }
        })?;
        check::topology(&topo).map_err(|f| TopologyError {
            file: file.into(),
            line: line_of(text, f.span.start),
            field: f.field,
            message: f.message,
        })?;
        Ok(topo)
    }

    pub fn default_lab() -> Topology {
        Topology::parse("<built-in default lab>", DEFAULT_LAB)
            .expect("the built-in default lab is valid (checked by a unit test)")
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The field at fault: serde names it in some messages (`missing field
/// `id``); for a bad value it is the key on the line the error points at.
fn field_of(msg: &str, text: &str, at: usize) -> String {
    if let Some(f) = msg.split('`').nth(1) {
        return f.to_string();
    }
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    match text[line_start..]
        .lines()
        .next()
        .and_then(|l| l.split_once('='))
    {
        Some((k, _)) if !k.trim().is_empty() => k.trim().trim_matches('"').to_string(),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn default_lab_is_valid_and_as_promised() {
        let t = Topology::parse("default", DEFAULT_LAB).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.hmc.len(), 2);
        assert_eq!(t.frame.len(), 3);
        let gens: BTreeSet<_> = t
            .frame
            .iter()
            .map(|f| f.proc_generation.get_ref().clone())
            .collect();
        assert_eq!(gens.len(), 2, "two processor generations");
        for f in &t.frame {
            assert_eq!(f.vios.len(), 2);
            assert!(f.vios.iter().all(|v| v.msp));
            assert_eq!(f.partitions().len(), f.vios.len() + f.lpar.len());
            for v in &f.vios {
                let d = v.devices(&t, f);
                assert_eq!(
                    d.vscsi.len(),
                    v.vscsi.len(),
                    "every mapping resolves on {}",
                    v.name.get_ref()
                );
            }
        }
        let clients: usize = t.frame.iter().map(|f| f.lpar.len()).sum();
        assert!(clients >= 8);
    }

    fn expect_err(text: &str, line: usize, field: &str) {
        let e = Topology::parse("t.toml", text).expect_err("should fail");
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("t.toml:{line}: {field}:")),
            "{e}"
        );
    }

    const HEAD: &str = "[[hmc]]\nname = \"hmc1\"\naddress = \"127.0.0.2\"\n";
    const FRAME: &str = "[[frame]]\nname = \"f1\"\nmtms = \"8286-42A*21A5E8V\"\nproc_generation = \"POWER8\"\ncompat_modes = [\"default\", \"POWER8\"]\nmemory_mb = 65536\nprocessors = 8\nfirmware = \"SV860\"\npassword = \"pw\"\naddress = \"127.0.0.3\"\n";

    #[test]
    fn errors_name_file_line_and_field() {
        expect_err(
            &format!("{HEAD}[[hmc]]\nname = \"hmc1\"\naddress = \"127.0.0.9\"\n"),
            5,
            "name",
        );
        expect_err(&format!("{HEAD}[[frame]]\nname = \"f1\"\n"), 4, "mtms");
        let bad_mode = FRAME.replace("\"POWER8\"]", "\"POWER5\"]");
        expect_err(&format!("{HEAD}{bad_mode}"), 8, "compat_modes");
        let big = format!(
            "{HEAD}{FRAME}[[frame.lpar]]\nid = 2\nname = \"big\"\n[[frame.lpar.profile]]\nname = \"p\"\nmin_mem = 1024\ndesired_mem = 131072\nmax_mem = 131072\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n"
        );
        let e = Topology::parse("t.toml", &big).unwrap_err();
        assert_eq!(e.field, "desired_mem", "{e}");
        let dup_addr = format!("{HEAD}{}", FRAME.replace("127.0.0.3", "127.0.0.2"));
        expect_err(&dup_addr, 13, "address");
        let bad_value = format!(
            "{HEAD}{FRAME}[[frame.lpar]]\nid = 2\nname = \"x\"\n[[frame.lpar.profile]]\nname = \"p\"\ndesired_mem = \"lots\"\n"
        );
        expect_err(&bad_value, 19, "desired_mem");
    }

    #[test]
    fn an_unreadable_file_is_named_with_line_zero() {
        let e = Topology::load(Path::new("/nonexistent/t.toml")).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (0, "-"));
        assert!(e.message.starts_with("cannot read: "), "{e}");
    }

    #[test]
    fn the_field_at_fault_is_serdes_or_the_key_on_the_line() {
        assert_eq!(field_of("missing field `id`", "", 0), "id");
        let text = "a = 1\n  \"size_mb\" = \"x\"\n";
        assert_eq!(field_of("invalid type", text, 8), "size_mb");
        assert_eq!(field_of("invalid type", "[frame]\n", 0), "-");
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a\nb", 99), 2);
    }
}
