//! The HMC's password policies (`lspwdpolicy`, `mkpwdpolicy`,
//! `chpwdpolicy`, `rmpwdpolicy`): what a policy holds, the rules a
//! policy's own values must keep, and what a password must be while the
//! policy is active. IBM's enhanced password policy gives the HMC one
//! policy of its own, "HMC Medium Security Password Policy", which can be
//! activated but neither changed nor removed; its values are IBM's.

use crate::render::{Record, kv};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PwdPolicy {
    pub name: String,
    pub description: String,
    pub min_pwage: u32,
    pub pwage: u32,
    pub warn_pwage: u32,
    pub min_length: u32,
    pub hist_size: u32,
    pub min_digits: u32,
    pub min_uppercase_chars: u32,
    pub min_lowercase_chars: u32,
    pub min_special_chars: u32,
}

/// The values of the HMC's own policy (IBM, "Enhanced password policy":
/// min_pwage 1, pwage 180, min_length 8, hist_size 10, warn_pwage 7,
/// 1 uppercase, 6 lowercase, no digits or special characters required).
pub struct Builtin;

pub const MEDIUM_SECURITY: Builtin = Builtin;
pub const MEDIUM_SECURITY_NAME: &str = "HMC Medium Security Password Policy";

impl Builtin {
    pub fn policy(&self) -> PwdPolicy {
        PwdPolicy {
            name: MEDIUM_SECURITY_NAME.into(),
            description: MEDIUM_SECURITY_NAME.into(),
            min_pwage: 1,
            pwage: 180,
            warn_pwage: 7,
            min_length: 8,
            hist_size: 10,
            min_digits: 0,
            min_uppercase_chars: 1,
            min_lowercase_chars: 6,
            min_special_chars: 0,
        }
    }
}

/// The numeric attributes, in the order listings print them.
pub const NUMBERS: &[&str] = &[
    "min_pwage",
    "pwage",
    "warn_pwage",
    "min_length",
    "hist_size",
    "min_digits",
    "min_uppercase_chars",
    "min_lowercase_chars",
    "min_special_chars",
];

/// Every attribute `lspwdpolicy -t p` lists, in order.
pub const ATTRS: &[&str] = &[
    "name",
    "description",
    "active",
    "min_pwage",
    "pwage",
    "warn_pwage",
    "min_length",
    "hist_size",
    "min_digits",
    "min_uppercase_chars",
    "min_lowercase_chars",
    "min_special_chars",
];

/// The longest history the HMC keeps (hmc_pwdpolicy: "This value cannot
/// exceed 50").
pub const MAX_HIST_SIZE: u32 = 50;

impl PwdPolicy {
    /// A policy with the values `mkpwdpolicy` gives what it is not told:
    /// no ageing, 8 characters, nothing else required.
    pub fn new(name: &str) -> PwdPolicy {
        PwdPolicy {
            name: name.into(),
            description: String::new(),
            min_pwage: 0,
            pwage: 99999,
            warn_pwage: 7,
            min_length: 8,
            hist_size: 10,
            min_digits: 0,
            min_uppercase_chars: 0,
            min_lowercase_chars: 0,
            min_special_chars: 0,
        }
    }

    fn number_mut(&mut self, k: &str) -> Option<&mut u32> {
        Some(match k {
            "min_pwage" => &mut self.min_pwage,
            "pwage" => &mut self.pwage,
            "warn_pwage" => &mut self.warn_pwage,
            "min_length" => &mut self.min_length,
            "hist_size" => &mut self.hist_size,
            "min_digits" => &mut self.min_digits,
            "min_uppercase_chars" => &mut self.min_uppercase_chars,
            "min_lowercase_chars" => &mut self.min_lowercase_chars,
            "min_special_chars" => &mut self.min_special_chars,
            _ => return None,
        })
    }

    fn number(&self, k: &str) -> u32 {
        let mut c = self.clone();
        c.number_mut(k).map(|v| *v).unwrap_or(0)
    }

    /// Sets one attribute from `-i` input; `name` and `new_name` are the
    /// commands' business.
    pub fn set(&mut self, k: &str, v: &str) -> Result<(), String> {
        if k == "description" {
            self.description = v.to_string();
            return Ok(());
        }
        let slot = self
            .number_mut(k)
            .ok_or_else(|| format!("An invalid attribute was entered: {k}"))?;
        *slot = v
            .parse()
            .map_err(|_| format!("An invalid attribute value was entered: {k}={v}"))?;
        Ok(())
    }

