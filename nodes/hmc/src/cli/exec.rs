//! Running a parsed line as the HMC's restricted bash does: expansion of
//! words (variables, command substitution, word splitting), the shell's
//! builtins (`read`, `echo`, `test` …), the text utilities (`pipe`) and the
//! HMC commands, with rbash's refusals. Output and errors go to one stream,
//! as an SSH exec channel without a pty shows them. Nothing here reads or
//! writes the host: `< FILE` and a utility's file operands read the user's
//! home through `crate::files`.

use super::lexer::{ParamOp, Part, Redir, Word};
use super::parse::{List, Node, Pipeline, Sep};
use crate::commands::dispatch;
use crate::files::Home;
use crate::hmc::Ctx;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

/// bash's restricted mode makes these read-only.
const READONLY: &[&str] = &["PATH", "SHELL", "ENV", "BASH_ENV", "HISTFILE"];
/// Bounds a line's work (a `while true` loop, a runaway substitution) so a
/// session cannot spin the HMC forever.
const MAX_STEPS: u64 = 200_000;
const MAX_OUTPUT: usize = 64 << 20;
const MAX_DEPTH: u32 = 32;

/// A command's standard input: text with a read position, so `read` in a
/// loop's condition takes one line per turn.
#[derive(Default)]
pub struct Input {
    text: String,
    pos: usize,
}

impl Input {
    pub fn new(text: String) -> Input {
        Input { text, pos: 0 }
    }

    pub fn read_line(&mut self) -> Option<String> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let (line, used) = match rest.find('\n') {
            Some(n) => (&rest[..n], n + 1),
            None => (rest, rest.len()),
        };
        let line = line.to_string();
        self.pos += used;
        Some(line)
    }

    /// Everything not yet read.
    pub fn take(&mut self) -> String {
        let rest = self.text.get(self.pos..).unwrap_or_default().to_string();
        self.pos = self.text.len();
        rest
    }
}

/// The shell's state for one line.
pub struct Shell<'a> {
    pub ctx: &'a Ctx<'a>,
    pub home: Home,
    vars: HashMap<String, String>,
    status: u32,
    steps: u64,
    depth: u32,
    /// Set by `exit` (or a limit): nothing more runs.
    exit: Option<u32>,
}

type Out<'s> = Pin<Box<dyn Future<Output = (String, u32)> + Send + 's>>;

