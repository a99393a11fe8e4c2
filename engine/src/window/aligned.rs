//! TUMBLE and HOP windows: aligned to the epoch, so every record maps to
//! windows by arithmetic alone. State is one group map per open window start;
//! a closed window's map is drained and kept for reuse, so steady state
//! allocates only for a new (group, window) pair, never per record.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{align_down, Accumulator, Emit};
use crate::record::Value;

type Groups = FxHashMap<Box<[Value]>, Box<[Accumulator]>>;

#[derive(Debug)]
pub struct AlignedWindows {
    size_ms: i64,
    slide_ms: i64,
    /// Open windows by start time.
    windows: BTreeMap<i64, Groups>,
    spare: Vec<Groups>,
}

impl AlignedWindows {
    pub fn tumble(size_ms: i64) -> Self {
        Self::hop(size_ms, size_ms)
    }

    pub fn hop(slide_ms: i64, size_ms: i64) -> Self {
        assert!(
            slide_ms > 0 && size_ms >= slide_ms,
            "the planner checks window sizes"
        );
        AlignedWindows {
            size_ms,
            slide_ms,
            windows: BTreeMap::new(),
            spare: Vec::new(),
        }
    }

    /// Adds a record at event time `t` to every window that contains it and is
    /// still open (its end is after `closed_up_to`). Returns false when every
    /// such window had already fired: the record is late.
    #[inline]
    pub fn add(
        &mut self,
        t: i64,
        key: &[Value],
        args: &[Option<Value>],
        closed_up_to: Option<i64>,
        template: &[Accumulator],
    ) -> bool {
        let mut accepted = false;
        let mut start = align_down(t, self.slide_ms);
        while start > t - self.size_ms {
            let end = start + self.size_ms;
            if closed_up_to.is_none_or(|wm| end > wm) {
                accepted = true;
                let groups = match self.windows.get_mut(&start) {
                    Some(g) => g,
                    None => {
                        let fresh = self.spare.pop().unwrap_or_default();
                        self.windows.entry(start).or_insert(fresh)
                    }
                };
                let accs = match groups.get_mut(key) {
                    Some(accs) => accs,
                    None => groups.entry(key.into()).or_insert_with(|| template.into()),
                };
                for (acc, v) in accs.iter_mut().zip(args) {
                    acc.update(v.as_ref());
                }
            }
            start -= self.slide_ms;
        }
        accepted
    }

    /// Fires, in start order, every window whose end is at or before `watermark`.
    pub fn fire(&mut self, watermark: i64, emit: &mut Emit<'_>) {
        while let Some(entry) = self.windows.first_entry() {
            let start = *entry.key();
            let end = start.saturating_add(self.size_ms);
            if end > watermark {
                break;
            }
            let mut groups = entry.remove();
            for (key, accs) in groups.drain() {
                emit(&key, start, end, &accs);
            }
            self.spare.push(groups);
        }
    }

    /// Number of open (group, window) pairs: what memory grows with.
    pub fn open_groups(&self) -> usize {
        self.windows.values().map(|g| g.len()).sum()
    }
}
