//! The reference codes each partition showed, kept with the partition so
//! that every HMC lists the same history (lsrefcode -n). `change` records
//! them: whatever sets `ref_code`, the history follows.

use super::Lpars;
use pvmlab_common::model::RefCode;

/// How many codes a partition keeps; older ones are dropped.
pub const KEEP: usize = 25;

/// Appends to each partition of `next` the code it shows now, where that
/// changed from `before` (a blank code is the end of the last one, not a
/// code of its own). Only the partitions a change wrote (`changed`) can
/// show a new code.
pub fn record(before: &Lpars, next: &mut Lpars, changed: &[u32], now_ms: u64) {
    for id in changed {
        let was = before.get(id).map(|b| b.ref_code.as_str()).unwrap_or("");
        let Some(l) = next
            .get_mut(id)
            .filter(|l| l.ref_code != was && !l.ref_code.is_empty())
        else {
            continue;
        };
        l.ref_codes.push(RefCode {
            refcode: l.ref_code.clone(),
            time_ms: now_ms,
        });
        let over = l.ref_codes.len().saturating_sub(KEEP);
        l.ref_codes.drain(..over);
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lpars(code: &str) -> Lpars {
        [pvmlab_common::model::Partition {
            id: 3,
            ref_code: code.into(),
            ..Default::default()
        }]
        .into_iter()
        .collect()
    }

    #[test]
    fn changes_of_code_are_kept_newest_last_and_bounded() {
        let mut state = lpars("");
        for (i, code) in ["CA00E1F1", "CA00E1F1", "", "CA00E175"].iter().enumerate() {
            let before = state.clone();
            state.get_mut(&3).unwrap().ref_code = code.to_string();
            let (changed, _) = state.changes(&before);
            record(&before, &mut state, &changed, i as u64);
        }
        let codes: Vec<_> = state[&3]
            .ref_codes
            .iter()
            .map(|c| c.refcode.as_str())
            .collect();
        assert_eq!(codes, ["CA00E1F1", "CA00E175"]);
        for i in 0..100u64 {
            let before = state.clone();
            state.get_mut(&3).unwrap().ref_code = format!("{i:08X}");
            let (changed, _) = state.changes(&before);
            record(&before, &mut state, &changed, i);
        }
        let h = &state[&3].ref_codes;
        assert_eq!(h.len(), KEEP);
        assert_eq!(h.last().unwrap().refcode, format!("{:08X}", 99));
    }
}