impl<'a> Shell<'a> {
    pub fn new(ctx: &'a Ctx<'a>, home: Home) -> Shell<'a> {
        let user = ctx.user.name.clone();
        let vars = HashMap::from([
            ("HOME".to_string(), home.shown().to_string()),
            ("USER".to_string(), user.clone()),
            ("LOGNAME".to_string(), user),
            ("PATH".to_string(), "/hmcrbin:/usr/hmcrbin".to_string()),
            ("SHELL".to_string(), "/bin/rbash".to_string()),
            ("PWD".to_string(), home.shown().to_string()),
            ("IFS".to_string(), " \t\n".to_string()),
        ]);
        Shell {
            ctx,
            home,
            vars,
            status: 0,
            steps: 0,
            depth: 0,
            exit: None,
        }
    }

    /// Runs a whole line: its output and exit status.
    pub async fn run_line(&mut self, line: &str) -> (String, u32) {
        match super::parse::parse(line) {
            Ok(list) => {
                let (out, code) = self.list(&list, &mut Input::default()).await;
                (out, self.exit.unwrap_or(code))
            }
            // bash exits 2 on a syntax error.
            Err(e) => (format!("{e}\n"), 2),
        }
    }

    fn step(&mut self) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.exit = Some(1);
            return Err("rbash: the command line ran too long and was stopped\n".into());
        }
        Ok(())
    }

    fn list<'s>(&'s mut self, list: &'s List, input: &'s mut Input) -> Out<'s> {
        Box::pin(async move {
            let mut out = String::new();
            let mut code = 0;
            let mut skip = false;
            for (p, sep) in &list.0 {
                if self.exit.is_some() {
                    break;
                }
                if !skip {
                    let (o, c) = self.pipeline(p, input).await;
                    out.push_str(&o);
                    code = c;
                    self.status = c;
                    if out.len() > MAX_OUTPUT {
                        out.push_str("rbash: output too large: stopped\n");
                        self.exit = Some(1);
                        break;
                    }
                }
                // `a && b || c`: skip according to the last status that ran.
                skip = match sep {
                    Sep::Seq => false,
                    Sep::And => code != 0,
                    Sep::Or => code == 0,
                };
            }
            (out, code)
        })
    }

    async fn pipeline(&mut self, p: &Pipeline, input: &mut Input) -> (String, u32) {
        let (mut out, mut code) = (String::new(), 0);
        for (i, node) in p.cmds.iter().enumerate() {
            if self.exit.is_some() {
                break;
            }
            if i == 0 {
                (out, code) = self.node(node, input).await;
            } else {
                let mut piped = Input::new(std::mem::take(&mut out));
                (out, code) = self.node(node, &mut piped).await;
            }
        }
        if p.negate {
            code = u32::from(code == 0);
        }
        (out, code)
    }

    fn node<'s>(&'s mut self, node: &'s Node, input: &'s mut Input) -> Out<'s> {
        Box::pin(async move {
            if let Err(e) = self.step() {
                return (e, 1);
            }
            match node {
                Node::Simple {
                    assigns,
                    words,
                    redirs,
                } => self.simple(assigns, words, redirs, input).await,
                Node::Group(l) => self.list(l, input).await,
                Node::Redirected { node, redirs } => match self.redirect(redirs).await {
                    Ok(Some(mut own)) => self.node(node, &mut own).await,
                    Ok(None) => self.node(node, input).await,
                    Err(e) => e,
                },
                Node::While { until, cond, body } => {
                    let (mut out, mut code) = (String::new(), 0);
                    loop {
                        let (o, c) = self.list(cond, input).await;
                        out.push_str(&o);
                        if (c == 0) == *until || self.exit.is_some() {
                            break;
                        }
                        let (o, c) = self.list(body, input).await;
                        out.push_str(&o);
                        code = c;
                        if self.exit.is_some() || out.len() > MAX_OUTPUT {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                    (out, code)
                }
                Node::For { var, items, body } => {
                    let mut values = Vec::new();
                    for w in items {
                        match self.expand(w, true).await {
                            Ok(v) => values.extend(v),
                            Err(e) => return (e, 1),
                        }
                    }
                    let (mut out, mut code) = (String::new(), 0);
                    for v in values {
                        if READONLY.contains(&var.as_str()) {
                            return (format!("{out}rbash: {var}: readonly variable\n"), 1);
                        }
                        self.vars.insert(var.clone(), v);
                        let (o, c) = self.list(body, input).await;
                        out.push_str(&o);
                        code = c;
                        if self.exit.is_some() {
                            break;
                        }
                    }
                    (out, code)
                }
                Node::If { arms, otherwise } => {
                    let mut out = String::new();
                    for (cond, then) in arms {
                        let (o, c) = self.list(cond, input).await;
                        out.push_str(&o);
                        if self.exit.is_some() {
                            return (out, c);
                        }
                        if c == 0 {
                            let (o, c) = self.list(then, input).await;
                            out.push_str(&o);
                            return (out, c);
                        }
                    }
                    match otherwise {
                        Some(l) => {
                            let (o, c) = self.list(l, input).await;
                            out.push_str(&o);
                            (out, c)
                        }
                        None => (out, 0),
                    }
                }
            }
        })
    }

    async fn simple(
        &mut self,
        assigns: &[(String, Word)],
        words: &[Word],
        redirs: &[(Redir, Word)],
        input: &mut Input,
    ) -> (String, u32) {
        let mut fields = Vec::new();
        for w in words {
            match self.expand(w, true).await {
                Ok(v) => fields.extend(v),
                Err(e) => return (e, 1),
            }
        }
        let mut values = Vec::new();
        for (name, w) in assigns {
            if READONLY.contains(&name.as_str()) {
                return (format!("rbash: {name}: readonly variable\n"), 1);
            }
            match self.expand(w, false).await {
                Ok(v) => values.push((name.clone(), v.concat())),
                Err(e) => return (e, 1),
            }
        }
        let mut own_input = match self.redirect(redirs).await {
            Ok(i) => i,
            Err(e) => return e,
        };
        let input = match own_input.as_mut() {
            Some(i) => i,
            None => input,
        };
        let Some((cmd, args)) = fields.split_first() else {
            // Assignments alone set shell variables.
            for (k, v) in values {
                self.vars.insert(k, v);
            }
            return (String::new(), self.status);
        };
        if cmd.contains('/') {
            return (
                format!("rbash: {cmd}: restricted: cannot specify `/' in command names\n"),
                1,
            );
        }
        if let Some(r) = self.builtin(cmd, args, input, &values) {
            return r;
        }
        if super::pipe::is_utility(cmd) {
            return super::pipe::run(cmd, args, input, &self.home);
        }
        tracing::info!(user = %self.ctx.user.name, %cmd, ?args, "command");
        match dispatch(self.ctx, cmd, args).await {
            Ok(Ok(out)) => (out, 0),
            Ok(Err(e)) => (format!("{e}\n"), 1),
            Err(code) => (format!("rbash: {cmd}: command not found\n"), code),
        }
    }

    /// A command's redirections: the input they give it, if any. rbash
    /// refuses every one that writes; `< FILE` reads the user's home.
    async fn redirect(&mut self, redirs: &[(Redir, Word)]) -> Result<Option<Input>, (String, u32)> {
        let mut own_input = None;
        for (r, w) in redirs {
            let target = self.expand(w, false).await.map_err(|e| (e, 1))?.concat();
            match r {
                Redir::Out => {
                    return Err((
                        format!("rbash: {target}: restricted: cannot redirect output\n"),
                        1,
                    ));
                }
                Redir::In => match self.home.read_text(&target) {
                    Ok(t) => own_input = Some(Input::new(t)),
                    Err(e) => return Err((format!("rbash: {e}\n"), 1)),
                },
                Redir::HereString => own_input = Some(Input::new(format!("{target}\n"))),
                Redir::HereDoc => own_input = Some(Input::default()),
                Redir::Dup => {}
            }
        }
        Ok(own_input)
    }

    /// The shell's own commands; None for any other.
    fn builtin(
        &mut self,
        cmd: &str,
        args: &[String],
        input: &mut Input,
        prefix: &[(String, String)],
    ) -> Option<(String, u32)> {
        let _ = prefix;
        Some(match cmd {
            "true" | ":" => (String::new(), 0),
            "false" => (String::new(), 1),
            "echo" => (echo(args), 0),
            "pwd" => (format!("{}\n", self.home.shown()), 0),
            "read" => {
                let (mut raw, mut names) = (false, Vec::new());
                for a in args {
                    match a.as_str() {
                        "-r" => raw = true,
                        n if super::lexer::is_name(n) => names.push(n.to_string()),
                        n => {
                            return Some((
                                format!("rbash: read: `{n}': not a valid identifier\n"),
                                1,
                            ));
                        }
                    }
                }
                if names.is_empty() {
                    names.push("REPLY".into());
                }
                if let Some(n) = names.iter().find(|n| READONLY.contains(&n.as_str())) {
                    return Some((format!("rbash: {n}: readonly variable\n"), 1));
                }
                let Some(mut line) = input.read_line() else {
                    for n in &names {
                        self.vars.insert(n.clone(), String::new());
                    }
                    return Some((String::new(), 1));
                };
                if !raw {
                    line = unescape(&line);
                }
                let mut rest = line.trim_start_matches([' ', '\t']);
                for (k, n) in names.iter().enumerate() {
                    let value = if k + 1 == names.len() {
                        rest.trim_end_matches([' ', '\t']).to_string()
                    } else {
                        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
                        let v = rest[..end].to_string();
                        rest = rest[end..].trim_start_matches([' ', '\t']);
                        v
                    };
                    self.vars.insert(n.clone(), value);
                }
                (String::new(), 0)
            }
            "export" | "readonly" | "declare" | "typeset" | "local" => {
                for a in args {
                    let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
                    if READONLY.contains(&k) && a.contains('=') {
                        return Some((format!("rbash: {k}: readonly variable\n"), 1));
                    }
                    if a.contains('=') && super::lexer::is_name(k) {
                        self.vars.insert(k.to_string(), v.to_string());
                    }
                }
                (String::new(), 0)
            }
            "unset" => {
                for a in args {
                    if READONLY.contains(&a.as_str()) {
                        return Some((
                            format!("rbash: unset: {a}: cannot unset: readonly variable\n"),
                            1,
                        ));
                    }
                    self.vars.remove(a);
                }
                (String::new(), 0)
            }
            "exit" => {
                let code = args.first().map_or(Some(self.status), |a| {
                    a.parse::<i64>().ok().map(|n| n.rem_euclid(256) as u32)
                });
                match code {
                    Some(c) => {
                        self.exit = Some(c);
                        (String::new(), c)
                    }
                    None => {
                        self.exit = Some(2);
                        (
                            format!("rbash: exit: {}: numeric argument required\n", args[0]),
                            2,
                        )
                    }
                }
            }
            "test" | "[" => {
                let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
                if cmd == "[" {
                    if a.last() != Some(&"]") {
                        return Some(("rbash: [: missing `]'\n".into(), 2));
                    }
                    a.pop();
                }
                match test(&a) {
                    Ok(true) => (String::new(), 0),
                    Ok(false) => (String::new(), 1),
                    Err(e) => (format!("rbash: {cmd}: {e}\n"), 2),
                }
            }
            "cd" | "exec" | "enable" | "command" | "source" | "." | "set" | "hash" | "eval"
            | "trap" | "ulimit" | "umask" | "builtin" => {
                // Whatever would let the user change the restricted shell.
                (format!("rbash: {cmd}: restricted\n"), 1)
            }
            _ => return None,
        })
    }

    /// Expands a word into fields (split where `split` and unquoted).
    fn expand<'s>(
        &'s mut self,
        w: &'s Word,
        split: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send + 's>> {
        Box::pin(async move {
            let mut fields: Vec<String> = Vec::new();
            let mut cur = String::new();
            let mut has = false;
            for part in &w.0 {
                let (text, quoted) = match part {
                    Part::Lit { text, quoted } => {
                        cur.push_str(text);
                        has |= *quoted || !text.is_empty();
                        continue;
                    }
                    Part::Tilde => {
                        cur.push_str(self.home.shown());
                        has = true;
                        continue;
                    }
                    Part::Var { name, quoted } => (self.var(name), *quoted),
                    Part::Param { name, quoted, op } => (self.param(name, op), *quoted),
                    Part::Sub { line, quoted } => {
                        if self.depth >= MAX_DEPTH {
                            return Err("rbash: command substitution nested too deeply\n".into());
                        }
                        self.depth += 1;
                        let r = match super::parse::parse(line) {
                            Ok(l) => {
                                let (o, c) = self.list(&l, &mut Input::default()).await;
                                self.status = c;
                                Ok(o)
                            }
                            Err(e) => Err(format!("{e}\n")),
                        };
                        self.depth -= 1;
                        (r?.trim_end_matches('\n').to_string(), *quoted)
                    }
                };
                if quoted || !split {
                    cur.push_str(&text);
                    has = true;
                    continue;
                }
                // Unquoted expansion: split on white space.
                let starts = text.starts_with(char::is_whitespace);
                let ends = text.ends_with(char::is_whitespace);
                let pieces: Vec<&str> = text.split_whitespace().collect();
                if pieces.is_empty() {
                    if starts && has {
                        fields.push(std::mem::take(&mut cur));
                        has = false;
                    }
                    continue;
                }
                for (k, p) in pieces.iter().enumerate() {
                    if (k > 0 || starts) && has {
                        fields.push(std::mem::take(&mut cur));
                    }
                    cur.push_str(p);
                    has = true;
                }
                if ends {
                    fields.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            if has {
                fields.push(cur);
            }
            Ok(fields)
        })
    }

    fn param(&self, name: &str, op: &ParamOp) -> String {
        let set = self.vars.contains_key(name);
        let v = self.var(name);
        match op {
            ParamOp::Len => v.chars().count().to_string(),
            ParamOp::Default { word, colon } => {
                if (*colon && v.is_empty()) || !set {
                    word.clone()
                } else {
                    v
                }
            }
            ParamOp::Alt { word, colon } => {
                if (*colon && v.is_empty()) || !set {
                    String::new()
                } else {
                    word.clone()
                }
            }
            ParamOp::TrimPrefix { pat, longest } => trim(&v, pat, *longest, true),
            ParamOp::TrimSuffix { pat, longest } => trim(&v, pat, *longest, false),
        }
    }

    fn var(&self, name: &str) -> String {
        match name {
            "?" => self.status.to_string(),
            "$" => "4242".into(),
            "#" => "0".into(),
            "0" => "rbash".into(),
            n => self.vars.get(n).cloned().unwrap_or_default(),
        }
    }
}

/// Removes the shortest or longest prefix (or suffix) of `v` matching the
/// glob `pat`, as `${v#pat}` … do.
fn trim(v: &str, pat: &str, longest: bool, prefix: bool) -> String {
    let mut re = String::from("^");
    for c in pat.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    let Ok(re) = regex::Regex::new(&re) else {
        return v.to_string();
    };
    let mut cuts: Vec<usize> = v.char_indices().map(|(i, _)| i).chain([v.len()]).collect();
    // Prefixes from the shortest, suffixes from the shortest (latest start).
    if !prefix {
        cuts.reverse();
    }
    if longest {
        cuts.reverse();
    }
    for i in cuts {
        let (head, tail) = v.split_at(i);
        if prefix && re.is_match(head) {
            return tail.to_string();
        }
        if !prefix && re.is_match(tail) {
            return head.to_string();
        }
    }
    v.to_string()
}

/// `read` without -r: a backslash keeps the next character.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => out.extend(it.next()),
            c => out.push(c),
        }
    }
    out
}

