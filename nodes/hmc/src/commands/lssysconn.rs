//! `lssysconn -r all [-F attrs] [--header]`: this HMC's connections to
//! service processors.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form, Record, kv};
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[value(&["-r"]), value(&["-F"]), flag(&["--header"])];

/// `-r` takes only `all`, so the value keeps nothing of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Lssysconn {
    pub form: Form,
}

impl Command for Lssysconn {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        o.word("-r", &[("all", ())], "Valid value is all.")?;
        Ok(Lssysconn { form: o.form() })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let records: Vec<Record> = ctx.hmc.view.frames().iter().map(|f| record(f)).collect();
        Ok(render::listing(records, &self.form, &[], &[])?)
    }
}

/// One frame's service processor connection.
fn record(f: &FrameView) -> Record {
    let fr = f.frame.clone().unwrap_or_default();
    let ip = fr
        .address
        .rsplit_once(':')
        .map(|(ip, _)| ip.to_string())
        .unwrap_or_default();
    vec![
        kv("resource_type", "sys"),
        kv(
            "type_model_serial_num",
            format!("{}*{}", fr.type_model, fr.serial_num),
        ),
        kv("sp", "primary"),
        kv(
            "sp_phys_loc",
            format!(
                "U{}.{}-P1-C1",
                fr.type_model.replace('-', "."),
                fr.serial_num
            ),
        ),
        kv("ipaddr", ip),
        kv("alt_ipaddr", "unavailable"),
        kv("state", &f.state),
        kv(
            "connection_error_code",
            if f.connected {
                ""
            } else {
                "Connecting  0000-0000-00000000"
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_r_all_and_the_form() {
        assert_eq!(
            Lssysconn::parse(&args("-r all -F state --header")).ok(),
            Some(Lssysconn {
                form: Form {
                    fields: Some("state".into()),
                    header: true,
                    filter: None,
                }
            })
        );
        assert_eq!(
            Lssysconn::parse(&args("-r sys"))
                .err()
                .map(|e| e.to_string()),
            Some(
                "An invalid value was entered for the -r parameter: sys. Valid value is all."
                    .into()
            )
        );
        assert_eq!(
            Lssysconn::parse(&args("")).err().map(|e| e.to_string()),
            Some("The -r parameter is required.".into())
        );
    }

    #[test]
    fn a_lost_connection_shows_its_error_code() {
        let f = FrameView {
            state: "No Connection".into(),
            frame: Some(pvmlab_common::model::Frame {
                type_model: "8286-42A".into(),
                serial_num: "21A5E8V".into(),
                address: "127.42.0.11:7001".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = record(&f);
        assert!(r.contains(&kv("type_model_serial_num", "8286-42A*21A5E8V")));
        assert!(r.contains(&kv("sp_phys_loc", "U8286.42A.21A5E8V-P1-C1")));
        assert!(r.contains(&kv("ipaddr", "127.42.0.11")));
        assert!(r.contains(&kv(
            "connection_error_code",
            "Connecting  0000-0000-00000000"
        )));
    }
}
