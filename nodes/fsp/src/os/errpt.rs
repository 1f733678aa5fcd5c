//! `errpt`: the partition's error log, newest first (migrations, path
//! failures and recoveries).

use super::{Env, Outcome, usage};

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    if !args.is_empty() {
        return Err(usage("Usage: errpt"));
    }
    Ok(pvmlab_common::errpt::render(env.errpt.iter()))
}
