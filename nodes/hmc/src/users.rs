//! HMC users: each HMC keeps its own, with a task role, a password and
//! authorized SSH keys, in its own database. A new HMC has `hscroot` with
//! password `abc123`, as a real one does out of the box. The same database
//! keeps what governs users: the defaults new users take (`lshmcusr -t
//! default`) and the password policies (`lspwdpolicy`), with the one that
//! is active.

use crate::pwdpolicy::{MEDIUM_SECURITY, PwdPolicy};
use pvmlab_common::store::{Store, StoreError, Write};
use std::sync::Mutex;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
    /// hmcsuperadmin, hmcoperator, hmcviewer, hmcpe, hmcservicerep
    pub taskrole: String,
    pub description: String,
    /// authorized_keys lines ("ssh-rsa AAAA... comment")
    pub keys: Vec<String>,
    /// The HMCs that may act as this user here, for remote migrations
    /// (`mkauthkeys --ip` run on them): by node name.
    #[serde(default)]
    pub trusted_hmcs: Vec<String>,
    /// What `lshmcusr` lists beyond the above; users stored before these
    /// existed read as a new user made with the HMC's defaults.
    #[serde(default)]
    pub settings: UserSettings,
}

/// A user's attributes that only govern their sessions and password
/// ageing, as `mkhmcusr -i` and `chhmcusr -i` set them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserSettings {
    pub resourcerole: String,
    pub pwage: u32,
    pub min_pwage: u32,
    pub session_timeout: u32,
    pub verify_timeout: u32,
    pub idle_timeout: u32,
    pub inactivity_expiration: u32,
    pub remote_webui_access: bool,
    pub remote_ssh_access: bool,
    pub passwd_authentication: bool,
}

impl Default for UserSettings {
    fn default() -> Self {
        Defaults::default().user()
    }
}

/// `lshmcusr -t default`: what a new user gets unless told otherwise;
/// `chhmcusr -t default` changes it for users made afterwards only.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Defaults {
    pub pwage: u32,
    pub min_pwage: u32,
    pub session_timeout: u32,
    pub verify_timeout: u32,
    pub idle_timeout: u32,
    pub inactivity_expiration: u32,
    pub max_webui_login_attempts: u32,
    pub webui_login_suspend_time: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            pwage: 99999,
            min_pwage: 0,
            session_timeout: 0,
            verify_timeout: 15,
            idle_timeout: 0,
            inactivity_expiration: 0,
            max_webui_login_attempts: 3,
            webui_login_suspend_time: 5,
        }
    }
}

impl Defaults {
    /// The settings of a user made now.
    pub fn user(&self) -> UserSettings {
        UserSettings {
            resourcerole: String::new(),
            pwage: self.pwage,
            min_pwage: self.min_pwage,
            session_timeout: self.session_timeout,
            verify_timeout: self.verify_timeout,
            idle_timeout: self.idle_timeout,
            inactivity_expiration: self.inactivity_expiration,
            remote_webui_access: false,
            remote_ssh_access: true,
            passwd_authentication: true,
        }
    }
}

/// What `chhmc` changes of the HMC itself and `lshmc` shows.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct HmcSettings {
    /// Remote command line access (chhmc -c ssh -s enable|disable).
    pub ssh: bool,
    /// Network time (chhmc -c xntp -s enable|disable) and its servers.
    pub xntp: bool,
    pub ntp_servers: Vec<String>,
    /// Where the HMC sends its syslog (chhmc -c syslog -s add|remove).
    pub syslog_servers: Vec<String>,
}

impl Default for HmcSettings {
    fn default() -> Self {
        HmcSettings {
            ssh: true,
            xntp: false,
            ntp_servers: Vec::new(),
            syslog_servers: Vec::new(),
        }
    }
}

pub const TASK_ROLES: &[&str] = &[
    "hmcsuperadmin",
    "hmcoperator",
    "hmcviewer",
    "hmcpe",
    "hmcservicerep",
];

/// The users a password policy never applies to (IBM's enhanced password
/// policy notes) and that no `rmhmcusr -t` removes.
pub const PERMANENT_USERS: &[&str] = &["root", "hscroot", "hscpe"];

impl User {
    /// A viewer may list but change nothing.
    pub fn may_change(&self) -> bool {
        self.taskrole != "hmcviewer"
    }
}

const TABLE: &str = "users";
const POLICIES: &str = "pwdpolicies";
const SETTINGS: &str = "user_settings";
const DEFAULTS_KEY: &str = "defaults";
const ACTIVE_KEY: &str = "active_pwdpolicy";
const HMC_KEY: &str = "hmc";

pub struct Users {
    store: Store,
    lock: Mutex<()>,
}

