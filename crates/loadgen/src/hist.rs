//! A log-linear histogram of microseconds (about 1.5 % resolution), cheap to record
//! from many tasks at once and to merge across processes.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

const BUCKETS: usize = 4096;

fn bucket(v: u64) -> usize {
    if v < 128 {
        return v as usize;
    }
    let e = 63 - v.leading_zeros() as usize;
    let shift = e - 6;
    (shift * 64 + (v >> shift) as usize).min(BUCKETS - 1)
}

/// The smallest value of a bucket.
fn floor(idx: usize) -> u64 {
    if idx < 128 {
        return idx as u64;
    }
    let shift = idx / 64 - 1;
    ((idx - shift * 64) as u64) << shift
}

/// Shared between the tasks of one process.
pub struct AtomicHist {
    counts: Vec<AtomicU64>,
    max: AtomicU64,
}

impl Default for AtomicHist {
    fn default() -> Self {
        AtomicHist {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }
}

impl AtomicHist {
    pub fn record(&self, v: u64) {
        self.counts[bucket(v)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(v, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Hist {
        let mut h = Hist::default();
        for (i, c) in self.counts.iter().enumerate() {
            let c = c.load(Ordering::Relaxed);
            if c > 0 {
                h.buckets.push((i as u32, c));
            }
        }
        h.max = self.max.load(Ordering::Relaxed);
        h
    }
}

/// A sparse snapshot: (bucket, count) pairs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hist {
    pub buckets: Vec<(u32, u64)>,
    pub max: u64,
}

impl Hist {
    pub fn from_values(values: &[u64]) -> Hist {
        let a = AtomicHist::default();
        for v in values {
            a.record(*v);
        }
        a.snapshot()
    }

    pub fn merge(&mut self, other: &Hist) {
        let mut all = std::collections::BTreeMap::new();
        for (b, c) in self.buckets.iter().chain(&other.buckets) {
            *all.entry(*b).or_insert(0u64) += c;
        }
        self.buckets = all.into_iter().collect();
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, c)| c).sum()
    }

    /// The value at quantile `q` (0..=1): the bucket's midpoint, capped at the maximum.
    pub fn quantile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (b, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                let lo = floor(*b as usize);
                let hi = floor(*b as usize + 1);
                return ((lo + hi) / 2).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in [
            0u64,
            1,
            127,
            128,
            129,
            255,
            256,
            1000,
            10_000,
            1_000_000,
            1 << 40,
        ] {
            let b = bucket(v);
            assert!(b >= last);
            last = b;
            assert!(floor(b) <= v && v < floor(b + 1).max(v + 1), "{v}");
            assert!((v - floor(b)) as f64 <= v as f64 * 0.016 + 1.0, "{v}");
        }
    }

    #[test]
    fn quantiles() {
        let values: Vec<u64> = (1..=1000).collect();
        let h = Hist::from_values(&values);
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500.0).abs() < 10.0, "{p50}");
        assert_eq!(h.quantile(1.0), 1000);
        assert_eq!(h.count(), 1000);
    }
}
