//! The padmin command line (the `ioscli` commands `viosvrcmd` runs), one
//! file per command as the HMC's `commands/` has them: `parse` turns the
//! words into a typed value (syntax only), `apply` runs it against what the
//! VIOS holds now ([`Env`]) and renders, in the VIOS's own layouts. What
//! the VIOS lists as devices is decided once, in [`inventory`]; output
//! rules (columns, `-field`, `-fmt`) once, in [`table`].

mod args;
pub mod attrs;
mod cfgdev;
mod chdev;
mod chkdev;
mod entstat;
mod errlog;
mod fcstat;
pub mod inventory;
mod ioslevel;
mod license;
mod lsdev;
mod lsmap;
mod lspath;
mod lspv;
mod lsrep;
pub mod lsvg;
pub mod mapping;
mod mkrep;
mod mkvdev;
mod rmrep;
mod rmvdev;
mod table;

use pvmlab_common::model::{ViosDevices, VirtualEthAdapter};
use pvmlab_common::proto::vios::Client;

/// Where the VIOS sits and what it was built with: for location codes,
/// its level, its processors and its virtual Ethernet adapters (the
/// profile it is activated with).
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub type_model: String,
    pub serial: String,
    pub lpar_id: u32,
    pub level: String,
    /// The frame's processor generation (`POWER8` …).
    pub proc_generation: String,
    /// Virtual processors (or dedicated processors) of its profile.
    pub procs: u32,
    pub virtual_eth: Vec<VirtualEthAdapter>,
    /// The virtual SCSI adapters of its profile: a server adapter is a
    /// vhost whether or not anything is mapped to it yet.
    pub virtual_scsi: Vec<pvmlab_common::model::VirtualScsiAdapter>,
    /// When the VIOS booted: adapter statistics count from here.
    pub booted: Option<std::time::Instant>,
}

impl Site {
    /// The frame's location code prefix, `U8286.42A.21A5E8V`.
    pub fn unit(&self) -> String {
        format!("U{}.{}", self.type_model.replace('-', "."), self.serial)
    }

    /// A virtual adapter's location code, in partition `lpar`.
    pub fn loc(&self, lpar: u32, slot: u32) -> String {
        format!("{}-V{lpar}-C{slot}", self.unit())
    }

    /// Seconds since the VIOS booted.
    pub fn uptime(&self) -> u64 {
        self.booted.map(|b| b.elapsed().as_secs()).unwrap_or(0)
    }
}

/// What the VIOS keeps besides its devices, persisted with them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// `license -accept` was run (the VIOS license agreement).
    pub license_accepted: bool,
}

/// Everything a command reads: the VIOS as it is now.
pub struct Env<'a> {
    pub site: &'a Site,
    pub dev: &'a ViosDevices,
    pub state: &'a State,
    /// The hypervisor's view of the frame's client partitions.
    pub clients: &'a [Client],
    pub errlog: &'a crate::errlog::Errlog,
    /// Each SEA's failover state now.
    pub seas: &'a crate::sea::Seas,
    /// Its FC ports reach the array now.
    pub san_ok: bool,
}

/// What a command changed; the service persists it before it answers.
/// Commands that change devices (chdev, mkvdev …) set `devices`.
#[derive(Debug, Default, PartialEq)]
pub struct Change {
    pub state: Option<State>,
    pub devices: Option<ViosDevices>,
}

/// A command's output and what it changed.
#[derive(Debug, Default, PartialEq)]
pub struct Done {
    pub output: String,
    pub change: Change,
}

impl Done {
    /// Output, and the devices and mappings to store as they are now.
    pub fn storing(output: String, devices: pvmlab_common::model::ViosDevices) -> Done {
        Done {
            output,
            change: Change {
                devices: Some(devices),
                ..Default::default()
            },
        }
    }
}

impl From<String> for Done {
    fn from(output: String) -> Done {
        Done {
            output,
            change: Change::default(),
        }
    }
}

