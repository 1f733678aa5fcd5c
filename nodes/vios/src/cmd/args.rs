//! The flags of the padmin commands: single-dash words, in any order, some
//! taking one value (`-dev hdisk2`, `-fmt :`), some a list of the words up
//! to the next flag (`-field name identifier`, `-attr [name …]`).

use super::CmdError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// No value: `-all`, `-npiv`.
    Flag,
    /// Exactly one value, whatever it looks like: `-fmt :`.
    One,
    /// One or more values up to the next flag: `-field name identifier`.
    Many,
    /// Zero or more values up to the next flag: `-attr [reserve_policy]`.
    Any,
}

pub type Spec = &'static [(&'static str, Arity)];

/// The flags given, with their values, and the operands.
#[derive(Debug, Default)]
pub struct Args {
    flags: Vec<(&'static str, Vec<String>)>,
    pub operands: Vec<String>,
}

impl Args {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| *f == flag)
    }

    pub fn one(&self, flag: &str) -> Option<&str> {
        self.values(flag)?.first().map(String::as_str)
    }

    pub fn values(&self, flag: &str) -> Option<&[String]> {
        self.flags
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_slice())
    }

    /// `-attr a=v …`: the attribute pairs given to `flag` (none when it is
    /// absent); a word without `=` is a usage error.
    pub fn attrs(
        &self,
        flag: &str,
        usage: &'static str,
    ) -> Result<Vec<(String, String)>, CmdError> {
        self.values(flag)
            .unwrap_or_default()
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or(CmdError::Usage(usage))
            })
            .collect()
    }

    /// The flags given, in the spec's spelling.
    pub fn given(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.flags.iter().map(|(f, _)| *f)
    }
}

/// Parses `words` by `spec`; a flag not in it, a flag twice, a missing
/// value, or more operands than `max_operands` is a usage error.
pub fn parse(
    spec: Spec,
    words: &[&str],
    max_operands: usize,
    usage: &'static str,
) -> Result<Args, CmdError> {
    let mut a = Args::default();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        i += 1;
        if !w.starts_with('-') || *w == "-" {
            a.operands.push(w.to_string());
            continue;
        }
        let Some(&(name, arity)) = spec.iter().find(|(f, _)| f == w) else {
            return Err(CmdError::Usage(usage));
        };
        if a.has(name) {
            return Err(CmdError::Usage(usage));
        }
        let mut vals = Vec::new();
        match arity {
            Arity::Flag => {}
            Arity::One => {
                let v = words.get(i).ok_or(CmdError::Usage(usage))?;
                vals.push(v.to_string());
                i += 1;
            }
            Arity::Many | Arity::Any => {
                while let Some(v) = words.get(i).filter(|v| !v.starts_with('-')) {
                    vals.push(v.to_string());
                    i += 1;
                }
                if arity == Arity::Many && vals.is_empty() {
                    return Err(CmdError::Usage(usage));
                }
            }
        }
        a.flags.push((name, vals));
    }
    if a.operands.len() > max_operands {
        return Err(CmdError::Usage(usage));
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = &[
        ("-dev", Arity::One),
        ("-attr", Arity::Any),
        ("-field", Arity::Many),
        ("-fmt", Arity::One),
        ("-all", Arity::Flag),
    ];

    #[test]
    fn flags_come_in_any_order_with_their_values() {
        let a = parse(SPEC, &["-attr", "-dev", "fcs0"], 0, "u").unwrap();
        assert_eq!(a.one("-dev"), Some("fcs0"));
        assert_eq!(a.values("-attr"), Some(&[][..]));
        let a = parse(SPEC, &["-field", "name", "identifier", "-fmt", "-"], 0, "u").unwrap();
        assert_eq!(
            a.values("-field").unwrap(),
            &["name".to_string(), "identifier".to_string()]
        );
        assert_eq!(a.one("-fmt"), Some("-"));
        let a = parse(SPEC, &["rootvg", "-all"], 1, "u").unwrap();
        assert_eq!(a.operands, vec!["rootvg"]);
    }

    #[test]
    fn unknown_repeated_or_incomplete_flags_are_usage_errors() {
        for bad in [
            &["-bogus"][..],
            &["-all", "-all"],
            &["-dev"],
            &["-field"],
            &["-field", "-all"],
            &["extra"],
        ] {
            assert_eq!(
                parse(SPEC, bad, 0, "u").err(),
                Some(CmdError::Usage("u")),
                "{bad:?}"
            );
        }
    }
}
