//! Splitting a line into the tokens of the HMC's restricted bash: words
//! (keeping which parts were quoted and which are expansions, since `$i`
//! inside a loop is expanded each time the loop runs) and operators.
//!
//! Hand-written rather than taken from a bash parser crate (brush-parser):
//! the HMC's shell is a small subset of bash, every construct outside it
//! needs rbash's own refusal text, and command substitution runs HMC
//! commands asynchronously at expansion time; the full bash AST such a
//! crate gives would have to be walked and mostly refused node by node.

/// One piece of a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text as typed; `quoted` text is never split or treated as a keyword.
    Lit { text: String, quoted: bool },
    /// `$name`, `${name}`, `$?` ...
    Var { name: String, quoted: bool },
    /// `` `line` `` or `$(line)`: a command line whose output is the text.
    Sub { line: String, quoted: bool },
    /// `${name:-word}`, `${name%%pattern}`, `${#name}` …
    Param {
        name: String,
        quoted: bool,
        op: ParamOp,
    },
    /// `~` at the start of a word: the user's home.
    Tilde,
}

/// The operators of `${…}` the HMC shell takes; the word or pattern is
/// taken as typed (a glob with `*` and `?` for the trims).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamOp {
    /// `${#name}`
    Len,
    /// `${name:-word}` (or `${name-word}`: `colon` false, only when unset)
    Default { word: String, colon: bool },
    /// `${name:+word}`
    Alt { word: String, colon: bool },
    /// `${name#pat}`, `${name##pat}`
    TrimPrefix { pat: String, longest: bool },
    /// `${name%pat}`, `${name%%pat}`
    TrimSuffix { pat: String, longest: bool },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// The word's text when it is one unquoted literal (keywords,
    /// assignments and operators' operands are recognised only so).
    pub fn plain(&self) -> Option<&str> {
        match self.0.as_slice() {
            [
                Part::Lit {
                    text,
                    quoted: false,
                },
            ] => Some(text),
            _ => None,
        }
    }

    /// `NAME=value`: the name and the value's parts.
    pub fn assignment(&self) -> Option<(String, Word)> {
        let Some(Part::Lit {
            text,
            quoted: false,
        }) = self.0.first()
        else {
            return None;
        };
        let eq = text.find('=')?;
        let name = &text[..eq];
        if !is_name(name) {
            return None;
        }
        let mut rest = vec![Part::Lit {
            text: text[eq + 1..].to_string(),
            quoted: false,
        }];
        rest.extend(self.0[1..].iter().cloned());
        Some((name.to_string(), Word(rest)))
    }
}

pub fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Redir {
    /// `<`: read a file.
    In,
    /// `>`, `>>`, `>|`, `<>`, `&>`, `>&file`: rbash refuses them all.
    Out,
    /// `<<<word`.
    HereString,
    /// `<<WORD`: a here-document, whose lines a one-line command lacks.
    HereDoc,
    /// `N>&M`, `N<&M`, `N>&-`: descriptor duplication (allowed by rbash;
    /// output and errors share one stream here).
    Dup,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Word(Word),
    Pipe,
    /// `;`, a newline, or `&` (a job runs to completion: nothing of the
    /// host is left running after a line).
    Semi,
    And,
    Or,
    LParen,
    RParen,
    Redir(Redir),
}

/// bash's words for the unbalanced-quote errors.
fn eof(q: char) -> String {
    format!(
        "rbash: unexpected EOF while looking for matching `{q}'\nrbash: syntax error: unexpected end of file"
    )
}

