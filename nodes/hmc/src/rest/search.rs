//! `…/search/(Property==value)`: the HMC's search on a collection, as
//! clients send it — the value bare (`(SystemName==sys2)`, pypowervm) or
//! quoted (`(SystemName=='sys2')`, Ansible's REST client), `!=`, and
//! clauses joined by `&&` (all must hold) or `||` (one must). A search
//! is answered from the entries themselves: a clause holds when the
//! object's element of that name has that text, so every property an
//! entry shows can be searched on and a rename is found by its new name.

#[cfg(test)]
use super::xml;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub key: String,
    pub equal: bool,
    pub value: String,
}

/// A search: clauses, and whether one holding is enough (`||`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub clauses: Vec<Clause>,
    pub any: bool,
}

/// Why a search expression cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadSearch {
    #[error("The search expression {0} must be (Property==value) or (Property!=value).")]
    Form(String),
    #[error("The search expression {0} mixes && and ||.")]
    Mixed(String),
    #[error("The search expression {0} has a quote that is not closed.")]
    Quote(String),
}

/// Reads `(Key==value)`, `(Key=='value')`, `(A==x&&B!="y")` …
pub fn parse(q: &str) -> Result<Search, BadSearch> {
    let form = || BadSearch::Form(q.to_string());
    let inner = q
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(form)?;
    // Split on && / || outside quotes.
    let mut parts = Vec::new();
    let mut joins = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = inner.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(qc) if c == qc => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if (c == '&' || c == '|') && chars.get(i + 1) == Some(&c) => {
                parts.push(std::mem::take(&mut cur));
                joins.push(c);
                i += 2;
                continue;
            }
            None => {}
        }
        cur.push(c);
        i += 1;
    }
    if quote.is_some() {
        return Err(BadSearch::Quote(q.to_string()));
    }
    parts.push(cur);
    if joins.windows(2).any(|w| w[0] != w[1]) {
        return Err(BadSearch::Mixed(q.to_string()));
    }
    let clauses = parts
        .iter()
        .map(|p| clause(p).ok_or_else(form))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Search {
        clauses,
        any: joins.first() == Some(&'|'),
    })
}

fn clause(p: &str) -> Option<Clause> {
    let p = p.trim().trim_start_matches('(').trim_end_matches(')');
    let (key, value, equal) = if let Some((k, v)) = p.split_once("!=") {
        (k, v, false)
    } else {
        let (k, v) = p.split_once("==")?;
        (k, v, true)
    };
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let v = value.trim();
    let unquoted = ['\'', '"']
        .iter()
        .find_map(|q| v.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
        .unwrap_or(v);
    Some(Clause {
        key: key.to_string(),
        equal,
        value: unquoted.to_string(),
    })
}

impl Search {
    /// Whether an entry (its XML) matches: its first element named as
    /// each clause's property has the value.
    pub fn matches(&self, entry: &str) -> bool {
        let Ok(doc) = roxmltree::Document::parse(entry) else {
            return false;
        };
        let holds = |c: &Clause| {
            let found = doc
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == c.key)
                .map(|n| n.text().unwrap_or_default().trim().to_string());
            match found {
                Some(v) => (v == c.value) == c.equal,
                None => !c.equal,
            }
        };
        if self.any {
            self.clauses.iter().any(holds)
        } else {
            self.clauses.iter().all(holds)
        }
    }
}

/// The entries a search keeps, or the HMC's 400 for an expression it
/// cannot read.
pub fn filter(q: &str, entries: Vec<String>, uri: &str) -> Result<Vec<String>, super::Reply> {
    let s = parse(q).map_err(|e| {
        super::error(
            axum::http::StatusCode::BAD_REQUEST,
            uri,
            "Bad Request",
            &e.to_string(),
        )
    })?;
    Ok(entries.into_iter().filter(|e| s.matches(e)).collect())
}

/// For a pure test of `matches` without the HMC: one entry around `body`.
#[cfg(test)]
fn sample(body: &str) -> String {
    xml::entry("https://h:12443", "ManagedSystem", "u", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_bare_or_quoted_read_the_same() {
        for q in [
            "(SystemName==sys2)",
            "(SystemName=='sys2')",
            "(SystemName==\"sys2\")",
            " ( SystemName == 'sys2' ) ",
        ] {
            let s = parse(q).unwrap();
            assert_eq!(
                s.clauses,
                vec![Clause {
                    key: "SystemName".into(),
                    equal: true,
                    value: "sys2".into()
                }],
                "{q}"
            );
        }
        // A quoted value keeps what is inside it, && and parentheses too.
        let s = parse("(PartitionName=='a&&b (x)')").unwrap();
        assert_eq!(s.clauses[0].value, "a&&b (x)");
    }

    #[test]
    fn clauses_join_and_negate() {
        let s = parse("(PartitionState==running&&PartitionName!='x')").unwrap();
        assert!(!s.any);
        assert_eq!(s.clauses.len(), 2);
        assert!(!s.clauses[1].equal);
        assert!(parse("(State==a||State==b)").unwrap().any);
        assert!(matches!(
            parse("(A==1&&B==2||C==3)"),
            Err(BadSearch::Mixed(_))
        ));
    }

    #[test]
    fn bad_expressions_are_refused() {
        for q in [
            "SystemName==x",
            "(SystemName)",
            "(==x)",
            "(Sys Name==x)",
            "(A=='x)",
        ] {
            assert!(parse(q).is_err(), "{q}");
        }
    }

    #[test]
    fn entries_match_on_their_own_elements() {
        let e =
            sample(&(xml::el("State", "ROR", "operating") + &xml::el("SystemName", "CUR", "prod")));
        assert!(parse("(SystemName=='prod')").unwrap().matches(&e));
        assert!(!parse("(SystemName==sys2)").unwrap().matches(&e));
        assert!(
            parse("(State==operating&&SystemName==prod)")
                .unwrap()
                .matches(&e)
        );
        assert!(parse("(State==x||SystemName==prod)").unwrap().matches(&e));
        assert!(parse("(State!=x)").unwrap().matches(&e));
        // A property the object does not have matches no equality.
        assert!(!parse("(Nothing==x)").unwrap().matches(&e));
    }
}
