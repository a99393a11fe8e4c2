//! One small operation per runtime component that FR-081-07 prices
//! ("Performance Overhead Breakdown"), next to the sync operation that would
//! replace it. `benches/runtime_components.rs` times each one; [`CLAIMS`],
//! [`read_criterion_estimates`] and [`component_table_markdown`] put the
//! measurements beside the claimed nanoseconds.

use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use anyhow::Context as _;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

/// Capacity of every bounded channel here; send+recv keeps each one near empty.
pub const CHANNEL_CAPACITY: usize = 1024;

// ---- async fn --------------------------------------------------------------

/// The work every call does: small, so the call machinery dominates.
#[inline(never)]
pub fn sync_call(x: u64) -> u64 {
    black_box(x)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}

/// The same work as an `async fn` without an await point.
#[inline(never)]
pub async fn async_call(x: u64) -> u64 {
    sync_call(x)
}

/// `async_call` polled to completion with a no-op waker: the future alone, no executor.
pub fn poll_noop_waker(x: u64) -> u64 {
    poll_until_ready(async_call(x))
}

/// An `async fn` that returns `Pending` once after `wake_by_ref`, as
/// FR-081-07's Kafka `Stream` does when the poll comes back empty.
pub async fn async_call_pending_once(x: u64) -> u64 {
    PendingOnce(false).await;
    sync_call(x)
}

/// `async_call_pending_once` polled twice with a no-op waker.
pub fn poll_pending_once(x: u64) -> u64 {
    poll_until_ready(async_call_pending_once(x))
}

struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Busy-polls with a no-op waker; only for futures that make progress without a wake.
/// `black_box` hides the waker and the future's address from the optimizer, as
/// an executor's type-erased poll would: otherwise the state machine and the
/// `wake_by_ref` fold away to nothing.
fn poll_until_ready<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(black_box(Waker::noop()));
    loop {
        if let Poll::Ready(out) = black_box(fut.as_mut()).poll(&mut cx) {
            return out;
        }
    }
}

// ---- boxed future (#[async_trait]) -----------------------------------------

/// The shape of FR-081-07's `DataReader`: an `#[async_trait]` method behind `dyn`.
#[async_trait]
pub trait AsyncStep: Send + Sync {
    async fn step(&self, x: u64) -> u64;
}

/// The sync trait that would replace it.
pub trait SyncStep {
    fn step(&self, x: u64) -> u64;
}

/// Implements both step traits with [`sync_call`].
pub struct Scramble;

#[async_trait]
impl AsyncStep for Scramble {
    async fn step(&self, x: u64) -> u64 {
        sync_call(x)
    }
}

impl SyncStep for Scramble {
    fn step(&self, x: u64) -> u64 {
        sync_call(x)
    }
}

/// One `dyn SyncStep` call.
pub fn sync_dyn_call(step: &dyn SyncStep, x: u64) -> u64 {
    step.step(x)
}

/// One `dyn AsyncStep` call: allocate the boxed future, poll it once, free it.
pub fn async_trait_dyn_call(step: &dyn AsyncStep, x: u64) -> u64 {
    poll_until_ready(step.step(x))
}

// ---- mpsc ------------------------------------------------------------------
// Each send+recv moves one message through a bounded channel on one thread, so
// it prices the queue, not a cross-thread wakeup. `None` means a full or
// closed channel, which cannot happen while the caller holds both ends.

pub type TokioChannel = (
    tokio::sync::mpsc::Sender<u64>,
    tokio::sync::mpsc::Receiver<u64>,
);
pub type StdChannel = (
    std::sync::mpsc::SyncSender<u64>,
    std::sync::mpsc::Receiver<u64>,
);
pub type CrossbeamChannel = (
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
);

pub fn tokio_channel() -> TokioChannel {
    tokio::sync::mpsc::channel(CHANNEL_CAPACITY)
}

/// tokio `try_send` + `try_recv`: no runtime, no waker.
pub fn tokio_try_send_recv((tx, rx): &mut TokioChannel, v: u64) -> Option<u64> {
    tx.try_send(v).ok()?;
    rx.try_recv().ok()
}

/// tokio `send().await` + `recv().await`, as the FR's job processor does; run it in a task.
pub async fn tokio_send_recv((tx, rx): &mut TokioChannel, v: u64) -> Option<u64> {
    tx.send(v).await.ok()?;
    rx.recv().await
}

