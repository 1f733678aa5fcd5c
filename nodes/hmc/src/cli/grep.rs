//! grep as GNU grep on the HMC runs it (`grep -E "^ent[0-9]+"`, `grep
//! -vE "Shared|Virtual|VLAN"`): basic, extended and fixed patterns
//! translated to the `regex` crate, -v -i -c -w -x -n -o -q -l -h -H -e.
//! Also the pattern translation that sed and awk use.

use super::exec::Input;
use super::pipe::{Fail, texts};
use crate::files::Home;
use regex::{Regex, RegexBuilder};

/// Translates a POSIX basic (`ere` false) or extended regular expression
/// into the `regex` crate's syntax.
pub fn translate(p: &str, ere: bool) -> Result<String, String> {
    let cs: Vec<char> = p.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Where a `*` is literal: at the start, after `(` or `|`.
    let mut at_start = true;
    while i < cs.len() {
        let c = cs[i];
        let was_start = at_start;
        at_start = false;
        match c {
            '\\' => {
                let n = *cs.get(i + 1).ok_or("Trailing backslash")?;
                i += 2;
                match n {
                    '(' | ')' | '{' | '}' | '|' | '+' | '?' if !ere => {
                        out.push(n);
                        at_start = matches!(n, '(' | '|');
                    }
                    '<' | '>' => out.push_str("\\b"),
                    'w' | 'W' | 's' | 'S' | 'b' | 'B' => {
                        out.push('\\');
                        out.push(n);
                    }
                    'n' => out.push_str("\\n"),
                    't' => out.push_str("\\t"),
                    d if d.is_ascii_digit() => {
                        return Err("back-references are not supported".into());
                    }
                    n => out.push_str(&regex::escape(&n.to_string())),
                }
                continue;
            }
            '[' => {
                let (class, next) = bracket(&cs, i)?;
                out.push_str(&class);
                i = next;
                continue;
            }
            '*' if was_start => out.push_str("\\*"),
            '(' | ')' | '{' | '}' | '|' | '+' | '?' if !ere => {
                out.push('\\');
                out.push(c);
            }
            '{' if ere && !cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => out.push_str("\\{"),
            '(' | '|' => {
                out.push(c);
                at_start = true;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// A bracket expression from `[` at `i`: the class in the `regex` crate's
/// syntax and the index after `]`.
fn bracket(cs: &[char], i: usize) -> Result<(String, usize), String> {
    let mut j = i + 1;
    let mut out = String::from("[");
    if cs.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    let mut first = true;
    loop {
        let c = *cs.get(j).ok_or("Unmatched [, [^, [:, [., or [=")?;
        match c {
            ']' if !first => {
                out.push(']');
                return Ok((out, j + 1));
            }
            '[' if cs.get(j + 1) == Some(&':') => {
                let end = cs[j + 2..]
                    .windows(2)
                    .position(|w| w == [':', ']'])
                    .ok_or("Unmatched [, [^, [:, [., or [=")?;
                let name: String = cs[j + 2..j + 2 + end].iter().collect();
                out.push_str(&format!("[:{name}:]"));
                j += end + 4;
            }
            // Literal in a POSIX class, special in the regex crate's.
            '[' | '\\' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                j += 1;
            }
            '-' if cs.get(j + 1) == Some(&'-') => {
                out.push_str("\\-");
                j += 1;
            }
            c => {
                out.push(c);
                j += 1;
            }
        }
        first = false;
    }
}

pub fn compile(p: &str, ere: bool, icase: bool) -> Result<Regex, String> {
    let t = translate(p, ere)?;
    RegexBuilder::new(&t)
        .case_insensitive(icase)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| "Invalid regular expression".to_string())
}

pub fn run(
    args: &[String],
    input: &mut Input,
    home: &Home,
    mode: Option<char>,
) -> Result<(String, u32), Fail> {
    let mut mode = mode.unwrap_or('G');
    let (mut invert, mut icase, mut count, mut word, mut whole) =
        (false, false, false, false, false);
    let (mut number, mut only, mut quiet, mut names_only) = (false, false, false, false);
    let mut with_name: Option<bool> = None;
    let mut patterns: Vec<String> = Vec::new();
    let mut operands = Vec::new();
    let mut it = args.iter();
    let mut opts_done = false;
    while let Some(a) = it.next() {
        if opts_done || !a.starts_with('-') || a == "-" {
            operands.push(a.clone());
            continue;
        }
        if a == "--" {
            opts_done = true;
            continue;
        }
        let flags: Vec<char> = a[1..].chars().collect();
        for (k, f) in flags.iter().enumerate() {
            match f {
                'E' | 'F' | 'G' => mode = *f,
                'v' => invert = true,
                'i' | 'y' => icase = true,
                'c' => count = true,
                'w' => word = true,
                'x' => whole = true,
                'n' => number = true,
                'o' => only = true,
                'q' | 's' => quiet |= *f == 'q',
                'l' => names_only = true,
                'h' => with_name = Some(false),
                'H' => with_name = Some(true),
                'e' => {
                    let rest: String = flags[k + 1..].iter().collect();
                    let p = if rest.is_empty() {
                        it.next()
                            .cloned()
                            .ok_or(("grep: option requires an argument -- 'e'".to_string(), 2))?
                    } else {
                        rest
                    };
                    patterns.push(p);
                    break;
                }
                f => {
                    return Err((
                        format!(
                            "grep: invalid option -- '{f}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information."
                        ),
                        2,
                    ));
                }
            }
        }
    }
    if patterns.is_empty() {
        if operands.is_empty() {
            return Err((
                "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.".into(),
                2,
            ));
        }
        patterns.push(operands.remove(0));
    }
    // One pattern per line of each -e, as grep reads them.
    let alts: Vec<String> = patterns
        .iter()
        .flat_map(|p| p.split('\n').map(str::to_string).collect::<Vec<_>>())
        .map(|p| {
            if mode == 'F' {
                Ok(regex::escape(&p))
            } else {
                translate(&p, mode == 'E')
            }
        })
        .collect::<Result<_, String>>()
        .map_err(|e| (format!("grep: {e}"), 2))?;
    let mut re = alts
        .iter()
        .map(|a| format!("(?:{a})"))
        .collect::<Vec<_>>()
        .join("|");
    if word {
        re = format!(r"\b(?:{re})\b");
    }
    if whole {
        re = format!("^(?:{re})$");
    }
    let re = RegexBuilder::new(&re)
        .case_insensitive(icase)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| ("grep: Invalid regular expression".to_string(), 2))?;
    let show_name = with_name.unwrap_or(operands.len() > 1);
    let sources = texts("grep", &operands, input, home)?;
    let mut out = String::new();
    let mut any = false;
    for (name, text) in sources {
        let mut n = 0;
        for (lno, l) in text.lines().enumerate() {
            if re.is_match(l) == invert {
                continue;
            }
            n += 1;
            any = true;
            if quiet || count || names_only {
                continue;
            }
            let prefix = match (show_name, number) {
                (true, true) => format!("{name}:{}:", lno + 1),
                (true, false) => format!("{name}:"),
                (false, true) => format!("{}:", lno + 1),
                _ => String::new(),
            };
            if only && !invert {
                for m in re.find_iter(l).filter(|m| !m.as_str().is_empty()) {
                    out.push_str(&format!("{prefix}{}\n", m.as_str()));
                }
            } else {
                out.push_str(&format!("{prefix}{l}\n"));
            }
        }
        if quiet {
            continue;
        }
        if names_only && n > 0 {
            out.push_str(&format!("{name}\n"));
        } else if count {
            if show_name {
                out.push_str(&format!("{name}:{n}\n"));
            } else {
                out.push_str(&format!("{n}\n"));
            }
        }
    }
    if quiet {
        out.clear();
    }
    Ok((out, if any { 0 } else { 1 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grep(line: &str, text: &str) -> (String, u32) {
        let d = tempfile::tempdir().unwrap();
        let h = crate::files::Files::new(d.path().to_path_buf()).home("hscroot");
        let words = shell_words(line);
        match run(&words, &mut Input::new(text.into()), &h, None) {
            Ok(r) => r,
            Err((m, c)) => (m, c),
        }
    }

    fn shell_words(s: &str) -> Vec<String> {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    }

    const LSDEV: &str = "name             status      description\nent0             Available   4-Port Gigabit Ethernet PCI-Express Adapter\nent4             Available   Shared Ethernet Adapter\nent5             Available   Virtual I/O Ethernet Adapter (l-lan)\nfcs0             Available   8Gb PCI Express Dual Port FC Adapter\n";

    #[test]
    fn the_clients_patterns() {
        assert_eq!(grep("-E ^ent[0-9]+", LSDEV).0.lines().count(), 3);
        assert_eq!(grep("-vE Shared|Virtual|VLAN", LSDEV).0.lines().count(), 3);
        assert_eq!(
            grep("-E ^fcs[0-9]+", LSDEV)
                .0
                .lines()
                .next()
                .unwrap()
                .split_whitespace()
                .next(),
            Some("fcs0")
        );
        assert_eq!(grep("-c Available", LSDEV).0, "4\n");
        assert_eq!(grep("-i shared", LSDEV).1, 0);
        assert_eq!(grep("nothing", LSDEV), (String::new(), 1));
        assert_eq!(grep("-w ent", LSDEV).1, 1);
        assert_eq!(grep("-w ent4", LSDEV).0.lines().count(), 1);
        assert_eq!(grep("-o ent[0-9]", LSDEV).0, "ent0\nent4\nent5\n");
        assert_eq!(grep("-q ent", LSDEV), (String::new(), 0));
        assert_eq!(grep("-n fcs", LSDEV).0.split(':').next(), Some("5"));
        assert_eq!(grep("-x", "").1, 2);
        assert_eq!(grep("-Z x", "").1, 2);
        assert_eq!(grep("-E (", LSDEV).1, 2);
    }

    #[test]
    fn basic_and_extended_syntax() {
        assert_eq!(translate("a+b", false).unwrap(), "a\\+b");
        assert_eq!(translate("a\\+b", false).unwrap(), "a+b");
        assert_eq!(translate("a\\|b", false).unwrap(), "a|b");
        assert_eq!(translate("*a", false).unwrap(), "\\*a");
        assert_eq!(translate("[[:digit:]]", true).unwrap(), "[[:digit:]]");
        assert_eq!(translate("[]a]", true).unwrap(), "[]a]");
        assert!(compile("[]a]", true, false).unwrap().is_match("]"));
        assert!(
            compile("^ *ent[0-9]+ +", true, false)
                .unwrap()
                .is_match("  ent0  U78")
        );
        assert!(
            compile("\\<ent0\\>", false, false)
                .unwrap()
                .is_match("x ent0 y")
        );
        assert!(translate("\\1", false).is_err());
    }
}
