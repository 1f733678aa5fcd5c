//! Where HMC update and upgrade files come from, as `getupgfiles`,
//! `updhmc`, `saveupgdata` and `lsupdhmc` name it, and why none of them
//! ever gets any here: the lab has no file servers and no way out to
//! IBM's, and its HMCs no DVD drive or USB memory. What a real HMC
//! answers when the server cannot be reached or the media is wrong is
//! what these commands answer; the HMC's state stays as it was.

use super::opts::Parsed;
use crate::error::CmdError;
use crate::hscl::Hscl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// ftp, sftp or nfs: the server's host name.
    Server {
        host: String,
    },
    /// Files already on the HMC's disk, at this path.
    Disk(String),
    Dvd,
    Usb,
    /// IBM's fix site.
    IbmWebsite,
}

impl Source {
    /// The source `kind` (the value of -t or -r) names, with the options
    /// it needs: a server needs -h and the files' place (`place`, -f or
    /// -d); ftp and sftp a user (-u) too.
    pub fn parse(kind: &str, o: &Parsed, place: &str, valid: &[&str]) -> Result<Source, CmdError> {
        if !valid.contains(&kind) {
            return Err(super::opts::not_one_of(
                if o.has("-t") { "-t" } else { "-r" },
                kind,
                valid,
            )
            .into());
        }
        Ok(match kind {
            "ftp" | "sftp" | "nfs" | "diskftp" | "disksftp" => {
                let host = o.require("-h")?.to_string();
                if kind != "nfs" {
                    o.require("-u")?;
                    if o.has("--passwd") && o.has("-k") {
                        return Err("The --passwd and -k parameters are mutually exclusive."
                            .to_string()
                            .into());
                    }
                }
                if kind == "nfs" {
                    o.require("-l")?;
                }
                if !kind.starts_with("disk") {
                    o.require(place)?;
                }
                Source::Server { host }
            }
            "disk" => Source::Disk(o.get(place).unwrap_or_default().to_string()),
            "dvd" => Source::Dvd,
            "usb" | "diskusb" => Source::Usb,
            _ => Source::IbmWebsite,
        })
    }

    /// Why files from here cannot be had.
    pub fn refusal(&self) -> CmdError {
        match self {
            Source::Server { host } => Hscl::ServerUnreachable(host.clone()),
            Source::Disk(path) => Hscl::MediaInvalid(path.clone()),
            Source::Dvd => Hscl::NoMediaDevice("DVD".into()),
            Source::Usb => Hscl::NoMediaDevice("USB flash memory".into()),
            Source::IbmWebsite => Hscl::ServerUnreachable("IBM Fix Central".into()),
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::{self, flag, value, words};

    const SPEC: &[opts::Opt] = &[
        value(&["-r"]),
        value(&["-h"]),
        value(&["-u"]),
        value(&["--passwd"]),
        value(&["-k"]),
        value(&["-d"]),
        value(&["-l"]),
        flag(&["-c"]),
    ];

    fn src(line: &str) -> Result<Source, CmdError> {
        let o = opts::parse(SPEC, &words(line)).unwrap();
        let kind = o.get("-r").unwrap_or_default().to_string();
        Source::parse(&kind, &o, "-d", &["ftp", "sftp", "nfs", "disk"])
    }

    #[test]
    fn a_source_needs_what_reaches_it() {
        assert_eq!(
            src("-r sftp -h fs1 -u me --passwd pw -d /upg").ok(),
            Some(Source::Server { host: "fs1".into() })
        );
        assert_eq!(
            src("-r disk -d /home/hscroot/network_install").ok(),
            Some(Source::Disk("/home/hscroot/network_install".into()))
        );
        assert!(src("-r sftp -u me -d /upg").is_err(), "no host");
        assert!(src("-r ftp -h fs1 -d /upg").is_err(), "no user");
        assert!(src("-r sftp -h fs1 -u me --passwd pw -k key -d /upg").is_err());
        assert!(src("-r nfs -h fs1 -d /upg").is_err(), "no mount location");
        assert!(src("-r tftp -h fs1").is_err());
    }

    #[test]
    fn every_source_is_refused_with_the_hmcs_words() {
        let e = Source::Server { host: "fs1".into() }.refusal().to_string();
        assert!(e.contains("Unable to connect to the server fs1"), "{e}");
        let e = Source::Disk("/x".into()).refusal().to_string();
        assert!(e.contains("are not valid"), "{e}");
        assert!(Source::Dvd.refusal().to_string().contains("DVD"));
    }
}
