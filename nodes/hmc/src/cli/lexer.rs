//! The HMC's restricted bash, as far as a command line needs it: words,
//! quotes, backslashes, backtick substitution and pipelines. Anything that
//! would let a user out of the shell (`;`, `&`, redirections) is refused.

use super::run_line;
use crate::hmc::Ctx;

/// Splits a line into words as the HMC's restricted bash does: single
/// quotes keep everything, double quotes keep spaces, a backslash escapes
/// the next character, `...` runs a command whose output becomes words
/// (split on white space unless inside double quotes), and `|` starts the
/// next command of a pipeline.
pub(super) async fn split(ctx: &Ctx<'_>, line: &str) -> Result<Vec<Vec<String>>, String> {
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
