//! Statistics for comparing benchmark runs, sized for tens of repetitions, so
//! clarity wins over asymptotics. Nothing panics on empty or short input (NaN or
//! `None` instead), and bootstraps are seeded so a report can be regenerated.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Reads a float that may have been written as `null`: serde_json writes NaN
/// (an undefined statistic, such as the spread of one value) as null.
pub fn nan_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Option::<f64>::deserialize(d).map(|v| v.unwrap_or(f64::NAN))
}

/// Descriptive statistics of one sample, as shown in reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub mean: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub median: f64,
    /// Sample standard deviation (n - 1); NaN when n < 2.
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub stddev: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub min: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub max: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p05: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p95: f64,
}

/// Summarizes `xs`; every float field is NaN for an empty slice so callers can
/// still serialize a row for a run that produced nothing.
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    let sorted = sorted_copy(xs);
    let mean = xs.iter().sum::<f64>() / n as f64; // 0/0 = NaN when empty
    let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    let stddev = (ss / (n as f64 - 1.0).max(0.0)).sqrt(); // 0/0 = NaN when n < 2
    Summary {
        n,
        mean,
        median: percentile_sorted(&sorted, 0.5),
        stddev,
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
        p05: percentile_sorted(&sorted, 0.05),
        p95: percentile_sorted(&sorted, 0.95),
    }
}

/// Median of `xs` (any order); NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    percentile(xs, 0.5)
}

/// The `q`-quantile (q in 0..=1, clamped) of `xs` in any order, interpolated
/// linearly between order statistics like numpy's default so numbers match
/// notebooks. NaN when `xs` is empty or `q` is NaN.
pub fn percentile(xs: &[f64], q: f64) -> f64 {
    percentile_sorted(&sorted_copy(xs), q)
}

/// Sorts with `total_cmp` so NaNs cannot make the sort panic or misorder.
fn sorted_copy(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Percentile of an already sorted slice; shared so bootstraps sort once.
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// A closed confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub lo: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub hi: f64,
}