pub fn tokenize(line: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut lit = String::new();
    // Whether the current word has begun (a `""` alone is a word).
    let mut started = false;
    let mut i = 0;
    macro_rules! flush_lit {
        () => {
            if !lit.is_empty() {
                parts.push(Part::Lit {
                    text: std::mem::take(&mut lit),
                    quoted: false,
                });
            }
        };
    }
    macro_rules! end_word {
        () => {
            flush_lit!();
            if started || !parts.is_empty() {
                toks.push(Tok::Word(Word(std::mem::take(&mut parts))));
            }
            started = false;
        };
    }
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' => {
                end_word!();
                i += 1;
            }
            '#' if !started && lit.is_empty() && parts.is_empty() => break,
            '\\' => {
                started = true;
                match cs.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => {
                        flush_lit!();
                        parts.push(Part::Lit {
                            text: n.to_string(),
                            quoted: true,
                        });
                    }
                    None => {}
                }
                i += 2;
            }
            '\'' => {
                started = true;
                flush_lit!();
                let end = cs[i + 1..]
                    .iter()
                    .position(|&x| x == '\'')
                    .ok_or_else(|| eof('\''))?;
                parts.push(Part::Lit {
                    text: cs[i + 1..i + 1 + end].iter().collect(),
                    quoted: true,
                });
                i += end + 2;
            }
            '"' => {
                started = true;
                flush_lit!();
                i = double(&cs, i + 1, &mut parts)?;
            }
            '`' => {
                started = true;
                flush_lit!();
                let (line, next) = backtick(&cs, i + 1)?;
                parts.push(Part::Sub {
                    line,
                    quoted: false,
                });
                i = next;
            }
            '$' => {
                started = true;
                flush_lit!();
                match dollar(&cs, i + 1, false)? {
                    Some((p, next)) => {
                        parts.push(p);
                        i = next;
                    }
                    None => {
                        lit.push('$');
                        i += 1;
                    }
                }
            }
            '~' if !started && lit.is_empty() && parts.is_empty() => {
                if matches!(cs.get(i + 1), None | Some('/' | ' ' | '\t' | ';' | '|')) {
                    parts.push(Part::Tilde);
                    started = true;
                } else {
                    lit.push('~');
                }
                i += 1;
            }
            '|' | ';' | '&' | '(' | ')' | '\n' | '<' | '>' => {
                // `2>`, `2>&1`: a word of digits just before is the descriptor.
                let fd = matches!(c, '<' | '>')
                    && parts.is_empty()
                    && !lit.is_empty()
                    && lit.chars().all(|d| d.is_ascii_digit());
                if fd {
                    lit.clear();
                    started = false;
                }
                end_word!();
                let next = cs.get(i + 1).copied();
                let (tok, len) = match (c, next) {
                    ('|', Some('|')) => (Tok::Or, 2),
                    ('|', _) => (Tok::Pipe, 1),
                    ('&', Some('&')) => (Tok::And, 2),
                    ('&', Some('>')) => (
                        Tok::Redir(Redir::Out),
                        if cs.get(i + 2) == Some(&'>') { 3 } else { 2 },
                    ),
                    ('&', _) | (';', _) | ('\n', _) => (Tok::Semi, 1),
                    ('(', _) => (Tok::LParen, 1),
                    (')', _) => (Tok::RParen, 1),
                    ('<', Some('<')) if cs.get(i + 2) == Some(&'<') => {
                        (Tok::Redir(Redir::HereString), 3)
                    }
                    ('<', Some('<')) => (Tok::Redir(Redir::HereDoc), 2),
                    ('<', Some('>')) => (Tok::Redir(Redir::Out), 2),
                    ('<', Some('&')) => (Tok::Redir(Redir::Dup), 2),
                    ('<', _) => (Tok::Redir(Redir::In), 1),
                    ('>', Some('>' | '|')) => (Tok::Redir(Redir::Out), 2),
                    ('>', Some('&')) => {
                        // `>&N` / `>&-` duplicate; `>&file` writes a file.
                        let rest: String = cs[i + 2..]
                            .iter()
                            .take_while(|x| !x.is_whitespace() && !matches!(x, ';' | '|' | '&'))
                            .collect();
                        if rest == "-"
                            || (!rest.is_empty() && rest.chars().all(|d| d.is_ascii_digit()))
                        {
                            (Tok::Redir(Redir::Dup), 2)
                        } else {
                            (Tok::Redir(Redir::Out), 2)
                        }
                    }
                    _ => (Tok::Redir(Redir::Out), 1),
                };
                toks.push(tok);
                i += len;
            }
            c => {
                started = true;
                lit.push(c);
                i += 1;
            }
        }
    }
    flush_lit!();
    if started || !parts.is_empty() {
        toks.push(Tok::Word(Word(parts)));
    }
    Ok(toks)
}

