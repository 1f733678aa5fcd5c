//! The array itself: LUNs of 4 KiB blocks in one database, the zoning of
//! each LUN to the VIOS that see it and its masking to client virtual FC
//! WWPNs (NPIV), and the single_path reserves held on them. Concurrent writes are committed together, so a busy lab pays one
//! durable commit per batch rather than one per block.

use pvmlab_common::proto::san::{Refusal, Reserve};
use pvmlab_common::san::BLOCK;
use pvmlab_common::store::{Store, StoreError, Write};
use pvmlab_common::topology::{Topology, vios_node_name};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

const BLOCKS: &str = "blocks";
const DEVICES: &str = "devices";
/// Writes waiting for one commit at most: a bound on what a commit holds.
const BATCH: usize = 256;

type Done = oneshot::Sender<Result<(), StoreError>>;

pub struct Array {
    store: Arc<Store>,
    /// LUN id → its size in blocks.
    luns: BTreeMap<String, u64>,
    /// VIOS node name → the LUNs zoned to it.
    zoning: BTreeMap<String, BTreeSet<String>>,
    /// Client virtual FC WWPN (lower case) → the LUNs masked to it, with
    /// their unique id and size: what a fabric login through NPIV finds.
    masking: BTreeMap<String, Vec<(String, String, u64)>>,
    /// LUN id → the VIOS holding a single_path reserve on it. A reserve
    /// lives as long as the array runs, as a SCSI-2 reserve does.
    reserves: Mutex<BTreeMap<String, String>>,
    writes: mpsc::Sender<(Write, Done)>,
}

impl Array {
    pub fn open(path: &Path, topo: &Topology) -> Result<Array, StoreError> {
        let store = Arc::new(Store::open(path)?);
        let luns = topo
            .lun
            .iter()
            .map(|l| {
                (
                    l.id.get_ref().clone(),
                    l.size_mb * 1024 * 1024 / BLOCK as u64,
                )
            })
            .collect();
        let zoning = topo
            .frame
            .iter()
            .flat_map(|f| {
                f.vios.iter().map(|v| {
                    (
                        vios_node_name(f.name.get_ref(), v.name.get_ref()),
                        v.luns.get_ref().iter().cloned().collect(),
                    )
                })
            })
            .collect();
        let mut masking: BTreeMap<String, Vec<(String, String, u64)>> = BTreeMap::new();
        for l in &topo.lun {
            for w in l.wwpns.get_ref() {
                masking.entry(w.to_lowercase()).or_default().push((
                    l.id.get_ref().clone(),
                    l.udid(),
                    l.size_mb,
                ));
            }
        }
        let (tx, rx) = mpsc::channel(BATCH * 4);
        let committer = store.clone();
        std::thread::Builder::new()
            .name("san-commit".into())
            .spawn(move || commit_loop(&committer, rx))
            .map_err(|e| StoreError::Db(e.to_string()))?;
        Ok(Array {
            store,
            luns,
            zoning,
            masking,
            reserves: Mutex::new(BTreeMap::new()),
            writes: tx,
        })
    }

    /// Whether the array has `lun` at all (for the controller, who sees
    /// every LUN and takes no reserve).
    pub fn exists(&self, lun: &str) -> Result<u64, Refusal> {
        self.luns.get(lun).copied().ok_or(Refusal::NotZoned)
    }

    /// Whether `vios` may do I/O on `lun` with `reserve`: zoned, in range,
    /// and not reserved by another VIOS. A single_path I/O takes the
    /// reserve; a no_reserve one from the holder gives it back.
    pub fn admit(&self, vios: &str, lun: &str, reserve: Reserve) -> Result<u64, Refusal> {
        let size = *self.luns.get(lun).ok_or(Refusal::NotZoned)?;
        if !self.zoning.get(vios).is_some_and(|z| z.contains(lun)) {
            return Err(Refusal::NotZoned);
        }
        let mut held = self.reserves.lock().unwrap_or_else(|e| e.into_inner());
        match (held.get(lun), reserve) {
            (Some(holder), _) if holder != vios => Err(Refusal::ReservationConflict),
            (_, Reserve::SinglePath) => {
                held.insert(lun.to_string(), vios.to_string());
                Ok(size)
            }
            (Some(_), Reserve::NoReserve) => {
                held.remove(lun);
                Ok(size)
            }
            (None, Reserve::NoReserve) => Ok(size),
        }
    }

