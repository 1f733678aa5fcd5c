//! VASI's memory window. On a real frame a mover service partition
//! reaches a migrating partition's memory through the hypervisor, not over
//! a network. Here the FSP keeps each partition's memory in a memfd and
//! lends it, once per migration, to the MSP that opened the VASI stream
//! over mTLS: the FSP puts a one-time token on that stream, and the MSP
//! redeems it on the FSP's Unix socket for the memfd (SCM_RIGHTS). A
//! source MSP maps it and encodes pages straight from it; a destination
//! MSP writes with pwritev (writing through a mapping of its own cost it
//! a page fault per page: half its time, measured).
//! Page contents thus cross between FSP and MSP without TCP or TLS, and
//! the VASI stream carries page numbers; only the MSP-to-MSP hop moves bytes
//! over the network, as on real hardware. (Measured with three mTLS hops
//! instead: a copy rate of a tenth of one raw rustls stream, the two cores
//! busy with the same bytes three times.) Where the socket cannot be
//! reached (a path too long, another host), the token is empty or fails
//! and the pages go through the VASI stream itself.

use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags, madvise, mmap, munmap};
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, UnixAddr, recvmsg, sendmsg};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IoSlice, IoSliceMut, Read, Write};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::codegen::Bytes;

pub const PAGE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("memory window: {0}")]
    Io(#[from] std::io::Error),
    #[error("memory window: {0}")]
    Sys(#[from] nix::Error),
    #[error("memory window: the hypervisor did not honour the token")]
    Refused,
}

/// Whether a page is all zeros: a memcmp with a page of zeros, several
/// times faster than a loop over the bytes.
pub fn is_zero(data: &[u8]) -> bool {
    static ZERO: [u8; PAGE] = [0; PAGE];
    data.chunks(PAGE).all(|c| c == &ZERO[..c.len()])
}

/// Pages of memory in a memfd, mapped shared: what one process writes,
/// every process that maps it sees.
pub struct Mapping {
    base: NonNull<u8>,
    npages: u64,
    file: File,
}

// SAFETY: the mapping belongs to this value and lives until it drops; the
// methods bound every access to it.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Memory for `npages` pages, none backed yet: a page takes RAM when
    /// it is first written.
    pub fn create(npages: u64) -> Result<Mapping, WindowError> {
        let file = File::from(memfd_create(c"pvmlab-partition", MFdFlags::MFD_CLOEXEC)?);
        file.set_len(npages.saturating_mul(PAGE as u64))?;
        Mapping::map(file)
    }

    /// Maps memory lent by `open`.
    pub fn map(file: File) -> Result<Mapping, WindowError> {
        let npages = file.metadata()?.len() / PAGE as u64;
        let len = NonZeroUsize::new((npages as usize).max(1) * PAGE).ok_or(WindowError::Refused)?;
        // SAFETY: a shared mapping of a file we hold, aliased only by other
        // mappings of the same memory (which is the point).
        let base = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED | MapFlags::MAP_NORESERVE,
                &file,
                0,
            )?
        };
        Ok(Mapping {
            base: base.cast(),
            npages,
            file,
        })
    }

    pub fn npages(&self) -> u64 {
        self.npages
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Where page `page` starts, inside the mapping.
    pub fn page_ptr(&self, page: u64) -> Option<*mut u8> {
        // SAFETY: page < npages keeps the offset inside the mapping.
        (page < self.npages).then(|| unsafe { self.base.as_ptr().add(page as usize * PAGE) })
    }

    /// `n` pages from `page` on, as bytes that keep the mapping alive and
    /// copy nothing: prost copies them once, into the message it encodes.
    /// Another process may be writing them meanwhile (a running partition
    /// on a migration's source): what is read may then mix old and new
    /// bytes, as a real mover's read would, and the write has marked the
    /// page dirty, so it is sent again. Nothing here relies on the bytes
    /// staying as they were.
    pub fn pages(self: &Arc<Self>, page: u64, n: usize) -> Option<Bytes> {
        let end = page.checked_add(n as u64)?;
        (end <= self.npages).then(|| {
            Bytes::from_owner(Run {
                map: self.clone(),
                at: page as usize * PAGE,
                len: n * PAGE,
            })
        })
    }

    /// The page's memory goes back to the system; it reads as zeros after.
    pub fn discard(&self, page: u64) {
        if let Some(p) = self.page_ptr(page).and_then(NonNull::new) {
            // SAFETY: one whole page of our mapping. MADV_REMOVE frees the
            // memfd's backing too, which MADV_DONTNEED on a shared mapping
            // would not.
            let _ = unsafe { madvise(p.cast(), PAGE, MmapAdvise::MADV_REMOVE) };
        }
    }
}

/// Pages of a mapping, kept alive by whoever holds the bytes.
struct Run {
    map: Arc<Mapping>,
    at: usize,
    len: usize,
}

impl AsRef<[u8]> for Run {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: inside the mapping (checked in `pages`), which this
        // value keeps mapped. See `pages` on writers in other processes.
        unsafe { std::slice::from_raw_parts(self.map.base.as_ptr().add(self.at), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, with its length.
        let _ = unsafe { munmap(self.base.cast(), (self.npages as usize).max(1) * PAGE) };
    }
}

/// The FSP's end: the memory it lends to its MSPs, by token.
#[derive(Clone, Default)]
pub struct Windows {
    path: Option<String>,
    offers: Arc<Mutex<HashMap<String, OwnedFd>>>,
}

/// One lent memory, redeemable once while this value lives.
pub struct Offer {
    pub path: String,
    pub token: String,
    offers: Arc<Mutex<HashMap<String, OwnedFd>>>,
}

impl Drop for Offer {
    fn drop(&mut self) {
        self.offers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.token);
    }
}

