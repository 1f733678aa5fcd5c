//! sed, the subset command lines use on listings: `s/RE/REPL/FLAGS` (g, p,
//! N, I), `p`, `d`, `q`, `=`, addresses (N, `$`, `/RE/`, ranges, `!`),
//! `-n`, `-e`, `-E`/`-r`. Commands that write files (`w`, `-i`) are
//! refused: the restricted shell writes nothing.

use super::exec::Input;
use super::grep::compile;
use super::pipe::{Fail, texts};
use crate::files::Home;
use regex::Regex;

#[derive(Debug)]
enum Addr {
    Line(usize),
    Last,
    Re(Regex),
}

#[derive(Debug)]
enum Op {
    Subst {
        re: Regex,
        repl: String,
        global: bool,
        nth: usize,
        print: bool,
    },
    Print,
    Delete,
    Quit,
    LineNo,
}

#[derive(Debug)]
struct Cmd {
    from: Option<Addr>,
    to: Option<Addr>,
    negate: bool,
    op: Op,
}

fn err(m: impl std::fmt::Display) -> Fail {
    (format!("sed: -e expression #1, char 0: {m}"), 1)
}

pub fn run(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let (mut quiet, mut ere) = (false, false);
    let mut scripts = Vec::new();
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-E" | "-r" => ere = true,
            "-e" => scripts.push(
                it.next()
                    .cloned()
                    .ok_or(("sed: option requires an argument -- 'e'".to_string(), 1))?,
            ),
            s if s.starts_with("-i") => {
                return Err(("sed: -i: restricted: cannot edit files".into(), 1));
            }
            s if s.starts_with('-')
                && s.len() > 1
                && s[1..].chars().all(|c| matches!(c, 'n' | 'E' | 'r')) =>
            {
                quiet |= s.contains('n');
                ere |= s.contains('E') || s.contains('r');
            }
            s if s.starts_with('-') && s.len() > 1 => {
                return Err((format!("sed: invalid option -- '{}'", &s[1..2]), 1));
            }
            s if scripts.is_empty() && files.is_empty() => scripts.push(s.to_string()),
            s => files.push(s.to_string()),
        }
    }
    if scripts.is_empty() {
        return Err((
            "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...".into(),
            1,
        ));
    }
    let mut cmds = Vec::new();
    for s in &scripts {
        parse(s, ere, &mut cmds)?;
    }
    let text: String = texts("sed", &files, input, home)?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut active = vec![false; cmds.len()];
    'lines: for (n, line) in lines.iter().enumerate() {
        let lno = n + 1;
        let last = lno == lines.len();
        let mut space = line.to_string();
        let mut deleted = false;
        for (k, c) in cmds.iter().enumerate() {
            let hit = |a: &Addr, s: &str| match a {
                Addr::Line(x) => *x == lno,
                Addr::Last => last,
                Addr::Re(r) => r.is_match(s),
            };
            let selected = match (&c.from, &c.to) {
                (None, _) => true,
                (Some(a), None) => hit(a, &space),
                (Some(a), Some(b)) => {
                    if active[k] {
                        let end = match b {
                            Addr::Line(x) => lno >= *x,
                            b => hit(b, &space),
                        };
                        if end {
                            active[k] = false;
                        }
                        true
                    } else if hit(a, &space) {
                        // A range whose end line is already behind is one line.
                        active[k] = !matches!(b, Addr::Line(x) if *x <= lno);
                        true
                    } else {
                        false
                    }
                }
            };
            if selected == c.negate {
                continue;
            }
            match &c.op {
                Op::Print => {
                    out.push_str(&space);
                    out.push('\n');
                }
                Op::Delete => {
                    deleted = true;
                    break;
                }
                Op::LineNo => out.push_str(&format!("{lno}\n")),
                Op::Quit => {
                    if !quiet {
                        out.push_str(&space);
                        out.push('\n');
                    }
                    break 'lines;
                }
                Op::Subst {
                    re,
                    repl,
                    global,
                    nth,
                    print,
                } => {
                    let (s, changed) = substitute(re, repl, &space, *global, *nth);
                    space = s;
                    if changed && *print {
                        out.push_str(&space);
                        out.push('\n');
                    }
                }
            }
        }
        if !deleted && !quiet {
            out.push_str(&space);
            out.push('\n');
        }
    }
    Ok((out, 0))
}

