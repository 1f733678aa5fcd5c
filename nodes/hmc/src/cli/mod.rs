//! The HMC command line: one dispatcher behind SSH (exec and interactive
//! shell) and `pvmlab hmc <name> -- <line>`. It splits the line as the
//! HMC's restricted shell does (quotes, backslashes, backtick substitution),
//! then hands the words to the command's own file.

mod chhmcusr;
mod chhwres;
mod chsyscfg;
mod chsysstate;
pub(crate) mod config;
#[cfg(test)]
mod fuzz;
pub mod hscl;
pub(crate) mod lshmc;
mod lshmcusr;
mod lshwres;
mod lslic;
mod lslparmigr;
mod lsmemdev;
mod lsrefcode;
mod lsrsdevsize;
mod lssyscfg;
mod lssysconn;
mod migrlpar;
mod mkauthkeys;
mod mkhmcusr;
mod mksyscfg;
pub mod opts;
mod pipe;
mod refdev;
pub mod render;
mod rmhmcusr;
mod rmlock;
mod rmsyscfg;
mod rrstartlpar;
mod viosvrcmd;

use crate::frames::View;
use crate::users::{User, Users};
use hscl::Hscl;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What the commands work on: this HMC and its view of the frames.
pub struct Hmc {
    pub name: String,
    pub version: String,
    pub address: String,
    pub view: View,
    pub users: Users,
    /// For reaching VIOS partitions over their RMC address.
    pub id: pvmlab_common::net::Identity,
    pub grpc_port: u16,
    /// The migrations this HMC runs.
    pub lpm: crate::lpm::Registry,
    /// Remote restart configurations and the restarts this HMC made.
    pub rr: crate::rr::Configs,
    pub rr_auto_cleanup: bool,
    /// The lab's other HMCs (node name, address, a lazily connecting
    /// channel to it, shared by every remote call): what `--ip` may name.
    pub peers: Vec<(String, String, pvmlab_common::net::Chan)>,
}

pub enum CmdError {
    Hscl(Hscl),
    /// A usage error: the message, as the HMC prints it.
    Usage(String),
}

impl From<Hscl> for CmdError {
    fn from(h: Hscl) -> Self {
        CmdError::Hscl(h)
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError::Usage(s)
    }
}

pub type CmdResult = Result<String, CmdError>;

/// One command's view of who runs it and where.
pub struct Ctx<'a> {
    pub hmc: &'a Hmc,
    pub user: User,
}

impl Ctx<'_> {
    /// Commands that change anything call this first.
    pub fn may_change(&self) -> Result<(), CmdError> {
        if self.user.may_change() {
            Ok(())
        } else {
            Err(Hscl::NoAuthority.into())
        }
    }
}

#[derive(Clone)]
pub struct Cli {
    hmc: Arc<Hmc>,
}

impl Cli {
    pub fn new(hmc: Arc<Hmc>) -> Cli {
        Cli { hmc }
    }

    pub fn hmc(&self) -> &Hmc {
        &self.hmc
    }

    pub fn hmc_arc(&self) -> Arc<Hmc> {
        self.hmc.clone()
    }

    /// Runs one command with its arguments as `user`, no shell between
    /// (the REST API's jobs): the output and the exit status.
    pub async fn run_args(&self, user: &str, cmd: &str, args: &[String]) -> (String, u32) {
        let Some(u) = self.hmc.users.get(user) else {
            return (format!("{}\n", Hscl::NoAuthority), 1);
        };
        let ctx = Ctx {
            hmc: &self.hmc,
            user: u,
        };
        tracing::info!(%user, cmd, ?args, "command (REST job)");
        match dispatch(&ctx, cmd, args).await {
            Ok(Ok(out)) => (out, 0),
            Ok(Err(CmdError::Hscl(h))) => (format!("{h}\n"), 1),
            Ok(Err(CmdError::Usage(m))) => (format!("{m}\n"), 1),
            Err(code) => (format!("{cmd}: command not found\n"), code),
        }
    }

    /// Runs one line for `user`: the output (ending in a newline where there
    /// is any) and the exit status, 0 on success.
    pub async fn run(&self, user: &str, line: &str) -> (String, u32) {
        let Some(u) = self.hmc.users.get(user) else {
            return (
                "HSCL350B The user does not have the appropriate authority.\n".into(),
                1,
            );
        };
        let ctx = Ctx {
            hmc: &self.hmc,
            user: u,
        };
        run_line(&ctx, line).await
    }
}

fn run_line<'a>(
    ctx: &'a Ctx<'a>,
    line: &'a str,
) -> Pin<Box<dyn Future<Output = (String, u32)> + Send + 'a>> {
    Box::pin(async move {
        let segments = match split(ctx, line).await {
            Ok(w) => w,
            Err(e) => return (format!("{e}\n"), 1),
        };
        let mut segments = segments.into_iter();
        let words = segments.next().unwrap_or_default();
        let Some((cmd, args)) = words.split_first() else {
            return (String::new(), 0);
        };
        tracing::info!(user = %ctx.user.name, %line, "command");
        let result = match dispatch(ctx, cmd, args).await {
            Ok(r) => r,
            Err(code) => return (format!("rbash: {cmd}: command not found\n"), code),
        };
        let (mut out, mut code) = match result {
            Ok(out) => (out, 0),
            Err(CmdError::Hscl(h)) => (format!("{h}\n"), 1),
            Err(CmdError::Usage(m)) => (format!("{m}\n"), 1),
        };
        // The pipeline's status is its last command's, as in bash.
        for filter in segments {
            match pipe::apply(&filter, &out) {
                Ok((o, c)) => (out, code) = (o, c),
                Err(e) => return (format!("{e}\n"), 1),
            }
        }
        (out, code)
    })
}

