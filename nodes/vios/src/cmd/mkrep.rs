//! `mkrep -sp ParentStoragePool -size Size`: the virtual media repository,
//! a logical volume (`VMLibrary`) of the storage pool that file-backed
//! optical devices (`mkvdev -fbo`) read their media from (seed 002). The
//! lab's only storage pool is rootvg; the repository takes its space
//! there, in whole physical partitions.

use super::args::{self, Arity};
use super::inventory::Inventory;
use super::lsvg::{self, PP_MB};
use super::{CmdError, Command, Done, Env};
use pvmlab_common::model::MediaRepository;

const USAGE: &str = "Usage: mkrep -sp ParentStoragePool -size Size";

#[derive(Debug, PartialEq, Eq)]
pub struct Mkrep {
    pub pool: String,
    pub size_mb: u64,
}

/// A size as the storage commands take it: megabytes, or a number with
/// `M` or `G` (`15G`, `512M`, `100`).
pub fn size_mb(text: &str) -> Option<u64> {
    let (n, unit) = match text.char_indices().last()? {
        (i, 'G' | 'g') => (&text[..i], 1024),
        (i, 'M' | 'm') => (&text[..i], 1),
        _ => (text, 1),
    };
    n.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| n.checked_mul(unit))
}

impl Command for Mkrep {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[("-sp", Arity::One), ("-size", Arity::One)],
            words,
            0,
            USAGE,
        )?;
        let (Some(pool), Some(size)) = (a.one("-sp"), a.one("-size")) else {
            return Err(CmdError::Usage(USAGE));
        };
        Ok(Mkrep {
            pool: pool.to_string(),
            size_mb: size_mb(size).ok_or_else(|| CmdError::BadValue("size", size.into()))?,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        if env.dev.repository.is_some() {
            return Err(CmdError::Method(
                "The virtual media repository already exists.".into(),
            ));
        }
        if self.pool != "rootvg" {
            return Err(CmdError::NoVg(self.pool));
        }
        let size_mb = self.size_mb.div_ceil(PP_MB) * PP_MB;
        if size_mb > lsvg::rootvg(&Inventory::of(env), env.dev).free_mb {
            return Err(CmdError::Method(lsvg::NO_SPACE.into()));
        }
        let mut next = env.dev.clone();
        next.repository = Some(MediaRepository {
            pool: self.pool,
            size_mb,
        });
        Ok(Done::storing(
            "Virtual Media Repository Created\nRepository created within \"VMLibrary\" logical volume\n"
                .into(),
            next,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::size_mb;
    use crate::cmd::testenv::{run_changing, with_devices};

    #[test]
    fn sizes_read_in_megabytes_or_gigabytes() {
        assert_eq!(size_mb("15G"), Some(15360));
        assert_eq!(size_mb("512m"), Some(512));
        assert_eq!(size_mb("100"), Some(100));
        for bad in ["", "G", "0", "-1G", "1.5G", "1T", "99999999999999999999G"] {
            assert_eq!(size_mb(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_repository_is_made_once_in_rootvg_within_its_free_space() {
        let (out, s, dev) = run_changing("mkrep -sp rootvg -size 1000M");
        assert_eq!(s, 0);
        assert!(
            out.starts_with("Virtual Media Repository Created\n"),
            "{out}"
        );
        let dev = dev.unwrap();
        assert_eq!(dev.repository.as_ref().unwrap().size_mb, 1024);
        with_devices(dev, |env| {
            let (d, s) = crate::cmd::run(env, "mkrep -sp rootvg -size 1G");
            assert!(d.output.contains("already exists") && s == 1);
            assert!(d.change.devices.is_none());
        });
        for (line, want) in [
            ("mkrep -sp datavg -size 1G", "\"datavg\" does not exist"),
            ("mkrep -sp rootvg -size 9999G", "0516-404"),
            ("mkrep -sp rootvg -size lots", "-size flag"),
            ("mkrep -sp rootvg", "Usage: mkrep"),
        ] {
            let (out, s, dev) = run_changing(line);
            assert!(
                out.contains(want) && s != 0 && dev.is_none(),
                "{line}: {out}"
            );
        }
    }
}