/// bash's builtin echo: `-n` drops the newline, `-e` reads escapes.
fn echo(args: &[String]) -> String {
    let (mut newline, mut escapes) = (true, false);
    let mut words = args;
    while let Some(a) = words.first() {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            words = &words[1..];
        } else {
            break;
        }
    }
    let mut s = words.join(" ");
    if escapes {
        s = s
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\\", "\\");
    }
    if newline {
        s.push('\n');
    }
    s
}

/// `test` / `[`: strings and integers, as scripts compare outputs.
fn test(a: &[&str]) -> Result<bool, String> {
    let int = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("{s}: integer expression expected"))
    };
    Ok(match a {
        [] => false,
        ["!", rest @ ..] => !test(rest)?,
        [s] => !s.is_empty(),
        ["-z", s] => s.is_empty(),
        ["-n", s] => !s.is_empty(),
        [x, "=" | "==", y] => x == y,
        [x, "!=", y] => x != y,
        [x, op @ ("-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge"), y] => {
            let (x, y) = (int(x)?, int(y)?);
            match *op {
                "-eq" => x == y,
                "-ne" => x != y,
                "-lt" => x < y,
                "-le" => x <= y,
                "-gt" => x > y,
                _ => x >= y,
            }
        }
        [x, "-a", y] => !x.is_empty() && !y.is_empty(),
        [x, "-o", y] => !x.is_empty() || !y.is_empty(),
        [op, _] if op.starts_with('-') => return Err(format!("{op}: unary operator expected")),
        _ => return Err("too many arguments".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_reads_lines_then_the_rest() {
        let mut i = Input::new("a b\nc\nd\n".into());
        assert_eq!(i.read_line().as_deref(), Some("a b"));
        assert_eq!(i.take(), "c\nd\n");
        assert_eq!(i.read_line(), None);
    }

    #[test]
    fn trims() {
        assert_eq!(trim("vios1,vioserver", ",*", true, false), "vios1");
        assert_eq!(trim("a.b.c", ".*", false, false), "a.b");
        assert_eq!(trim("a.b.c", ".*", true, false), "a");
        assert_eq!(trim("a.b.c", "*.", false, true), "b.c");
        assert_eq!(trim("a.b.c", "*.", true, true), "c");
        assert_eq!(trim("abc", "x*", true, true), "abc");
    }

    #[test]
    fn echo_and_test() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(echo(&s(&["-n", "a", "b"])), "a b");
        assert_eq!(echo(&s(&["#ent5"])), "#ent5\n");
        assert_eq!(echo(&s(&["-e", "a\\tb"])), "a\tb\n");
        assert_eq!(test(&["1", "-lt", "2"]), Ok(true));
        assert_eq!(test(&["a", "=", "b"]), Ok(false));
        assert_eq!(test(&["-z", ""]), Ok(true));
        assert!(test(&["x", "-eq", "1"]).is_err());
    }
}