/// `std::sync::mpsc::sync_channel`, std's bounded channel.
pub fn std_channel() -> StdChannel {
    std::sync::mpsc::sync_channel(CHANNEL_CAPACITY)
}

pub fn std_send_recv((tx, rx): &StdChannel, v: u64) -> Option<u64> {
    tx.try_send(v).ok()?;
    rx.try_recv().ok()
}

pub fn crossbeam_channel() -> CrossbeamChannel {
    crossbeam_channel::bounded(CHANNEL_CAPACITY)
}

pub fn crossbeam_send_recv((tx, rx): &CrossbeamChannel, v: u64) -> Option<u64> {
    tx.try_send(v).ok()?;
    rx.try_recv().ok()
}

// ---- mutex -----------------------------------------------------------------

/// `tokio::sync::Mutex::lock().await`, increment, unlock. Run in a task when contended.
pub async fn tokio_lock(m: &tokio::sync::Mutex<u64>) -> u64 {
    let mut guard = m.lock().await;
    *guard += 1;
    *guard
}

/// [`tokio_lock`] polled with a no-op waker; for an uncontended lock only,
/// since a contended one would busy-poll.
pub fn tokio_lock_uncontended(m: &tokio::sync::Mutex<u64>) -> u64 {
    poll_until_ready(tokio_lock(m))
}

/// `std::sync::Mutex` lock, increment, unlock.
pub fn std_lock(m: &std::sync::Mutex<u64>) -> u64 {
    let mut guard = m.lock().unwrap_or_else(PoisonError::into_inner);
    *guard += 1;
    *guard
}

/// `parking_lot::Mutex` lock, increment, unlock.
pub fn parking_lot_lock(m: &parking_lot::Mutex<u64>) -> u64 {
    let mut guard = m.lock();
    *guard += 1;
    *guard
}

/// A mutex that a second OS thread ("mutex-hammer") locks in a loop for as
/// long as this value lives; dropping it stops and joins that thread.
pub struct Contended<M: Send + Sync + 'static> {
    lock: Arc<M>,
    stop: Arc<AtomicBool>,
    hammer: Option<JoinHandle<()>>,
}

impl<M: Send + Sync + 'static> Contended<M> {
    fn start(lock: M, hammer_op: fn(&M)) -> anyhow::Result<Self> {
        let lock = Arc::new(lock);
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (Arc::clone(&lock), Arc::clone(&stop));
        let hammer = std::thread::Builder::new()
            .name("mutex-hammer".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    hammer_op(&l);
                }
            })
            .context("spawning the mutex-hammer thread")?;
        Ok(Self {
            lock,
            stop,
            hammer: Some(hammer),
        })
    }

    /// The contended mutex; clone the `Arc` to lock it from a task.
    pub fn lock(&self) -> &Arc<M> {
        &self.lock
    }
}

impl<M: Send + Sync + 'static> Drop for Contended<M> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(hammer) = self.hammer.take() {
            let _ = hammer.join();
        }
    }
}

/// A contended `tokio::sync::Mutex`; the hammer thread uses `blocking_lock`.
pub fn contended_tokio() -> anyhow::Result<Contended<tokio::sync::Mutex<u64>>> {
    Contended::start(tokio::sync::Mutex::new(0), |m| *m.blocking_lock() += 1)
}

pub fn contended_std() -> anyhow::Result<Contended<std::sync::Mutex<u64>>> {
    Contended::start(std::sync::Mutex::new(0), |m| {
        std_lock(m);
    })
}

pub fn contended_parking_lot() -> anyhow::Result<Contended<parking_lot::Mutex<u64>>> {
    Contended::start(parking_lot::Mutex::new(0), |m| {
        parking_lot_lock(m);
    })
}

// ---- scheduler and runtime -------------------------------------------------

/// `tokio::spawn` of a trivial task and await of its `JoinHandle`; run in a task.
pub async fn spawn_join(x: u64) -> Option<u64> {
    tokio::spawn(async move { sync_call(x) }).await.ok()
}

/// One `tokio::task::yield_now`; run in a task.
pub async fn yield_now() {
    tokio::task::yield_now().await;
}

/// One `Runtime::block_on` of [`async_call`]; which runtime is the caller's choice.
pub fn block_on_call(rt: &Runtime, x: u64) -> u64 {
    rt.block_on(async_call(x))
}

pub fn current_thread_runtime() -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .context("building a current-thread tokio runtime")
}

