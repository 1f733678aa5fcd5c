//! Every node's embedded database (redb). Values are JSON so that a stored
//! record stays readable with any tool; every write is one durable
//! transaction, so what a node acknowledged survives `kill -9`.

use redb::{ReadableDatabase, ReadableTable};
use serde::{Serialize, de::DeserializeOwned};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(String),
    #[error("stored record {key} is unreadable: {msg}")]
    Decode { key: String, msg: String },
}

fn db<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Db(e.to_string())
}

pub struct Store {
    db: redb::Database,
}

type Table<'a> = redb::TableDefinition<'a, &'static str, &'static [u8]>;

/// One write to apply atomically with others.
pub enum Write {
    Put {
        table: &'static str,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        table: &'static str,
        key: String,
    },
}

impl Write {
    pub fn put<T: Serialize>(table: &'static str, key: impl Into<String>, value: &T) -> Write {
        Write::Put {
            table,
            key: key.into(),
            value: serde_json::to_vec(value).unwrap_or_default(),
        }
    }
    /// Bytes stored as they are (read back with `Store::get_bytes`).
    pub fn bytes(table: &'static str, key: impl Into<String>, value: Vec<u8>) -> Write {
        Write::Put {
            table,
            key: key.into(),
            value,
        }
    }
    pub fn delete(table: &'static str, key: impl Into<String>) -> Write {
        Write::Delete {
            table,
            key: key.into(),
        }
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(db)?;
        }
        Ok(Store {
            db: redb::Database::create(path).map_err(db)?,
        })
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        table: &'static str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.db.begin_read().map_err(db)?;
        let t = match tx.open_table(Table::new(table)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db(e)),
        };
        let Some(v) = t.get(key).map_err(db)? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| StoreError::Decode {
                key: key.into(),
                msg: e.to_string(),
            })
    }

    /// A value as it is stored, for tables of bytes rather than records
    /// (the SAN's blocks).
    pub fn get_bytes(&self, table: &'static str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(db)?;
        let t = match tx.open_table(Table::new(table)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db(e)),
        };
        Ok(t.get(key).map_err(db)?.map(|v| v.value().to_vec()))
    }

    pub fn list<T: DeserializeOwned>(
        &self,
        table: &'static str,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let tx = self.db.begin_read().map_err(db)?;
        let t = match tx.open_table(Table::new(table)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(db(e)),
        };
        let mut out = Vec::new();
        for item in t.iter().map_err(db)? {
            let (k, v) = item.map_err(db)?;
            let key = k.value().to_string();
            let val = serde_json::from_slice(v.value()).map_err(|e| StoreError::Decode {
                key: key.clone(),
                msg: e.to_string(),
            })?;
            out.push((key, val));
        }
        Ok(out)
    }

    /// Applies the writes in one durable transaction: all or none.
    pub fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db)?;
        for w in &writes {
            match w {
                Write::Put { table, key, value } => {
                    let mut t = tx.open_table(Table::new(table)).map_err(db)?;
                    t.insert(key.as_str(), value.as_slice()).map_err(db)?;
                }
                Write::Delete { table, key } => {
                    let mut t = tx.open_table(Table::new(table)).map_err(db)?;
                    t.remove(key.as_str()).map_err(db)?;
                }
            }
        }
        tx.commit().map_err(db)
    }

    pub fn put<T: Serialize>(
        &self,
        table: &'static str,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        self.apply(vec![Write::put(table, key, value)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_read_back_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        {
            let s = Store::open(&path).unwrap();
            s.apply(vec![
                Write::put("t", "a", &1u32),
                Write::put("t", "b", &2u32),
            ])
            .unwrap();
            s.apply(vec![Write::delete("t", "a")]).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.get::<u32>("t", "a").unwrap(), None);
        assert_eq!(s.list::<u32>("t").unwrap(), vec![("b".to_string(), 2)]);
        assert_eq!(s.get::<u32>("missing", "x").unwrap(), None);
    }
}
