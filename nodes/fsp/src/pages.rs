//! Page frames for a partition's memory, as a hypervisor keeps them: one
//! memfd as large as the partition, reserved but not backed. A page takes
//! RAM when it is first written and gives it back to the system when it
//! is dropped, so that an FSP holds what its partitions have written and
//! little more: a heap of 4 KiB boxes kept what it freed (measured: 558
//! MiB over the written pages after a partition left and came back). A
//! memfd rather than anonymous memory so that a migration's mover can map
//! it (the VASI memory window, `pvmlab_common::window`).

use pvmlab_common::window::Mapping;
use std::os::fd::BorrowedFd;

pub use pvmlab_common::window::PAGE;

pub struct Frames {
    mem: Option<Mapping>,
    npages: u64,
    /// Which pages hold data (were written and not dropped since).
    present: Vec<u64>,
    count: usize,
}

impl Frames {
    /// Room for `npages` pages, none backed yet. Should the system refuse
    /// the memory, the partition gets none (and it is logged).
    pub fn new(npages: u64) -> Frames {
        let mem = match Mapping::create(npages) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(npages, "cannot map the partition's memory: {e}");
                None
            }
        };
        let npages = if mem.is_some() { npages } else { 0 };
        Frames {
            mem,
            npages,
            present: vec![0; npages.div_ceil(64) as usize],
            count: 0,
        }
    }

    /// The memory's file, to lend to a mover.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.mem.as_ref().map(Mapping::fd)
    }

    pub fn npages(&self) -> u64 {
        self.npages
    }

    fn slot(&self, page: u64) -> Option<*mut u8> {
        self.mem.as_ref()?.page_ptr(page)
    }

    pub fn is_present(&self, page: u64) -> bool {
        page < self.npages && self.present[(page / 64) as usize] & (1 << (page % 64)) != 0
    }

    /// A page that holds data.
    pub fn get(&self, page: u64) -> Option<&[u8; PAGE]> {
        if !self.is_present(page) {
            return None;
        }
        // SAFETY: inside the mapping, page-aligned, and borrowed from self.
        self.slot(page)
            .map(|p| unsafe { &*(p as *const [u8; PAGE]) })
    }

    /// A page to write, present from now on (zeros if it was not).
    pub fn get_mut(&mut self, page: u64) -> Option<&mut [u8; PAGE]> {
        let p = self.slot(page)?;
        let (w, b) = ((page / 64) as usize, page % 64);
        if self.present[w] & (1 << b) == 0 {
            self.present[w] |= 1 << b;
            self.count += 1;
        }
        // SAFETY: inside the mapping, page-aligned, borrowed mutably from self.
        Some(unsafe { &mut *(p as *mut [u8; PAGE]) })
    }

    /// The page holds nothing any more: its RAM goes back to the system
    /// (it reads as zeros if written again).
    pub fn remove(&mut self, page: u64) {
        if !self.is_present(page) {
            return;
        }
        self.present[(page / 64) as usize] &= !(1 << (page % 64));
        self.count -= 1;
        if let Some(m) = &self.mem {
            m.discard(page);
        }
    }

    /// Pages that hold data.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Every page that holds data, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[u8; PAGE])> + '_ {
        self.present
            .iter()
            .enumerate()
            .flat_map(|(w, word)| {
                let mut bits = *word;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let b = bits.trailing_zeros() as u64;
                        bits &= bits - 1;
                        w as u64 * 64 + b
                    })
                })
            })
            .filter_map(|i| self.get(i).map(|p| (i, p)))
    }
}

/// Memory that held much goes back to the system on a thread of its own:
/// unmapping a GiB of pages takes a tenth of a second, and whatever let
/// go of it (the end of a migration, a shutdown, a stream closing on the
/// FSP's one runtime thread) need not wait for that.
impl Drop for Frames {
    fn drop(&mut self) {
        const LARGE: usize = 16384; // 64 MiB
        if let Some(m) = self.mem.take().filter(|_| self.count >= LARGE) {
            std::thread::spawn(move || drop(m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_zero_until_written_and_go_back_when_removed() {
        let mut f = Frames::new(1 << 23); // 32 GiB, reserved only
        assert_eq!(f.len(), 0);
        assert!(f.get(5).is_none());
        f.get_mut(5).unwrap()[7] = 9;
        f.get_mut(1 << 22).unwrap()[0] = 1;
        assert_eq!(f.len(), 2);
        assert_eq!(f.get(5).unwrap()[7], 9);
        assert_eq!(
            f.iter().map(|(i, _)| i).collect::<Vec<_>>(),
            vec![5, 1 << 22]
        );
        f.remove(5);
        assert!(f.get(5).is_none());
        assert_eq!(
            f.get_mut(5).unwrap()[7],
            0,
            "a dropped page comes back as zeros"
        );
        assert!(f.get_mut(1 << 23).is_none(), "outside the partition");
    }
}