impl Interval {
    /// True when `lo <= x <= hi`; false if any bound or `x` is NaN.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Percentile bootstrap: runs `stat` once per resample on one seeded stream so
/// results are reproducible. None for zero resamples or confidence outside (0, 1).
fn bootstrap(
    resamples: usize,
    confidence: f64,
    seed: u64,
    mut stat: impl FnMut(&mut ChaCha8Rng) -> f64,
) -> Option<Interval> {
    if resamples == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut reps: Vec<f64> = (0..resamples).map(|_| stat(&mut rng)).collect();
    reps.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    Some(Interval {
        lo: percentile_sorted(&reps, alpha),
        hi: percentile_sorted(&reps, 1.0 - alpha),
    })
}

/// Fills `buf` with draws from `src` (non-empty) with replacement and returns
/// its median; reusing `buf` keeps the bootstrap loop allocation free.
fn resampled_median(src: &[f64], buf: &mut [f64], rng: &mut ChaCha8Rng) -> f64 {
    for slot in buf.iter_mut() {
        *slot = src[rng.gen_range(0..src.len())];
    }
    buf.sort_unstable_by(f64::total_cmp);
    percentile_sorted(buf, 0.5)
}

/// Per-pair gains `(a_i / b_i - 1) * 100`; None if lengths differ.
fn pair_gains(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let gain = |(x, y): (&f64, &f64)| (x / y - 1.0) * 100.0;
    (a.len() == b.len()).then(|| a.iter().zip(b).map(gain).collect())
}

/// Median over repetitions of the per-pair gain of A over B in percent. Pairing
/// cancels drift (thermal, noisy neighbours) shared by interleaved runs. NaN when
/// empty or lengths differ.
pub fn paired_gain_pct(a: &[f64], b: &[f64]) -> f64 {
    pair_gains(a, b).map_or(f64::NAN, |g| median(&g))
}

/// [`paired_gain_pct`] plus a percentile bootstrap interval that resamples pair
/// indices with replacement, so within-pair correlation is kept. Deterministic
/// for a given `seed`. None when lengths differ, there are fewer than 2 pairs,
/// `resamples` is 0, `confidence` is outside (0, 1), or any per-pair gain is not
/// finite (e.g. a zero in `b`).
pub fn bootstrap_paired_gain(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<(f64, Interval)> {
    let gains = pair_gains(a, b)?;
    let n = gains.len();
    if n < 2 || !gains.iter().all(|g| g.is_finite()) {
        return None;
    }
    let mut buf = vec![0.0; n];
    let ci = bootstrap(resamples, confidence, seed, |rng| {
        resampled_median(&gains, &mut buf, rng)
    })?;
    Some((median(&gains), ci))
}

/// Change of `current` against `baseline` in percent, `(median(current) /
/// median(baseline) - 1) * 100`, with a percentile bootstrap that resamples each
/// sample independently (the runs are not paired). Deterministic for a given
/// `seed`. None when either sample has fewer than 2 values, `resamples` is 0,
/// `confidence` is outside (0, 1), or the point estimate is not finite.
pub fn bootstrap_ratio_pct(
    current: &[f64],
    baseline: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<(f64, Interval)> {
    let point = (median(current) / median(baseline) - 1.0) * 100.0;
    if current.len() < 2 || baseline.len() < 2 || !point.is_finite() {
        return None;
    }
    let (mut cur, mut base) = (vec![0.0; current.len()], vec![0.0; baseline.len()]);
    let ci = bootstrap(resamples, confidence, seed, |rng| {
        let c = resampled_median(current, &mut cur, rng);
        (c / resampled_median(baseline, &mut base, rng) - 1.0) * 100.0
    })?;
    Some((point, ci))
}

/// Percentile bootstrap interval for the median of one sample (chart error
/// bars). None with fewer than 2 values.
pub fn bootstrap_median_ci(
    xs: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<Interval> {
    if xs.len() < 2 || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut buf = vec![0.0; xs.len()];
    bootstrap(resamples, confidence, seed, |rng| {
        resampled_median(xs, &mut buf, rng)
    })
}

/// Result of a two-sided Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of sample `a`: pairs with `a_i > b_j`, ties counting 1/2.
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub u: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p_value: f64,
    /// True when the exact permutation distribution was used.
    pub exact: bool,
}

/// Largest per-sample size for the exact test; keeps counts well inside u64
/// (C(50, 25) is about 1.3e14) and the table small.
const EXACT_MAX_N: usize = 25;

/// Two-sided Mann-Whitney U test of `a` against `b`; distribution free, so it
/// suits skewed timing data. Exact when there are no ties and both sizes are
/// at most 25, else the normal approximation with tie and continuity
/// corrections (as scipy.stats.mannwhitneyu). None when either sample is empty
/// or contains NaN.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 || a.iter().chain(b).any(|x| x.is_nan()) {
        return None;
    }
    // Pool with a sample tag, sort, and assign average ranks to tie groups.
    let mut pooled: Vec<(f64, bool)> = a.iter().map(|&x| (x, true)).collect();
    pooled.extend(b.iter().map(|&x| (x, false)));
    pooled.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let (mut rank_sum_a, mut tie_term, mut has_ties) = (0.0, 0.0, false);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum_a += avg_rank * pooled[i..j].iter().filter(|p| p.1).count() as f64;
        if j - i > 1 {
            has_ties = true;
            tie_term += t * t * t - t;
        }
        i = j;
    }
    let u = rank_sum_a - (n1 * (n1 + 1)) as f64 / 2.0;

    let exact = !has_ties && n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N;
    let p_value = if exact {
        let counts = u_distribution(n1, n2);
        let total: u64 = counts.iter().sum();
        let k = u as usize; // integral without ties
        let lower: u64 = counts[..=k].iter().sum();
        let upper: u64 = counts[k..].iter().sum();
        (2.0 * lower.min(upper) as f64 / total as f64).min(1.0)
    } else {
        let (f1, f2, nf) = (n1 as f64, n2 as f64, n as f64);
        let var = f1 * f2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
        if var > 0.0 {
            let z = ((u - f1 * f2 / 2.0).abs() - 0.5) / var.sqrt();
            (2.0 * normal_sf(z)).min(1.0)
        } else {
            1.0 // every value tied: no evidence either way
        }
    };
    Some(MannWhitney { u, p_value, exact })
}

