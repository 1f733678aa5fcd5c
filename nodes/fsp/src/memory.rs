//! A running partition's memory: 4 KiB pages that exist only once written,
//! so a 32 GiB partition costs what its workload has touched, and a dirty
//! bitmap that a migration drains pass after pass.

use crate::pages::Frames;
pub use crate::pages::PAGE;
use pvmlab_common::window::is_zero;
use std::collections::{BTreeMap, HashMap};

pub struct Memory {
    pages: Frames,
    dirty: Vec<u64>,
    dirty_count: u64,
    npages: u64,
    /// On a migration's destination: the hash of each page as it arrived,
    /// so the image as it was at suspend can be checked while the
    /// partition already runs and writes here.
    received: Option<BTreeMap<u64, [u8; 16]>>,
    /// After resume on the destination: pages still on the source, with
    /// the writes that wait for each (the faulting thread waits; others run).
    missing: Option<HashMap<u64, Vec<(usize, Vec<u8>)>>>,
}

impl Memory {
    pub fn new(size_mb: u64) -> Memory {
        let pages = Frames::new(size_mb * 1024 * 1024 / PAGE as u64);
        let npages = pages.npages();
        Memory {
            pages,
            dirty: vec![0; npages.div_ceil(64) as usize],
            dirty_count: 0,
            npages,
            received: None,
            missing: None,
        }
    }

    /// The shell of a migration's destination: pages arrive, and their
    /// hashes are kept to check the image.
    pub fn incoming(size_mb: u64) -> Memory {
        Memory {
            received: Some(BTreeMap::new()),
            ..Memory::new(size_mb)
        }
    }

    pub fn npages(&self) -> u64 {
        self.npages
    }

    /// Writes `data` at `offset` of page `page` and marks it dirty. Writes
    /// beyond the partition's memory are ignored (the caller stays inside).
    /// A write to a page still on the source waits for it; the return is
    /// true when that page must be asked for (its first fault).
    pub fn write(&mut self, page: u64, offset: usize, data: &[u8]) -> bool {
        if page >= self.npages || offset >= PAGE {
            return false;
        }
        if let Some(waiting) = self.missing.as_mut().and_then(|m| m.get_mut(&page)) {
            let first = waiting.is_empty();
            waiting.push((offset, data.to_vec()));
            return first;
        }
        self.write_present(page, offset, data);
        false
    }

    fn write_present(&mut self, page: u64, offset: usize, data: &[u8]) {
        let Some(p) = self.pages.get_mut(page) else {
            return;
        };
        let n = data.len().min(PAGE - offset);
        p[offset..offset + n].copy_from_slice(&data[..n]);
        let (w, b) = ((page / 64) as usize, page % 64);
        if self.dirty[w] & (1 << b) == 0 {
            self.dirty[w] |= 1 << b;
            self.dirty_count += 1;
        }
    }

    /// A page's contents as sent on the wire: empty for a page of zeros.
    pub fn read_wire(&self, page: u64) -> Vec<u8> {
        match self.pages.get(page) {
            Some(p) if !is_zero(p) => p.to_vec(),
            _ => Vec::new(),
        }
    }

    /// A page arrives from the source (empty data: zeros). Before resume
    /// it replaces what was there; after resume only a page still missing
    /// is taken (a page both demanded and pushed comes twice), and the
    /// writes that waited for it are applied. Returns whether it was taken.
    pub fn put_page(&mut self, page: u64, data: &[u8]) -> bool {
        if page >= self.npages || !(data.is_empty() || data.len() == PAGE) {
            return false;
        }
        let waiting = match self.missing.as_mut() {
            Some(m) => match m.remove(&page) {
                Some(w) => w,
                None => return false,
            },
            None => Vec::new(),
        };
        match hash_data(data) {
            None => {
                self.pages.remove(page);
                if let Some(r) = self.received.as_mut() {
                    r.remove(&page);
                }
            }
            Some(h) => {
                if let Some(p) = self.pages.get_mut(page) {
                    p.copy_from_slice(data);
                }
                if let Some(r) = self.received.as_mut() {
                    r.insert(page, h);
                }
            }
        }
        for (offset, d) in waiting {
            self.write_present(page, offset, &d);
        }
        true
    }

