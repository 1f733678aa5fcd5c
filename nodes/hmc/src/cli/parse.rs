//! The grammar of the HMC's restricted bash over the lexer's tokens: lists
//! (`;`, `&&`, `||`), pipelines (`|`, `!`), simple commands with their
//! `VAR=value` prefixes and redirections, `while`/`until`, `for`, `if`,
//! and `( … )` / `{ …; }` groups. Syntax errors read as bash's.

use super::lexer::{Redir, Tok, Word, tokenize};

#[derive(Debug, Clone, PartialEq, Copy)]
pub enum Sep {
    /// Run the next pipeline whatever this one's status.
    Seq,
    /// `&&`
    And,
    /// `||`
    Or,
}

/// Pipelines with what joins each to the next.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct List(pub Vec<(Pipeline, Sep)>);

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub negate: bool,
    pub cmds: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Simple {
        assigns: Vec<(String, Word)>,
        words: Vec<Word>,
        redirs: Vec<(Redir, Word)>,
    },
    /// `while` (or `until`, `until` set) cond; do body; done
    While {
        until: bool,
        cond: List,
        body: List,
    },
    For {
        var: String,
        items: Vec<Word>,
        body: List,
    },
    If {
        /// `if`/`elif` conditions with their `then` lists.
        arms: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    Group(List),
    /// A compound command with redirections after it (`done < file`).
    Redirected {
        node: Box<Node>,
        redirs: Vec<(Redir, Word)>,
    },
}

pub fn parse(line: &str) -> Result<List, String> {
    let toks = tokenize(line)?;
    let mut p = Parser { toks, pos: 0 };
    let list = p.list(&[])?;
    match p.peek() {
        None => Ok(list),
        Some(t) => Err(unexpected(&t.clone())),
    }
}

