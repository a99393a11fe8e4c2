//! Per-partition watermarks. The watermark is the minimum over the expected
//! partitions of the highest event time each has shown, minus the allowed
//! out-of-orderness; until every expected partition has shown a record there is
//! none, so no window fires early whatever order partitions arrive in.

#[derive(Debug, Clone)]
pub struct Watermarks {
    max_seen: Vec<Option<i64>>,
    expected: usize,
    seen: usize,
    out_of_orderness_ms: i64,
    current: Option<i64>,
}

impl Watermarks {
    /// `expected` partitions are waited for; 0 means "whatever has been seen".
    pub fn new(expected: usize, out_of_orderness_ms: i64) -> Self {
        Watermarks {
            max_seen: vec![None; expected],
            expected,
            seen: 0,
            out_of_orderness_ms,
            current: None,
        }
    }

    /// Records event time `t` on `partition`; returns the watermark afterwards.
    #[inline]
    pub fn observe(&mut self, partition: i32, t: i64) -> Option<i64> {
        let p = usize::try_from(partition).unwrap_or(0);
        if p >= self.max_seen.len() {
            self.max_seen.resize(p + 1, None);
        }
        match &mut self.max_seen[p] {
            Some(max) if *max >= t => return self.current,
            Some(max) => *max = t,
            slot @ None => {
                *slot = Some(t);
                self.seen += 1;
            }
        }
        if self.seen >= self.expected.max(1) {
            let min = self.max_seen.iter().flatten().min().copied();
            self.current = min.map(|m| m.saturating_sub(self.out_of_orderness_ms));
        }
        self.current
    }

    pub fn current(&self) -> Option<i64> {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_every_expected_partition() {
        let mut w = Watermarks::new(2, 100);
        assert_eq!(w.observe(0, 5_000), None);
        assert_eq!(w.observe(0, 6_000), None);
        assert_eq!(w.observe(1, 1_000), Some(900));
        assert_eq!(w.observe(1, 9_000), Some(5_900));
        // Going back in time never lowers the watermark.
        assert_eq!(w.observe(0, 10), Some(5_900));
    }
}
