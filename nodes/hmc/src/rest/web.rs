//! The web resources clients read at /rest/api/web/: `HmcUser` (this
//! HMC's users, from the core's user table — never a password),
//! `HmcPasswordPolicy` and `HmcLdapServer`. They are read only here; a
//! write is refused with 405 and changes nothing.

use super::{Get, Reply, error, xml};
use axum::http::{Method, StatusCode};

fn web_feed(kind: &str, entries: Vec<String>) -> Reply {
    if entries.is_empty() {
        return Reply::no_content();
    }
    Reply::ok("application/atom+xml".into(), xml::feed(kind, &entries))
}

fn one(kind: &str, entry: String) -> Reply {
    Reply::ok(xml::media_type("web", kind), entry)
}

fn users(g: &Get<'_>, rest_of_path: &[&str], query: &str) -> Option<Reply> {
    // Every user of this HMC is a local one.
    let local = !query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("UserType="))
        .any(|t| !t.eq_ignore_ascii_case("local") && !t.eq_ignore_ascii_case("all"));
    let mut all = g.hmc().users.all();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let entry = |u: &crate::users::User| {
        let id = crate::ids::uuid("HmcUser", &u.name);
        let body = [
            xml::el("UserID", "CUR", &u.name),
            xml::el("Description", "CUR", &u.description),
            xml::el("TaskRole", "CUR", &u.taskrole),
            xml::el("AuthenticationType", "ROR", "local"),
            xml::el("IsEnabled", "CUR", "true"),
        ]
        .concat();
        let link = format!("{}/rest/api/web/HmcUser/{}", g.base, u.name);
        xml::web_entry("HmcUser", &id, Some(&link), "V1_0", &body)
    };
    match rest_of_path {
        [] if local => Some(web_feed("HmcUser", all.iter().map(entry).collect())),
        [] => Some(Reply::no_content()),
        [name] => all
            .iter()
            .find(|u| u.name == *name)
            .map(|u| one("HmcUser", entry(u))),
        _ => None,
    }
}

/// The HMC's password policies (`lspwdpolicy -t p`) and which one is
/// active (`?PolicyType=status`, `lspwdpolicy -t s`), from the core.
fn policies(g: &Get<'_>, rest_of_path: &[&str], query: &str) -> Option<Reply> {
    let users = &g.hmc().users;
    let active = users.active_policy_name();
    let entry = |p: &crate::pwdpolicy::PwdPolicy| {
        let on = active.as_deref() == Some(p.name.as_str());
        let fields = [
            ("PolicyName", p.name.clone()),
            ("Description", p.description.clone()),
            ("MinPasswordAge", p.min_pwage.to_string()),
            ("MaxPasswordAge", p.pwage.to_string()),
            ("MinPasswordLength", p.min_length.to_string()),
            ("PasswordHistorySize", p.hist_size.to_string()),
            ("PasswordExpirationWarning", p.warn_pwage.to_string()),
            ("MinNumericChars", p.min_digits.to_string()),
            ("MinUpperCaseChars", p.min_uppercase_chars.to_string()),
            ("MinLowerCaseChars", p.min_lowercase_chars.to_string()),
            ("MinSpecialChars", p.min_special_chars.to_string()),
            ("IsActive", on.to_string()),
        ];
        let body: String = fields.iter().map(|(k, v)| xml::el(k, "CUR", v)).collect();
        let link = format!("{}/rest/api/web/HmcPasswordPolicy", g.base);
        xml::web_entry(
            "HmcPasswordPolicy",
            &crate::ids::uuid("HmcPasswordPolicy", &p.name),
            Some(&link),
            "V1_0",
            &body,
        )
    };
    match rest_of_path {
        [] if query.contains("PolicyType=status") => {
            let body = [
                xml::el("IsActive", "ROR", &active.is_some().to_string()),
                xml::el("ActivePolicyName", "ROR", active.as_deref().unwrap_or("")),
            ]
            .concat();
            Some(web_feed(
                "HmcPasswordPolicy",
                vec![xml::web_entry(
                    "HmcPasswordPolicy",
                    &crate::ids::uuid("HmcPasswordPolicy", "status"),
                    None,
                    "V1_0",
                    &body,
                )],
            ))
        }
        [] => Some(web_feed(
            "HmcPasswordPolicy",
            users.policies().iter().map(entry).collect(),
        )),
        [n] => users.policy(n).map(|p| one("HmcPasswordPolicy", entry(&p))),
        _ => None,
    }
}

/// GET under /rest/api/web/ (the Logon is handled before).
pub fn handle(g: &Get<'_>, method: &Method, rel: &str, query: &str, uri: &str) -> Reply {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    if method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            uri,
            "Method Not Allowed",
            &format!("{method} is not supported on {uri} by this management console."),
        );
    }
    let found = match parts.split_first() {
        Some((&"HmcUser", more)) => users(g, more, query),
        Some((&"HmcPasswordPolicy", more)) => policies(g, more, query),
        // No LDAP server is configured on this HMC: nothing to show.
        Some((&"HmcLdapServer", [])) => Some(Reply::no_content()),
        _ => None,
    };
    found.unwrap_or_else(|| super::not_found(uri))
}
