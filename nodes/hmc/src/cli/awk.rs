//! awk, the part of it one-liners on listings use: `-F`, `-v`, `BEGIN` and
//! `END`, patterns (`/RE/`, `NR>1`, `$3 == "Running"`, `&&`, `||`, `!`),
//! and actions with `print`, `printf`, assignments (`+=`, `++`), `if`/
//! `else`, `while`, `next`, `exit`; fields, `NR`, `NF`, `FS`, `OFS`,
//! variables and the functions length, substr, index, tolower, toupper,
//! int, sprintf, sub and gsub. No arrays, no user functions, and no output
//! redirection or `getline` from files: the restricted shell writes and
//! reads nothing of the host.

use super::exec::Input;
use super::grep::compile;
use super::pipe::{Fail, texts};
use crate::files::Home;
use regex::Regex;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(f64),
    Str(String),
    Re(String),
    Name(String),
    Dollar,
    Op(&'static str),
    Nl,
}

const OPS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", "!~", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=", ">>",
    "{", "}", "(", ")", ";", ",", "+", "-", "*", "/", "%", "^", "!", ">", "<", "~", "=", "?", ":",
    "|",
];

fn lex(src: &str) -> Result<Vec<T>, String> {
    let cs: Vec<char> = src.chars().collect();
    let mut out: Vec<T> = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c == ' ' || c == '\t' || (c == '\\' && cs.get(i + 1) == Some(&'\n')) {
            i += if c == '\\' { 2 } else { 1 };
            continue;
        }
        if c == '\n' {
            out.push(T::Nl);
            i += 1;
            continue;
        }
        if c == '#' {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && cs.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let n = cs[i..]
                .iter()
                .take_while(|x| x.is_ascii_digit() || **x == '.')
                .count();
            let s: String = cs[i..i + n].iter().collect();
            out.push(T::Num(
                s.parse().map_err(|_| format!("syntax error at {s}"))?,
            ));
            i += n;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let n = cs[i..]
                .iter()
                .take_while(|x| x.is_ascii_alphanumeric() || **x == '_')
                .count();
            out.push(T::Name(cs[i..i + n].iter().collect()));
            i += n;
            continue;
        }
        if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None => return Err("non-terminated string".into()),
                    Some('"') => break,
                    Some('\\') => {
                        i += 1;
                        match cs.get(i) {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(&o) => s.push(o),
                            None => return Err("non-terminated string".into()),
                        }
                    }
                    Some(&o) => s.push(o),
                }
                i += 1;
            }
            out.push(T::Str(s));
            i += 1;
            continue;
        }
        // A `/` starts a regular expression where no operand precedes it.
        let operand_before = matches!(
            out.last(),
            Some(T::Num(_) | T::Str(_) | T::Name(_) | T::Re(_))
        ) || out.last() == Some(&T::Op(")"));
        if c == '/' && !operand_before {
            let mut s = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None | Some('\n') => return Err("non-terminated regular expression".into()),
                    Some('/') => break,
                    Some('\\') if cs.get(i + 1) == Some(&'/') => {
                        s.push('/');
                        i += 1;
                    }
                    Some(&o) => s.push(o),
                }
                i += 1;
            }
            out.push(T::Re(s));
            i += 1;
            continue;
        }
        if c == '$' {
            out.push(T::Dollar);
            i += 1;
            continue;
        }
        let rest: String = cs[i..cs.len().min(i + 2)].iter().collect();
        let op = OPS
            .iter()
            .find(|o| rest.starts_with(**o))
            .ok_or_else(|| format!("syntax error at source line 1: unexpected character '{c}'"))?;
        out.push(T::Op(op));
        i += op.chars().count();
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum E {
    Num(f64),
    Str(String),
    Re(usize),
    Var(String),
    Field(Box<E>),
    Un(&'static str, Box<E>),
    Bin(&'static str, Box<E>, Box<E>),
    Match(bool, Box<E>, Box<E>),
    Assign(&'static str, Box<E>, Box<E>),
    Incr {
        pre: bool,
        delta: f64,
        target: Box<E>,
    },
    Cond(Box<E>, Box<E>, Box<E>),
    Call(String, Vec<E>),
    Group(Box<E>),
}

#[derive(Debug, Clone)]
enum S {
    Print(Vec<E>),
    Printf(Vec<E>),
    Expr(E),
    If(E, Box<S>, Option<Box<S>>),
    While(E, Box<S>),
    Block(Vec<S>),
    Next,
    Exit(Option<E>),
}

enum Pat {
    Begin,
    End,
    All,
    Expr(E),
}

struct P {
    t: Vec<T>,
    i: usize,
    res: Vec<Regex>,
    /// Inside `print`'s arguments, `>` would be output redirection.
    in_print: bool,
}

type R<X> = Result<X, String>;

impl P {
    fn peek(&self) -> Option<&T> {
        self.t.get(self.i)
    }
    fn is(&self, op: &str) -> bool {
        matches!(self.peek(), Some(T::Op(o)) if *o == op)
    }
    fn eat(&mut self, op: &str) -> bool {
        if self.is(op) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn want(&mut self, op: &str) -> R<()> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(format!("syntax error: expected {op}"))
        }
    }
    fn nls(&mut self) {
        while matches!(self.peek(), Some(T::Nl)) || self.is(";") {
            self.i += 1;
        }
    }
    fn only_nls(&mut self) {
        while matches!(self.peek(), Some(T::Nl)) {
            self.i += 1;
        }
    }

    fn program(&mut self) -> R<Vec<(Pat, Option<Vec<S>>)>> {
        let mut items = Vec::new();
        loop {
            self.nls();
            let Some(t) = self.peek().cloned() else { break };
            let pat = match t {
                T::Name(n) if n == "BEGIN" => {
                    self.i += 1;
                    Pat::Begin
                }
                T::Name(n) if n == "END" => {
                    self.i += 1;
                    Pat::End
                }
                T::Op("{") => Pat::All,
                _ => Pat::Expr(self.expr()?),
            };
            let action = if self.is("{") {
                Some(self.block()?)
            } else {
                None
            };
            if action.is_none() && matches!(pat, Pat::Begin | Pat::End) {
                return Err("syntax error: BEGIN and END need an action".into());
            }
            items.push((pat, action));
        }
        Ok(items)
    }

    fn block(&mut self) -> R<Vec<S>> {
        self.want("{")?;
        let mut v = Vec::new();
        loop {
            self.nls();
            if self.eat("}") {
                return Ok(v);
            }
            if self.peek().is_none() {
                return Err("syntax error: unexpected end of program".into());
            }
            v.push(self.stmt()?);
        }
    }

    fn simple_end(&mut self) -> R<()> {
        if self.is("}") || self.peek().is_none() {
            return Ok(());
        }
        match self.peek() {
            Some(T::Nl) | Some(T::Op(";")) => {
                self.i += 1;
                Ok(())
            }
            Some(T::Op(">" | ">>" | "|")) => Err("restricted: cannot redirect output".into()),
            _ => Err("syntax error in statement".into()),
        }
    }

    fn stmt(&mut self) -> R<S> {
        if self.is("{") {
            return Ok(S::Block(self.block()?));
        }
        let name = match self.peek() {
            Some(T::Name(n)) => n.clone(),
            _ => String::new(),
        };
        let s = match name.as_str() {
            "print" | "printf" => {
                self.i += 1;
                self.in_print = true;
                let mut args = Vec::new();
                let ends = |p: &P| {
                    p.is("}")
                        || p.is(";")
                        || p.peek().is_none()
                        || matches!(p.peek(), Some(T::Nl))
                        || p.is(">")
                        || p.is(">>")
                        || p.is("|")
                };
                if !ends(self) {
                    args.push(self.expr()?);
                    while self.eat(",") {
                        self.only_nls();
                        args.push(self.expr()?);
                    }
                }
                self.in_print = false;
                // `print (a, b)`: a grouped list is the arguments.
                if name == "print" {
                    S::Print(args)
                } else {
                    if args.is_empty() {
                        return Err("printf: no format".into());
                    }
                    S::Printf(args)
                }
            }
            "if" => {
                self.i += 1;
                self.want("(")?;
                let c = self.expr()?;
                self.want(")")?;
                self.only_nls();
                let then = self.stmt()?;
                let save = self.i;
                self.nls();
                let otherwise = if matches!(self.peek(), Some(T::Name(n)) if n == "else") {
                    self.i += 1;
                    self.only_nls();
                    Some(Box::new(self.stmt()?))
                } else {
                    self.i = save;
                    None
                };
                return Ok(S::If(c, Box::new(then), otherwise));
            }
            "while" => {
                self.i += 1;
                self.want("(")?;
                let c = self.expr()?;
                self.want(")")?;
                self.only_nls();
                return Ok(S::While(c, Box::new(self.stmt()?)));
            }
            "next" => {
                self.i += 1;
                S::Next
            }
            "exit" => {
                self.i += 1;
                let e = if self.is("}") || self.is(";") || matches!(self.peek(), None | Some(T::Nl))
                {
                    None
                } else {
                    Some(self.expr()?)
                };
                S::Exit(e)
            }
            "getline" | "function" | "system" | "close" | "fflush" | "delete" | "for" | "do" => {
                return Err(format!("{name} is not available in the HMC shell's awk"));
            }
            _ => S::Expr(self.expr()?),
        };
        self.simple_end()?;
        Ok(s)
    }

    fn expr(&mut self) -> R<E> {
        let lhs = self.ternary()?;
        for op in ["=", "+=", "-=", "*=", "/=", "%=", "^="] {
            if self.is(op) {
                if !matches!(lhs, E::Var(_) | E::Field(_)) {
                    return Err("syntax error: assignment to a non-variable".into());
                }
                self.i += 1;
                let rhs = self.expr()?;
                return Ok(E::Assign(op, Box::new(lhs), Box::new(rhs)));
            }
        }
        Ok(lhs)
    }

    fn ternary(&mut self) -> R<E> {
        let c = self.or()?;
        if self.eat("?") {
            let a = self.ternary()?;
            self.want(":")?;
            let b = self.ternary()?;
            return Ok(E::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn or(&mut self) -> R<E> {
        let mut l = self.and()?;
        while self.eat("||") {
            self.only_nls();
            l = E::Bin("||", Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> R<E> {
        let mut l = self.matching()?;
        while self.eat("&&") {
            self.only_nls();
            l = E::Bin("&&", Box::new(l), Box::new(self.matching()?));
        }
        Ok(l)
    }

    fn matching(&mut self) -> R<E> {
        let mut l = self.compare()?;
        loop {
            let neg = if self.eat("~") {
                false
            } else if self.eat("!~") {
                true
            } else {
                return Ok(l);
            };
            l = E::Match(neg, Box::new(l), Box::new(self.compare()?));
        }
    }

    fn compare(&mut self) -> R<E> {
        let l = self.concat()?;
        for op in ["<=", ">=", "==", "!=", "<", ">"] {
            if op == ">" && self.in_print {
                continue;
            }
            if self.is(op) {
                self.i += 1;
                let r = self.concat()?;
                return Ok(E::Bin(op, Box::new(l), Box::new(r)));
            }
        }
        Ok(l)
    }

    fn starts_operand(&self) -> bool {
        match self.peek() {
            Some(T::Num(_) | T::Str(_) | T::Re(_) | T::Dollar) => true,
            Some(T::Name(n)) => !matches!(n.as_str(), "in" | "else"),
            Some(T::Op(o)) => matches!(*o, "(" | "!" | "-" | "+" | "++" | "--"),
            _ => false,
        }
    }

    fn concat(&mut self) -> R<E> {
        let mut l = self.additive()?;
        // Juxtaposition concatenates; `-` and `+` here are binary already.
        while self.starts_operand() && !self.is("-") && !self.is("+") && !self.is("!") {
            let r = self.additive()?;
            l = E::Bin("concat", Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn additive(&mut self) -> R<E> {
        let mut l = self.term()?;
        loop {
            let op = if self.eat("+") {
                "+"
            } else if self.eat("-") {
                "-"
            } else {
                return Ok(l);
            };
            l = E::Bin(op, Box::new(l), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> R<E> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat("*") {
                "*"
            } else if self.eat("/") {
                "/"
            } else if self.eat("%") {
                "%"
            } else {
                return Ok(l);
            };
            l = E::Bin(op, Box::new(l), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> R<E> {
        for op in ["!", "-", "+"] {
            if self.eat(op) {
                return Ok(E::Un(op, Box::new(self.unary()?)));
            }
        }
        self.power()
    }

    fn power(&mut self) -> R<E> {
        let b = self.postfix()?;
        if self.eat("^") {
            return Ok(E::Bin("^", Box::new(b), Box::new(self.unary()?)));
        }
        Ok(b)
    }

    fn postfix(&mut self) -> R<E> {
        for (op, delta) in [("++", 1.0), ("--", -1.0)] {
            if self.eat(op) {
                let target = self.primary()?;
                return Ok(E::Incr {
                    pre: true,
                    delta,
                    target: Box::new(target),
                });
            }
        }
        let p = self.primary()?;
        if matches!(p, E::Var(_) | E::Field(_)) {
            for (op, delta) in [("++", 1.0), ("--", -1.0)] {
                if self.eat(op) {
                    return Ok(E::Incr {
                        pre: false,
                        delta,
                        target: Box::new(p),
                    });
                }
            }
        }
        Ok(p)
    }

    fn primary(&mut self) -> R<E> {
        let t = self
            .peek()
            .cloned()
            .ok_or("syntax error: unexpected end of program")?;
        self.i += 1;
        Ok(match t {
            T::Num(n) => E::Num(n),
            T::Str(s) => E::Str(s),
            T::Re(r) => {
                self.res.push(compile(&r, true, false)?);
                E::Re(self.res.len() - 1)
            }
            T::Dollar => E::Field(Box::new(self.primary_incr()?)),
            T::Op("(") => {
                let save = self.in_print;
                self.in_print = false;
                let e = self.expr()?;
                self.in_print = save;
                self.want(")")?;
                E::Group(Box::new(e))
            }
            T::Name(n) if self.is("(") && FUNCS.contains(&n.as_str()) => {
                self.i += 1;
                let mut args = Vec::new();
                let save = self.in_print;
                self.in_print = false;
                if !self.is(")") {
                    args.push(self.expr()?);
                    while self.eat(",") {
                        args.push(self.expr()?);
                    }
                }
                self.in_print = save;
                self.want(")")?;
                E::Call(n, args)
            }
            T::Name(n) if n == "length" => E::Call(n, Vec::new()),
            T::Name(n) if n == "getline" => {
                return Err("getline is not available in the HMC shell's awk".into());
            }
            T::Name(n) => E::Var(n),
            t => return Err(format!("syntax error at {t:?}")),
        })
    }

    /// `$NF`, `$i`, `$(i+1)`, `$1`: the field's number.
    fn primary_incr(&mut self) -> R<E> {
        match self.peek() {
            Some(T::Op("-")) => {
                self.i += 1;
                Ok(E::Un("-", Box::new(self.primary()?)))
            }
            _ => self.primary(),
        }
    }
}

const FUNCS: &[&str] = &[
    "length", "substr", "index", "tolower", "toupper", "int", "sprintf", "sub", "gsub",
];

#[derive(Debug, Clone)]
enum V {
    Num(f64),
    Str(String),
    /// Input text (fields, -v values): a number where it looks like one.
    In(String),
}

fn looks_num(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        let s = format!("{:.6}", n);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        // %.6g keeps six significant digits.
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if digits > 6 {
            let int_digits = (n.abs().log10().floor() as i32 + 1).max(1);
            let prec = (6 - int_digits).max(0) as usize;
            let s = format!("{:.*}", prec, n);
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        } else {
            s.to_string()
        }
    }
}

impl V {
    fn num(&self) -> f64 {
        match self {
            V::Num(n) => *n,
            V::Str(s) | V::In(s) => {
                // awk reads a string's leading number.
                let t = s.trim_start();
                let len = t
                    .char_indices()
                    .take_while(|(i, c)| {
                        c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
                    })
                    .count();
                t[..len].parse().unwrap_or(0.0)
            }
        }
    }
    fn str(&self) -> String {
        match self {
            V::Num(n) => fmt_num(*n),
            V::Str(s) | V::In(s) => s.clone(),
        }
    }
    fn truth(&self) -> bool {
        match self {
            V::Num(n) => *n != 0.0,
            V::Str(s) => !s.is_empty(),
            V::In(s) => looks_num(s).map_or(!s.is_empty(), |n| n != 0.0),
        }
    }
    fn numeric(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(_) => None,
            V::In(s) => looks_num(s),
        }
    }
}

enum Flow {
    Next,
    Exit,
}

struct Run {
    vars: HashMap<String, V>,
    fields: Vec<String>,
    res: Vec<Regex>,
    out: String,
    nr: usize,
    exit_code: u32,
    steps: u64,
}

const MAX_STEPS: u64 = 2_000_000;

impl Run {
    fn get(&self, n: &str) -> V {
        match n {
            "NR" | "FNR" => V::Num(self.nr as f64),
            "NF" => V::Num(self.fields.len().saturating_sub(1) as f64),
            _ => self.vars.get(n).cloned().unwrap_or(V::Str(String::new())),
        }
    }

    fn set_record(&mut self, record: String) {
        let fs = self.get("FS").str();
        let mut f = vec![record.clone()];
        if fs == " " {
            f.extend(record.split_whitespace().map(str::to_string));
        } else if record.is_empty() {
        } else if fs.chars().count() == 1 && fs != "\\" {
            f.extend(record.split(fs.as_str()).map(str::to_string));
        } else if let Ok(re) = compile(&fs, true, false) {
            f.extend(re.split(&record).map(str::to_string));
        }
        self.fields = f;
    }

    fn field(&self, i: f64) -> Result<String, String> {
        if i < 0.0 {
            return Err(format!("trying to access out of range field {i}"));
        }
        Ok(self.fields.get(i as usize).cloned().unwrap_or_default())
    }

    fn set(&mut self, target: &E, v: V) -> Result<(), String> {
        match target {
            E::Var(n) if n == "NR" || n == "NF" => Ok(()),
            E::Var(n) => {
                self.vars.insert(n.clone(), v);
                Ok(())
            }
            E::Field(i) => {
                let i = self.eval(i)?.num();
                if !(0.0..=10000.0).contains(&i) {
                    return Err(format!("trying to access out of range field {i}"));
                }
                let i = i as usize;
                if i == 0 {
                    self.set_record(v.str());
                } else {
                    if self.fields.len() <= i {
                        self.fields.resize(i + 1, String::new());
                    }
                    self.fields[i] = v.str();
                    let ofs = self.get("OFS").str();
                    self.fields[0] = self.fields[1..].join(&ofs);
                }
                Ok(())
            }
            _ => Err("assignment to a non-variable".into()),
        }
    }

    fn eval(&mut self, e: &E) -> Result<V, String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err("program ran too long and was stopped".into());
        }
        Ok(match e {
            E::Num(n) => V::Num(*n),
            E::Str(s) => V::Str(s.clone()),
            E::Re(i) => V::Num(f64::from(u8::from(self.res[*i].is_match(&self.fields[0])))),
            E::Var(n) => self.get(n),
            E::Group(e) => self.eval(e)?,
            E::Field(i) => {
                let i = self.eval(i)?.num();
                V::In(self.field(i)?)
            }
            E::Un(op, a) => {
                let v = self.eval(a)?;
                match *op {
                    "!" => V::Num(f64::from(u8::from(!v.truth()))),
                    "-" => V::Num(-v.num()),
                    _ => V::Num(v.num()),
                }
            }
            E::Bin("&&", a, b) => V::Num(f64::from(u8::from(
                self.eval(a)?.truth() && self.eval(b)?.truth(),
            ))),
            E::Bin("||", a, b) => V::Num(f64::from(u8::from(
                self.eval(a)?.truth() || self.eval(b)?.truth(),
            ))),
            E::Bin(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                match *op {
                    "concat" => V::Str(x.str() + &y.str()),
                    "+" => V::Num(x.num() + y.num()),
                    "-" => V::Num(x.num() - y.num()),
                    "*" => V::Num(x.num() * y.num()),
                    "/" | "%" => {
                        if y.num() == 0.0 {
                            return Err("division by zero".into());
                        }
                        V::Num(if *op == "/" {
                            x.num() / y.num()
                        } else {
                            x.num() % y.num()
                        })
                    }
                    "^" => V::Num(x.num().powf(y.num())),
                    cmp => {
                        let o = match (x.numeric(), y.numeric()) {
                            (Some(a), Some(b)) => {
                                a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
                            }
                            _ => x.str().cmp(&y.str()),
                        };
                        use std::cmp::Ordering::*;
                        let r = match cmp {
                            "<" => o == Less,
                            "<=" => o != Greater,
                            ">" => o == Greater,
                            ">=" => o != Less,
                            "==" => o == Equal,
                            _ => o != Equal,
                        };
                        V::Num(f64::from(u8::from(r)))
                    }
                }
            }
            E::Match(neg, a, b) => {
                let s = self.eval(a)?.str();
                let hit = match &**b {
                    E::Re(i) => self.res[*i].is_match(&s),
                    other => {
                        let p = self.eval(other)?.str();
                        compile(&p, true, false)?.is_match(&s)
                    }
                };
                V::Num(f64::from(u8::from(hit != *neg)))
            }
            E::Assign(op, t, v) => {
                let v = self.eval(v)?;
                let v = if *op == "=" {
                    v
                } else {
                    let cur = self.eval(t)?.num();
                    let y = v.num();
                    V::Num(match *op {
                        "+=" => cur + y,
                        "-=" => cur - y,
                        "*=" => cur * y,
                        "/=" if y != 0.0 => cur / y,
                        "%=" if y != 0.0 => cur % y,
                        "^=" => cur.powf(y),
                        _ => return Err("division by zero in assignment".into()),
                    })
                };
                self.set(t, v.clone())?;
                v
            }
            E::Incr { pre, delta, target } => {
                let old = self.eval(target)?.num();
                self.set(target, V::Num(old + delta))?;
                V::Num(if *pre { old + delta } else { old })
            }
            E::Cond(c, a, b) => {
                if self.eval(c)?.truth() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            E::Call(f, args) => self.call(f, args)?,
        })
    }

    fn call(&mut self, f: &str, args: &[E]) -> Result<V, String> {
        let mut vals = Vec::new();
        let edits = matches!(f, "sub" | "gsub");
        for (k, a) in args.iter().enumerate() {
            // sub/gsub's regex argument stays a pattern, not a match.
            if edits
                && k == 0
                && let E::Re(i) = a
            {
                vals.push(V::Str(self.res[*i].as_str().to_string()));
                continue;
            }
            vals.push(self.eval(a)?);
        }
        let s = |i: usize| vals.get(i).map(V::str).unwrap_or_default();
        let n = |i: usize| vals.get(i).map(V::num).unwrap_or(0.0);
        Ok(match f {
            "length" => V::Num(if vals.is_empty() {
                self.fields[0].chars().count()
            } else {
                s(0).chars().count()
            } as f64),
            "substr" => {
                let text: Vec<char> = s(0).chars().collect();
                let start = n(1).round() as i64;
                let len = if vals.len() > 2 {
                    n(2).round() as i64
                } else {
                    i64::MAX / 2
                };
                let (from, to) = (
                    start.max(1),
                    start.saturating_add(len).min(text.len() as i64 + 1),
                );
                V::Str(if to > from {
                    text[(from - 1) as usize..(to - 1) as usize]
                        .iter()
                        .collect()
                } else {
                    String::new()
                })
            }
            "index" => V::Num(
                s(0).find(&s(1))
                    .map_or(0, |i| s(0)[..i].chars().count() + 1) as f64,
            ),
            "tolower" => V::Str(s(0).to_lowercase()),
            "toupper" => V::Str(s(0).to_uppercase()),
            "int" => V::Num(n(0).trunc()),
            "sprintf" => V::Str(printf(&vals)?),
            "sub" | "gsub" => {
                let re = if args.first().is_some_and(|a| matches!(a, E::Re(_))) {
                    Regex::new(&s(0)).map_err(|_| "bad regex".to_string())?
                } else {
                    compile(&s(0), true, false)?
                };
                let target = args
                    .get(2)
                    .cloned()
                    .unwrap_or(E::Field(Box::new(E::Num(0.0))));
                let text = self.eval(&target)?.str();
                let repl = s(1);
                let mut count = 0;
                let mut out = String::new();
                let mut last = 0;
                for m in re.find_iter(&text) {
                    out.push_str(&text[last..m.start()]);
                    let mut it = repl.chars();
                    while let Some(c) = it.next() {
                        match c {
                            '&' => out.push_str(m.as_str()),
                            '\\' => out.extend(it.next()),
                            c => out.push(c),
                        }
                    }
                    last = m.end();
                    count += 1;
                    if f == "sub" {
                        break;
                    }
                }
                out.push_str(&text[last..]);
                if count > 0 {
                    self.set(&target, V::Str(out))?;
                }
                V::Num(count as f64)
            }
            f => return Err(format!("calling undefined function {f}")),
        })
    }

    fn exec(&mut self, s: &S) -> Result<Option<Flow>, String> {
        match s {
            S::Print(args) => {
                let line = if args.is_empty() {
                    self.fields[0].clone()
                } else {
                    let ofs = self.get("OFS").str();
                    let mut parts = Vec::new();
                    for a in args {
                        parts.push(self.eval(a)?.str());
                    }
                    parts.join(&ofs)
                };
                self.out.push_str(&line);
                self.out.push_str(&self.get("ORS").str());
            }
            S::Printf(args) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let s = printf(&vals)?;
                self.out.push_str(&s);
            }
            S::Expr(e) => {
                self.eval(e)?;
            }
            S::If(c, a, b) => {
                if self.eval(c)?.truth() {
                    return self.exec(a);
                } else if let Some(b) = b {
                    return self.exec(b);
                }
            }
            S::While(c, body) => {
                while self.eval(c)?.truth() {
                    if let Some(f) = self.exec(body)? {
                        return Ok(Some(f));
                    }
                }
            }
            S::Block(v) => {
                for s in v {
                    if let Some(f) = self.exec(s)? {
                        return Ok(Some(f));
                    }
                }
            }
            S::Next => return Ok(Some(Flow::Next)),
            S::Exit(e) => {
                if let Some(e) = e {
                    self.exit_code = self.eval(e)?.num() as u32;
                }
                return Ok(Some(Flow::Exit));
            }
        }
        if self.out.len() > 64 << 20 {
            return Err("output too large".into());
        }
        Ok(None)
    }
}

/// printf's conversions: %d %i %o %x %X %u %c %s %e %f %g %%, with flags,
/// width and precision.
fn printf(vals: &[V]) -> Result<String, String> {
    let fmt = vals.first().map(V::str).unwrap_or_default();
    let mut args = vals.iter().skip(1);
    let mut out = String::new();
    let cs: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        if cs[i] != '%' {
            out.push(cs[i]);
            i += 1;
            continue;
        }
        i += 1;
        if cs.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut flags = String::new();
        while let Some(&c) = cs.get(i).filter(|c| "-+ 0#".contains(**c)) {
            flags.push(c);
            i += 1;
        }
        let mut width = String::new();
        while let Some(&c) = cs.get(i).filter(|c| c.is_ascii_digit()) {
            width.push(c);
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if cs.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(&c) = cs.get(i).filter(|c| c.is_ascii_digit()) {
                p.push(c);
                i += 1;
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let conv = *cs.get(i).ok_or("printf: incomplete format")?;
        i += 1;
        let v = args.next().cloned().unwrap_or(V::Str(String::new()));
        let body = match conv {
            'd' | 'i' | 'u' => {
                let n = v.num().trunc() as i64;
                let s = n.abs().to_string();
                let sign = if n < 0 {
                    "-"
                } else if flags.contains('+') {
                    "+"
                } else if flags.contains(' ') {
                    " "
                } else {
                    ""
                };
                format!("{sign}{s}")
            }
            'o' => format!("{:o}", v.num() as i64),
            'x' => format!("{:x}", v.num() as i64),
            'X' => format!("{:X}", v.num() as i64),
            'c' => match v {
                V::Num(n) => char::from_u32(n as u32)
                    .map(String::from)
                    .unwrap_or_default(),
                o => o.str().chars().next().map(String::from).unwrap_or_default(),
            },
            's' => {
                let s = v.str();
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), v.num()),
            'e' | 'E' => {
                let s = format!("{:.*e}", prec.unwrap_or(6), v.num());
                if conv == 'E' { s.to_uppercase() } else { s }
            }
            'g' | 'G' => fmt_num(v.num()),
            c => return Err(format!("printf: bad conversion %{c}")),
        };
        let w: usize = width.parse().unwrap_or(0).min(4096);
        let len = body.chars().count();
        if len < w {
            let pad = w - len;
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&" ".repeat(pad));
            } else if flags.contains('0') && "diufFeEgGxXo".contains(conv) {
                let (sign, digits) = if body.starts_with(['-', '+', ' ']) {
                    body.split_at(1)
                } else {
                    ("", body.as_str())
                };
                out.push_str(sign);
                out.push_str(&"0".repeat(pad));
                out.push_str(digits);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    Ok(out)
}

pub fn run(args: &[String], input: &mut Input, home: &Home) -> Result<(String, u32), Fail> {
    let mut vars: HashMap<String, V> = HashMap::from([
        ("FS".to_string(), V::Str(" ".into())),
        ("OFS".to_string(), V::Str(" ".into())),
        ("ORS".to_string(), V::Str("\n".into())),
    ]);
    let mut program = None;
    let mut files = Vec::new();
    let mut it = args.iter();
    let fs_value = |s: &str| {
        if s == "t" || s == "\\t" {
            "\t".to_string()
        } else {
            s.to_string()
        }
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "-F" => {
                let v = it
                    .next()
                    .ok_or(("awk: option requires an argument -- F".to_string(), 2))?;
                vars.insert("FS".into(), V::Str(fs_value(v)));
            }
            s if s.starts_with("-F") && program.is_none() => {
                vars.insert("FS".into(), V::Str(fs_value(&s[2..])));
            }
            "-v" => {
                let v = it
                    .next()
                    .ok_or(("awk: option requires an argument -- v".to_string(), 2))?;
                let (k, val) = v
                    .split_once('=')
                    .ok_or((format!("awk: invalid -v argument: {v}"), 2))?;
                vars.insert(k.into(), V::In(val.into()));
            }
            "-f" => {
                return Err((
                    "awk: -f: restricted: give the program on the command line".into(),
                    2,
                ));
            }
            s if program.is_none() => program = Some(s.to_string()),
            s => files.push(s.to_string()),
        }
    }
    let program = program.ok_or((
        "usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]".to_string(),
        2,
    ))?;
    let toks = lex(&program).map_err(|e| (format!("awk: {e}"), 2))?;
    let mut p = P {
        t: toks,
        i: 0,
        res: Vec::new(),
        in_print: false,
    };
    let items = p
        .program()
        .map_err(|e| (format!("awk: {e}\n awk: source line number 1"), 2))?;
    let text: String = texts("awk", &files, input, home)?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let mut r = Run {
        vars,
        fields: vec![String::new()],
        res: p.res,
        out: String::new(),
        nr: 0,
        exit_code: 0,
        steps: 0,
    };
    let fail = |r: &Run, e: String| (format!("{}awk: {e}", r.out), 2);
    let mut exited = false;
    for (pat, action) in &items {
        if let (Pat::Begin, Some(a)) = (pat, action) {
            for s in a {
                match r.exec(s) {
                    Ok(Some(Flow::Exit)) => exited = true,
                    Ok(_) => {}
                    Err(e) => return Err(fail(&r, e)),
                }
                if exited {
                    break;
                }
            }
        }
    }
    let has_main = items.iter().any(|(p, _)| !matches!(p, Pat::Begin));
    if !exited && has_main {
        'records: for line in text.lines() {
            r.nr += 1;
            r.set_record(line.to_string());
            for (pat, action) in &items {
                let hit = match pat {
                    Pat::Begin | Pat::End => false,
                    Pat::All => true,
                    Pat::Expr(e) => r.eval(e).map_err(|e| fail(&r, e))?.truth(),
                };
                if !hit {
                    continue;
                }
                let Some(action) = action else {
                    let l = r.fields[0].clone();
                    r.out.push_str(&l);
                    r.out.push('\n');
                    continue;
                };
                for s in action {
                    match r.exec(s).map_err(|e| fail(&r, e))? {
                        Some(Flow::Next) => continue 'records,
                        Some(Flow::Exit) => {
                            exited = true;
                            break 'records;
                        }
                        None => {}
                    }
                }
            }
        }
    }
    let _ = exited;
    for (pat, action) in &items {
        if let (Pat::End, Some(a)) = (pat, action) {
            for s in a {
                if let Some(Flow::Exit) = r.exec(s).map_err(|e| fail(&r, e))? {
                    return Ok((r.out, r.exit_code));
                }
            }
        }
    }
    Ok((r.out, r.exit_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awk(args: &[&str], text: &str) -> (String, u32) {
        let d = tempfile::tempdir().unwrap();
        let h = crate::files::Files::new(d.path().to_path_buf()).home("hscroot");
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run(&a, &mut Input::new(text.into()), &h).unwrap_or_else(|e| e)
    }

    const T: &str = "lnx01,Running,2048\naix01,Not Activated,4096\nvios1,Running,8192\n";

    #[test]
    fn fields_patterns_and_actions() {
        assert_eq!(
            awk(&["-F", ",", "{print $1}"], T).0,
            "lnx01\naix01\nvios1\n"
        );
        assert_eq!(
            awk(&["-F,", "$2 == \"Running\" {print $1, $3}"], T).0,
            "lnx01 2048\nvios1 8192\n"
        );
        assert_eq!(
            awk(&["-F,", "$3 > 4000 {print NR\": \"$1}"], T).0,
            "2: aix01\n3: vios1\n"
        );
        assert_eq!(awk(&["-F,", "{s += $3} END {print s}"], T).0, "14336\n");
        assert_eq!(awk(&["-F,", "/^aix/"], T).0, "aix01,Not Activated,4096\n");
        assert_eq!(awk(&["-F,", "NR==1 {print NF}"], T).0, "3\n");
        assert_eq!(awk(&["-F,", "{print $NF}"], T).0, "2048\n4096\n8192\n");
        assert_eq!(
            awk(&["-F,", "$1 ~ /^v/ && $2 !~ /Not/ {print toupper($1)}"], T).0,
            "VIOS1\n"
        );
        assert_eq!(
            awk(&["-F,", "{printf \"%-6s|%5d\\n\", $1, $2}"], "a,12\n").0,
            "a     |   12\n"
        );
        assert_eq!(
            awk(
                &[
                    "-F,",
                    "{ if ($3 > 5000) print \"big\"; else print \"small\" }"
                ],
                T
            )
            .0,
            "small\nsmall\nbig\n"
        );
        assert_eq!(
            awk(&["BEGIN {print 1+2, 7/2, \"x\" \"y\"}"], "").0,
            "3 3.5 xy\n"
        );
        assert_eq!(awk(&["{n++} END {print n}"], "a\nb\n").0, "2\n");
        assert_eq!(
            awk(
                &["{print substr($0, 2, 3), length($0), index($0, \"c\")}"],
                "abcdef\n"
            )
            .0,
            "bcd 6 3\n"
        );
        assert_eq!(
            awk(&["{gsub(/a/, \"o\"); print}"], "banana\n").0,
            "bonono\n"
        );
        assert_eq!(awk(&["-v", "x=5", "BEGIN {print x * 2}"], "").0, "10\n");
        assert_eq!(awk(&["NR>1 {exit 3} {print}"], "a\nb\n"), ("a\n".into(), 3));
        assert_eq!(awk(&["{$2 = \"X\"; print}"], "a b c\n").0, "a X c\n");
    }

    #[test]
    fn refusals_and_errors() {
        assert_eq!(awk(&["{print > \"/tmp/x\"}"], "a\n").1, 2);
        assert!(
            awk(&["{print > \"/tmp/x\"}"], "a\n")
                .0
                .contains("restricted")
        );
        assert_eq!(awk(&["{getline x < \"/etc/shadow\"}"], "a\n").1, 2);
        assert_eq!(awk(&["{print $1"], "a\n").1, 2);
        assert_eq!(awk(&["{print 1/0}"], "a\n").1, 2);
        assert_eq!(awk(&["BEGIN { while (1) x++ }"], "").1, 2);
        assert_eq!(awk(&[], "").1, 2);
    }
}