/// Counts of arrangements of `n1` a's and `n2` b's by U (a-over-b pairs).
/// Recurrence on the largest element: an `a` there beats all `j` b's.
fn u_distribution(n1: usize, n2: usize) -> Vec<u64> {
    // prev[j] holds the counts for (i - 1, j); cur[j] for (i, j).
    let mut prev: Vec<Vec<u64>> = vec![vec![1]; n2 + 1];
    for i in 1..=n1 {
        let mut cur: Vec<Vec<u64>> = Vec::with_capacity(n2 + 1);
        cur.push(vec![1]);
        for j in 1..=n2 {
            let mut row = vec![0u64; i * j + 1];
            for (u, &c) in prev[j].iter().enumerate() {
                row[u + j] += c;
            }
            for (u, &c) in cur[j - 1].iter().enumerate() {
                row[u] += c;
            }
            cur.push(row);
        }
        prev = cur;
    }
    prev.swap_remove(n2)
}

/// Upper tail of the standard normal, via `erfc`.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, relative error
/// below 1.2e-7), since std has none and a p-value needs no more.
fn erfc(x: f64) -> f64 {
    #[rustfmt::skip]
    const C: [f64; 10] = [
        -1.265_512_23, 1.000_023_68, 0.374_091_96, 0.096_784_18, -0.186_288_06,
        0.278_868_07, -1.135_203_98, 1.488_515_87, -0.822_152_23, 0.170_872_77,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * (C.iter().rev().fold(0.0, |acc, c| acc * t + c) - z * z).exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Where a confidence interval lies relative to a claimed band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandPosition {
    Below,
    Within,
    Above,
    Straddles,
}

/// Classifies `ci` against `[band_lo, band_hi]`; Straddles covers partial
/// overlap, a CI wider than the band, and NaN bounds (nothing can be claimed).
pub fn band_position(ci: Interval, band_lo: f64, band_hi: f64) -> BandPosition {
    if ci.hi < band_lo {
        BandPosition::Below
    } else if ci.lo > band_hi {
        BandPosition::Above
    } else if ci.lo >= band_lo && ci.hi <= band_hi {
        BandPosition::Within
    } else {
        BandPosition::Straddles
    }
}

/// A conclusion about "sync vs tokio" ready for a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub significant: bool,
    pub band: BandPosition,
    pub low_precision: bool,
    pub text: String,
}

/// Verdict on a gain of sync over tokio (positive = sync faster). Significant
/// needs both the CI to exclude 0 and p < 0.05, so neither a lucky bootstrap
/// nor a lucky rank test alone can claim a win. The text labels `ci` as a 95%
/// CI, the level that matches the p < 0.05 threshold.
pub fn verdict(
    gain_pct: f64,
    ci: Interval,
    p_value: f64,
    band_lo: f64,
    band_hi: f64,
    low_precision: bool,
) -> Verdict {
    let significant = (ci.lo > 0.0 || ci.hi < 0.0) && p_value < 0.05;
    let band = band_position(ci, band_lo, band_hi);

    let direction = if gain_pct < 0.0 { "slower" } else { "faster" };
    let gain = gain_pct.abs();
    let p_text = match p_value < 0.001 {
        true => "p<0.001".to_string(),
        false => format!("p={p_value:.3}"),
    };
    let stats = format!("95% CI {:.1}%..{:.1}%, {p_text}", ci.lo, ci.hi);
    let band_text = match band_lo >= 0.0 {
        true => format!("{band_lo}-{band_hi}%"),
        false => format!("{band_lo}%..{band_hi}%"),
    };
    let place = match band {
        BandPosition::Below => "below",
        BandPosition::Within => "within",
        BandPosition::Above => "above",
        BandPosition::Straddles => "straddling",
    };
    let claim = format!("{place} the claimed {band_text}");
    let mut text = match significant {
        true => format!("sync is {gain:.1}% {direction} ({stats}): significant, {claim}"),
        false => {
            format!("no significant difference (sync {gain:.1}% {direction}, {stats}), {claim}")
        }
    };
    if low_precision {
        text.push_str("; low precision (--quick)");
    }
    Verdict {
        significant,
        band,
        low_precision,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn iv(lo: f64, hi: f64) -> Interval {
        Interval { lo, hi }
    }

    fn mw(a: &[f64], b: &[f64]) -> MannWhitney {
        mann_whitney_u(a, b).expect("non-empty, no NaN")
    }

    /// b_i = 100 + noise, a_i = 110 + noise: a true gain of 10%.
    fn noisy_pairs(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut noise = move || rng.gen_range(-2.0..2.0);
        (0..n).map(|_| (110.0 + noise(), 100.0 + noise())).unzip()
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1,2,3,4], [0,25,50,90,100]) == [1, 1.75, 2.5, 3.7, 4]
        let xs = [3.0, 1.0, 4.0, 2.0];
        for (q, want) in [(0.0, 1.0), (0.25, 1.75), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)] {
            assert!(close(percentile(&xs, q), want, 1e-12), "q={q}");
        }
        // numpy.percentile([15,20,35,40,50], 40) == 29.0
        let ys = [15.0, 20.0, 35.0, 40.0, 50.0];
        assert!(close(percentile(&ys, 0.4), 29.0, 1e-12));
        assert!(percentile(&[7.0], 0.3) == 7.0 && median(&[5.0, 1.0, 3.0]) == 3.0);
        assert!(percentile(&[], 0.5).is_nan() && median(&[]).is_nan());
    }

    #[test]
    fn summarize_known_values_and_empty() {
        // numpy: mean 5.0, std(ddof=1) 2.138089935299395, median 4.5, p5 2.7, p95 8.3
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!((s.n, s.min, s.max), (8, 2.0, 9.0));
        let got = [s.mean, s.stddev, s.median, s.p05, s.p95];
        let want = [5.0, 2.138_089_935_299_395, 4.5, 2.7, 8.3];
        let ok = got.iter().zip(want).all(|(g, w)| close(*g, w, 1e-12));
        assert!(ok, "{s:?}");
        let e = summarize(&[]);
        let fields = [e.mean, e.median, e.stddev, e.min, e.max, e.p05, e.p95];
        assert!(e.n == 0 && fields.iter().all(|x| x.is_nan()));
        let one = summarize(&[3.0]);
        assert!(one.mean == 3.0 && one.p95 == 3.0 && one.stddev.is_nan());
    }

    #[test]
    fn paired_gain_point_estimate() {
        // gains: 10%, 20%, 0% -> median 10%
        let g = paired_gain_pct(&[110.0, 120.0, 100.0], &[100.0; 3]);
        assert!(close(g, 10.0, 1e-9));
        assert!(paired_gain_pct(&[], &[]).is_nan());
        assert!(paired_gain_pct(&[1.0], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn paired_bootstrap_covers_known_gain() {
        let (a, b) = noisy_pairs(30, 7);
        let (point, ci) = bootstrap_paired_gain(&a, &b, 2000, 0.95, 42).expect("30 pairs");
        assert!(close(point, 10.0, 2.0), "point {point}");
        let ok = ci.contains(10.0) && !ci.contains(0.0) && ci.contains(point);
        assert!(ok, "{ci:?}");
    }

    #[test]
    fn bootstraps_are_deterministic_per_seed() {
        let (a, b) = noisy_pairs(20, 3);
        let x = bootstrap_paired_gain(&a, &b, 500, 0.95, 9);
        assert_eq!(x, bootstrap_paired_gain(&a, &b, 500, 0.95, 9));
        assert_ne!(x, bootstrap_paired_gain(&a, &b, 500, 0.95, 10));
        let y = bootstrap_ratio_pct(&a, &b, 500, 0.9, 9);
        assert_eq!(y, bootstrap_ratio_pct(&a, &b, 500, 0.9, 9));
    }

    #[test]
    fn bootstraps_reject_short_or_bad_input() {
        let two = [1.0, 2.0];
        let cases: [(&[f64], &[f64], usize, f64); 6] = [
            (&[], &[], 100, 0.95),
            (&[1.0], &[1.0], 100, 0.95),
            (&two, &[1.0], 100, 0.95),
            (&two, &two, 0, 0.95),
            (&two, &two, 10, 1.0),
            (&two, &[0.0, 2.0], 10, 0.95),
        ];
        for (a, b, r, c) in cases {
            let got = bootstrap_paired_gain(a, b, r, c, 1);
            assert_eq!(got, None, "{a:?} {b:?} {r} {c}");
        }
        assert_eq!(bootstrap_ratio_pct(&[], &two, 100, 0.95, 1), None);
        assert_eq!(bootstrap_ratio_pct(&two, &[1.0], 100, 0.95, 1), None);
        assert_eq!(bootstrap_ratio_pct(&two, &[0.0; 2], 100, 0.95, 1), None);
        assert_eq!(bootstrap_ratio_pct(&two, &two, 100, 0.0, 1), None);
    }

    #[test]
    fn ratio_bootstrap_finds_regression() {
        let (cur, _) = noisy_pairs(25, 11);
        let (_, base) = noisy_pairs(25, 12);
        let (point, ci) = bootstrap_ratio_pct(&cur, &base, 2000, 0.95, 5).expect("25 each");
        assert!(close(point, 10.0, 3.0), "point {point}");
        assert!(ci.lo > 5.0 && ci.hi < 15.0 && ci.contains(point), "{ci:?}");
        let (p0, ci0) = bootstrap_ratio_pct(&base, &base, 1000, 0.95, 5).expect("25 each");
        assert!(p0 == 0.0 && ci0.contains(0.0));
    }

    #[test]
    fn ratio_bootstrap_coverage_is_near_nominal() {
        // A 95% CI misses 1 time in 20, so check coverage over many data sets
        // (97/100 at the time of writing); median bootstraps run a bit under nominal.
        let covered = (0..100u64)
            .filter(|&s| {
                let (cur, _) = noisy_pairs(25, 1000 + s);
                let (_, base) = noisy_pairs(25, 2000 + s);
                let r = bootstrap_ratio_pct(&cur, &base, 400, 0.95, s);
                r.is_some_and(|(_, ci)| ci.contains(10.0))
            })
            .count();
        assert!(covered >= 85, "covered {covered}/100");
    }

    #[test]
    fn mann_whitney_exact_known_values() {
        // By hand: U = 0; 1 of C(6,3) = 20 orderings per tail is as extreme -> p = 2/20.
        let r = mw(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert!(r.u == 0.0 && r.exact && close(r.p_value, 0.1, 1e-12));
        // scipy.stats.mannwhitneyu(method='exact'): U=6, p=0.4126984126984127
        let r = mw(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0, 8.0, 10.0]);
        assert!(r.u == 6.0 && close(r.p_value, 0.412_698_412_698_412_7, 1e-12));
        // scipy exact: U=17, p=0.1111111111111111
        let r = mw(&[19.0, 22.0, 16.0, 29.0, 24.0], &[20.0, 11.0, 17.0, 12.0]);
        assert!(r.u == 17.0 && close(r.p_value, 0.111_111_111_111_111_1, 1e-12));
        // Largest exact case, 25 vs 25. scipy exact: U=253, p=0.2547760072736403
        let a: Vec<f64> = (1..=25).map(f64::from).collect();
        let b: Vec<f64> = (3..=27).map(|x| f64::from(x) + 0.5).collect();
        let r = mw(&a, &b);
        assert!(r.u == 253.0 && r.exact && close(r.p_value, 0.254_776_007_273_640_3, 1e-10));
        // Total orderings are C(n1 + n2, n1), symmetric about n1 * n2 / 2.
        let d = u_distribution(4, 5);
        assert!(d.iter().sum::<u64>() == 126 && d.iter().eq(d.iter().rev()));
        let total: u64 = u_distribution(25, 25).iter().sum();
        assert_eq!(total, 126_410_606_437_752);
    }

    #[test]
    fn mann_whitney_ties_use_normal_approximation() {
        // By hand, a-over-b pairs: 1 -> 0, each 2 -> 0.5, 3 -> 1.5, 4 -> 2; U = 4.5.
        // scipy.stats.mannwhitneyu(method='asymptotic'): p=0.06476896969888761
        let r = mw(&[1.0, 2.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 5.0, 6.0, 7.0, 8.0]);
        assert!(r.u == 4.5 && !r.exact && close(r.p_value, 0.064_768_969_698_887_61, 1e-6));
        // scipy asymptotic: U=6.5, p=0.014549493518580441
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0];
        let r = mw(&a, &[3.0, 5.0, 7.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        assert!(r.u == 6.5 && close(r.p_value, 0.014_549_493_518_580_441, 1e-6));
        // All tied: scipy gives U=4.5, p=1.0.
        let r = mw(&[5.0; 3], &[5.0; 3]);
        assert!(r.u == 4.5 && r.p_value == 1.0);
        assert_eq!(mann_whitney_u(&[], &[1.0]), None);
        assert_eq!(mann_whitney_u(&[f64::NAN], &[1.0]), None);
    }

    #[test]
    fn erfc_known_values() {
        assert!(close(erfc(0.0), 1.0, 1e-7));
        assert!(close(erfc(1.0), 0.157_299_207_050_285_1, 1e-7));
        assert!(close(erfc(-1.0), 1.842_700_792_949_715, 1e-7));
        assert!(close(normal_sf(1.959_963_984_540_054), 0.025, 1e-8));
    }

    #[test]
    fn band_positions_and_interval() {
        use BandPosition::*;
        let pos = |lo, hi| band_position(iv(lo, hi), 8.0, 10.0);
        assert_eq!(pos(1.0, 5.0), Below);
        assert_eq!(pos(8.5, 9.5), Within);
        assert_eq!(pos(8.0, 10.0), Within);
        assert_eq!(pos(11.0, 12.0), Above);
        assert_eq!(pos(7.0, 9.0), Straddles);
        assert_eq!(pos(7.0, 11.0), Straddles);
        assert_eq!(pos(f64::NAN, f64::NAN), Straddles);
        let ci = iv(1.0, 2.0); // closed at both ends, never contains NaN
        assert!(ci.contains(1.0) && ci.contains(2.0) && ci.contains(1.5));
        assert!(!ci.contains(0.999) && !ci.contains(f64::NAN));
    }

    #[test]
    fn verdict_faster_significant() {
        let v = verdict(3.1, iv(1.2, 5.0), 0.008, 8.0, 10.0, false);
        assert!(v.significant && !v.low_precision && v.band == BandPosition::Below);
        let want = "sync is 3.1% faster (95% CI 1.2%..5.0%, p=0.008): significant, \
                    below the claimed 8-10%";
        assert_eq!(v.text, want);
    }

    #[test]
    fn verdict_slower_and_quick() {
        let v = verdict(-4.0, iv(-6.5, -1.5), 0.0004, 8.0, 10.0, true);
        assert!(v.significant && v.low_precision && v.band == BandPosition::Below);
        let want = "sync is 4.0% slower (95% CI -6.5%..-1.5%, p<0.001): significant, \
                    below the claimed 8-10%; low precision (--quick)";
        assert_eq!(v.text, want);
    }

    #[test]
    fn verdict_insignificant() {
        // CI covers 0: not significant even with a small p.
        let v = verdict(0.4, iv(-1.0, 1.8), 0.01, 8.0, 10.0, false);
        let want = "no significant difference (sync 0.4% faster, 95% CI -1.0%..1.8%, \
                    p=0.010), below the claimed 8-10%";
        assert!(!v.significant);
        assert_eq!(v.text, want);
        // CI excludes 0 but p too large: still not significant.
        let v = verdict(9.0, iv(8.2, 9.8), 0.2, 8.0, 10.0, false);
        assert!(!v.significant && v.band == BandPosition::Within);
        assert!(v.text.ends_with("within the claimed 8-10%"), "{}", v.text);
    }
}
