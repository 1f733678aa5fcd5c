//! A `[[…profile]]` table read as `mksyscfg` input would be: the check and
//! the model both go through here, so a profile that passes the check is
//! the profile the frame starts with.

use super::Fault;
use super::schema::ProfileTable;
use crate::attrs::{self, check_profile};
use crate::model::Profile;

/// A TOML value as the text an HMC attribute would carry: arrays become
/// comma lists, with elements that hold commas quoted the HMC's way.
pub(super) fn attr_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => {
            if *b {
                "1".into()
            } else {
                "0".into()
            }
        }
        toml::Value::Array(a) => a
            .iter()
            .map(|e| {
                let s = attr_text(e);
                if s.contains(',') {
                    format!("\"{s}\"")
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

pub(super) fn build_profile(table: &ProfileTable) -> Result<Profile, Fault> {
    let name = table
        .iter()
        .find(|(k, _)| k.get_ref() == "name")
        .map(|(_, v)| attr_text(v.get_ref()));
    let first = table.keys().next().map(|k| k.span()).unwrap_or(0..0);
    let Some(name) = name else {
        return Err(Fault::at(first, "name", "profile has no name"));
    };
    let mut p = attrs::default_profile(&name);
    for (k, v) in table {
        if k.get_ref() == "name" {
            continue;
        }
        attrs::set_profile_attr(&mut p, k.get_ref(), &attr_text(v.get_ref()))
            .map_err(|e| Fault::at(v.span(), k.get_ref(), e.to_string()))?;
    }
    let given = |a: &str| table.keys().any(|k| k.get_ref() == a);
    if given("proc_mode") && !given("sharing_mode") {
        p.sharing_mode = attrs::default_sharing_mode(&p.proc_mode).into();
    }
    check_profile(&p).map_err(|m| Fault::at(first, "profile", format!("profile {name}: {m}")))?;
    Ok(p)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A profile table from TOML text, as a `[[frame.lpar.profile]]` reads.
    pub fn table(text: &str) -> ProfileTable {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn values_become_attribute_text() {
        let v: toml::Value = toml::from_str(
            "s = \"x\"\ni = 3\nf = 0.5\nt = true\nn = false\na = [\"1/server/2\", \"a,b\", 4]",
        )
        .unwrap();
        let text = |k: &str| attr_text(&v[k]);
        assert_eq!(text("s"), "x");
        assert_eq!(text("i"), "3");
        assert_eq!(text("f"), "0.5");
        assert_eq!((text("t").as_str(), text("n").as_str()), ("1", "0"));
        assert_eq!(text("a"), "1/server/2,\"a,b\",4");
    }

    #[test]
    fn a_profile_needs_a_name() {
        let e = build_profile(&table("min_mem = 1024\n")).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("name", "profile has no name")
        );
    }

    #[test]
    fn a_bad_attribute_is_named_by_its_key() {
        let e = build_profile(&table("name = \"p\"\ndesired_mem = \"lots\"\n")).unwrap_err();
        assert_eq!(e.field, "desired_mem");
    }

    #[test]
    fn an_inconsistent_profile_is_refused_whole() {
        let e = build_profile(&table(
            "name = \"p\"\nmin_mem = 4096\ndesired_mem = 1024\nmax_mem = 8192\n",
        ))
        .unwrap_err();
        assert_eq!(e.field, "profile");
        assert!(e.message.starts_with("profile p: "), "{}", e.message);
    }

    #[test]
    fn a_good_profile_builds() {
        let p = build_profile(&table(
            "name = \"p\"\nmin_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n",
        ))
        .unwrap();
        assert_eq!((p.name.as_str(), p.desired_mem), ("p", 2048));
    }
}