fn unexpected(t: &Tok) -> String {
    let s = match t {
        Tok::Word(w) => w.plain().unwrap_or("word").to_string(),
        Tok::Pipe => "|".into(),
        Tok::Semi => ";".into(),
        Tok::And => "&&".into(),
        Tok::Or => "||".into(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Redir(_) => "newline".into(),
    };
    format!("rbash: syntax error near unexpected token `{s}'")
}

const EOF: &str = "rbash: syntax error: unexpected end of file";
const RESERVED: &[&str] = &[
    "do", "done", "then", "fi", "elif", "else", "}", "in", "esac",
];

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// The next token as a reserved word (an unquoted literal word).
    fn keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => w.plain(),
            _ => None,
        }
    }

    fn expect(&mut self, kw: &str) -> Result<(), String> {
        match self.peek() {
            None => Err(EOF.into()),
            Some(_) if self.keyword() == Some(kw) => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(unexpected(&t.clone())),
        }
    }

    fn skip_semis(&mut self) {
        while self.peek() == Some(&Tok::Semi) {
            self.pos += 1;
        }
    }

    /// A list up to one of `stop` (reserved words) or `)`, or the end.
    fn list(&mut self, stop: &[&str]) -> Result<List, String> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::RParen) => break,
                Some(_) if self.keyword().is_some_and(|k| stop.contains(&k)) => break,
                Some(Tok::Semi) => return Err(unexpected(&Tok::Semi)),
                _ => {}
            }
            let p = self.pipeline()?;
            let sep = match self.peek() {
                Some(Tok::And) => Sep::And,
                Some(Tok::Or) => Sep::Or,
                _ => Sep::Seq,
            };
            items.push((p, sep));
            if sep != Sep::Seq {
                self.pos += 1;
                // `a &&` at the end of the line waits for more, as bash does.
                if self.peek().is_none() {
                    return Err(EOF.into());
                }
                continue;
            }
            match self.peek() {
                Some(Tok::Semi) => self.pos += 1,
                None | Some(Tok::RParen) => {}
                Some(_) if self.keyword().is_some_and(|k| stop.contains(&k)) => {}
                Some(t) => return Err(unexpected(&t.clone())),
            }
        }
        Ok(List(items))
    }

    fn pipeline(&mut self) -> Result<Pipeline, String> {
        let mut negate = false;
        if self.keyword() == Some("!") {
            negate = true;
            self.pos += 1;
        }
        let mut cmds = vec![self.command()?];
        while self.peek() == Some(&Tok::Pipe) {
            self.pos += 1;
            if self.peek().is_none() {
                return Err(EOF.into());
            }
            cmds.push(self.command()?);
        }
        Ok(Pipeline { negate, cmds })
    }

    fn command(&mut self) -> Result<Node, String> {
        let node = self.compound()?;
        if matches!(node, Node::Simple { .. }) {
            return Ok(node);
        }
        let mut redirs = Vec::new();
        while let Some(Tok::Redir(r)) = self.peek() {
            let r = *r;
            self.pos += 1;
            match self.peek() {
                Some(Tok::Word(w)) => {
                    redirs.push((r, w.clone()));
                    self.pos += 1;
                }
                None => return Err("rbash: syntax error near unexpected token `newline'".into()),
                Some(t) => return Err(unexpected(&t.clone())),
            }
        }
        if redirs.is_empty() {
            Ok(node)
        } else {
            Ok(Node::Redirected {
                node: Box::new(node),
                redirs,
            })
        }
    }

    fn compound(&mut self) -> Result<Node, String> {
        match self.peek() {
            None => return Err(EOF.into()),
            Some(Tok::LParen) => {
                self.pos += 1;
                let l = self.list(&[])?;
                match self.peek() {
                    Some(Tok::RParen) => self.pos += 1,
                    None => return Err(EOF.into()),
                    Some(t) => return Err(unexpected(&t.clone())),
                }
                if l.0.is_empty() {
                    return Err(unexpected(&Tok::RParen));
                }
                return Ok(Node::Group(l));
            }
            Some(t @ (Tok::Pipe | Tok::Semi | Tok::And | Tok::Or | Tok::RParen)) => {
                return Err(unexpected(&t.clone()));
            }
            _ => {}
        }
        match self.keyword() {
            Some(k @ ("while" | "until")) => {
                let until = k == "until";
                self.pos += 1;
                let cond = self.list(&["do"])?;
                self.expect("do")?;
                let body = self.list(&["done"])?;
                self.expect("done")?;
                if cond.0.is_empty() || body.0.is_empty() {
                    return Err(unexpected(&Tok::Semi));
                }
                Ok(Node::While { until, cond, body })
            }
            Some("for") => {
                self.pos += 1;
                let var = match self.keyword() {
                    Some(v) if super::lexer::is_name(v) => v.to_string(),
                    Some(v) => return Err(format!("rbash: `{v}': not a valid identifier")),
                    None => return Err(self.peek().map_or(EOF.into(), |t| unexpected(&t.clone()))),
                };
                self.pos += 1;
                let mut items = Vec::new();
                if self.keyword() == Some("in") {
                    self.pos += 1;
                    while let Some(Tok::Word(w)) = self.peek() {
                        items.push(w.clone());
                        self.pos += 1;
                    }
                }
                self.skip_semis();
                self.expect("do")?;
                let body = self.list(&["done"])?;
                self.expect("done")?;
                Ok(Node::For { var, items, body })
            }
            Some("if") => {
                self.pos += 1;
                let mut arms = Vec::new();
                let mut otherwise = None;
                loop {
                    let cond = self.list(&["then"])?;
                    self.expect("then")?;
                    let then = self.list(&["elif", "else", "fi"])?;
                    arms.push((cond, then));
                    match self.keyword() {
                        Some("elif") => self.pos += 1,
                        Some("else") => {
                            self.pos += 1;
                            otherwise = Some(self.list(&["fi"])?);
                            self.expect("fi")?;
                            break;
                        }
                        _ => {
                            self.expect("fi")?;
                            break;
                        }
                    }
                }
                Ok(Node::If { arms, otherwise })
            }
            Some("{") => {
                self.pos += 1;
                let l = self.list(&["}"])?;
                self.expect("}")?;
                Ok(Node::Group(l))
            }
            Some(k @ ("case" | "function" | "select" | "[[" | "coproc")) => Err(format!(
                "rbash: {k}: this construct is not available in the HMC shell"
            )),
            Some(k) if RESERVED.contains(&k) => {
                Err(format!("rbash: syntax error near unexpected token `{k}'"))
            }
            _ => self.simple(),
        }
    }

    fn simple(&mut self) -> Result<Node, String> {
        let (mut assigns, mut words, mut redirs) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            match self.peek() {
                Some(Tok::Word(w)) => {
                    let w = w.clone();
                    self.pos += 1;
                    match w.assignment() {
                        Some(a) if words.is_empty() => assigns.push(a),
                        _ => words.push(w),
                    }
                }
                Some(Tok::Redir(r)) => {
                    let r = *r;
                    self.pos += 1;
                    match self.peek() {
                        Some(Tok::Word(w)) => {
                            redirs.push((r, w.clone()));
                            self.pos += 1;
                        }
                        // `>&-` and `2>&1` are read with their number below.
                        None => {
                            return Err(
                                "rbash: syntax error near unexpected token `newline'".into()
                            );
                        }
                        Some(t) => return Err(unexpected(&t.clone())),
                    }
                }
                Some(Tok::LParen) if !words.is_empty() => {
                    return Err(unexpected(&Tok::LParen));
                }
                _ => break,
            }
        }
        Ok(Node::Simple {
            assigns,
            words,
            redirs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmcscanner_loop() {
        let l = parse(r##"viosvrcmd -m 'sys1' -p 'vios1' -c "lsdev" | grep "Shared Ethernet Adapter" | while read i j ; do echo "#$i"; viosvrcmd -m 'sys1' -p 'vios1' -c "lsdev -dev $i -attr" | grep True ; done"##).unwrap();
        assert_eq!(l.0.len(), 1);
        let p = &l.0[0].0;
        assert_eq!(p.cmds.len(), 3);
        let Node::While { cond, body, .. } = &p.cmds[2] else {
            panic!("{:?}", p.cmds[2])
        };
        assert_eq!(cond.0.len(), 1);
        assert_eq!(body.0.len(), 2);
        assert_eq!(body.0[1].0.cmds.len(), 2);
    }

    #[test]
    fn prefixes_lists_and_constructs() {
        let l = parse("LANG=C lssyscfg -r sys -F name; lshmc -V && echo ok || echo no").unwrap();
        assert_eq!(l.0.len(), 4);
        let Node::Simple { assigns, words, .. } = &l.0[0].0.cmds[0] else {
            panic!()
        };
        assert_eq!(assigns[0].0, "LANG");
        assert_eq!(words.len(), 5);
        assert_eq!(l.0[1].1, Sep::And);
        assert!(parse("for s in a b; do echo $s; done").is_ok());
        assert!(parse("if true; then echo a; elif false; then echo b; else echo c; fi").is_ok());
        assert!(parse("( echo a; echo b ) | wc -l").is_ok());
        assert!(parse("{ echo a; } | wc -l").is_ok());
    }

    #[test]
    fn syntax_errors_read_as_bash() {
        for (line, want) in [
            ("| grep x", "rbash: syntax error near unexpected token `|'"),
            ("lshmc -V |", EOF),
            ("while read i; do echo", EOF),
            ("done", "rbash: syntax error near unexpected token `done'"),
            (
                "echo a ;; echo b",
                "rbash: syntax error near unexpected token `;'",
            ),
            (
                "echo >",
                "rbash: syntax error near unexpected token `newline'",
            ),
            ("echo )", "rbash: syntax error near unexpected token `)'"),
        ] {
            let got = parse(line);
            assert_eq!(
                got.as_ref().err().map(String::as_str),
                Some(want),
                "{line}: {got:?}"
            );
        }
    }
}
