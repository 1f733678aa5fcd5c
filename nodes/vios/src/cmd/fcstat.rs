//! `fcstat [-e] fcsN`: a fibre channel port's statistics, in the layout
//! hmcscanner reads (WWNN and WWPN, speeds, port type and FC ID, the
//! attention type, the effective transfer size).

use super::args::{self, Arity};
use super::inventory::{Inventory, Kind};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: fcstat [-z | -d | -e] [-n wwn] DeviceName\n       fcstat -client";

#[derive(Debug, PartialEq, Eq)]
pub struct Fcstat {
    pub extended: bool,
    pub dev: String,
}

impl Command for Fcstat {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(&[("-e", Arity::Flag), ("-d", Arity::Flag)], words, 1, USAGE)?;
        let dev = a.operands.first().cloned().ok_or(CmdError::Usage(USAGE))?;
        Ok(Fcstat {
            extended: a.has("-e") || a.has("-d"),
            dev,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let Some((d, port, wwpn)) = inv.get(&self.dev).and_then(|d| match &d.kind {
            Kind::Fcs { port, wwpn } => Some((d, *port, wwpn)),
            _ => None,
        }) else {
            return Err(CmdError::NoConnect("fcstat", self.dev));
        };
        let up = env.site.uptime();
        let wwnn = format!("2{}", &wwpn[1..]);
        // Each NPIV client logged in through the port is traffic on it.
        let clients = env.dev.npiv.iter().filter(|m| m.fcs == d.name).count() as u64;
        let frames = up * (40 + 20 * clients);
        let mut o = String::new();
        o.push_str(&format!(
            "\nFIBRE CHANNEL STATISTICS REPORT: {}\n\n",
            d.name
        ));
        o.push_str(&format!(
            "Device Type: {} (adapter/pciex/df1000f114108a0)\n",
            d.description
        ));
        o.push_str("Serial Number: 1B84405E9C\n");
        o.push_str("Option ROM Version: 02781174\n");
        o.push_str("ZA: U2D1.11X4\n");
        o.push_str(&format!("World Wide Node Name: 0x{wwnn}\n"));
        o.push_str(&format!("World Wide Port Name: 0x{wwpn}\n\n"));
        o.push_str("FC-4 TYPES:\n  Supported: 0x0000012000000000000000000000000000000000000000000000000000000000\n  Active:    0x0000010000000000000000000000000000000000000000000000000000000000\n");
        o.push_str("Class of Service: 3\n");
        o.push_str("Port Speed (supported): 8 GBIT\n");
        o.push_str("Port Speed (running):   8 GBIT\n");
        o.push_str(&format!(
            "Port FC ID: 0x{:02x}{:02x}00\n",
            env.site.lpar_id & 0xFF,
            0x0a + port
        ));
        o.push_str("Port Type: Fabric\n");
        o.push_str("Attention Type:   Link Up\n");
        o.push_str("Topology:  Point to Point or Fabric\n\n");
        o.push_str(&format!("Seconds Since Last Reset: {up}\n\n"));
        o.push_str("        Transmit Statistics     Receive Statistics\n");
        o.push_str("        -------------------     ------------------\n");
        o.push_str(&format!("Frames: {:<24}{}\n", frames, frames * 3 / 2));
        o.push_str(&format!("Words:  {:<24}{}\n\n", frames * 256, frames * 384));
        o.push_str("LIP Count: 0\nNOS Count: 0\nError Frames:  0\nDumped Frames: 0\nLink Failure Count: 0\nLoss of Sync Count: 0\nLoss of Signal: 0\nPrimitive Seq Protocol Error Count: 0\nInvalid Tx Word Count: 0\nInvalid CRC Count: 0\n\n");
        o.push_str("IP over FC Adapter Driver Information\n  No DMA Resource Count: 0\n  No Adapter Elements Count: 0\n\n");
        o.push_str("FC SCSI Adapter Driver Information\n  No DMA Resource Count: 0\n  No Adapter Elements Count: 0\n  No Command Resource Count: 0\n\n");
        o.push_str("IP over FC Traffic Statistics\n  Input Requests:   0\n  Output Requests:  0\n  Control Requests: 0\n  Input Bytes:  0\n  Output Bytes: 0\n\n");
        o.push_str(&format!(
            "FC SCSI Traffic Statistics\n  Input Requests:   {}\n  Output Requests:  {}\n  Control Requests: {}\n  Input Bytes:  {}\n  Output Bytes: {}\n\n",
            frames / 4,
            frames / 6,
            up / 60,
            frames * 1024,
            frames * 680
        ));
        if self.extended {
            for who in ["Adapter", "Protocol"] {
                o.push_str(&format!(
                    "FC SCSI {who} Driver Queue Statistics\n  Number of active commands: 0\n  High water mark  of active commands: 21\n  Number of pending commands: 0\n  High water mark of pending commands: 1\n\n"
                ));
            }
        }
        o.push_str("Adapter Effective max transfer value:   0x100000\n\n");
        Ok(o.into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn the_lines_hmcscanner_reads() {
        let (out, s) = run("fcstat -e fcs0");
        assert_eq!(s, 0);
        let field = |prefix: &str, i: usize| {
            out.lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.split_whitespace().nth(i).map(String::from))
                .unwrap_or_default()
        };
        assert_eq!(field("ZA:", 1), "U2D1.11X4");
        assert!(field("World Wide Port Name", 4).starts_with("0x10000090FA"));
        assert!(field("World Wide Node Name", 4).starts_with("0x20000090FA"));
        assert_eq!(field("Port Speed (supported):", 3), "8");
        assert_eq!(field("Port Speed (running):", 3), "8");
        assert_eq!(field("Port FC ID:", 3), "0x010a00");
        assert_eq!(field("Port Type:", 2), "Fabric");
        assert_eq!(
            field("Adapter Effective max transfer value:", 5),
            "0x100000"
        );
        // The port's WWPN is the Network Address its VPD shows.
        let wwpn = field("World Wide Port Name", 4);
        assert!(
            run("lsdev -dev fcs0 -vpd")
                .0
                .contains(&format!("Network Address.............{}", &wwpn[2..]))
        );
    }

    #[test]
    fn not_an_fc_port() {
        let (e, s) = run("fcstat ent0");
        assert_eq!(s, 1);
        assert!(e.ends_with("fcstat: 0909-003 Unable to connect to device ent0, errno = 19\n"));
        assert_eq!(run("fcstat").1, 2);
    }
}
