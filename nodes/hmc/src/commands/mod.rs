//! The HMC's commands, one file each: a command parses its arguments,
//! checks them and applies them through the core (`crate::hmc`,
//! `crate::lpm`, `crate::rr`), then renders (`crate::render`). The command
//! line (`crate::cli`) and the REST API's jobs both run commands from here.

mod chhmc;
mod chhmcldap;
mod chhmcusr;
pub(crate) mod chhwres;
mod chlparutil;
mod chpwdpolicy;
pub(crate) mod chsyscfg;
pub(crate) mod chsysstate;
pub(crate) mod config;
mod getupgfiles;
mod hmcshutdown;
pub(crate) mod input;
mod lpar_netboot;
mod lscod;
mod lsdump;
mod lshmc;
mod lshmcldap;
mod lshmcusr;
pub(crate) mod lshwres;
mod lslic;
mod lslparmigr;
mod lslparutil;
mod lsmediadev;
mod lsmemdev;
mod lspwdpolicy;
mod lsrefcode;
mod lsrsdevsize;
mod lssvcevents;
mod lssyscfg;
mod lssysconn;
mod lsupdhmc;
mod lsviosbk;
pub(crate) mod migrlpar;
mod mkauthkeys;
mod mkhmcusr;
mod mkpwdpolicy;
pub(crate) mod mksyscfg;
mod monhmc;
pub mod opts;
mod refdev;
mod rmhmcusr;
mod rmlock;
mod rmpwdpolicy;
pub(crate) mod rmsyscfg;
pub(crate) mod rrstartlpar;
mod saveupgdata;
mod updhmc;
mod updlic;
mod upgsource;
mod viosvrcmd;

use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, Hmc};
use crate::hscl::Hscl;
use std::future::Future;