    /// The memory's file, for a migration's mover to map.
    pub fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.pages.fd()
    }

    /// A page the mover wrote into this shell through the memory window,
    /// before the partition runs here: it holds data now, and its hash is
    /// taken from what really is in memory.
    pub fn placed(&mut self, page: u64) {
        let Some(p) = self.pages.get_mut(page) else {
            return;
        };
        let Some(h) = hash_data(&p[..]) else {
            self.put_page(page, &[]);
            return;
        };
        if let Some(r) = self.received.as_mut() {
            r.insert(page, h);
        }
    }

    /// Resume on the destination with `pages` still on the source.
    pub fn set_missing(&mut self, pages: &[u64]) {
        self.missing = Some(
            pages
                .iter()
                .filter(|p| **p < self.npages)
                .map(|p| (*p, Vec::new()))
                .collect(),
        );
    }

    pub fn missing_count(&self) -> usize {
        self.missing.as_ref().map_or(0, |m| m.len())
    }

    /// Every page that holds data becomes dirty: a migration's first pass.
    pub fn mark_resident_dirty(&mut self) {
        let resident: Vec<u64> = self.pages.iter().map(|(i, _)| i).collect();
        for page in resident {
            let (w, b) = ((page / 64) as usize, page % 64);
            if self.dirty[w] & (1 << b) == 0 {
                self.dirty[w] |= 1 << b;
                self.dirty_count += 1;
            }
        }
    }

    pub fn dirty_count(&self) -> u64 {
        self.dirty_count
    }

    /// The dirty pages, in order, and a clean bitmap after.
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

    /// SHA-256 over the index and hash of every page that is not all
    /// zeros, in order: equal for two images exactly when their contents
    /// are equal, however they came to be (a page written with zeros is a
    /// zero page). Two levels, so that a destination can compute it from
    /// the hashes of pages as they arrived.
    ///
    /// The pages are hashed on every core: the source computes this
    /// after the suspend, while the rest of the migration waits for it
    /// (and the partition runs on the destination, so the cores are free).
    pub fn digest(&self) -> String {
        let pages: Vec<(u64, &[u8; PAGE])> = self.pages.iter().collect();
        // Filled in place: a thread that allocated would keep a malloc
        // arena of its own, and the FSP its memory.
        let mut hashes = vec![None; pages.len()];
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let part = pages.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for (ps, hs) in pages.chunks(part).zip(hashes.chunks_mut(part)) {
                s.spawn(move || {
                    for ((_, p), h) in ps.iter().zip(hs) {
                        *h = hash_data(&p[..]);
                    }
                });
            }
        });
        combine(
            pages
                .iter()
                .zip(hashes)
                .filter_map(|((i, _), h)| Some((*i, h?))),
        )
    }

    /// The digest of the image as it arrived (see `digest`), on a
    /// migration's destination, once every page is in. The hashes kept
    /// for it go: a partition that has arrived needs them no more.
    pub fn received_digest(&mut self) -> Option<String> {
        self.received.take().map(|r| combine(r.into_iter()))
    }
}

/// A page's hash: XXH3-128, a tenth of SHA-256's cost per page, and as
/// sure to tell two different pages apart by accident (the lab has no
/// adversary forging pages); the image's digest over these is SHA-256.
fn page_hash(data: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(data).to_le_bytes()
}

/// The hash of a page that holds data; none for a page of zeros, known
/// by its hash being the zero page's (one pass over the page instead of
/// a compare and then a hash: the compare cost as much as the hash).
fn hash_data(data: &[u8]) -> Option<[u8; 16]> {
    static ZERO: std::sync::LazyLock<[u8; 16]> = std::sync::LazyLock::new(|| page_hash(&[0; PAGE]));
    let h = page_hash(data);
    (!data.is_empty() && h != *ZERO).then_some(h)
}

fn combine(pages: impl Iterator<Item = (u64, [u8; 16])>) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (i, h) in pages {
        ctx.update(&i.to_le_bytes());
        ctx.update(&h);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
        assert_eq!(&m.read_wire(70)[4094..], b"ab");
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

    #[test]
    fn a_destination_gets_the_image_and_waits_for_missing_pages() {
        let mut src = Memory::new(16);
        src.write(1, 0, b"one");
        src.write(2, 10, b"two");
        src.write(3, 0, b"three");
        let mut dst = Memory::incoming(16);
        for p in [1, 2] {
            assert!(dst.put_page(p, &src.read_wire(p)));
        }
        dst.set_missing(&[3]);
        assert!(dst.write(3, 100, b"later"), "first fault asks for the page");
        assert!(!dst.write(3, 200, b"again"), "asked already");
        assert_eq!(dst.missing_count(), 1);
        assert!(dst.put_page(3, &src.read_wire(3)));
        assert!(
            !dst.put_page(3, &src.read_wire(3)),
            "a second copy is ignored"
        );
        assert_eq!(dst.received_digest().unwrap(), src.digest());
        assert_eq!(&dst.read_wire(3)[100..105], b"later");
        assert_eq!(&dst.read_wire(3)[..5], b"three");
        assert_ne!(dst.digest(), src.digest(), "it has run on since");
        assert!(!dst.put_page(99, &[0; 5]), "a bad page is refused");
    }
}