/// Runs one command with its arguments; Err(127) for a command this HMC
/// does not have.
async fn dispatch(ctx: &Ctx<'_>, cmd: &str, args: &[String]) -> Result<CmdResult, u32> {
    if lshmc::level(&ctx.hmc.version) < since(cmd) {
        return Err(127);
    }
    Ok(match cmd {
        "lshmc" => lshmc::run(ctx, args).await,
        "lssyscfg" => lssyscfg::run(ctx, args).await,
        "chsysstate" => chsysstate::run(ctx, args).await,
        "mksyscfg" => mksyscfg::run(ctx, args).await,
        "chsyscfg" => chsyscfg::run(ctx, args).await,
        "rmsyscfg" => rmsyscfg::run(ctx, args).await,
        "lshmcusr" => lshmcusr::run(ctx, args).await,
        "lshwres" => lshwres::run(ctx, args).await,
        "lslic" => lslic::run(ctx, args).await,
        "lsrefcode" => lsrefcode::run(ctx, args).await,
        "lssysconn" => lssysconn::run(ctx, args).await,
        "mkhmcusr" => mkhmcusr::run(ctx, args).await,
        "chhmcusr" => chhmcusr::run(ctx, args).await,
        "rmhmcusr" => rmhmcusr::run(ctx, args).await,
        "mkauthkeys" => mkauthkeys::run(ctx, args).await,
        "chhwres" => chhwres::run(ctx, args).await,
        "viosvrcmd" => viosvrcmd::run(ctx, args).await,
        "migrlpar" => migrlpar::run(ctx, args).await,
        "lslparmigr" => lslparmigr::run(ctx, args).await,
        "rrstartlpar" => rrstartlpar::run(ctx, args).await,
        "lsmemdev" => lsmemdev::run(ctx, args).await,
        "lsrsdevsize" => lsrsdevsize::run(ctx, args).await,
        "refdev" => refdev::run(ctx, args).await,
        "rmlock" => rmlock::run(ctx, args).await,
        _ => return Err(127),
    })
}

/// The HMC version (version, release) that brought a command: remote
/// restart came with V8R8 (seed 000: "Minimum version of HMC is 8r8.0.0.
/// Check you have the rrstartlpar command").
fn since(cmd: &str) -> (u32, u32) {
    match cmd {
        "rrstartlpar" | "lsrsdevsize" | "refdev" => (8, 8),
        _ => (0, 0),
    }
}

