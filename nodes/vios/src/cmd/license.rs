//! `license`: the VIOS's license agreement, which a fresh VIOS wants
//! accepted before use (`license -accept`, as the Ansible `vios` module's
//! `accept_license` sends it). Accepting is kept with the VIOS's state.

use super::args::{self, Arity};
use super::{Change, CmdError, Command, Done, Env, State};

const USAGE: &str = "Usage: license {[-view] [-accept]} [-lang Name]\n       license [-ls]";

const SPEC: args::Spec = &[
    ("-accept", Arity::Flag),
    ("-view", Arity::Flag),
    ("-lang", Arity::One),
    ("-ls", Arity::Flag),
];

/// The languages the agreement is shipped in.
const LANGS: &[&str] = &[
    "en_US", "de_DE", "es_ES", "fr_FR", "it_IT", "ja_JP", "ko_KR", "pt_BR", "zh_CN", "zh_TW",
];

#[derive(Debug, PartialEq, Eq)]
pub enum License {
    /// No flags: whether it was accepted.
    Status,
    Accept {
        view: bool,
    },
    View,
    Langs,
}

impl Command for License {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 0, USAGE)?;
        if let Some(l) = a.one("-lang")
            && !LANGS.contains(&l)
        {
            return Err(CmdError::BadValue("lang", l.to_string()));
        }
        Ok(match (a.has("-accept"), a.has("-view"), a.has("-ls")) {
            (_, _, true) if a.given().count() > 1 => return Err(CmdError::Usage(USAGE)),
            (_, _, true) => License::Langs,
            (true, view, _) => License::Accept { view },
            (false, true, _) => License::View,
            (false, false, _) if a.has("-lang") => return Err(CmdError::Usage(USAGE)),
            _ => License::Status,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let accepted = env.state.license_accepted;
        Ok(match self {
            License::Status if accepted => "The license has been accepted\n".to_string().into(),
            License::Status => "The license has not been accepted\n".to_string().into(),
            License::View => TEXT.to_string().into(),
            License::Langs => format!("{}\n", LANGS.join("\n")).into(),
            License::Accept { view } => Done {
                output: if view {
                    TEXT.to_string()
                } else {
                    String::new()
                },
                change: Change {
                    state: (!accepted).then(|| {
                        let mut next = env.state.clone();
                        next.license_accepted = true;
                        next
                    }),
                    devices: None,
                },
            },
        })
    }
}

const TEXT: &str = "\
International Program License Agreement

Part 1 - General Terms

BY DOWNLOADING, INSTALLING, COPYING, ACCESSING, CLICKING ON AN \"ACCEPT\"
BUTTON, OR OTHERWISE USING THE PROGRAM, LICENSEE AGREES TO THE TERMS OF
THIS AGREEMENT.

Program Name (Program Number):
IBM PowerVM Virtual I/O Server (5765-G34)
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testenv;

    #[test]
    fn accepting_is_recorded_once() {
        testenv::with(|env| {
            let (d, s) = crate::cmd::run(env, "license -accept");
            assert_eq!((d.output.as_str(), s), ("", 0));
            assert_eq!(
                d.change.state,
                Some(State {
                    license_accepted: true
                })
            );
            assert_eq!(
                crate::cmd::run(env, "license").0.output,
                "The license has not been accepted\n"
            );
        });
        let accepted = State {
            license_accepted: true,
        };
        testenv::with_state(&accepted, |env| {
            let (d, _) = crate::cmd::run(env, "license -accept");
            assert_eq!(d.change, Change::default());
            assert_eq!(
                crate::cmd::run(env, "license").0.output,
                "The license has been accepted\n"
            );
        });
    }

    #[test]
    fn flags_parse_into_what_to_do() {
        assert_eq!(
            License::parse(&["-view", "-lang", "en_US"]),
            Ok(License::View)
        );
        assert_eq!(
            License::parse(&["-accept", "-view"]),
            Ok(License::Accept { view: true })
        );
        assert_eq!(
            License::parse(&["-lang", "xx"]),
            Err(CmdError::BadValue("lang", "xx".into()))
        );
        assert_eq!(
            License::parse(&["-ls", "-accept"]),
            Err(CmdError::Usage(USAGE))
        );
        assert_eq!(License::parse(&["accept"]), Err(CmdError::Usage(USAGE)));
    }
}
