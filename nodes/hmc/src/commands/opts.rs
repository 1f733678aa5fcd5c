//! Parsing an HMC command's options. Each command declares its options; an
//! unknown option, a missing value or a missing required option is a usage
//! error that names it, as the HMC's own usage messages do.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub names: &'static [&'static str],
    pub takes_value: bool,
}

pub const fn flag(names: &'static [&'static str]) -> Opt {
    Opt {
        names,
        takes_value: false,
    }
}

pub const fn value(names: &'static [&'static str]) -> Opt {
    Opt {
        names,
        takes_value: true,
    }
}

/// The parsed options, keyed by each option's first name.
#[derive(Debug, Default)]
pub struct Parsed {
    values: BTreeMap<&'static str, String>,
    flags: Vec<&'static str>,
}

impl Parsed {
    /// A small-number option that must be one of `allowed` (`--mpio 1|2`).
    pub fn choice(&self, name: &str, allowed: &[&str], default: u8) -> Result<u8, String> {
        choice(name, self.get(name), allowed, default)
    }

    /// A whole-number option of at most `max` (`-w <minutes>`), if given.
    pub fn at_most(&self, name: &str, max: u32) -> Result<Option<u32>, String> {
        at_most(name, self.get(name), max)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.flags.contains(&name) || self.values.contains_key(name)
    }

    /// A listing's `-F`, `--header` and `--filter`.
    pub fn form(&self) -> crate::render::Form {
        crate::render::Form {
            fields: self.get("-F").map(str::to_string),
            header: self.has("--header"),
            filter: self.get("--filter").map(str::to_string),
        }
    }

    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("The {name} parameter is required."))
    }
}

/// [`Parsed::choice`] of a value given otherwise than on a command line
/// (a REST job's parameter), so that it is refused in the same words.
pub fn choice(
    name: &str,
    value: Option<&str>,
    allowed: &[&str],
    default: u8,
) -> Result<u8, String> {
    match value {
        None => Ok(default),
        Some(v) if allowed.contains(&v) => Ok(v.parse().unwrap_or(default)),
        Some(v) => Err(format!(
            "An invalid value was entered for the {name} parameter: {v}. Valid values are {}.",
            allowed.join(", ")
        )),
    }
}

/// [`Parsed::at_most`] of a value given otherwise than on a command line.
pub fn at_most(name: &str, value: Option<&str>, max: u32) -> Result<Option<u32>, String> {
    value
        .map(|v| {
            v.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| {
                format!("An invalid value was entered for the {name} parameter: {v}.")
            })
        })
        .transpose()
}

pub fn parse(spec: &[Opt], args: &[String]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let Some(opt) = spec.iter().find(|o| o.names.contains(&a.as_str())) else {
            return Err(if a.starts_with('-') {
                format!("The parameter {a} is not valid for this command.")
            } else {
                format!("The value {a} is not expected here.")
            });
        };
        let key = opt.names[0];
        if opt.takes_value {
            let Some(v) = args.get(i + 1) else {
                return Err(format!("The {a} parameter requires a value."));
            };
            if out.values.insert(key, v.clone()).is_some() {
                return Err(format!("The {a} parameter was specified more than once."));
            }
            i += 2;
        } else {
            out.flags.push(key);
            i += 1;
        }
    }
    Ok(out)
}
