//! What commands take from their arguments beyond the options: `-i`
//! attribute lists and the partition `-p`/`--id` names.

use super::opts;
use crate::error::CmdError;
use crate::hscl::Hscl;
use pvmlab_common::model::Partition;
use pvmlab_common::proto::hmc::FrameView;

/// `-i "k=v,k2=v2"` input: the attributes, each checked against `allowed`,
/// with the HMC's quoting for values that hold commas.
pub fn input_attrs(input: &str, allowed: &[&str]) -> Result<Vec<(String, String)>, CmdError> {
    let mut out = Vec::new();
    for item in pvmlab_common::attrs::split_list(input)? {
        let Some((k, v)) = item.split_once('=') else {
            return Err(format!("The input {item:?} is not of the form attribute=value.").into());
        };
        if !allowed.contains(&k) {
            return Err(format!("An invalid attribute was entered: {k}").into());
        }
        if out.iter().any(|(a, _): &(String, String)| a == k) {
            return Err(format!("The attribute {k} was entered more than once.").into());
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// A partition as a command names it: `-p <name>` or `--id <id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LparRef {
    Name(String),
    /// As typed: `--id 07` names no partition, as on the HMC.
    Id(String),
}

/// Why a name option and an id option named no one partition: the
/// commands word it each their own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOne {
    Neither,
    Both,
}

impl LparRef {
    pub fn parse(o: &opts::Parsed) -> Result<LparRef, CmdError> {
        LparRef::one_of(o.get("-p"), o.get("--id")).map_err(|_| {
            "Specify the partition with either -p or --id."
                .to_string()
                .into()
        })
    }

    /// The partition a name option (`-p`, `-t`) or an id option (`--id`,
    /// `--tid`) names, exactly one of them given.
    pub fn one_of(name: Option<&str>, id: Option<&str>) -> Result<LparRef, NotOne> {
        match (name, id) {
            (Some(n), None) => Ok(LparRef::Name(n.to_string())),
            (None, Some(id)) => Ok(LparRef::Id(id.to_string())),
            (Some(_), Some(_)) => Err(NotOne::Both),
            (None, None) => Err(NotOne::Neither),
        }
    }

    /// The partition on `f`, or HSCL8012.
    pub fn find<'a>(&self, f: &'a FrameView) -> Result<&'a Partition, CmdError> {
        let (key, found) = match self {
            LparRef::Name(n) => (n, f.partitions.iter().find(|p| &p.name == n)),
            LparRef::Id(id) => (id, f.partitions.iter().find(|p| &p.id.to_string() == id)),
        };
        found.ok_or_else(|| Hscl::PartitionNotFound(key.clone()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn input_attributes_are_checked_by_name_and_taken_once() {
        assert_eq!(
            input_attrs("a=1,\"b=x,y\"", &["a", "b"]).ok(),
            Some(attrs(&[("a", "1"), ("b", "x,y")]))
        );
        assert!(input_attrs("a=1,c=2", &["a"]).is_err());
        assert!(input_attrs("a=1,a=2", &["a"]).is_err());
        assert!(input_attrs("a", &["a"]).is_err());
    }

    #[test]
    fn a_partition_is_named_by_exactly_one_option() {
        assert_eq!(
            LparRef::one_of(Some("x"), None),
            Ok(LparRef::Name("x".into()))
        );
        assert_eq!(
            LparRef::one_of(None, Some("7")),
            Ok(LparRef::Id("7".into()))
        );
        assert_eq!(LparRef::one_of(Some("x"), Some("7")), Err(NotOne::Both));
        assert_eq!(LparRef::one_of(None, None), Err(NotOne::Neither));
    }
}