pub fn multi_thread_runtime(workers: usize) -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .with_context(|| format!("building a {workers}-worker tokio runtime"))
}

// ---- claims and measurements ----------------------------------------------

/// A per-operation cost FR-081-07 states, and the bench that measures it.
/// One row per claim: a bench id may back more than one claim.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ComponentClaim {
    pub id: &'static str,
    pub component: &'static str,
    pub claimed_ns_lo: f64,
    pub claimed_ns_hi: f64,
    pub source: &'static str,
}

const ASYNC_TOTAL: &str =
    "Performance Overhead Breakdown, 1. Async Function Overhead: \"Total per call: 100-220ns\"";
const MPSC_SEND: &str = "Performance Overhead Breakdown, 2. Channel Operations: \"Per tokio::sync::mpsc::send() ... Total per send: 60-120ns\"";
const LOCK: &str =
    "Performance Overhead Breakdown, 3. Arc<Mutex<T>> Overhead: \"Total per lock: 30-70ns\"";

const fn claim(
    id: &'static str,
    component: &'static str,
    lo: f64,
    hi: f64,
    source: &'static str,
) -> ComponentClaim {
    ComponentClaim {
        id,
        component,
        claimed_ns_lo: lo,
        claimed_ns_hi: hi,
        source,
    }
}

/// Sync baselines (`async_fn/sync_call`, `mpsc/std`, `mutex_*/std`, ...) are
/// benched beside these but claim nothing; read them with [`read_estimate`].
#[rustfmt::skip]
pub const CLAIMS: &[ComponentClaim] = &[
    claim("components/async_fn/poll_noop_waker", "async fn call, future polled without executor", 100.0, 220.0, ASYNC_TOTAL),
    claim("components/async_fn/poll_pending_once", "async fn call with one Pending + wake_by_ref", 100.0, 220.0, ASYNC_TOTAL),
    claim("components/boxed_future/async_trait_dyn", "#[async_trait] dyn call (boxed future)", 20.0, 50.0,
        "Performance Overhead Breakdown, 1. Async Function Overhead: \"Future allocation: 20-50ns (heap allocation)\""),
    claim("components/boxed_future/async_trait_dyn", "#[async_trait] dyn call (boxed future)", 200.0, 500.0,
        "Updated Tokio Usage Analysis, 2. DataReader/DataWriter Traits: \"Overhead per call: ~200-500ns for async machinery\""),
    claim("components/block_on/current_thread", "async fn via Runtime::block_on, current-thread", 100.0, 220.0, ASYNC_TOTAL),
    claim("components/block_on/multi_thread", "async fn via Runtime::block_on, multi-thread", 100.0, 220.0, ASYNC_TOTAL),
    claim("components/mpsc/tokio", "tokio mpsc try_send + try_recv (claim is send alone)", 60.0, 120.0, MPSC_SEND),
    claim("components/mpsc/tokio_await", "tokio mpsc send().await + recv().await in a task (claim is send alone)", 60.0, 120.0, MPSC_SEND),
    claim("components/mutex_uncontended/tokio", "tokio Mutex lock().await, uncontended", 30.0, 70.0, LOCK),
    claim("components/mutex_contended/tokio", "tokio Mutex lock().await, second thread contending", 30.0, 70.0, LOCK),
    claim("components/scheduler/spawn_join", "tokio::spawn + await JoinHandle", 100.0, 100.0,
        "Total Overhead Analysis table: \"Scheduler | 100ns | Per batch\""),
    claim("components/scheduler/yield_now", "tokio::task::yield_now in a task", 30.0, 80.0,
        "Performance Overhead Breakdown, 1. Async Function Overhead: \"Polling overhead: 30-80ns (executor polling)\""),
];

/// Criterion's median with its confidence interval, and the mean, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub median_ns: f64,
    pub median_ci_lower_ns: f64,
    pub median_ci_upper_ns: f64,
    pub confidence_level: f64,
    pub mean_ns: f64,
}

/// A claim and what the bench measured; `measured` is `None` when the bench has not run.
#[derive(Debug, Clone, Serialize)]
pub struct MeasuredComponent {
    pub claim: &'static ComponentClaim,
    pub measured: Option<Estimate>,
}

#[derive(Deserialize)]
struct EstimatesFile {
    mean: Stat,
    median: Stat,
}