/// Inside double quotes from `i`; returns the index after the closing quote.
fn double(cs: &[char], mut i: usize, parts: &mut Vec<Part>) -> Result<usize, String> {
    let mut lit = String::new();
    let flush = |lit: &mut String, parts: &mut Vec<Part>| {
        // An empty "" still makes a word: keep an empty quoted literal.
        parts.push(Part::Lit {
            text: std::mem::take(lit),
            quoted: true,
        });
    };
    loop {
        let Some(&c) = cs.get(i) else {
            return Err(eof('"'));
        };
        match c {
            '"' => {
                flush(&mut lit, parts);
                return Ok(i + 1);
            }
            '\\' => {
                match cs.get(i + 1) {
                    Some(&n @ ('"' | '\\' | '`' | '$')) => lit.push(n),
                    Some('\n') => {}
                    Some(&n) => {
                        lit.push('\\');
                        lit.push(n);
                    }
                    None => return Err(eof('"')),
                }
                i += 2;
            }
            '`' => {
                flush(&mut lit, parts);
                let (line, next) = backtick(cs, i + 1)?;
                parts.push(Part::Sub { line, quoted: true });
                i = next;
            }
            '$' => match dollar(cs, i + 1, true)? {
                Some((p, next)) => {
                    flush(&mut lit, parts);
                    parts.push(p);
                    i = next;
                }
                None => {
                    lit.push('$');
                    i += 1;
                }
            },
            c => {
                lit.push(c);
                i += 1;
            }
        }
    }
}

fn backtick(cs: &[char], mut i: usize) -> Result<(String, usize), String> {
    let mut inner = String::new();
    loop {
        match cs.get(i) {
            Some('`') => return Ok((inner, i + 1)),
            Some('\\') if matches!(cs.get(i + 1), Some('`' | '\\' | '$')) => {
                inner.push(cs[i + 1]);
                i += 2;
            }
            Some(&c) => {
                inner.push(c);
                i += 1;
            }
            None => return Err(eof('`')),
        }
    }
}