/// Why a command printed an error instead: each variant is a message the
/// VIOS prints, in its words.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CmdError {
    #[error("Unknown command: \"{0}\"")]
    UnknownCommand(String),
    /// Bad flags or operands: the command's usage text.
    #[error("{0}")]
    Usage(&'static str),
    #[error("Device '{0}' is not known.")]
    NotKnown(String),
    /// An attribute the device does not have (the AIX `lsattr` message,
    /// behind the VIOS's warning about AIX messages).
    #[error(
        "{AIX_PREFIX}lsattr: 0514-528 The \"{0}\" attribute does not exist in the predefined\n        device configuration database."
    )]
    NoAttribute(String),
    #[error("Device \"{0}\" is not a Server Virtual SCSI Adapter (SVSA).")]
    NotSvsa(String),
    #[error("Device \"{0}\" is not a Virtual Fibre Channel Server Adapter.")]
    NotVfchost(String),
    #[error("Device \"{0}\" is not a Server Virtual Ethernet Adapter (SVEA).")]
    NotSvea(String),
    /// `entstat`/`fcstat` on a device that is not of their kind, or absent.
    #[error("{AIX_PREFIX}{0}: 0909-003 Unable to connect to device {1}, errno = 19")]
    NoConnect(&'static str, String),
    #[error("Volume group \"{0}\" does not exist.")]
    NoVg(String),
    #[error("The value \"{1}\" is not valid for the -{0} flag.")]
    BadValue(&'static str, String),
    /// A device method's refusal (chdev, mkvdev …), behind the VIOS's
    /// warning about AIX messages.
    #[error("{AIX_PREFIX}{0}")]
    Method(String),
}

/// The VIOS's warning in front of a message that comes from the AIX
/// command underneath.
const AIX_PREFIX: &str = "Some error messages may contain invalid information\nfor the Virtual I/O Server environment.\n\n";

impl CmdError {
    /// The exit status the command ends with.
    pub fn status(&self) -> u32 {
        match self {
            CmdError::UnknownCommand(_) => 127,
            CmdError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// One padmin command: a typed value `parse` builds from the words after
/// the command's name (checking their syntax, nothing of the VIOS), and
/// `apply` runs against the VIOS as it is.
pub trait Command: Sized {
    fn parse(args: &[&str]) -> Result<Self, CmdError>;
    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError>;
}

fn run_one<C: Command>(env: &Env<'_>, args: &[&str]) -> Result<Done, CmdError> {
    C::parse(args)?.apply(env)
}

/// Runs one command line: its output (or error text) and exit status, and
/// what it changed.
pub fn run(env: &Env<'_>, line: &str) -> (Done, u32) {
    let words = split(line);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let Some((cmd, args)) = words.split_first() else {
        return (Done::default(), 0);
    };
    let r = match *cmd {
        "cfgdev" => run_one::<cfgdev::Cfgdev>(env, args),
        "chdev" => run_one::<chdev::Chdev>(env, args),
        "chkdev" => run_one::<chkdev::Chkdev>(env, args),
        "entstat" => run_one::<entstat::Entstat>(env, args),
        "errlog" => run_one::<errlog::Errlog>(env, args),
        "fcstat" => run_one::<fcstat::Fcstat>(env, args),
        "ioslevel" => run_one::<ioslevel::Ioslevel>(env, args),
        "license" => run_one::<license::License>(env, args),
        "lsdev" => run_one::<lsdev::Lsdev>(env, args),
        "lsmap" => run_one::<lsmap::Lsmap>(env, args),
        "lspath" => run_one::<lspath::Lspath>(env, args),
        "lspv" => run_one::<lspv::Lspv>(env, args),
        "lsrep" => run_one::<lsrep::Lsrep>(env, args),
        "mkrep" => run_one::<mkrep::Mkrep>(env, args),
        "mkvdev" => run_one::<mkvdev::Mkvdev>(env, args),
        "rmrep" => run_one::<rmrep::Rmrep>(env, args),
        "rmvdev" => run_one::<rmvdev::Rmvdev>(env, args),
        "lsvg" => run_one::<lsvg::Lsvg>(env, args),
        other => Err(CmdError::UnknownCommand(other.to_string())),
    };
    match r {
        Ok(done) => (done, 0),
        Err(e) => {
            let status = e.status();
            (format!("{e}\n").into(), status)
        }
    }
}

/// The words of a command line as the VIOS's shell splits them: blanks
/// separate, single or double quotes group.
fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
pub(crate) mod testenv;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_on_blanks_and_quotes_group() {
        assert_eq!(
            split("lsmap -all  -fmt \":\""),
            vec!["lsmap", "-all", "-fmt", ":"]
        );
        assert_eq!(split("motd 'a b'"), vec!["motd", "a b"]);
        assert_eq!(split("x ''"), vec!["x", ""]);
        assert!(split("   ").is_empty());
    }

    #[test]
    fn an_unknown_command_is_refused_by_name() {
        testenv::with(|env| {
            let (d, status) = run(env, "rm -rf /");
            assert_eq!(d.output, "Unknown command: \"rm\"\n");
            assert_eq!(status, 127);
            assert_eq!(d.change, Change::default());
            assert_eq!(run(env, "").1, 0);
        });
    }
}
