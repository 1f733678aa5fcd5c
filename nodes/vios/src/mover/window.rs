//! The partition's memory window: the file of its memory, which the
//! hypervisor lends the MSP so pages need not cross the VASI stream. The
//! source reads pages out of it without copying them; the destination
//! writes them into the shell, a run of pages at a time.

use super::PAGE;
use pvmlab_common::proto::mover::{Opened, Page, Pages, Placed};
use pvmlab_common::test_switch::{self, Switch};
use pvmlab_common::window::{self, Mapping};
use std::fs::File;
use std::sync::Arc;
use tonic::codegen::Bytes;

/// Runs of consecutive pages: the first page of each, and where the run
/// lies in `pages`. A run is one slice of the mapping, or one pwritev.
pub fn runs(pages: &[u64]) -> impl Iterator<Item = (u64, std::ops::Range<usize>)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let start = i;
        let first = *pages.get(i)?;
        i += 1;
        while pages.get(i) == Some(&(first + (i - start) as u64)) {
            i += 1;
        }
        Some((first, start..i))
    })
}

/// Pages of the partition's mapped memory, a page of zeros as empty data;
/// nothing is copied until the message is encoded. None: a page lies
/// outside the partition.
pub fn read(w: &Arc<Mapping>, pages: &[u64]) -> Option<Pages> {
    let page = window::PAGE;
    let mut out = Vec::with_capacity(pages.len());
    for (first, r) in runs(pages) {
        let run = w.pages(first, r.len())?;
        for (n, at) in r.enumerate() {
            let data = run.slice(n * page..(n + 1) * page);
            out.push(Page {
                index: pages[at],
                data: if window::is_zero(&data) {
                    Bytes::new()
                } else {
                    data
                },
            });
        }
    }
    Some(Pages { pages: out })
}

/// Opens the memory window the hypervisor offered, if it did; without
/// one, pages go through the VASI stream (slower, and logged).
pub async fn open(opened: &Opened) -> Option<File> {
    if opened.window_token.is_empty() {
        tracing::warn!("the hypervisor offers no memory window; pages go through VASI");
        return None;
    }
    if test_switch::on(Switch::NoVasiWindow) {
        tracing::warn!("memory window declined (test switch); pages go through VASI");
        return None;
    }
    let (path, token) = (opened.window_path.clone(), opened.window_token.clone());
    match tokio::task::spawn_blocking(move || window::open(&path, &token)).await {
        Ok(Ok(f)) if f.metadata().is_ok_and(|m| m.len() >= opened.npages * PAGE) => Some(f),
        Ok(Ok(_)) => {
            tracing::warn!(
                "the memory window is smaller than the partition; pages go through VASI"
            );
            None
        }
        Ok(Err(e)) => {
            tracing::warn!("{e}; pages go through VASI");
            None
        }
        Err(_) => None,
    }
}

/// The source's view: the window mapped, so pages are slices of it.
pub async fn map(opened: &Opened) -> Option<Arc<Mapping>> {
    match open(opened).await.map(Mapping::map) {
        Some(Ok(m)) => Some(Arc::new(m)),
        Some(Err(e)) => {
            tracing::warn!("{e}; pages go through VASI");
            None
        }
        None => None,
    }
}

/// Writes pages into the shell's memory, a pwritev per run; what the
/// hypervisor is told. A page of the wrong size or beyond the shell is
/// left out, and so left for the hypervisor to miss.
pub fn place(w: &File, npages: u64, p: Pages) -> std::io::Result<Placed> {
    let mut placed = Placed::default();
    let (zero, data): (Vec<Page>, Vec<Page>) =
        p.pages.into_iter().partition(|page| page.data.is_empty());
    placed.zero = zero.iter().map(|page| page.index).collect();
    let data: Vec<Page> = data
        .into_iter()
        .filter(|page| page.data.len() == window::PAGE && page.index < npages)
        .collect();
    let indices: Vec<u64> = data.iter().map(|page| page.index).collect();
    for (first, r) in runs(&indices) {
        let bufs: Vec<&[u8]> = data[r].iter().map(|page| &page.data[..]).collect();
        window::write_pages(w, first, &bufs)?;
    }
    placed.pages = indices;
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    fn all(pages: &[u64]) -> Vec<(u64, std::ops::Range<usize>)> {
        runs(pages).collect()
    }

    #[test]
    fn runs_split_where_pages_stop_being_consecutive() {
        assert_eq!(all(&[]), vec![]);
        assert_eq!(all(&[7]), vec![(7, 0..1)]);
        assert_eq!(all(&[1, 2, 3]), vec![(1, 0..3)]);
        assert_eq!(
            all(&[1, 2, 5, 6, 7, 9]),
            vec![(1, 0..2), (5, 2..5), (9, 5..6)]
        );
        // Out of order or repeated: each break starts a run.
        assert_eq!(all(&[3, 2, 2]), vec![(3, 0..1), (2, 1..2), (2, 2..3)]);
    }

    fn page(index: u64, byte: u8) -> Page {
        Page {
            index,
            data: Bytes::from(vec![byte; window::PAGE]),
        }
    }

    fn shell(npages: u64) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!(
            "pvm-vios-window-{}-{npages}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("a temporary file");
        f.set_len(npages * PAGE).expect("room for the shell");
        (path, f)
    }

    #[test]
    fn placing_writes_data_and_reports_zeros_apart() {
        let (path, f) = shell(8);
        let p = Pages {
            pages: vec![
                page(1, 0xa1),
                page(2, 0xa2),
                Page {
                    index: 3,
                    data: Bytes::new(),
                },
                page(5, 0xa5),
                // Beyond the shell, and a short page: left out.
                page(8, 0xa8),
                Page {
                    index: 6,
                    data: Bytes::from_static(b"short"),
                },
            ],
        };
        let placed = place(&f, 8, p).expect("placed");
        assert_eq!(placed.pages, vec![1, 2, 5]);
        assert_eq!(placed.zero, vec![3]);
        let mut buf = vec![0u8; window::PAGE];
        for (i, byte) in [(1u64, 0xa1u8), (2, 0xa2), (5, 0xa5), (6, 0), (0, 0)] {
            f.read_exact_at(&mut buf, i * PAGE).expect("read back");
            assert!(buf.iter().all(|b| *b == byte), "page {i}");
        }
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn reading_the_mapping_slices_pages_and_empties_zeros() {
        let (path, f) = shell(4);
        f.write_all_at(&vec![0x11; window::PAGE], 0)
            .expect("page 0");
        f.write_all_at(&vec![0x33; window::PAGE], 3 * PAGE)
            .expect("page 3");
        let m = Arc::new(Mapping::map(f).expect("mapped"));
        let p = read(&m, &[0, 1, 3]).expect("inside the partition");
        let got: Vec<(u64, usize, Option<u8>)> = p
            .pages
            .iter()
            .map(|pg| (pg.index, pg.data.len(), pg.data.first().copied()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, window::PAGE, Some(0x11)),
                (1, 0, None),
                (3, window::PAGE, Some(0x33))
            ]
        );
        assert!(read(&m, &[4]).is_none());
        let _ = std::fs::remove_file(path);
    }
}
