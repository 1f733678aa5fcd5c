//! Page frames for a partition's memory, as a hypervisor keeps them: one
//! anonymous mapping as large as the partition, reserved but not backed
//! (MAP_NORESERVE). A page takes RAM when it is first written and gives it
//! back to the system when it is dropped (MADV_DONTNEED), so that an FSP
//! holds what its partitions have written and little more: a heap of 4 KiB
//! boxes kept what it freed (measured: 558 MiB over the written pages after
//! a partition left and came back).

use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags, madvise, mmap_anonymous, munmap};
use std::num::NonZeroUsize;
use std::ptr::NonNull;

pub const PAGE: usize = 4096;

pub struct Frames {
    base: Option<NonNull<u8>>,
    npages: u64,
    /// Which pages hold data (were written and not dropped since).
    present: Vec<u64>,
    count: usize,
}

// SAFETY: the mapping is owned by this value alone and every access goes
// through `&self`/`&mut self`, like a Vec's buffer.
unsafe impl Send for Frames {}
unsafe impl Sync for Frames {}

impl Frames {
    /// Room for `npages` pages, none backed yet. Should the system refuse
    /// the mapping, the partition gets no memory (and it is logged).
    pub fn new(npages: u64) -> Frames {
        let len = (npages as usize).saturating_mul(PAGE);
        let base = NonZeroUsize::new(len).and_then(|len| {
            // SAFETY: a fresh private anonymous mapping, aliased by nothing.
            let r = unsafe {
                mmap_anonymous(
                    None,
                    len,
                    ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                    MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
                )
            };
            match r {
                Ok(p) => Some(p.cast::<u8>()),
                Err(e) => {
                    tracing::error!(npages, "cannot map the partition's memory: {e}");
                    None
                }
            }
        });
        let npages = if base.is_some() { npages } else { 0 };
        Frames {
            base,
            npages,
            present: vec![0; npages.div_ceil(64) as usize],
            count: 0,
        }
    }

    pub fn npages(&self) -> u64 {
        self.npages
    }

    fn slot(&self, page: u64) -> Option<*mut u8> {
        let base = self.base?;
        // SAFETY: page < npages keeps the offset inside the mapping.
        (page < self.npages).then(|| unsafe { base.as_ptr().add(page as usize * PAGE) })
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
        if let Some(p) = self.slot(page).and_then(NonNull::new) {
            // SAFETY: one whole page of our own mapping; nothing borrows it
            // (we hold &mut self).
            let _ = unsafe { madvise(p.cast(), PAGE, MmapAdvise::MADV_DONTNEED) };
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

impl Drop for Frames {
    fn drop(&mut self) {
        if let Some(base) = self.base {
            // SAFETY: the mapping made in `new`, with its length; no borrow
            // outlives self.
            let _ = unsafe { munmap(base.cast(), self.npages as usize * PAGE) };
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