#[derive(Deserialize)]
struct Stat {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

/// Where criterion 0.5 writes `estimates.json` for "group/function"; it
/// replaces path-unsafe characters (the '/' in "components/mpsc") with '_'.
pub fn estimates_path(criterion_dir: &Path, bench_id: &str) -> PathBuf {
    let safe = |s: &str| s.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
    let (group, function) = bench_id.rsplit_once('/').unwrap_or((bench_id, ""));
    let mut path = criterion_dir.join(safe(group));
    if !function.is_empty() {
        path.push(safe(function));
    }
    path.join("new").join("estimates.json")
}

/// One bench's estimate; `Ok(None)` when criterion has not written it.
pub fn read_estimate(criterion_dir: &Path, bench_id: &str) -> anyhow::Result<Option<Estimate>> {
    let path = estimates_path(criterion_dir, bench_id);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let file: EstimatesFile = serde_json::from_str(&text)
        .with_context(|| format!("parsing criterion estimates {}", path.display()))?;
    Ok(Some(Estimate {
        median_ns: file.median.point_estimate,
        median_ci_lower_ns: file.median.confidence_interval.lower_bound,
        median_ci_upper_ns: file.median.confidence_interval.upper_bound,
        confidence_level: file.median.confidence_interval.confidence_level,
        mean_ns: file.mean.point_estimate,
    }))
}

/// Reads every [`CLAIMS`] bench from `criterion_dir` (usually `target/criterion`).
pub fn read_criterion_estimates(criterion_dir: &Path) -> anyhow::Result<Vec<MeasuredComponent>> {
    CLAIMS
        .iter()
        .map(|claim| {
            Ok(MeasuredComponent {
                claim,
                measured: read_estimate(criterion_dir, claim.id)?,
            })
        })
        .collect()
}

fn fmt_ns(ns: f64) -> String {
    match ns {
        n if n < 10.0 => format!("{n:.2}"),
        n if n < 100.0 => format!("{n:.1}"),
        n => format!("{n:.0}"),
    }
}

/// Markdown table: claimed ns, measured median with CI, and measured / claimed midpoint.
pub fn component_table_markdown(measured: &[MeasuredComponent]) -> String {
    let mut out = String::from(
        "| component | bench id | FR-081-07 claimed ns | measured ns (median, 95% CI) | measured / claimed midpoint |\n\
         | --- | --- | ---: | ---: | ---: |\n",
    );
    for m in measured {
        let c = m.claim;
        let claimed = if c.claimed_ns_lo == c.claimed_ns_hi {
            format!("{:.0}", c.claimed_ns_lo)
        } else {
            format!("{:.0}–{:.0}", c.claimed_ns_lo, c.claimed_ns_hi)
        };
        let (value, ratio) = match &m.measured {
            Some(e) => {
                let level = if (e.confidence_level - 0.95).abs() > 1e-9 {
                    format!(" ({:.0}% CI)", e.confidence_level * 100.0)
                } else {
                    String::new()
                };
                let mid = (c.claimed_ns_lo + c.claimed_ns_hi) / 2.0;
                (
                    format!(
                        "{} [{}, {}]{level}",
                        fmt_ns(e.median_ns),
                        fmt_ns(e.median_ci_lower_ns),
                        fmt_ns(e.median_ci_upper_ns)
                    ),
                    format!("{:.2}×", e.median_ns / mid),
                )
            }
            None => ("not measured".to_string(), "—".to_string()),
        };
        out.push_str(&format!(
            "| {} | `{}` | {claimed} | {value} | {ratio} |\n",
            c.component, c.id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_fn_and_boxed_future_components_compute_the_sync_result() {
        let want = sync_call(7);
        assert_eq!(poll_noop_waker(7), want);
        assert_eq!(poll_pending_once(7), want);
        assert_eq!(sync_dyn_call(&Scramble, 7), want);
        assert_eq!(async_trait_dyn_call(&Scramble, 7), want);
    }

    #[test]
    fn every_channel_moves_one_message() -> anyhow::Result<()> {
        assert_eq!(tokio_try_send_recv(&mut tokio_channel(), 3), Some(3));
        assert_eq!(std_send_recv(&std_channel(), 3), Some(3));
        assert_eq!(crossbeam_send_recv(&crossbeam_channel(), 3), Some(3));
        let mut ch = tokio_channel();
        let received = current_thread_runtime()?.block_on(tokio_send_recv(&mut ch, 4));
        assert_eq!(received, Some(4));
        Ok(())
    }

    #[test]
    fn uncontended_locks_increment() {
        assert_eq!(tokio_lock_uncontended(&tokio::sync::Mutex::new(1)), 2);
        assert_eq!(std_lock(&std::sync::Mutex::new(1)), 2);
        assert_eq!(parking_lot_lock(&parking_lot::Mutex::new(1)), 2);
    }

    #[test]
    fn contended_locks_work_and_their_hammer_threads_stop_on_drop() -> anyhow::Result<()> {
        let rt = multi_thread_runtime(2)?;
        let tokio_m = contended_tokio()?;
        let m = Arc::clone(tokio_m.lock());
        assert!(
            rt.block_on(async move { tokio::spawn(async move { tokio_lock(&m).await }).await })?
                >= 1
        );
        let std_m = contended_std()?;
        assert!(std_lock(std_m.lock()) >= 1);
        let pl_m = contended_parking_lot()?;
        assert!(parking_lot_lock(pl_m.lock()) >= 1);
        // Drop joins the hammer; a leaked thread would keep a second Arc alive.
        let weak = Arc::downgrade(pl_m.lock());
        drop((tokio_m, std_m, pl_m));
        assert!(weak.upgrade().is_none());
        Ok(())
    }

    #[test]
    fn scheduler_and_block_on_components_run() -> anyhow::Result<()> {
        let mt = multi_thread_runtime(2)?;
        assert_eq!(
            mt.block_on(async { tokio::spawn(spawn_join(7)).await })?,
            Some(sync_call(7))
        );
        mt.block_on(async { tokio::spawn(yield_now()).await })?;
        assert_eq!(block_on_call(&mt, 7), sync_call(7));
        assert_eq!(block_on_call(&current_thread_runtime()?, 7), sync_call(7));
        Ok(())
    }

    #[test]
    fn claims_are_well_formed_and_benched() {
        let bench = include_str!("../benches/runtime_components.rs");
        for c in CLAIMS {
            assert!(
                c.claimed_ns_lo > 0.0 && c.claimed_ns_lo <= c.claimed_ns_hi,
                "{}",
                c.id
            );
            let (group, function) = c.id.rsplit_once('/').expect("group/function");
            assert!(group.starts_with("components/"), "{}", c.id);
            assert!(
                bench.contains(&format!("\"{group}\"")),
                "no group {group} in the bench"
            );
            assert!(
                bench.contains(&format!("bench_function(\"{function}\"")),
                "no bench {}",
                c.id
            );
        }
    }

    fn estimates_json(median: f64) -> String {
        let stat = |p: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{p},"standard_error":0.1}}"#,
                p - 1.0,
                p + 1.0
            )
        };
        format!(
            r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
            stat(median + 2.0),
            stat(median),
            stat(0.5),
            stat(0.7)
        )
    }

