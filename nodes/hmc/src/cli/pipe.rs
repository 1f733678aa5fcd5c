//! The text utilities of the HMC's restricted shell (`lshwres … | grep
//! vios1 | wc -l`): grep, sed and awk in their own files, and here head,
//! tail, sort, uniq, wc, cut, tr and date. They work on their standard
//! input, or on files named as operands, read from the user's home only;
//! `ls`, `mkdir` and `rm` (`fileutil.rs`) work on that home.

use super::exec::Input;
use crate::files::Home;

pub const UTILITIES: &[&str] = &[
    "grep", "egrep", "fgrep", "sed", "awk", "head", "tail", "sort", "uniq", "wc", "cut", "tr",
    "date", "ls", "mkdir", "rm",
];

pub fn is_utility(cmd: &str) -> bool {
    UTILITIES.contains(&cmd)
}

/// A utility's failure: its message (without the newline) and status.
pub type Fail = (String, u32);

/// Runs one utility over its input: output and exit status.
pub fn run(cmd: &str, args: &[String], input: &mut Input, home: &Home) -> (String, u32) {
    let r = match cmd {
        "grep" => super::grep::run(args, input, home, None),
        "egrep" => super::grep::run(args, input, home, Some('E')),
        "fgrep" => super::grep::run(args, input, home, Some('F')),
        "sed" => super::sed::run(args, input, home),
        "awk" => super::awk::run(args, input, home),
        "head" | "tail" => head_tail(cmd, args, input, home),
        "sort" => sort(args, input, home),
        "uniq" => uniq(args, input, home),
        "wc" => wc(args, input, home),
        "cut" => cut(args, input, home),
        "tr" => tr(args, input),
        "date" => date(args),
        "ls" => super::fileutil::ls(args, home),
        "mkdir" => super::fileutil::mkdir(args, home),
        "rm" => super::fileutil::rm(args, home),
        _ => Err((format!("rbash: {cmd}: command not found"), 127)),
    };
    match r {
        Ok(r) => r,
        Err((msg, code)) => (format!("{msg}\n"), code),
    }
}

/// The texts a utility reads: its file operands from the user's home, or
/// its standard input when there are none (or for `-`).
pub fn texts(
    cmd: &str,
    files: &[String],
    input: &mut Input,
    home: &Home,
) -> Result<Vec<(String, String)>, Fail> {
    if files.is_empty() {
        return Ok(vec![("(standard input)".into(), input.take())]);
    }
    files
        .iter()
        .map(|f| {
            if f == "-" {
                Ok(("(standard input)".into(), input.take()))
            } else {
                home.read_text(f)
                    .map(|t| (f.clone(), t))
                    .map_err(|e| (format!("{cmd}: {e}"), 2))
            }
        })
        .collect()
}

fn joined(texts: Vec<(String, String)>) -> String {
    texts.into_iter().map(|(_, t)| t).collect()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn out(ls: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut s = String::new();
    for l in ls {
        s.push_str(l.as_ref());
        s.push('\n');
    }
    s
}

/// `-n N`, `-N`, `-nN`, `-n +N` (tail: from line N), `-c N` is not kept.
fn head_tail(
    cmd: &str,
    args: &[String],
    input: &mut Input,
    home: &Home,
) -> Result<(String, u32), Fail> {
    let mut n: i64 = 10;
    let mut from = false;
    let mut files = Vec::new();
    let mut it = args.iter();
    let num = |s: &str| -> Result<(i64, bool), Fail> {
        let plus = s.starts_with('+');
        s.trim_start_matches(['+', '-'])
            .parse::<i64>()
            .map(|v| (v, plus))
            .map_err(|_| (format!("{cmd}: invalid number of lines: '{s}'"), 1))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" => {
                let v = it
                    .next()
                    .ok_or((format!("{cmd}: option requires an argument -- 'n'"), 1))?;
                (n, from) = num(v)?;
            }
            s if s.starts_with("-n") => (n, from) = num(&s[2..])?,
            s if s.len() > 1
                && s.starts_with('-')
                && s[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                n = num(&s[1..])?.0
            }
            s if s.starts_with('-') && s != "-" => {
                return Err((format!("{cmd}: invalid option -- '{}'", &s[1..]), 1));
            }
            f => files.push(f.to_string()),
        }
    }
    let text = joined(texts(cmd, &files, input, home)?);
    let ls = lines(&text);
    let n = n.max(0) as usize;
    let picked: Vec<&str> = match (cmd, from) {
        ("head", _) => ls.into_iter().take(n).collect(),
        (_, true) => ls.into_iter().skip(n.saturating_sub(1)).collect(),
        _ => ls[ls.len().saturating_sub(n)..].to_vec(),
    };
    Ok((out(picked), 0))
}

