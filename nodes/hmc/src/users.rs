//! HMC users: each HMC keeps its own, with a task role, a password and
//! authorized SSH keys, in its own database. A new HMC has `hscroot` with
//! password `abc123`, as a real one does out of the box.

use pvmlab_common::store::{Store, StoreError};
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
}

pub const TASK_ROLES: &[&str] = &[
    "hmcsuperadmin",
    "hmcoperator",
    "hmcviewer",
    "hmcpe",
    "hmcservicerep",
];

impl User {
    /// A viewer may list but change nothing.
    pub fn may_change(&self) -> bool {
        self.taskrole != "hmcviewer"
    }
}

const TABLE: &str = "users";

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
                .apply(vec![pvmlab_common::store::Write::delete(TABLE, name)])
                .map_err(|e| e.to_string()),
        }
    }
}