    #[test]
    fn reads_criterion_layout_and_reports_missing_benches_as_absent() -> anyhow::Result<()> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "tokio-tax-components-{}-{nanos}",
            std::process::id()
        ));
        let _cleanup = RemoveOnDrop(dir.clone());
        let path = estimates_path(&dir, "components/mpsc/tokio");
        assert!(path.ends_with("components_mpsc/tokio/new/estimates.json"));
        std::fs::create_dir_all(path.parent().expect("parent"))?;
        std::fs::write(&path, estimates_json(40.0))?;

        let measured = read_criterion_estimates(&dir)?;
        assert_eq!(measured.len(), CLAIMS.len());
        let mpsc = measured
            .iter()
            .find(|m| m.claim.id == "components/mpsc/tokio")
            .expect("row");
        let e = mpsc.measured.expect("measured");
        assert_eq!(
            (
                e.median_ns,
                e.median_ci_lower_ns,
                e.median_ci_upper_ns,
                e.mean_ns
            ),
            (40.0, 39.0, 41.0, 42.0)
        );
        assert_eq!(
            measured.iter().filter(|m| m.measured.is_none()).count(),
            CLAIMS.len() - 1
        );

        let table = component_table_markdown(&measured);
        assert!(
            table.contains("| `components/mpsc/tokio` | 60–120 | 40.0 [39.0, 41.0] | 0.44× |"),
            "{table}"
        );
        assert!(table.contains("not measured"));

        std::fs::write(&path, "{ not json")?;
        assert!(read_criterion_estimates(&dir).is_err());
        Ok(())
    }

    /// Removes the fabricated criterion dir even when an assertion fails.
    struct RemoveOnDrop(PathBuf);

    impl Drop for RemoveOnDrop {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
