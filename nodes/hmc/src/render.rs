//! How listings print: one record per line of `key=value` pairs; a value
//! holding a comma is quoted whole, name included, with inner quotes
//! doubled; `-F` prints only values in the order asked with the delimiters
//! given; `--header` adds the names; attributes that do not apply are left
//! out; `--filter` selects records. Every listing command goes through here.

pub type Record = Vec<(String, String)>;

/// One attribute of a record, from whatever the model holds for it.
pub fn kv(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// The HMC's clock as listings print it (`sys_time`, `time_stamp`):
/// MM/DD/YYYY HH:MM:SS, UTC here.
pub fn sys_time() -> String {
    time_at(pvmlab_common::clock::Civil::now())
}

/// A moment as listings print it (see `sys_time`).
pub fn time_at(c: pvmlab_common::clock::Civil) -> String {
    format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02}",
        c.month, c.day, c.year, c.hour, c.minute, c.second
    )
}

/// A record's value of attribute `name`, for the listings' unit tests.
#[cfg(test)]
pub fn value<'a>(r: &'a Record, name: &str) -> Option<&'a str> {
    r.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn pair(k: &str, v: &str) -> String {
    let kv = format!("{k}={v}");
    if v.contains(',') || v.contains('"') {
        quote(&kv)
    } else {
        kv
    }
}

/// The `-F` argument: the attribute names and the text between them.
pub struct Fields {
    pub names: Vec<String>,
    seps: Vec<String>,
}

impl Fields {
    pub fn parse(spec: &str) -> Result<Fields, String> {
        let mut names = Vec::new();
        let mut seps = Vec::new();
        let mut cur = String::new();
        let mut sep = String::new();
        for c in spec.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                if !sep.is_empty() && !names.is_empty() {
                    seps.push(std::mem::take(&mut sep));
                }
                sep.clear();
                cur.push(c);
            } else {
                if !cur.is_empty() {
                    names.push(std::mem::take(&mut cur));
                }
                sep.push(c);
            }
        }
        if !cur.is_empty() {
            names.push(cur);
        }
        if names.is_empty() {
            return Err("The -F parameter requires attribute names.".into());
        }
        while seps.len() + 1 < names.len() {
            seps.push(",".into());
        }
        Ok(Fields { names, seps })
    }

    fn join(&self, values: Vec<String>) -> String {
        let mut s = String::new();
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                s.push_str(&self.seps[i - 1]);
            }
            s.push_str(&v);
        }
        s
    }
}

/// Prints records in the default form or with `-F`/`--header`. An attribute
/// asked for with -F that no record knows is an error; one that a record
/// leaves out prints as empty, as the HMC does.
pub fn print(
    records: &[Record],
    fields: Option<&Fields>,
    header: bool,
    known: &[&str],
) -> Result<String, String> {
    if records.is_empty() {
        return Ok("No results were found.\n".into());
    }
    let mut out = String::new();
    match fields {
        None => {
            for r in records {
                let line: Vec<String> = r.iter().map(|(k, v)| pair(k, v)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        Some(f) => {
            for n in &f.names {
                let in_records = records.iter().any(|r| r.iter().any(|(k, _)| k == n));
                if !in_records && !known.contains(&n.as_str()) {
                    return Err(format!("An invalid attribute was entered: {n}"));
                }
            }
            if header {
                out.push_str(&f.join(f.names.clone()));
                out.push('\n');
            }
            for r in records {
                let vals = f
                    .names
                    .iter()
                    .map(|n| {
                        let v = r
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.as_str())
                            .unwrap_or("");
                        if v.contains(',') || v.contains('"') {
                            quote(v)
                        } else {
                            v.to_string()
                        }
                    })
                    .collect();
                out.push_str(&f.join(vals));
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// How a listing was asked to print: `-F`, `--header` and `--filter`, as
/// given (each listing checks them against its own attributes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form {
    pub fields: Option<String>,
    pub header: bool,
    pub filter: Option<String>,
}

/// What every listing command ends with: `--filter` (by `filters`), then
/// the default form or `-F`/`--header`.
pub fn listing(
    records: Vec<Record>,
    form: &Form,
    filters: &[(&str, &str)],
    known: &[&str],
) -> Result<String, String> {
    let fields = form.fields.as_deref().map(Fields::parse).transpose()?;
    let records = match form.filter.as_deref() {
        Some(spec) => {
            let f = Filter::parse(spec, filters)?;
            records.into_iter().filter(|r| f.matches(r)).collect()
        }
        None => records,
    };
    print(&records, fields.as_ref(), form.header, known)
}

/// `--filter "lpar_names=a,b,profile_names=p"`: plural filter names, each
/// with a comma list of values. `allowed` maps each filter name to the
/// record attribute it matches.
pub struct Filter(Vec<(String, Vec<String>)>);

impl Filter {
    pub fn parse(spec: &str, allowed: &[(&str, &str)]) -> Result<Filter, String> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let items = pvmlab_common::attrs::split_list(spec)?;
        for item in items {
            match item.split_once('=') {
                Some((k, v)) => {
                    let attr = allowed
                        .iter()
                        .find(|(f, _)| *f == k)
                        .map(|(_, a)| a.to_string())
                        .ok_or_else(|| format!("An invalid filter was entered: {k}"))?;
                    out.push((attr, v.split(',').map(str::to_string).collect()));
                }
                // A bare value continues the previous filter's list.
                None => match out.last_mut() {
                    Some((_, vals)) => vals.push(item),
                    None => return Err(format!("An invalid filter was entered: {item}")),
                },
            }
        }
        Ok(Filter(out))
    }

    pub fn matches(&self, r: &Record) -> bool {
        self.0.iter().all(|(attr, vals)| {
            r.iter()
                .any(|(k, v)| k == attr && vals.iter().any(|want| want == v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(p: &[(&str, &str)]) -> Record {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_with_commas_are_quoted_with_their_name() {
        let r = rec(&[
            ("name", "a"),
            (
                "virtual_scsi_adapters",
                "3/client/2/v1/32/0,4/client/3/v2/33/0",
            ),
        ]);
        assert_eq!(
            print(&[r], None, false, &[]).unwrap(),
            "name=a,\"virtual_scsi_adapters=3/client/2/v1/32/0,4/client/3/v2/33/0\"\n"
        );
    }

    #[test]
    fn f_keeps_the_callers_delimiters_and_header() {
        let r = rec(&[("name", "lpar1"), ("state", "Running"), ("lpar_id", "3")]);
        let f = Fields::parse("name:state").unwrap();
        assert_eq!(
            print(&[r.clone()], Some(&f), false, &[]).unwrap(),
            "lpar1:Running\n"
        );
        let f = Fields::parse("lpar_id,name").unwrap();
        assert_eq!(
            print(&[r], Some(&f), true, &[]).unwrap(),
            "lpar_id,name\n3,lpar1\n"
        );
    }

    #[test]
    fn empty_listings_say_so() {
        assert_eq!(
            print(&[], None, false, &[]).unwrap(),
            "No results were found.\n"
        );
    }

    #[test]
    fn filters_take_plural_names_and_lists() {
        let f = Filter::parse(
            "lpar_names=a,b,profile_names=p",
            &[("lpar_names", "lpar_name"), ("profile_names", "name")],
        )
        .unwrap();
        assert!(f.matches(&rec(&[("lpar_name", "b"), ("name", "p")])));
        assert!(!f.matches(&rec(&[("lpar_name", "c"), ("name", "p")])));
        assert!(Filter::parse("names=a", &[("lpar_names", "name")]).is_err());
    }
}
