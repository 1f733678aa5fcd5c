//! `monhmc -r proc|mem|swap|disk -n <count> [-i <seconds>]`: the HMC's own
//! resource use, as its `top` and `df` show it. The figures are those of a
//! 7063-CR2 appliance at rest (its 32 GB and four cores), not the lab
//! host's, which no command reads. Without `-n` a real HMC refreshes until
//! interrupted; an SSH command cannot be, so `-n` is required here.

use super::Command;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[value(&["-r"]), value(&["-n"]), value(&["-i"])];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Proc,
    Mem,
    Swap,
    Disk,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Monhmc {
    pub res: Res,
    /// Snapshots after the first; `-n 0` prints one.
    pub more: u32,
    pub interval_s: u32,
}

impl Command for Monhmc {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let res = o.word(
            "-r",
            &[
                ("proc", Res::Proc),
                ("mem", Res::Mem),
                ("swap", Res::Swap),
                ("disk", Res::Disk),
            ],
            "Valid values are proc, mem, swap, disk.",
        )?;
        o.require("-n")?;
        let n = o.at_most("-n", 10)?.unwrap_or(0);
        let interval_s = o.at_most("-i", 10)?.unwrap_or(4).max(1);
        Ok(Monhmc {
            res,
            more: n.saturating_sub(1),
            interval_s,
        })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        let mut out = snapshot(self.res);
        for _ in 0..self.more {
            tokio::time::sleep(std::time::Duration::from_secs(self.interval_s.into())).await;
            out.push('\n');
            out.push_str(&snapshot(self.res));
        }
        Ok(out)
    }
}

fn snapshot(res: Res) -> String {
    match res {
        Res::Proc => (0..4)
            .map(|i| {
                format!(
                    "Cpu{i}  :  1.3%us,  0.7%sy,  0.0%ni, 97.7%id,  0.3%wa,  0.0%hi,  0.0%si,  0.0%st\n"
                )
            })
            .collect(),
        Res::Mem => "Mem:  32654156k total,  9213556k used, 23440600k free,   298756k buffers\n".into(),
        Res::Swap => "Swap:  2097148k total,        0k used,  2097148k free,  4763044k cached\n".into(),
        Res::Disk => "Filesystem     1K-blocks     Used Available Use% Mounted on\n\
/dev/sda2       15481840  5890560   8804852  41% /\n\
/dev/sda8        4128448   139256   3779480   4% /var\n\
/dev/sda6       10321208  1567340   8229580  17% /dump\n\
/dev/sda7      103210856  6244460  91723688   7% /extra\n"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_resource_and_a_bounded_count() {
        assert_eq!(
            Monhmc::parse(&args("-r mem -n 0")).ok(),
            Some(Monhmc {
                res: Res::Mem,
                more: 0,
                interval_s: 4
            })
        );
        assert_eq!(
            Monhmc::parse(&args("-r disk -n 3 -i 1"))
                .ok()
                .map(|m| m.more),
            Some(2)
        );
        assert!(Monhmc::parse(&args("-r mem")).is_err(), "no end");
        assert!(Monhmc::parse(&args("-r mem -n 1000")).is_err());
        assert!(Monhmc::parse(&args("-r net -n 0")).is_err());
        assert!(snapshot(Res::Proc).lines().count() == 4);
    }
}