/// sort's `-k N[,M]` keys over fields split by `-t` or blanks.
fn sort(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let (mut unique, mut reverse, mut numeric, mut fold) = (false, false, false, false);
    let (mut sep, mut key): (Option<char>, Option<(usize, Option<usize>)>) = (None, None);
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" => sep = it.next().and_then(|s| s.chars().next()),
            s if s.starts_with("-t") && s.len() > 2 => sep = s[2..].chars().next(),
            "-k" => key = Some(parse_key(it.next().map(String::as_str).unwrap_or(""))?),
            s if s.starts_with("-k") => key = Some(parse_key(&s[2..])?),
            s if s.starts_with('-') && s.len() > 1 => {
                for c in s[1..].chars() {
                    match c {
                        'u' => unique = true,
                        'r' => reverse = true,
                        'n' => numeric = true,
                        'f' => fold = true,
                        'b' => {}
                        c => return Err((format!("sort: invalid option -- '{c}'"), 2)),
                    }
                }
            }
            f => files.push(f.to_string()),
        }
    }
    let text = joined(texts("sort", &files, input, home)?);
    let mut ls = lines(&text);
    let key_of = |l: &str| -> String {
        let Some((from, to)) = key else {
            return l.to_string();
        };
        let fields: Vec<&str> = match sep {
            Some(c) => l.split(c).collect(),
            None => l.split_whitespace().collect(),
        };
        let end = to.unwrap_or(fields.len()).min(fields.len());
        let start = from.saturating_sub(1).min(end);
        fields[start..end].join(&sep.map_or(" ".to_string(), |c| c.to_string()))
    };
    let num = |s: &str| -> f64 {
        let t = s.trim_start();
        let len = t
            .char_indices()
            .take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-'))
            .count();
        t[..len].parse().unwrap_or(0.0)
    };
    let cmp = |a: &&str, b: &&str| {
        let (ka, kb) = (key_of(a), key_of(b));
        let o = if numeric {
            num(&ka)
                .partial_cmp(&num(&kb))
                .unwrap_or(std::cmp::Ordering::Equal)
        } else if fold {
            ka.to_lowercase().cmp(&kb.to_lowercase())
        } else {
            ka.cmp(&kb)
        };
        // Equal keys fall back to the whole line, as sort does without -s.
        o.then_with(|| {
            if key.is_some() || numeric {
                a.cmp(b)
            } else {
                std::cmp::Ordering::Equal
            }
        })
    };
    ls.sort_by(cmp);
    if reverse {
        ls.reverse();
    }
    if unique {
        ls.dedup_by(|a, b| {
            let (ka, kb) = (key_of(a), key_of(b));
            if numeric {
                num(&ka) == num(&kb)
            } else {
                ka == kb
            }
        });
    }
    Ok((out(ls), 0))
}

fn parse_key(k: &str) -> Result<(usize, Option<usize>), Fail> {
    let field = |s: &str| {
        s.split('.')
            .next()
            .unwrap_or("")
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or((
                format!("sort: invalid number at field start: invalid count at start of '{k}'"),
                2,
            ))
    };
    match k.split_once(',') {
        Some((a, b)) => Ok((field(a)?, Some(field(b)?))),
        None => Ok((field(k)?, None)),
    }
}

