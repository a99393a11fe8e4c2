//! SESSION windows, per group key. A record opens [t, t + gap); sessions that
//! overlap merge, so a record exactly one gap after the last starts a new session
//! (and a session whose end the watermark reached can fire safely). Timers say
//! when a session may be due; a timer made
//! stale by a later extension is skipped when popped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::{Accumulator, Emit};
use crate::record::Value;

#[derive(Debug)]
struct Session {
    start: i64,
    end: i64,
    accs: Box<[Accumulator]>,
}

impl Session {
    fn overlaps(&self, start: i64, end: i64) -> bool {
        self.start < end && start < self.end
    }
}

#[derive(Debug, Default)]
struct Slot {
    key: Option<Box<[Value]>>,
    sessions: Vec<Session>,
}

#[derive(Debug)]
pub struct SessionWindows {
    gap_ms: i64,
    slot_of: FxHashMap<Box<[Value]>, usize>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// (session end, slot), earliest first.
    timers: BinaryHeap<Reverse<(i64, usize)>>,
}

impl SessionWindows {
    pub fn new(gap_ms: i64) -> Self {
        assert!(gap_ms > 0, "the planner checks the gap");
        SessionWindows {
            gap_ms,
            slot_of: FxHashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            timers: BinaryHeap::new(),
        }
    }

    /// Adds a record at `t`; false when its session would already have fired.
    pub fn add(
        &mut self,
        t: i64,
        key: &[Value],
        args: &[Option<Value>],
        closed_up_to: Option<i64>,
        template: &[Accumulator],
    ) -> bool {
        let (start, end) = (t, t.saturating_add(self.gap_ms));
        if closed_up_to.is_some_and(|wm| end <= wm) {
            return false;
        }
        let slot_index = self.slot_for(key);
        let slot = &mut self.slots[slot_index];
        let mut overlapping = slot
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.overlaps(start, end));
        let target = match (overlapping.next(), overlapping.next()) {
            (Some((i, _)), None) => i,
            (None, _) => {
                slot.sessions.push(Session {
                    start,
                    end,
                    accs: template.into(),
                });
                slot.sessions.len() - 1
            }
            (Some((i, _)), Some(_)) => merge_overlapping(&mut slot.sessions, i, start, end),
        };
        let session = &mut slot.sessions[target];
        let old_end = session.end;
        session.start = session.start.min(start);
        session.end = session.end.max(end);
        for (acc, v) in session.accs.iter_mut().zip(args) {
            acc.update(v.as_ref());
        }
        if session.end != old_end || session.end == end {
            self.timers.push(Reverse((session.end, slot_index)));
        }
        true
    }

    fn slot_for(&mut self, key: &[Value]) -> usize {
        if let Some(&i) = self.slot_of.get(key) {
            return i;
        }
        let i = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            self.slots.len() - 1
        });
        let key: Box<[Value]> = key.into();
        self.slots[i].key = Some(key.clone());
        self.slot_of.insert(key, i);
        i
    }

    /// Fires every session whose end is at or before `watermark`.
    pub fn fire(&mut self, watermark: i64, emit: &mut Emit<'_>) {
        while let Some(&Reverse((end, slot_index))) = self.timers.peek() {
            if end > watermark {
                break;
            }
            self.timers.pop();
            let slot = &mut self.slots[slot_index];
            let Some(key) = &slot.key else { continue };
            slot.sessions.retain(|s| {
                let due = s.end <= watermark;
                if due {
                    emit(key, s.start, s.end, &s.accs);
                }
                !due
            });
            if slot.sessions.is_empty() {
                if let Some(key) = slot.key.take() {
                    self.slot_of.remove(&key);
                }
                self.free.push(slot_index);
            }
        }
    }

    /// Number of open sessions: what memory grows with.
    pub fn open_groups(&self) -> usize {
        self.slots.iter().map(|s| s.sessions.len()).sum()
    }
}

/// Merges every session overlapping [start, end) into the one at `first`; returns its index.
fn merge_overlapping(sessions: &mut Vec<Session>, first: usize, start: i64, end: i64) -> usize {
    let mut merged = sessions.swap_remove(first);
    let mut i = 0;
    while i < sessions.len() {
        if sessions[i].overlaps(start, end) {
            let other = sessions.swap_remove(i);
            merged.start = merged.start.min(other.start);
            merged.end = merged.end.max(other.end);
            for (a, b) in merged.accs.iter_mut().zip(other.accs.iter()) {
                a.merge(b);
            }
        } else {
            i += 1;
        }
    }
    sessions.push(merged);
    sessions.len() - 1
}