impl Windows {
    /// Lends memory on a Unix socket at `path`. Where it cannot listen,
    /// it offers nothing and pages go through VASI.
    pub fn serve(path: &Path) -> Windows {
        let _ = std::fs::remove_file(path);
        let listener = match UnixListener::bind(path) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(path = %path.display(), "no memory window for VASI ({e}); pages go through the VASI stream");
                return Windows::default();
            }
        };
        // Absolute: the MSP runs elsewhere (in its own directory or container).
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let w = Windows {
            path: Some(path.display().to_string()),
            offers: Arc::default(),
        };
        let offers = w.offers.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let offers = offers.clone();
                std::thread::spawn(move || {
                    if let Err(e) = lend(&offers, conn) {
                        tracing::warn!("memory window refused: {e}");
                    }
                });
            }
        });
        w
    }

    /// A one-time token for `fd`, or nothing where there is no socket.
    pub fn offer(&self, fd: BorrowedFd<'_>) -> Option<Offer> {
        let path = self.path.clone()?;
        let fd = fd.try_clone_to_owned().ok()?;
        let token = format!("{:032x}", rand::random::<u128>());
        self.offers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), fd);
        Some(Offer {
            path,
            token,
            offers: self.offers.clone(),
        })
    }
}

fn lend(offers: &Mutex<HashMap<String, OwnedFd>>, s: UnixStream) -> Result<(), WindowError> {
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new((&s).take(100)).read_line(&mut line)?;
    let fd = offers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(line.trim())
        .ok_or(WindowError::Refused)?;
    sendmsg::<UnixAddr>(
        s.as_raw_fd(),
        &[IoSlice::new(b"k")],
        &[ControlMessage::ScmRights(&[fd.as_raw_fd()])],
        MsgFlags::empty(),
        None,
    )?;
    Ok(())
}

/// The MSP's end: redeems `token` at `path` for the partition's memory,
/// a file of its pages. Blocking: a few system calls, once per migration.
pub fn open(path: &str, token: &str) -> Result<File, WindowError> {
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(format!("{token}\n").as_bytes())?;
    let mut byte = [0u8; 1];
    let mut cmsg = nix::cmsg_space!([RawFd; 1]);
    let mut iov = [IoSliceMut::new(&mut byte)];
    let msg = recvmsg::<UnixAddr>(
        s.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut fd = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for f in fds {
                // SAFETY: the kernel just gave us this descriptor; nothing
                // else owns it.
                let owned = unsafe { OwnedFd::from_raw_fd(f) };
                fd.get_or_insert(owned);
            }
        }
    }
    Ok(File::from(fd.ok_or(WindowError::Refused)?))
}

/// Writes consecutive pages from `page` on: one pwritev.
pub fn write_pages(f: &File, page: u64, pages: &[&[u8]]) -> std::io::Result<()> {
    let mut iov: Vec<IoSlice<'_>> = pages.iter().map(|p| IoSlice::new(p)).collect();
    let mut iov = &mut iov[..];
    let mut off = (page * PAGE as u64) as i64;
    while !iov.is_empty() {
        let n = nix::sys::uio::pwritev(f, iov, off).map_err(std::io::Error::from)?;
        off += n as i64;
        IoSlice::advance_slices(&mut iov, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_lends_the_memory_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = Windows::serve(&dir.path().join("vasi.sock"));
        let mem = Mapping::create(1 << 20).unwrap(); // 4 GiB, reserved only
        let mut page = vec![0u8; PAGE];
        page[7] = 42;
        let p5 = mem.page_ptr(5).unwrap();
        // SAFETY: one page of the mapping, written by this thread alone.
        unsafe { std::ptr::copy_nonoverlapping(page.as_ptr(), p5, PAGE) };
        let offer = w.offer(mem.fd()).unwrap();
        assert!(open(&offer.path, "not-the-token").is_err());
        let f = open(&offer.path, &offer.token).unwrap();
        page[8] = 1;
        write_pages(&f, 6, &[&page, &page]).unwrap();
        let other = Arc::new(Mapping::map(f).unwrap());
        assert_eq!(other.npages(), 1 << 20);
        let got = other.pages(4, 2).unwrap();
        assert_eq!(&got[..PAGE], &[0; PAGE][..], "a page never written");
        assert_eq!(got[PAGE + 7], 42, "the same memory");
        assert_eq!(&other.pages(7, 1).unwrap()[..], &page[..], "both ways");
        assert!(open(&offer.path, &offer.token).is_err(), "once only");
        assert!(
            other.pages((1 << 20) - 1, 2).is_none(),
            "outside the memory"
        );
        mem.discard(7);
        assert!(
            is_zero(&other.pages(7, 1).unwrap()),
            "a discarded page is zeros"
        );
        let gone = w.offer(mem.fd()).unwrap();
        let (path, token) = (gone.path.clone(), gone.token.clone());
        drop(gone);
        assert!(
            open(&path, &token).is_err(),
            "an offer ends with its stream"
        );
    }
}