impl Users {
    pub fn open(store: Store) -> Result<Users, StoreError> {
        if store.list::<User>(TABLE)?.is_empty() {
            store.put(
                TABLE,
                "hscroot",
                &User {
                    name: "hscroot".into(),
                    password: "abc123".into(),
                    taskrole: "hmcsuperadmin".into(),
                    description: "HMC Super User".into(),
                    keys: Vec::new(),
                    trusted_hmcs: Vec::new(),
                    settings: UserSettings {
                        remote_webui_access: true,
                        ..UserSettings::default()
                    },
                },
            )?;
        }
        Ok(Users {
            store,
            lock: Mutex::new(()),
        })
    }

    /// The HMC's database, for what else the HMC keeps beside its users
    /// (the REST API's partition templates).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn get(&self, name: &str) -> Option<User> {
        self.store.get(TABLE, name).ok().flatten()
    }

    /// Whether the user may log on over SSH.
    pub fn may_ssh(&self, name: &str) -> bool {
        self.get(name).is_some_and(|u| u.settings.remote_ssh_access)
    }

    pub fn check_password(&self, name: &str, password: &str) -> bool {
        self.get(name).is_some_and(|u| u.password == password)
    }

    /// Compares keys on their type and base64 body; comments do not matter.
    pub fn check_key(&self, name: &str, key: &str) -> bool {
        let body = |k: &str| k.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        self.get(name)
            .is_some_and(|u| u.keys.iter().any(|k| body(k) == body(key)))
    }

    /// Lets the HMC `hmc` act as `name` here (remote migration trust).
    pub fn trust(&self, name: &str, hmc: &str) -> Result<(), String> {
        self.update(name, |u| {
            let mut u = u.ok_or_else(|| format!("The user {name} was not found."))?;
            if !u.trusted_hmcs.iter().any(|h| h == hmc) {
                u.trusted_hmcs.push(hmc.to_string());
            }
            Ok(Some(u))
        })
    }

    pub fn all(&self) -> Vec<User> {
        self.store
            .list::<User>(TABLE)
            .map(|l| l.into_iter().map(|(_, u)| u).collect())
            .unwrap_or_default()
    }

    /// Applies a change to one user under a lock, so two sessions changing
    /// the same user do not lose either change.
    pub fn update(
        &self,
        name: &str,
        f: impl FnOnce(Option<User>) -> Result<Option<User>, String>,
    ) -> Result<(), String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        match f(self.get(name))? {
            Some(u) => self.store.put(TABLE, name, &u).map_err(|e| e.to_string()),
            None => self
                .store
                .apply(vec![Write::delete(TABLE, name)])
                .map_err(|e| e.to_string()),
        }
    }

    /// Renames a user and applies `f` to them in one transaction: the old
    /// name goes, the new one must be free.
    pub fn rename(
        &self,
        name: &str,
        new_name: &str,
        f: impl FnOnce(User) -> Result<User, String>,
    ) -> Result<(), String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let old = self
            .get(name)
            .ok_or_else(|| format!("The user {name} was not found."))?;
        if new_name != name && self.get(new_name).is_some() {
            return Err(format!("The user {new_name} already exists."));
        }
        let mut u = f(old)?;
        u.name = new_name.to_string();
        self.store
            .apply(vec![
                Write::delete(TABLE, name),
                Write::put(TABLE, new_name, &u),
            ])
            .map_err(|e| e.to_string())
    }

    /// Removes every user `remove` picks, in one transaction.
    pub fn remove_where(&self, remove: impl Fn(&User) -> bool) -> Result<usize, String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let writes: Vec<Write> = self
            .all()
            .iter()
            .filter(|u| remove(u))
            .map(|u| Write::delete(TABLE, u.name.clone()))
            .collect();
        let n = writes.len();
        self.store.apply(writes).map_err(|e| e.to_string())?;
        Ok(n)
    }

    pub fn defaults(&self) -> Defaults {
        self.store
            .get(SETTINGS, DEFAULTS_KEY)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub fn set_defaults(&self, f: impl FnOnce(&mut Defaults)) -> Result<(), String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut d = self.defaults();
        f(&mut d);
        self.store
            .put(SETTINGS, DEFAULTS_KEY, &d)
            .map_err(|e| e.to_string())
    }

    pub fn hmc_settings(&self) -> HmcSettings {
        self.store
            .get(SETTINGS, HMC_KEY)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Changes the HMC's settings under the lock; a refusal changes nothing.
    pub fn change_hmc_settings(
        &self,
        f: impl FnOnce(&mut HmcSettings) -> Result<(), String>,
    ) -> Result<(), String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = self.hmc_settings();
        f(&mut s)?;
        self.store
            .put(SETTINGS, HMC_KEY, &s)
            .map_err(|e| e.to_string())
    }

    /// The password policies: the HMC's own medium security policy first,
    /// then the ones users made, by name.
    pub fn policies(&self) -> Vec<PwdPolicy> {
        let mut out = vec![MEDIUM_SECURITY.policy()];
        out.extend(
            self.store
                .list::<PwdPolicy>(POLICIES)
                .map(|l| l.into_iter().map(|(_, p)| p).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        out
    }

    pub fn policy(&self, name: &str) -> Option<PwdPolicy> {
        self.policies().into_iter().find(|p| p.name == name)
    }

    /// The name of the active policy, if one is.
    pub fn active_policy_name(&self) -> Option<String> {
        self.store
            .get::<String>(SETTINGS, ACTIVE_KEY)
            .ok()
            .flatten()
            .filter(|n| !n.is_empty())
    }

    pub fn active_policy(&self) -> Option<PwdPolicy> {
        self.active_policy_name().and_then(|n| self.policy(&n))
    }

    /// Changes the policies under the lock: `f` gets the user-made ones and
    /// the active policy's name and returns them changed (or refuses).
    pub fn change_policies(
        &self,
        f: impl FnOnce(&mut Vec<PwdPolicy>, &mut Option<String>) -> Result<(), String>,
    ) -> Result<(), String> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let before: Vec<PwdPolicy> = self
            .store
            .list::<PwdPolicy>(POLICIES)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let mut policies = before.clone();
        let mut active = self.active_policy_name();
        f(&mut policies, &mut active)?;
        let mut writes: Vec<Write> = before
            .iter()
            .filter(|b| !policies.iter().any(|p| p.name == b.name))
            .map(|b| Write::delete(POLICIES, b.name.clone()))
            .collect();
        writes.extend(
            policies
                .iter()
                .map(|p| Write::put(POLICIES, p.name.clone(), p)),
        );
        writes.push(Write::put(
            SETTINGS,
            ACTIVE_KEY,
            &active.unwrap_or_default(),
        ));
        self.store.apply(writes).map_err(|e| e.to_string())
    }

    /// Whether `password` may be `user`'s under the active policy.
    pub fn check_against_policy(&self, user: &str, password: &str) -> Result<(), String> {
        if PERMANENT_USERS.contains(&user) {
            return Ok(());
        }
        match self.active_policy() {
            Some(p) => p.check(password),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> (tempfile::TempDir, Users) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hmc.redb")).unwrap();
        (dir, Users::open(store).unwrap())
    }

    #[test]
    fn a_rename_moves_the_user_and_keeps_what_they_had() {
        let (_d, u) = users();
        u.update("ops", |_| {
            Ok(Some(User {
                name: "ops".into(),
                password: "opspass1".into(),
                taskrole: "hmcoperator".into(),
                description: String::new(),
                keys: vec!["ssh-ed25519 AAAA k".into()],
                trusted_hmcs: Vec::new(),
                settings: UserSettings::default(),
            }))
        })
        .unwrap();
        u.rename("ops", "ops2", Ok).unwrap();
        assert!(u.get("ops").is_none());
        assert_eq!(u.get("ops2").map(|x| x.keys.len()), Some(1));
        assert!(u.rename("ops2", "hscroot", Ok).is_err(), "name taken");
        assert!(u.rename("nobody", "x", Ok).is_err());
    }

    #[test]
    fn policies_persist_and_the_active_one_rules_passwords() {
        let (_d, u) = users();
        assert_eq!(u.policies().len(), 1, "the HMC's own");
        u.change_policies(|ps, active| {
            ps.push(PwdPolicy {
                name: "strict".into(),
                min_length: 12,
                ..PwdPolicy::new("strict")
            });
            *active = Some("strict".into());
            Ok(())
        })
        .unwrap();
        assert_eq!(u.active_policy_name().as_deref(), Some("strict"));
        assert!(u.check_against_policy("ops", "short1").is_err());
        assert!(u.check_against_policy("hscroot", "short1").is_ok());
        assert!(u.check_against_policy("ops", "longenough12").is_ok());
        // A refused change changes nothing.
        assert!(
            u.change_policies(|ps, _| {
                ps.clear();
                Err("no".into())
            })
            .is_err()
        );
        assert_eq!(u.policies().len(), 2);
        u.change_policies(|ps, active| {
            ps.clear();
            *active = None;
            Ok(())
        })
        .unwrap();
        assert_eq!(u.policies().len(), 1);
        assert!(u.active_policy().is_none());
    }

    #[test]
    fn users_stored_before_settings_existed_read_with_the_defaults() {
        let old =
            r#"{"name":"a","password":"p","taskrole":"hmcviewer","description":"","keys":[]}"#;
        let u: User = serde_json::from_str(old).unwrap();
        assert_eq!(u.settings, UserSettings::default());
        assert_eq!(u.settings.pwage, 99999);
    }
}