fn uniq(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let (mut count, mut dups, mut uniques) = (false, false, false);
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            s if s.starts_with('-') && s.len() > 1 => {
                for c in s[1..].chars() {
                    match c {
                        'c' => count = true,
                        'd' => dups = true,
                        'u' => uniques = true,
                        c => return Err((format!("uniq: invalid option -- '{c}'"), 1)),
                    }
                }
            }
            f => files.push(f.to_string()),
        }
    }
    let text = joined(texts("uniq", &files, input, home)?);
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for l in text.lines() {
        match groups.last_mut() {
            Some((g, n)) if *g == l => *n += 1,
            _ => groups.push((l, 1)),
        }
    }
    let picked = groups
        .into_iter()
        .filter(|(_, n)| (!dups || *n > 1) && (!uniques || *n == 1))
        .map(|(l, n)| {
            if count {
                format!("{n:>7} {l}")
            } else {
                l.to_string()
            }
        });
    Ok((out(picked), 0))
}

fn wc(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let (mut l, mut w, mut c) = (false, false, false);
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            s if s.starts_with('-') && s.len() > 1 => {
                for ch in s[1..].chars() {
                    match ch {
                        'l' => l = true,
                        'w' => w = true,
                        'c' | 'm' => c = true,
                        ch => return Err((format!("wc: invalid option -- '{ch}'"), 1)),
                    }
                }
            }
            f => files.push(f.to_string()),
        }
    }
    if !(l || w || c) {
        (l, w, c) = (true, true, true);
    }
    let named = !files.is_empty();
    let mut rows = Vec::new();
    for (name, t) in texts("wc", &files, input, home)? {
        let mut v = Vec::new();
        if l {
            v.push(t.matches('\n').count());
        }
        if w {
            v.push(t.split_whitespace().count());
        }
        if c {
            v.push(t.len());
        }
        rows.push((name, v));
    }
    // One count alone prints bare, as `wc -l` on a pipe does.
    let single = rows.len() == 1 && rows[0].1.len() == 1 && !named;
    let text = rows
        .into_iter()
        .map(|(name, v)| {
            if single {
                v[0].to_string()
            } else {
                let mut s = v
                    .iter()
                    .map(|n| format!("{n:>7}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                if named {
                    s.push(' ');
                    s.push_str(&name);
                }
                s
            }
        })
        .collect::<Vec<_>>();
    Ok((out(text), 0))
}

/// `cut -d C -f LIST` or `cut -c LIST`; LIST as `1,3-5,7-`.
fn cut(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let (mut delim, mut fields, mut chars, mut only) = ('\t', None, None, false);
    let mut files = Vec::new();
    let mut it = args.iter();
    let val = |it: &mut std::slice::Iter<String>, o: &str| {
        it.next()
            .cloned()
            .ok_or((format!("cut: option requires an argument -- '{o}'"), 1))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "-d" => delim = val(&mut it, "d")?.chars().next().unwrap_or('\t'),
            s if s.starts_with("-d") => delim = s[2..].chars().next().unwrap_or('\t'),
            "-f" => fields = Some(ranges(&val(&mut it, "f")?)?),
            s if s.starts_with("-f") => fields = Some(ranges(&s[2..])?),
            "-c" | "-b" => chars = Some(ranges(&val(&mut it, "c")?)?),
            s if s.starts_with("-c") || s.starts_with("-b") => chars = Some(ranges(&s[2..])?),
            "-s" => only = true,
            f => files.push(f.to_string()),
        }
    }
    let text = joined(texts("cut", &files, input, home)?);
    let pick = |r: &[(usize, usize)], n: usize| r.iter().any(|(a, b)| n >= *a && n <= *b);
    let mut res = Vec::new();
    for l in text.lines() {
        if let Some(r) = &chars {
            res.push(
                l.chars()
                    .enumerate()
                    .filter(|(i, _)| pick(r, i + 1))
                    .map(|(_, c)| c)
                    .collect(),
            );
        } else if let Some(r) = &fields {
            if !l.contains(delim) {
                if !only {
                    res.push(l.to_string());
                }
                continue;
            }
            let f: Vec<&str> = l
                .split(delim)
                .enumerate()
                .filter(|(i, _)| pick(r, i + 1))
                .map(|(_, s)| s)
                .collect();
            res.push(f.join(&delim.to_string()));
        } else {
            return Err((
                "cut: you must specify a list of bytes, characters, or fields".into(),
                1,
            ));
        }
    }
    Ok((out(res), 0))
}