/// One HMC command, as mini-redis's `cmd/` has them: a typed value that
/// `parse` builds from the arguments (checking their syntax, nothing of
/// the lab) and `apply` runs against the core. The REST API builds the
/// values itself and calls `apply`.
pub trait Command: Sized {
    fn parse(args: &[String]) -> Result<Self, CmdError>;
    fn apply(self, ctx: &Ctx<'_>) -> impl Future<Output = CmdResult> + Send;
}

/// Parses and applies one command.
async fn run<C: Command>(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    C::parse(args)?.apply(ctx).await
}

/// Applies a command the REST API's jobs built as `user`, with what the
/// command line checks first (the user, the HMC level that brought the
/// command): the output and the exit status. `cmd` is the value, or why
/// the job's parameters make none.
pub async fn apply_as<C: Command + std::fmt::Debug>(
    hmc: &Hmc,
    user: &str,
    name: &str,
    cmd: Result<C, CmdError>,
) -> (String, u32) {
    let Some(ctx) = Ctx::of(hmc, user) else {
        return (format!("{}\n", Hscl::NoAuthority), 1);
    };
    tracing::info!(%user, name, ?cmd, "command (REST job)");
    if crate::hmc::level(&hmc.version) < since(name) {
        return (format!("{name}: command not found\n"), 127);
    }
    match async { cmd?.apply(&ctx).await }.await {
        Ok(out) => (out, 0),
        Err(e) => (format!("{e}\n"), 1),
    }
}

/// Runs one command with its arguments; Err(127) for a command this HMC
/// does not have.
pub async fn dispatch(ctx: &Ctx<'_>, cmd: &str, args: &[String]) -> Result<CmdResult, u32> {
    if crate::hmc::level(&ctx.hmc.version) < since(cmd) {
        return Err(127);
    }
    Ok(match cmd {
        "lshmc" => run::<lshmc::Lshmc>(ctx, args).await,
        "lssyscfg" => run::<lssyscfg::Lssyscfg>(ctx, args).await,
        "chsysstate" => run::<chsysstate::Chsysstate>(ctx, args).await,
        "mksyscfg" => run::<mksyscfg::Mksyscfg>(ctx, args).await,
        "chsyscfg" => run::<chsyscfg::Chsyscfg>(ctx, args).await,
        "rmsyscfg" => run::<rmsyscfg::Rmsyscfg>(ctx, args).await,
        "lshmcusr" => run::<lshmcusr::Lshmcusr>(ctx, args).await,
        "lshwres" => run::<lshwres::Lshwres>(ctx, args).await,
        "lslic" => run::<lslic::Lslic>(ctx, args).await,
        "lsrefcode" => run::<lsrefcode::Lsrefcode>(ctx, args).await,
        "lssysconn" => run::<lssysconn::Lssysconn>(ctx, args).await,
        "mkhmcusr" => run::<mkhmcusr::Mkhmcusr>(ctx, args).await,
        "chhmcusr" => run::<chhmcusr::Chhmcusr>(ctx, args).await,
        "rmhmcusr" => run::<rmhmcusr::Rmhmcusr>(ctx, args).await,
        "mkauthkeys" => run::<mkauthkeys::Mkauthkeys>(ctx, args).await,
        "chhwres" => run::<chhwres::Chhwres>(ctx, args).await,
        "viosvrcmd" => run::<viosvrcmd::Viosvrcmd>(ctx, args).await,
        "migrlpar" => run::<migrlpar::Migrlpars>(ctx, args).await,
        "lslparmigr" => run::<lslparmigr::Lslparmigr>(ctx, args).await,
        "lpar_netboot" => run::<lpar_netboot::LparNetboot>(ctx, args).await,
        "rrstartlpar" => run::<rrstartlpar::Rrstartlpar>(ctx, args).await,
        "lsmemdev" => run::<lsmemdev::Lsmemdev>(ctx, args).await,
        "lsrsdevsize" => run::<lsrsdevsize::Lsrsdevsize>(ctx, args).await,
        "refdev" => run::<refdev::Refdev>(ctx, args).await,
        "rmlock" => run::<rmlock::Rmlock>(ctx, args).await,
        "lslparutil" => run::<lslparutil::Lslparutil>(ctx, args).await,
        "chlparutil" => run::<chlparutil::Chlparutil>(ctx, args).await,
        "lspwdpolicy" => run::<lspwdpolicy::Lspwdpolicy>(ctx, args).await,
        "mkpwdpolicy" => run::<mkpwdpolicy::Mkpwdpolicy>(ctx, args).await,
        "chpwdpolicy" => run::<chpwdpolicy::Chpwdpolicy>(ctx, args).await,
        "rmpwdpolicy" => run::<rmpwdpolicy::Rmpwdpolicy>(ctx, args).await,
        "lscod" => run::<lscod::Lscod>(ctx, args).await,
        "lshmcldap" => run::<lshmcldap::Lshmcldap>(ctx, args).await,
        "chhmcldap" => run::<chhmcldap::Chhmcldap>(ctx, args).await,
        "lssvcevents" => run::<lssvcevents::Lssvcevents>(ctx, args).await,
        "lsdump" => run::<lsdump::Lsdump>(ctx, args).await,
        "lsviosbk" => run::<lsviosbk::Lsviosbk>(ctx, args).await,
        "monhmc" => run::<monhmc::Monhmc>(ctx, args).await,
        "lsmediadev" => run::<lsmediadev::Lsmediadev>(ctx, args).await,
        "chhmc" => run::<chhmc::Chhmc>(ctx, args).await,
        "hmcshutdown" => run::<hmcshutdown::Hmcshutdown>(ctx, args).await,
        "getupgfiles" => run::<getupgfiles::Getupgfiles>(ctx, args).await,
        "saveupgdata" => run::<saveupgdata::Saveupgdata>(ctx, args).await,
        "updhmc" => run::<updhmc::Updhmc>(ctx, args).await,
        "lsupdhmc" => run::<lsupdhmc::Lsupdhmc>(ctx, args).await,
        "updlic" => run::<updlic::Updlic>(ctx, args).await,
        _ => return Err(127),
    })
}

/// The HMC version (version, release) that brought a command: remote
/// restart came with V8R8 (seed 000: "Minimum version of HMC is 8r8.0.0.
/// Check you have the rrstartlpar command").
fn since(cmd: &str) -> (u32, u32) {
    match cmd {
        "rrstartlpar" | "lsrsdevsize" | "refdev" => (8, 8),
        "lsviosbk" => (10, 1),
        _ => (0, 0),
    }
}
