//! The frame's partitions as a copy-on-write map: `change` works on a copy
//! that shares every partition with the truth until one is written, so a
//! change costs what it touches, not what the frame holds, and what it
//! touched (to persist and to publish) is known by pointer.

use pvmlab_common::model::Partition;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Lpars(BTreeMap<u32, Arc<Partition>>);

impl Lpars {
    pub fn get(&self, id: &u32) -> Option<&Partition> {
        self.0.get(id).map(|p| &**p)
    }

    /// The partition to write: from here on it is this copy's own.
    pub fn get_mut(&mut self, id: &u32) -> Option<&mut Partition> {
        self.0.get_mut(id).map(Arc::make_mut)
    }

    pub fn contains_key(&self, id: &u32) -> bool {
        self.0.contains_key(id)
    }

    pub fn insert(&mut self, id: u32, p: Partition) {
        self.0.insert(id, Arc::new(p));
    }

    pub fn remove(&mut self, id: &u32) -> Option<Partition> {
        self.0.remove(id).map(Arc::unwrap_or_clone)
    }

    pub fn values(&self) -> impl Iterator<Item = &Partition> {
        self.0.values().map(|p| &**p)
    }

    /// Every partition to write (each becomes this copy's own; `changes`
    /// still reports only those whose value differs).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Partition> {
        self.0.values_mut().map(Arc::make_mut)
    }

    /// What `self` changed from `before`: the ids of partitions written
    /// (and different) or added, and of those removed.
    pub fn changes(&self, before: &Lpars) -> (Vec<u32>, Vec<u32>) {
        let changed = self
            .0
            .iter()
            .filter(|(id, p)| {
                before
                    .0
                    .get(id)
                    .is_none_or(|b| !Arc::ptr_eq(b, p) && **b != ***p)
            })
            .map(|(id, _)| *id)
            .collect();
        let removed = before
            .0
            .keys()
            .filter(|id| !self.0.contains_key(id))
            .copied()
            .collect();
        (changed, removed)
    }
}

impl std::ops::Index<&u32> for Lpars {
    type Output = Partition;
    fn index(&self, id: &u32) -> &Partition {
        &self.0[id]
    }
}

impl FromIterator<Partition> for Lpars {
    fn from_iter<I: IntoIterator<Item = Partition>>(it: I) -> Self {
        Lpars(it.into_iter().map(|p| (p.id, Arc::new(p))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lpar(id: u32, name: &str) -> Partition {
        Partition {
            id,
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_copy_reports_only_what_it_changed() {
        let before: Lpars = (1..=300).map(|i| lpar(i, "x")).collect();
        let mut next = before.clone();
        next.get_mut(&7).unwrap().name = "seven".into();
        // Written but left as it was: no change.
        next.get_mut(&8).unwrap().name = "x".into();
        next.remove(&9);
        next.insert(301, lpar(301, "new"));
        let (changed, removed) = next.changes(&before);
        assert_eq!(changed, [7, 301]);
        assert_eq!(removed, [9]);
        assert_eq!(before[&7].name, "x", "the truth is untouched");
    }
}
