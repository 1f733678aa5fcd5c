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

    /// A required option that takes one of a few words (`-r lpar|sys`), as
    /// the typed choice the word stands for. `valid` is the HMC's sentence
    /// listing them, which differs from command to command.
    pub fn word<T: Copy>(&self, name: &str, words: &[(&str, T)], valid: &str) -> Result<T, String> {
        let v = self.require(name)?;
        one_of(name, v, words, valid)
    }
}

/// The typed choice `value` of option `name` stands for, or the HMC's
/// refusal of it (see [`invalid_value`]).
pub fn one_of<T: Copy>(
    name: &str,
    value: &str,
    words: &[(&str, T)],
    valid: &str,
) -> Result<T, String> {
    words
        .iter()
        .find(|(w, _)| *w == value)
        .map(|(_, t)| *t)
        .ok_or_else(|| invalid_value(name, value, valid))
}

/// The HMC's refusal of an option's value; `valid` is the sentence that
/// lists what it takes ("Valid values are lpar, sys."), empty where the
/// HMC names nothing.
pub fn invalid_value(name: &str, value: &str, valid: &str) -> String {
    let mut s = format!("An invalid value was entered for the {name} parameter: {value}.");
    if !valid.is_empty() {
        s.push(' ');
        s.push_str(valid);
    }
    s
}

/// The refusal of an option's value that is not one of those `valid`
/// lists (the ones the message offers, which a command may keep shorter
/// than all it takes).
pub fn not_one_of(name: &str, v: &str, valid: &[&str]) -> String {
    invalid_value(name, v, &format!("Valid values are {}.", valid.join(", ")))
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
        Some(v) => Err(not_one_of(name, v, allowed)),
    }
}

/// [`Parsed::at_most`] of a value given otherwise than on a command line.
pub fn at_most(name: &str, value: Option<&str>, max: u32) -> Result<Option<u32>, String> {
    value
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| invalid_value(name, v, ""))
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

/// Arguments as given one by one, for the commands' unit tests.
#[cfg(test)]
pub fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Arguments from a line split at blanks, for the commands' unit tests.
#[cfg(test)]
pub fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_their_choices_or_the_hmcs_refusal() {
        let o = parse(&[value(&["-r"])], &words("-r sys")).unwrap();
        assert_eq!(o.word("-r", &[("lpar", 1), ("sys", 2)], ""), Ok(2));
        assert_eq!(
            o.word("-r", &[("lpar", 1)], "Valid value is lpar."),
            Err(
                "An invalid value was entered for the -r parameter: sys. Valid value is lpar."
                    .into()
            )
        );
        assert_eq!(
            one_of("--level", "x", &[("sys", ())], ""),
            Err("An invalid value was entered for the --level parameter: x.".into())
        );
        let none = parse(&[value(&["-r"])], &[]).unwrap();
        assert_eq!(
            none.word("-r", &[("lpar", 1)], ""),
            Err("The -r parameter is required.".into())
        );
    }

    #[test]
    fn a_value_outside_its_set_is_refused_with_the_valid_ones() {
        assert_eq!(
            not_one_of("-r", "io", &["mem", "proc"]),
            "An invalid value was entered for the -r parameter: io. Valid values are mem, proc."
        );
        let o = parse(&[value(&["--mpio"])], &["--mpio".into(), "3".into()]).unwrap();
        assert_eq!(
            o.choice("--mpio", &["1", "2"], 1),
            Err(not_one_of("--mpio", "3", &["1", "2"]))
        );
    }
}