    /// The LUNs masked to a client's virtual FC port: (id, udid, size MB).
    pub fn login(&self, wwpn: &str) -> &[(String, String, u64)] {
        self.masking
            .get(&wwpn.to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Whether I/O from a client's virtual FC port `wwpn` (through some
    /// VIOS's NPIV port) may reach `lun`: the LUN is masked to it. Client
    /// reserves are the client's business, so none is taken here.
    pub fn admit_npiv(&self, wwpn: &str, lun: &str) -> Result<u64, Refusal> {
        let size = *self.luns.get(lun).ok_or(Refusal::NotZoned)?;
        if !self.login(wwpn).iter().any(|(id, _, _)| id == lun) {
            return Err(Refusal::NotZoned);
        }
        Ok(size)
    }

    pub fn read(&self, lun: &str, block: u64) -> Result<Vec<u8>, StoreError> {
        Ok(self
            .store
            .get_bytes(BLOCKS, &key(lun, block))?
            .unwrap_or_else(|| vec![0; BLOCK]))
    }

    /// Stores one block; returns once it is durable.
    pub async fn write(&self, lun: &str, block: u64, data: Vec<u8>) -> Result<(), StoreError> {
        self.commit(Write::bytes(BLOCKS, key(lun, block), data))
            .await
    }

    pub fn device(&self, lun: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.store.get_bytes(DEVICES, lun)?.unwrap_or_default())
    }

    /// Replaces a whole device: one write, so a reader sees the old
    /// contents or the new, never part of each.
    pub async fn put_device(&self, lun: &str, data: Vec<u8>) -> Result<(), StoreError> {
        self.commit(Write::bytes(DEVICES, lun, data)).await
    }

    async fn commit(&self, w: Write) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        let gone = || StoreError::Db("the array's committer has stopped".into());
        self.writes.send((w, done)).await.map_err(|_| gone())?;
        wait.await.map_err(|_| gone())?
    }
}

fn key(lun: &str, block: u64) -> String {
    format!("{lun}/{block:012}")
}

/// Takes what writes are waiting, commits them in one transaction, then
/// acknowledges each: nothing is acknowledged before it is durable.
fn commit_loop(store: &Store, mut rx: mpsc::Receiver<(Write, Done)>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let (writes, dones): (Vec<Write>, Vec<Done>) = batch.into_iter().unzip();
        let result = store.apply(writes);
        for d in dones {
            let _ = d.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Db(e.to_string())),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology::parse("default", pvmlab_common::topology::DEFAULT_LAB).unwrap()
    }

    #[tokio::test]
    async fn blocks_are_zoned_reserved_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("san.redb");
        let a = Array::open(&path, &topo()).unwrap();
        assert_eq!(
            a.admit("sys1-vios1", "lun01", Reserve::NoReserve),
            Ok(5_242_880)
        );
        assert_eq!(
            a.admit("sys1-vios1", "nolun", Reserve::NoReserve),
            Err(Refusal::NotZoned)
        );
        assert_eq!(
            a.admit("sys1-vios9", "lun01", Reserve::NoReserve),
            Err(Refusal::NotZoned)
        );
        // A single_path reserve shuts the other VIOS out until its holder
        // gives it back.
        a.admit("sys1-vios1", "lun02", Reserve::SinglePath).unwrap();
        assert_eq!(
            a.admit("sys1-vios2", "lun02", Reserve::NoReserve),
            Err(Refusal::ReservationConflict)
        );
        a.admit("sys1-vios1", "lun02", Reserve::NoReserve).unwrap();
        a.admit("sys1-vios2", "lun02", Reserve::NoReserve).unwrap();
        // NPIV: the LUNs masked to a client's virtual FC port, by WWPN.
        let luns: Vec<&str> = a
            .login("C050760431670040")
            .iter()
            .map(|(id, _, _)| id.as_str())
            .collect();
        assert_eq!(luns, ["lun10"]);
        assert!(a.login("c0507604316700ff").is_empty());
        assert_eq!(a.admit_npiv("c050760431670042", "lun10"), Ok(5_242_880));
        assert_eq!(
            a.admit_npiv("c050760431670042", "lun01"),
            Err(Refusal::NotZoned)
        );

        assert_eq!(a.read("lun01", 7).unwrap(), vec![0; BLOCK]);
        let block = vec![0xa5; BLOCK];
        let (w1, w2) = tokio::join!(
            a.write("lun01", 7, block.clone()),
            a.write("lun01", 8, vec![1; BLOCK])
        );
        w1.unwrap();
        w2.unwrap();
        a.put_device("rsd01", b"<FileInfo/>".to_vec())
            .await
            .unwrap();
        drop(a);
        let again = Array::open(&path, &topo());
        // The committer thread of the first holds the file until it
        // notices its channel closed; open once it has.
        let again = match again {
            Ok(a) => a,
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(200));
                Array::open(&path, &topo()).unwrap()
            }
        };
        assert_eq!(again.read("lun01", 7).unwrap(), block);
        assert_eq!(again.device("rsd01").unwrap(), b"<FileInfo/>");
    }
}