fn ranges(list: &str) -> Result<Vec<(usize, usize)>, Fail> {
    let bad = || (format!("cut: invalid field value '{list}'"), 1);
    list.split(',')
        .map(|r| {
            let n = |s: &str, d: usize| {
                if s.is_empty() {
                    Ok(d)
                } else {
                    s.parse::<usize>().map_err(|_| bad())
                }
            };
            let (a, b) = match r.split_once('-') {
                Some((a, b)) => (n(a, 1)?, n(b, usize::MAX)?),
                None => {
                    let v = n(r, 0)?;
                    (v, v)
                }
            };
            if a == 0 {
                Err(("cut: fields and positions are numbered from 1".into(), 1))
            } else {
                Ok((a, b))
            }
        })
        .collect()
}

/// `tr SET1 SET2`, `tr -d SET`, `tr -s SET`; sets with ranges and escapes.
fn tr(args: &[String], input: &mut Input) -> Result<(String, u32), Fail> {
    let (mut delete, mut squeeze) = (false, false);
    let mut sets = Vec::new();
    for a in args {
        match a.as_str() {
            s if s.starts_with('-')
                && s.len() > 1
                && s[1..].chars().all(|c| matches!(c, 'd' | 's')) =>
            {
                delete |= s.contains('d');
                squeeze |= s.contains('s');
            }
            s => sets.push(expand_set(s)),
        }
    }
    let text = input.take();
    let res: String = match (delete, squeeze, sets.as_slice()) {
        (true, _, [s1, ..]) => text.chars().filter(|c| !s1.contains(c)).collect(),
        (false, true, [s1]) => {
            let mut o = String::new();
            for c in text.chars() {
                if !(s1.contains(&c) && o.ends_with(c)) {
                    o.push(c);
                }
            }
            o
        }
        (false, sq, [s1, s2, ..]) if !s2.is_empty() => {
            let mut o = String::new();
            for c in text.chars() {
                let m = s1
                    .iter()
                    .position(|x| *x == c)
                    .map(|i| s2[i.min(s2.len() - 1)])
                    .unwrap_or(c);
                if !(sq && s2.contains(&m) && o.ends_with(m)) {
                    o.push(m);
                }
            }
            o
        }
        _ => return Err(("tr: missing operand".into(), 1)),
    };
    Ok((res, 0))
}

fn expand_set(s: &str) -> Vec<char> {
    let named = [
        ("[:lower:]", ('a'..='z').collect::<Vec<_>>()),
        ("[:upper:]", ('A'..='Z').collect()),
        ("[:digit:]", ('0'..='9').collect()),
        ("[:space:]", vec![' ', '\t', '\n', '\r']),
        ("[:blank:]", vec![' ', '\t']),
    ];
    let mut chars: Vec<char> = Vec::new();
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for (n, set) in &named {
            if let Some(r) = rest.strip_prefix(n) {
                chars.extend(set);
                rest = r;
                continue 'outer;
            }
        }
        let mut it = rest.chars();
        let c = it.next().unwrap_or_default();
        let (c, r) = if c == '\\' {
            let e = it.next().unwrap_or('\\');
            (
                match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    e => e,
                },
                it.as_str(),
            )
        } else {
            (c, it.as_str())
        };
        if let (Some('-'), Some(end)) = (r.chars().next(), r.chars().nth(1))
            && end >= c
        {
            chars.extend(c..=end);
            rest = &r[1 + end.len_utf8()..];
            continue;
        }
        chars.push(c);
        rest = r;
    }
    chars
}