/// Splits a line into words as the HMC's restricted bash does: single
/// quotes keep everything, double quotes keep spaces, a backslash escapes
/// the next character, `...` runs a command whose output becomes words
/// (split on white space unless inside double quotes), and `|` starts the
/// next command of a pipeline.
async fn split(ctx: &Ctx<'_>, line: &str) -> Result<Vec<Vec<String>>, String> {
    let mut segments = Vec::new();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let (mut single, mut double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => {
                single = !single;
                in_word = true;
            }
            '"' if !single => {
                double = !double;
                in_word = true;
            }
            '\\' if !single => match chars.next() {
                Some(n) if double && !matches!(n, '"' | '\\' | '`' | '$') => {
                    cur.push('\\');
                    cur.push(n);
                }
                Some(n) => {
                    cur.push(n);
                    in_word = true;
                }
                None => return Err("rbash: syntax error: unexpected end of line after \\".into()),
            },
            '`' if !single => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('`') => break,
                        Some(ch) => inner.push(ch),
                        None => {
                            return Err(
                                "rbash: unexpected EOF while looking for matching ``'".into()
                            );
                        }
                    }
                }
                let (out, _) = run_line(ctx, &inner).await;
                let out = out.trim_end_matches('\n');
                if double {
                    cur.push_str(out);
                } else {
                    let mut parts = out.split_whitespace().peekable();
                    while let Some(p) = parts.next() {
                        cur.push_str(p);
                        in_word = true;
                        if parts.peek().is_some() {
                            words.push(std::mem::take(&mut cur));
                        }
                    }
                }
            }
            c if c.is_whitespace() && !single && !double => {
                if in_word || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '|' if !single && !double => {
                if in_word || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                if words.is_empty() {
                    return Err("rbash: syntax error near unexpected token `|'".into());
                }
                segments.push(std::mem::take(&mut words));
            }
            c if !single && !double && matches!(c, ';' | '&' | '>' | '<') => {
                return Err(format!(
                    "rbash: {c}: restricted: this HMC shell runs one command per line"
                ));
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if single || double {
        return Err("rbash: unexpected EOF while looking for matching quote".into());
    }
    if in_word || !cur.is_empty() {
        words.push(cur);
    }
    if words.is_empty() && !segments.is_empty() {
        return Err("rbash: syntax error: a pipeline ends with |".into());
    }
    segments.push(words);
    Ok(segments)
}

/// Whether `name` names the frame: its name, `type-model*serial`, or
/// the name a user gave it.
pub fn names_frame(f: &pvmlab_common::proto::hmc::FrameView, name: &str) -> bool {
    use pvmlab_common::model::FrameExt as _;
    f.name == name
        || f.frame.as_ref().is_some_and(|fr| {
            fr.mtms() == name || (!fr.user_name.is_empty() && fr.user_name == name)
        })
}

/// A frame named by its name or by `type-model*serial`.
pub fn find_frame(
    ctx: &Ctx<'_>,
    name: &str,
) -> Result<pvmlab_common::proto::hmc::FrameView, CmdError> {
    ctx.hmc
        .view
        .frames()
        .into_iter()
        .find(|f| names_frame(f, name))
        .ok_or_else(|| Hscl::SystemNotFound(name.to_string()).into())
}

/// `-i "k=v,k2=v2"` input: the attributes, each checked against `allowed`,
/// with the HMC's quoting for values that hold commas.
pub fn input_attrs(input: &str, allowed: &[&str]) -> Result<Vec<(String, String)>, CmdError> {
    let mut out = Vec::new();
    for item in pvmlab_common::attrs::split_list(input)? {
        let Some((k, v)) = item.split_once('=') else {
            return Err(format!("The input {item:?} is not of the form attribute=value.").into());
        };
        if !allowed.contains(&k) {
            return Err(format!("An invalid attribute was entered: {k}").into());
        }
        if out.iter().any(|(a, _): &(String, String)| a == k) {
            return Err(format!("The attribute {k} was entered more than once.").into());
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// The SSH server runs lines through the same dispatcher.
impl crate::ssh::Shell for Cli {
    fn check_password(&self, user: &str, password: &str) -> bool {
        self.hmc.users.check_password(user, password)
    }

    fn check_key(&self, user: &str, key_openssh: &str) -> bool {
        self.hmc.users.check_key(user, key_openssh)
    }

    fn run(&self, user: &str, line: &str) -> futures::future::BoxFuture<'static, (String, u32)> {
        let (cli, user, line) = (self.clone(), user.to_string(), line.to_string());
        Box::pin(async move { cli.run(&user, &line).await })
    }
}

/// A refusal because another HMC holds the frame's lock: the FSP's words,
/// which name the holder, as they are.
pub fn locked(e: &tonic::Status) -> Option<CmdError> {
    use pvmlab_common::proto::model::Reason;
    (pvmlab_common::failure::reason(e) == Reason::Locked)
        .then(|| CmdError::Usage(e.message().to_string()))
}

/// The partition `-p <name>` or `--id <id>` names on a frame.
pub fn lpar_arg<'a>(
    f: &'a pvmlab_common::proto::hmc::FrameView,
    o: &opts::Parsed,
) -> Result<&'a pvmlab_common::model::Partition, CmdError> {
    let (key, by_id) = match (o.get("-p"), o.get("--id")) {
        (Some(n), None) => (n, false),
        (None, Some(id)) => (id, true),
        _ => {
            return Err("Specify the partition with either -p or --id."
                .to_string()
                .into());
        }
    };
    f.partitions
        .iter()
        .find(|p| {
            if by_id {
                p.id.to_string() == key
            } else {
                p.name == key
            }
        })
        .ok_or_else(|| Hscl::PartitionNotFound(key.to_string()).into())
}

/// The logged-on connection to a frame's FSP, for a command to use.
pub fn conn(
    ctx: &Ctx<'_>,
    frame: &pvmlab_common::proto::hmc::FrameView,
) -> Result<crate::frames::Conn, CmdError> {
    ctx.hmc
        .view
        .conn(&frame.name)
        .ok_or_else(|| Hscl::NoConnection(frame.name.clone()).into())
}

/// A channel to a VIOS partition's operating system over its RMC address,
/// checked against the certificate of that VIOS node.
pub fn vios_channel(
    ctx: &Ctx<'_>,
    frame: &str,
    vios: &pvmlab_common::model::Partition,
) -> Result<pvmlab_common::net::Chan, CmdError> {
    ctx.hmc
        .id
        .channel(
            &pvmlab_common::topology::vios_node_name(frame, &vios.name),
            &format!("{}:{}", vios.rmc_ipaddr, ctx.hmc.grpc_port),
        )
        .map_err(|e| CmdError::Usage(e.to_string()))
}

/// Waits (2 s at most) until this HMC's view shows partition `id` of
/// `frame` as `done` says, so that a listing right after a command agrees
/// with it.
pub async fn wait_partition(
    ctx: &Ctx<'_>,
    frame: &str,
    id: u32,
    done: impl Fn(&pvmlab_common::model::Partition) -> bool,
) {
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|f| f.name == frame && f.partitions.iter().any(|p| p.id == id && done(p)))
        })
        .await;
}