    /// The rules a policy's values keep among themselves.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |why: &str| {
            Err(format!(
                "The password policy {} is not valid: {why}.",
                self.name
            ))
        };
        if self.name.is_empty() || self.name.len() > 255 {
            return bad("its name must be 1 to 255 characters");
        }
        if self.hist_size > MAX_HIST_SIZE {
            return bad(&format!("hist_size cannot exceed {MAX_HIST_SIZE}"));
        }
        if self.min_length == 0 {
            return bad("min_length must be at least 1");
        }
        if self.min_pwage > self.pwage {
            return bad("min_pwage cannot exceed pwage");
        }
        if self.warn_pwage > self.pwage {
            return bad("warn_pwage cannot exceed pwage");
        }
        let classes = self.min_digits
            + self.min_uppercase_chars
            + self.min_lowercase_chars
            + self.min_special_chars;
        if classes > self.min_length {
            return bad(
                "min_digits, min_uppercase_chars, min_lowercase_chars and min_special_chars together cannot exceed min_length",
            );
        }
        Ok(())
    }

    /// Whether a new password keeps this policy.
    pub fn check(&self, password: &str) -> Result<(), String> {
        let count = |f: fn(&char) -> bool| password.chars().filter(f).count() as u32;
        let rules = [
            (
                password.chars().count() as u32,
                self.min_length,
                "characters",
            ),
            (count(char::is_ascii_digit), self.min_digits, "digits"),
            (
                count(char::is_ascii_uppercase),
                self.min_uppercase_chars,
                "uppercase characters",
            ),
            (
                count(char::is_ascii_lowercase),
                self.min_lowercase_chars,
                "lowercase characters",
            ),
            (
                count(|c| !c.is_ascii_alphanumeric()),
                self.min_special_chars,
                "special characters",
            ),
        ];
        for (have, need, what) in rules {
            if have < need {
                return Err(format!(
                    "The password does not meet the requirements of the active password policy {}: it must contain at least {need} {what}.",
                    self.name
                ));
            }
        }
        Ok(())
    }

    /// Its `lspwdpolicy -t p` record.
    pub fn record(&self, active: bool) -> Record {
        let mut r = vec![
            kv("name", &self.name),
            kv("description", &self.description),
            kv("active", if active { "1" } else { "0" }),
        ];
        r.extend(NUMBERS.iter().map(|k| kv(k, self.number(k))));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hmcs_own_policy_is_ibms_medium_security_one() {
        let p = MEDIUM_SECURITY.policy();
        assert!(p.validate().is_ok());
        assert_eq!((p.pwage, p.min_length, p.hist_size), (180, 8, 10));
        assert!(p.check("Abcdefgh").is_ok());
        assert!(p.check("abcdefgh").is_err(), "no uppercase");
        assert!(p.check("Abcdef").is_err(), "too short");
    }

    #[test]
    fn values_are_set_by_name_and_checked_together() {
        let mut p = PwdPolicy::new("dummy");
        p.set("pwage", "80").unwrap();
        p.set("hist_size", "12").unwrap();
        p.set("description", "for ops").unwrap();
        assert_eq!((p.pwage, p.hist_size), (80, 12));
        assert!(p.set("pwage", "soon").is_err());
        assert!(p.set("pwage", "-1").is_err());
        assert!(p.set("shell", "1").is_err());
        assert!(p.validate().is_ok());
        for (k, v) in [
            ("hist_size", "51"),
            ("min_length", "0"),
            ("min_pwage", "81"),
            ("warn_pwage", "81"),
            ("min_digits", "9"),
        ] {
            let mut q = p.clone();
            q.set(k, v).unwrap();
            assert!(q.validate().is_err(), "{k}={v}");
        }
    }

    #[test]
    fn a_password_needs_each_class_the_policy_asks_for() {
        let p = PwdPolicy {
            min_length: 10,
            min_digits: 2,
            min_uppercase_chars: 1,
            min_special_chars: 1,
            ..PwdPolicy::new("strict")
        };
        assert!(p.check("Passw0rd-12").is_ok());
        assert!(p.check("Password-12x").is_ok());
        assert!(p.check("Password-1x").unwrap_err().contains("2 digits"));
        assert!(p.check("password-12").unwrap_err().contains("uppercase"));
        assert!(p.check("Password123").unwrap_err().contains("special"));
        assert!(p.check("Pa-12").unwrap_err().contains("10 characters"));
    }

    #[test]
    fn a_record_lists_every_attribute_in_order() {
        let r = PwdPolicy::new("x").record(true);
        let keys: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ATTRS);
        assert!(r.contains(&kv("active", "1")));
        assert!(r.contains(&kv("pwage", "99999")));
    }
}