/// `date`, `date +FORMAT` (strftime), `date -u`: the HMC's clock, in UTC
/// as the lab's HMCs keep it.
fn date(args: &[String]) -> Result<(String, u32), Fail> {
    let mut fmt = "%a %b %e %H:%M:%S %Z %Y".to_string();
    for a in args {
        match a.as_str() {
            "-u" | "--utc" => {}
            s if s.starts_with('+') => fmt = s[1..].to_string(),
            s => return Err((format!("date: invalid date '{s}'"), 1)),
        }
    }
    let now = chrono::Utc::now();
    let mut s = String::new();
    use std::fmt::Write;
    write!(s, "{}", now.format(&fmt)).map_err(|_| (format!("date: invalid format '{fmt}'"), 1))?;
    s.push('\n');
    Ok((s, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let d = tempfile::tempdir().unwrap();
        let h = crate::files::Files::new(d.path().to_path_buf()).home("hscroot");
        (d, h)
    }

    fn sh(line: &str, text: &str) -> (String, u32) {
        let (_d, h) = home();
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        run(&words[0], &words[1..], &mut Input::new(text.into()), &h)
    }

    #[test]
    fn head_tail_wc() {
        let t = "a 1\nb 2\nc 3\n";
        assert_eq!(sh("head -n 1", t).0, "a 1\n");
        assert_eq!(sh("head -2", t).0, "a 1\nb 2\n");
        assert_eq!(sh("tail -1", t).0, "c 3\n");
        assert_eq!(sh("tail -n +2", t).0, "b 2\nc 3\n");
        assert_eq!(sh("wc -l", t).0, "3\n");
        assert_eq!(sh("wc -w", t).0, "6\n");
        assert_eq!(sh("wc", t).0, "      3       6      12\n");
        assert_eq!(sh("head -x", t).1, 1);
    }

    #[test]
    fn sort_uniq_cut_tr() {
        let t = "b,10\na,9\nc,100\na,9\n";
        assert_eq!(sh("sort", t).0, "a,9\na,9\nb,10\nc,100\n");
        assert_eq!(sh("sort -u", t).0, "a,9\nb,10\nc,100\n");
        assert_eq!(sh("sort -t , -k 2 -n", t).0, "a,9\na,9\nb,10\nc,100\n");
        assert_eq!(sh("sort -t , -k2 -nr", t).0, "c,100\nb,10\na,9\na,9\n");
        assert_eq!(sh("uniq -c", "x\nx\ny\n").0, "      2 x\n      1 y\n");
        assert_eq!(sh("uniq -d", "x\nx\ny\n").0, "x\n");
        assert_eq!(sh("cut -d , -f 2", t).0, "10\n9\n100\n9\n");
        assert_eq!(sh("cut -c 1-2", "abc\n").0, "ab\n");
        assert_eq!(sh("tr a-z A-Z", "ab,c\n").0, "AB,C\n");
        assert_eq!(sh("tr -d ,", "a,b\n").0, "ab\n");
        assert_eq!(sh("tr , \\n", "a,b").0, "a\nb");
    }

    #[test]
    fn date_formats() {
        let (o, c) = sh("date +%Y-%m-%d", "");
        assert_eq!(c, 0);
        assert_eq!(o.len(), 11, "{o}");
        assert_eq!(sh("date yesterday", "").1, 1);
    }

    #[test]
    fn file_operands_come_from_the_home_only() {
        let (_d, h) = home();
        h.write("f.txt", b"x\ny\n").unwrap();
        let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            run("wc", &w(&["-l", "f.txt"]), &mut Input::default(), &h).0,
            "      2 f.txt\n"
        );
        let (o, c) = run("head", &w(&["/etc/passwd"]), &mut Input::default(), &h);
        assert_eq!(c, 2);
        assert!(
            o.starts_with("head: /etc/passwd: Permission denied."),
            "{o}"
        );
        assert!(!o.contains("root:"));
    }
}
