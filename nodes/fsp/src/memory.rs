//! A running partition's memory: 4 KiB pages that exist only once written,
//! so a 32 GiB partition costs what its workload has touched, and a dirty
//! bitmap that a migration drains pass after pass.

use std::collections::BTreeMap;

pub const PAGE: usize = 4096;

pub struct Memory {
    pages: BTreeMap<u64, Box<[u8; PAGE]>>,
    dirty: Vec<u64>,
    dirty_count: u64,
    npages: u64,
}

impl Memory {
    pub fn new(size_mb: u64) -> Memory {
        let npages = size_mb * 1024 * 1024 / PAGE as u64;
        Memory {
            pages: BTreeMap::new(),
            dirty: vec![0; npages.div_ceil(64) as usize],
            dirty_count: 0,
            npages,
        }
    }

    pub fn npages(&self) -> u64 {
        self.npages
    }

    /// Writes `data` at `offset` of page `page` and marks it dirty. Writes
    /// beyond the partition's memory are ignored (the caller stays inside).
    pub fn write(&mut self, page: u64, offset: usize, data: &[u8]) {
        if page >= self.npages || offset >= PAGE {
            return;
        }
        let p = self
            .pages
            .entry(page)
            .or_insert_with(|| Box::new([0; PAGE]));
        let n = data.len().min(PAGE - offset);
        p[offset..offset + n].copy_from_slice(&data[..n]);
        let (w, b) = ((page / 64) as usize, page % 64);
        if self.dirty[w] & (1 << b) == 0 {
            self.dirty[w] |= 1 << b;
            self.dirty_count += 1;
        }
    }

    /// A page's contents; a page never written reads as zeros.
    #[allow(dead_code)] // the migration's page stream (next) reads pages
    pub fn read(&self, page: u64) -> [u8; PAGE] {
        self.pages.get(&page).map(|p| **p).unwrap_or([0; PAGE])
    }

    pub fn dirty_count(&self) -> u64 {
        self.dirty_count
    }

    /// The dirty pages, in order, and a clean bitmap after.
    #[allow(dead_code)] // the migration's dirty passes (next) drain it
    pub fn take_dirty(&mut self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.dirty_count as usize);
        for (w, word) in self.dirty.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let b = bits.trailing_zeros() as u64;
                out.push(w as u64 * 64 + b);
                bits &= bits - 1;
            }
            *word = 0;
        }
        self.dirty_count = 0;
        out
    }

    /// Pages that hold memory (were written at least once).
    pub fn resident_pages(&self) -> usize {
        self.pages.len()
    }

    /// SHA-256 over every page that is not all zeros, with its index, in
    /// order: equal for two images exactly when their contents are equal,
    /// however they came to be (a page written with zeros is a zero page).
    pub fn digest(&self) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for (i, p) in &self.pages {
            if p.iter().any(|b| *b != 0) {
                ctx.update(&i.to_le_bytes());
                ctx.update(&p[..]);
            }
        }
        ctx.finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cost_nothing_until_written_and_dirty_drains() {
        let mut m = Memory::new(32 * 1024);
        assert_eq!(m.npages(), 8 * 1024 * 1024);
        assert_eq!(m.resident_pages(), 0);
        m.write(5, 0, b"hello");
        m.write(70, 4094, b"abcd");
        m.write(5, 100, b"again");
        assert_eq!(m.resident_pages(), 2);
        assert_eq!(m.dirty_count(), 2);
        assert_eq!(&m.read(70)[4094..], b"ab");
        assert_eq!(m.take_dirty(), vec![5, 70]);
        assert_eq!(m.dirty_count(), 0);
        assert!(m.take_dirty().is_empty());
        m.write(u64::MAX, 0, b"x");
        assert_eq!(m.resident_pages(), 2, "outside the partition: ignored");
    }

    #[test]
    fn digest_depends_on_contents_only() {
        let (mut a, mut b) = (Memory::new(16), Memory::new(16));
        a.write(1, 0, b"x");
        b.write(1, 0, b"x");
        b.write(2, 0, &[0; 8]);
        assert_eq!(a.digest(), b.digest(), "a zero page is a zero page");
        b.write(3, 7, b"y");
        assert_ne!(a.digest(), b.digest());
    }
}
