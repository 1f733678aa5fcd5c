//! `lssysconn -r all [-F attrs]`: this HMC's connections to service processors.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::Ctx;
use crate::render::{self, Record};

const SPEC: &[opts::Opt] = &[value(&["-r"]), value(&["-F"]), flag(&["--header"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    match o.require("-r")? {
        "all" => {}
        other => {
            return Err(format!(
                "An invalid value was entered for the -r parameter: {other}. Valid value is all."
            )
            .into());
        }
    }
    let records: Vec<Record> = ctx
        .hmc
        .view
        .frames()
        .into_iter()
        .map(|f| {
            let fr = f.frame.clone().unwrap_or_default();
            let ip = fr
                .address
                .rsplit_once(':')
                .map(|(ip, _)| ip.to_string())
                .unwrap_or_default();
            vec![
                ("resource_type".into(), "sys".into()),
                (
                    "type_model_serial_num".into(),
                    format!("{}*{}", fr.type_model, fr.serial_num),
                ),
                ("sp".into(), "primary".into()),
                (
                    "sp_phys_loc".into(),
                    format!(
                        "U{}.{}-P1-C1",
                        fr.type_model.replace('-', "."),
                        fr.serial_num
                    ),
                ),
                ("ipaddr".into(), ip),
                ("alt_ipaddr".into(), "unavailable".into()),
                ("state".into(), f.state.clone()),
                (
                    "connection_error_code".into(),
                    if f.connected {
                        String::new()
                    } else {
                        "Connecting  0000-0000-00000000".into()
                    },
                ),
            ]
        })
        .collect();
    Ok(render::listing(records, &o.form(), &[], &[])?)
}
