//! The `slicer` fault (Toxiproxy's): the bytes of the direction it covers
//! move in small slices of about `average_size` bytes (± `size_variation`),
//! with an optional delay between slices, as a path that fragments would
//! deliver them. Nothing is lost or reordered.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub average_size: u32,
    pub size_variation: u32,
    pub delay: Duration,
}

impl Slice {
    /// The size of the next slice, from the stream's own generator
    /// (xorshift: cheap, and no lock shared between streams).
    pub(super) fn next(&self, rng: &mut u64) -> usize {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        let var = u64::from(self.size_variation.min(self.average_size.saturating_sub(1)));
        let spread = if var == 0 { 0 } else { *rng % (2 * var + 1) };
        (u64::from(self.average_size) + spread - var).max(1) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_within_the_variation() {
        let s = Slice {
            average_size: 100,
            size_variation: 20,
            delay: Duration::ZERO,
        };
        let mut rng = 0x9e37_79b9_7f4a_7c15;
        let sizes: Vec<usize> = (0..1000).map(|_| s.next(&mut rng)).collect();
        assert!(sizes.iter().all(|n| (80..=120).contains(n)));
        assert!(sizes.iter().any(|n| *n < 90) && sizes.iter().any(|n| *n > 110));
        let one = Slice {
            average_size: 1,
            size_variation: 5,
            delay: Duration::ZERO,
        };
        assert_eq!(one.next(&mut rng), 1);
    }
}