/// After a `$` at `i`: the expansion and the index after it, or None when
/// the `$` stands for itself.
fn dollar(cs: &[char], i: usize, quoted: bool) -> Result<Option<(Part, usize)>, String> {
    match cs.get(i) {
        Some('{') => {
            let end = cs[i..]
                .iter()
                .position(|&x| x == '}')
                .ok_or_else(|| eof('}'))?;
            let inner: String = cs[i + 1..i + end].iter().collect();
            let next = i + end + 1;
            let special = matches!(inner.as_str(), "?" | "$" | "#" | "0")
                || (!inner.is_empty() && inner.chars().all(|d| d.is_ascii_digit()));
            if is_name(&inner) || special {
                return Ok(Some((
                    Part::Var {
                        name: inner,
                        quoted,
                    },
                    next,
                )));
            }
            let bad = || format!("rbash: ${{{inner}}}: bad substitution");
            if let Some(n) = inner.strip_prefix('#').filter(|n| is_name(n)) {
                let op = ParamOp::Len;
                return Ok(Some((
                    Part::Param {
                        name: n.to_string(),
                        quoted,
                        op,
                    },
                    next,
                )));
            }
            let len = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            let (name, rest) = inner.split_at(len);
            if !is_name(name) {
                return Err(bad());
            }
            let (colon, rest) = match rest.strip_prefix(':') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let op = if let Some(w) = rest.strip_prefix('-') {
                ParamOp::Default {
                    word: w.to_string(),
                    colon,
                }
            } else if let Some(w) = rest.strip_prefix('+') {
                ParamOp::Alt {
                    word: w.to_string(),
                    colon,
                }
            } else if colon {
                return Err(bad());
            } else if let Some(p) = rest.strip_prefix("##") {
                ParamOp::TrimPrefix {
                    pat: p.to_string(),
                    longest: true,
                }
            } else if let Some(p) = rest.strip_prefix('#') {
                ParamOp::TrimPrefix {
                    pat: p.to_string(),
                    longest: false,
                }
            } else if let Some(p) = rest.strip_prefix("%%") {
                ParamOp::TrimSuffix {
                    pat: p.to_string(),
                    longest: true,
                }
            } else if let Some(p) = rest.strip_prefix('%') {
                ParamOp::TrimSuffix {
                    pat: p.to_string(),
                    longest: false,
                }
            } else {
                return Err(bad());
            };
            let name = name.to_string();
            Ok(Some((Part::Param { name, quoted, op }, next)))
        }
        Some('(') => {
            if cs.get(i + 1) == Some(&'(') {
                return Err(
                    "rbash: $((...)): arithmetic expansion is not available in the HMC shell"
                        .into(),
                );
            }
            let mut depth = 0;
            let mut j = i;
            let (mut sq, mut dq) = (false, false);
            while j < cs.len() {
                match cs[j] {
                    '\'' if !dq => sq = !sq,
                    '"' if !sq => dq = !dq,
                    '\\' if !sq => j += 1,
                    '(' if !sq && !dq => depth += 1,
                    ')' if !sq && !dq => {
                        depth -= 1;
                        if depth == 0 {
                            let line: String = cs[i + 1..j].iter().collect();
                            return Ok(Some((Part::Sub { line, quoted }, j + 1)));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(eof(')'))
        }
        Some(&c) if matches!(c, '?' | '$' | '#') || c.is_ascii_digit() => Ok(Some((
            Part::Var {
                name: c.to_string(),
                quoted,
            },
            i + 1,
        ))),
        Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
            let len = cs[i..]
                .iter()
                .take_while(|x| x.is_ascii_alphanumeric() || **x == '_')
                .count();
            Ok(Some((
                Part::Var {
                    name: cs[i..i + len].iter().collect(),
                    quoted,
                },
                i + len,
            )))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str, quoted: bool) -> Part {
        Part::Lit {
            text: s.into(),
            quoted,
        }
    }

    #[test]
    fn words_quotes_and_expansions() {
        let t = tokenize(r##"LANG=C echo "#$i" 'a b' x\ y `lshmc -V` $(date) ${j}"##).unwrap();
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], Tok::Word(Word(vec![lit("LANG=C", false)])));
        assert_eq!(
            t[2],
            Tok::Word(Word(vec![
                lit("#", true),
                Part::Var {
                    name: "i".into(),
                    quoted: true
                },
                lit("", true)
            ]))
        );
        assert_eq!(t[3], Tok::Word(Word(vec![lit("a b", true)])));
        assert_eq!(
            t[4],
            Tok::Word(Word(vec![lit("x", false), lit(" ", true), lit("y", false)]))
        );
        assert!(
            matches!(&t[5], Tok::Word(Word(p)) if matches!(&p[0], Part::Sub { line, .. } if line == "lshmc -V"))
        );
        assert!(
            matches!(&t[6], Tok::Word(Word(p)) if matches!(&p[0], Part::Sub { line, .. } if line == "date"))
        );
        assert!(
            matches!(&t[7], Tok::Word(Word(p)) if matches!(&p[0], Part::Var { name, quoted: false } if name == "j"))
        );
    }

    #[test]
    fn operators_and_redirections() {
        let t = tokenize("a | b; c && d || e & f 2>&1 >/tmp/x < in # note").unwrap();
        let ops: Vec<&Tok> = t.iter().filter(|t| !matches!(t, Tok::Word(_))).collect();
        assert_eq!(
            ops,
            vec![
                &Tok::Pipe,
                &Tok::Semi,
                &Tok::And,
                &Tok::Or,
                &Tok::Semi,
                &Tok::Redir(Redir::Dup),
                &Tok::Redir(Redir::Out),
                &Tok::Redir(Redir::In)
            ]
        );
        assert!(
            tokenize("echo \"open")
                .unwrap_err()
                .contains("matching `\"'")
        );
        assert!(tokenize("echo 'open").is_err());
        assert!(tokenize("echo `open").is_err());
        assert!(
            tokenize("echo ${a b}")
                .unwrap_err()
                .contains("bad substitution")
        );
    }

    #[test]
    fn assignments() {
        let t = tokenize("LANG=C X=\"a b\" 1A=x").unwrap();
        let w = |i: usize| match &t[i] {
            Tok::Word(w) => w.clone(),
            _ => unreachable!(),
        };
        assert_eq!(w(0).assignment().unwrap().0, "LANG");
        assert_eq!(w(1).assignment().unwrap().0, "X");
        assert!(w(2).assignment().is_none());
    }
}