fn substitute(re: &Regex, repl: &str, s: &str, global: bool, nth: usize) -> (String, bool) {
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    for (k, caps) in re.captures_iter(s).enumerate() {
        let Some(m) = caps.get(0) else { continue };
        if k + 1 < nth {
            continue;
        }
        out.push_str(&s[last..m.start()]);
        let mut chars = repl.chars();
        while let Some(c) = chars.next() {
            match c {
                '&' => out.push_str(m.as_str()),
                '\\' => match chars.next() {
                    Some(d @ '0'..='9') => {
                        let i = d as usize - '0' as usize;
                        out.push_str(caps.get(i).map_or("", |g| g.as_str()));
                    }
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => {}
                },
                c => out.push(c),
            }
        }
        last = m.end();
        changed = true;
        if !global {
            break;
        }
    }
    out.push_str(&s[last..]);
    (out, changed)
}

/// Reads text up to an unescaped `delim`; returns it and the rest.
fn until(s: &str, delim: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut it = s.char_indices();
    while let Some((i, c)) = it.next() {
        if c == delim {
            return Some((out, &s[i + c.len_utf8()..]));
        }
        if c == '\\' {
            match it.next() {
                Some((_, n)) if n == delim => out.push(n),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    None
}

fn addr(s: &str, ere: bool) -> Result<(Option<Addr>, &str), Fail> {
    if let Some(r) = s.strip_prefix('$') {
        return Ok((Some(Addr::Last), r));
    }
    if let Some(r) = s.strip_prefix('/') {
        let (re, rest) = until(r, '/').ok_or_else(|| err("unterminated address regex"))?;
        return Ok((Some(Addr::Re(compile(&re, ere, false).map_err(err)?)), rest));
    }
    let n = s.chars().take_while(char::is_ascii_digit).count();
    if n > 0 {
        let v = s[..n].parse().map_err(|_| err("invalid line number"))?;
        if v == 0 {
            return Err(err("invalid usage of line address 0"));
        }
        return Ok((Some(Addr::Line(v)), &s[n..]));
    }
    Ok((None, s))
}

fn parse(script: &str, ere: bool, cmds: &mut Vec<Cmd>) -> Result<(), Fail> {
    let mut s = script;
    loop {
        s = s.trim_start_matches([' ', '\t', '\n', ';']);
        if s.is_empty() {
            return Ok(());
        }
        let (from, rest) = addr(s, ere)?;
        let (to, rest) = match (from.is_some(), rest.strip_prefix(',')) {
            (true, Some(r)) => {
                let (t, r) = addr(r, ere)?;
                (Some(t.ok_or_else(|| err("unexpected `,'"))?), r)
            }
            _ => (None, rest),
        };
        let rest = rest.trim_start();
        let (negate, rest) = match rest.strip_prefix('!') {
            Some(r) => (true, r.trim_start()),
            None => (false, rest),
        };
        let mut chars = rest.chars();
        let c = chars.next().ok_or_else(|| err("missing command"))?;
        let mut rest = chars.as_str();
        let op = match c {
            'p' => Op::Print,
            'd' => Op::Delete,
            'q' => Op::Quit,
            '=' => Op::LineNo,
            's' => {
                let mut it = rest.chars();
                let delim = it.next().ok_or_else(|| err("unterminated `s' command"))?;
                if delim == '\\' || delim == '\n' {
                    return Err(err("unterminated `s' command"));
                }
                let (pat, r) =
                    until(it.as_str(), delim).ok_or_else(|| err("unterminated `s' command"))?;
                let (repl, r) = until(r, delim).ok_or_else(|| err("unterminated `s' command"))?;
                let flen = r
                    .chars()
                    .take_while(|c| !matches!(c, ';' | '\n' | ' ' | '}'))
                    .count();
                let (flags, r) = r.split_at(r.char_indices().nth(flen).map_or(r.len(), |(i, _)| i));
                let (mut global, mut print, mut icase, mut nth) = (false, false, false, 1);
                let digits: String = flags.chars().filter(char::is_ascii_digit).collect();
                for f in flags.chars() {
                    match f {
                        'g' => global = true,
                        'p' => print = true,
                        'i' | 'I' => icase = true,
                        '0'..='9' => {}
                        'w' => return Err(("sed: w: restricted: cannot write files".into(), 1)),
                        f => return Err(err(format!("unknown option to `s': {f}"))),
                    }
                }
                if !digits.is_empty() {
                    nth = digits
                        .parse()
                        .map_err(|_| err("number option to `s' command may not be zero"))?;
                    if nth == 0 {
                        return Err(err("number option to `s' command may not be zero"));
                    }
                }
                let re = compile(&pat, ere, icase).map_err(err)?;
                rest = r;
                Op::Subst {
                    re,
                    repl,
                    global,
                    nth,
                    print,
                }
            }
            'w' | 'r' | 'W' | 'R' | 'e' => {
                return Err((format!("sed: {c}: restricted: cannot use files"), 1));
            }
            c => return Err(err(format!("unknown command: `{c}'"))),
        };
        cmds.push(Cmd {
            from,
            to,
            negate,
            op,
        });
        s = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sed(args: &[&str], text: &str) -> (String, u32) {
        let d = tempfile::tempdir().unwrap();
        let h = crate::files::Files::new(d.path().to_path_buf()).home("hscroot");
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run(&a, &mut Input::new(text.into()), &h).unwrap_or_else(|e| e)
    }

    #[test]
    fn substitutions_and_addresses() {
        let t = "name=a,state=Running\nname=b,state=Not Activated\n";
        assert_eq!(
            sed(&["s/state=//"], t).0,
            "name=a,Running\nname=b,Not Activated\n"
        );
        assert_eq!(sed(&["s/a/X/g"], "aaa\n").0, "XXX\n");
        assert_eq!(sed(&["s/a/X/2"], "aaa\n").0, "aXa\n");
        assert_eq!(sed(&["-E", "s/name=([a-z]+),.*/\\1/"], t).0, "a\nb\n");
        assert_eq!(
            sed(&["s/name=\\([a-z]*\\),.*/<&>/"], "name=a,x\n").0,
            "<name=a,x>\n"
        );
        assert_eq!(sed(&["-n", "/Running/p"], t).0, "name=a,state=Running\n");
        assert_eq!(sed(&["1d"], t).0, "name=b,state=Not Activated\n");
        assert_eq!(sed(&["-n", "$p"], t).0, "name=b,state=Not Activated\n");
        assert_eq!(sed(&["/Running/!d"], t).0, "name=a,state=Running\n");
        assert_eq!(sed(&["-n", "2,3p"], "1\n2\n3\n4\n").0, "2\n3\n");
        assert_eq!(
            sed(&["-e", "s/1/one/", "-e", "2q"], "1\n2\n3\n").0,
            "one\n2\n"
        );
        assert_eq!(sed(&["s|/|_|g"], "a/b\n").0, "a_b\n");
        assert_eq!(sed(&["-n", "s/x/y/p"], "x\nz\n").0, "y\n");
    }

    #[test]
    fn refusals() {
        assert_eq!(sed(&["-i", "s/a/b/", "f"], "").1, 1);
        assert!(sed(&["s/a/b/w /tmp/x"], "a\n").0.contains("restricted"));
        assert_eq!(sed(&["s/a/b"], "").1, 1);
        assert_eq!(sed(&["k"], "").1, 1);
        assert_eq!(sed(&[], "").1, 1);
    }
}
