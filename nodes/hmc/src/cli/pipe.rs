//! The text filters the HMC's restricted shell lets a listing be piped
//! through (`lshwres ... | grep vios1`): grep, head, tail, wc -l, sort.

/// Runs one filter over `input`; returns its output and exit status.
pub fn apply(words: &[String], input: &str) -> Result<(String, u32), String> {
    let Some((cmd, args)) = words.split_first() else {
        return Err("rbash: syntax error near unexpected token `|'".into());
    };
    let lines: Vec<&str> = input.lines().collect();
    let join = |ls: Vec<&str>| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    match cmd.as_str() {
        "grep" => {
            let (mut invert, mut icase, mut count, mut pattern) = (false, false, false, None);
            for a in args {
                match a.as_str() {
                    "-v" => invert = true,
                    "-i" => icase = true,
                    "-c" => count = true,
                    "-E" | "-e" | "-w" => {}
                    "-iv" | "-vi" => (invert, icase) = (true, true),
                    p if pattern.is_none() => pattern = Some(p.to_string()),
                    p => return Err(format!("grep: {p}: No such file or directory")),
                }
            }
            let pattern = pattern.ok_or("Usage: grep [-v] [-i] [-c] [-E] PATTERN")?;
            let fold = |s: &str| {
                if icase {
                    s.to_lowercase()
                } else {
                    s.to_string()
                }
            };
            // Extended patterns: alternatives separated by |, matched as text.
            let alts: Vec<String> = pattern.split('|').map(|p| fold(p)).collect();
            let hits: Vec<&str> = lines
                .into_iter()
                .filter(|l| alts.iter().any(|a| fold(l).contains(a.as_str())) != invert)
                .collect();
            let code = if hits.is_empty() { 1 } else { 0 };
            Ok((
                if count {
                    format!("{}\n", hits.len())
                } else {
                    join(hits)
                },
                code,
            ))
        }
        "head" | "tail" => {
            let n = match args
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice()
            {
                [] => 10,
                ["-n", n] => n
                    .parse()
                    .map_err(|_| format!("{cmd}: invalid number of lines: {n}"))?,
                [n] if n.starts_with('-') => n[1..]
                    .parse()
                    .map_err(|_| format!("{cmd}: invalid option {n}"))?,
                _ => return Err(format!("Usage: {cmd} [-n N]")),
            };
            let picked = if cmd == "head" {
                lines.into_iter().take(n).collect()
            } else {
                lines[lines.len().saturating_sub(n)..].to_vec()
            };
            Ok((join(picked), 0))
        }
        "wc" if args.len() == 1 && args[0] == "-l" => Ok((format!("{}\n", lines.len()), 0)),
        "sort" => {
            let mut l = lines;
            l.sort_unstable();
            if args.iter().any(|a| a == "-u") {
                l.dedup();
            }
            if args.iter().any(|a| a == "-r") {
                l.reverse();
            }
            Ok((join(l), 0))
        }
        other => Err(format!("rbash: {other}: command not found")),
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn grep_head_wc() {
        let text = "a=vios1\nb=lpar\nc=VIOS2\n";
        assert_eq!(
            apply(&w("grep vios1"), text).unwrap(),
            ("a=vios1\n".into(), 0)
        );
        assert_eq!(
            apply(&w("grep -i vios"), text).unwrap().0,
            "a=vios1\nc=VIOS2\n"
        );
        assert_eq!(
            apply(&w("grep -v vios1"), text).unwrap().0,
            "b=lpar\nc=VIOS2\n"
        );
        assert_eq!(apply(&w("grep nothing"), text).unwrap().1, 1);
        assert_eq!(apply(&w("head -n 1"), text).unwrap().0, "a=vios1\n");
        assert_eq!(apply(&w("wc -l"), text).unwrap().0, "3\n");
        assert!(apply(&w("awk {print}"), text).is_err());
    }
}
