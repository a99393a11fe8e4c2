//! What each runtime component FR-081-07 prices costs per operation, one
//! group per component, with the sync operation that would replace it beside
//! the tokio one. Claimed ranges: `tokio_tax::components::CLAIMS`.
//!
//! `cargo bench --bench runtime_components -- --profile-time 5 components/mpsc`
//! writes a flamegraph and a pprof profile per bench under
//! `target/criterion/<group>/<bench>/profile/`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::runtime::Runtime;
use tokio_tax::components as comp;
use tokio_tax::profile::criterion_hook::PprofProfiler;

/// Workers for every multi-thread runtime here: the machine has 2 cores.
const WORKERS: usize = 2;

fn multi_thread() -> Runtime {
    comp::multi_thread_runtime(WORKERS).expect("multi-thread runtime")
}

/// Times `iters` runs of `$op` in one task on a runtime worker, so neither
/// `block_on` nor the spawn that hosts the loop is in the measurement.
/// `$state` is moved into the task and bound to `$s`.
macro_rules! time_on_worker {
    ($rt:expr, $iters:expr, $s:ident = $state:expr; $op:expr) => {{
        let iters: u64 = $iters;
        #[allow(unused_mut)]
        let mut $s = $state;
        let task = async move {
            let start = Instant::now();
            for _ in 0..iters {
                black_box($op);
            }
            start.elapsed()
        };
        let elapsed: Duration = $rt
            .block_on(async move { tokio::spawn(task).await })
            .expect("bench task panicked");
        elapsed
    }};
}

fn async_fn(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/async_fn");
    g.bench_function("sync_call", |b| b.iter(|| comp::sync_call(black_box(7))));
    g.bench_function("poll_noop_waker", |b| {
        b.iter(|| comp::poll_noop_waker(black_box(7)))
    });
    g.bench_function("poll_pending_once", |b| {
        b.iter(|| comp::poll_pending_once(black_box(7)))
    });
    g.finish();
}

fn boxed_future(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/boxed_future");
    g.bench_function("sync_dyn", |b| {
        b.iter(|| comp::sync_dyn_call(black_box(&comp::Scramble), black_box(7)))
    });
    g.bench_function("async_trait_dyn", |b| {
        b.iter(|| comp::async_trait_dyn_call(black_box(&comp::Scramble), black_box(7)))
    });
    g.finish();
}

fn block_on(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/block_on");
    let current = comp::current_thread_runtime().expect("current-thread runtime");
    g.bench_function("current_thread", |b| {
        b.iter(|| comp::block_on_call(&current, black_box(7)))
    });
    let multi = multi_thread();
    g.bench_function("multi_thread", |b| {
        b.iter(|| comp::block_on_call(&multi, black_box(7)))
    });
    g.finish();
}

fn mpsc(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/mpsc");
    let mut tokio_ch = comp::tokio_channel();
    g.bench_function("tokio", |b| {
        b.iter(|| comp::tokio_try_send_recv(&mut tokio_ch, black_box(7)))
    });
    let rt = multi_thread();
    g.bench_function("tokio_await", |b| {
        b.iter_custom(|iters| {
            time_on_worker!(rt, iters, ch = comp::tokio_channel(); comp::tokio_send_recv(&mut ch, 7).await)
        })
    });
    let std_ch = comp::std_channel();
    g.bench_function("std", |b| {
        b.iter(|| comp::std_send_recv(&std_ch, black_box(7)))
    });
    let cb_ch = comp::crossbeam_channel();
    g.bench_function("crossbeam", |b| {
        b.iter(|| comp::crossbeam_send_recv(&cb_ch, black_box(7)))
    });
    g.finish();
}

fn mutex_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/mutex_uncontended");
    let tokio_m = tokio::sync::Mutex::new(0);
    g.bench_function("tokio", |b| {
        b.iter(|| comp::tokio_lock_uncontended(black_box(&tokio_m)))
    });
    let std_m = std::sync::Mutex::new(0);
    g.bench_function("std", |b| b.iter(|| comp::std_lock(black_box(&std_m))));
    let pl_m = parking_lot::Mutex::new(0);
    g.bench_function("parking_lot", |b| {
        b.iter(|| comp::parking_lot_lock(black_box(&pl_m)))
    });
    g.finish();
}

/// A "mutex-hammer" thread locks the same mutex for as long as each bench
/// runs; dropping the `Contended` value at the end of the bench joins it.
fn mutex_contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/mutex_contended");
    {
        let rt = multi_thread();
        let contended = comp::contended_tokio().expect("tokio mutex hammer");
        g.bench_function("tokio", |b| {
            b.iter_custom(|iters| time_on_worker!(rt, iters, m = Arc::clone(contended.lock()); comp::tokio_lock(&m).await))
        });
    }
    {
        let contended = comp::contended_std().expect("std mutex hammer");
        g.bench_function("std", |b| b.iter(|| comp::std_lock(contended.lock())));
    }
    {
        let contended = comp::contended_parking_lot().expect("parking_lot mutex hammer");
        g.bench_function("parking_lot", |b| {
            b.iter(|| comp::parking_lot_lock(contended.lock()))
        });
    }
    g.finish();
}

fn scheduler(c: &mut Criterion) {
    let mut g = c.benchmark_group("components/scheduler");
    let rt = multi_thread();
    g.bench_function("spawn_join", |b| {
        b.iter_custom(|iters| time_on_worker!(rt, iters, _s = (); comp::spawn_join(7).await))
    });
    g.bench_function("yield_now", |b| {
        b.iter_custom(|iters| time_on_worker!(rt, iters, _s = (); comp::yield_now().await))
    });
    g.finish();
}

criterion_group! {
    name = components;
    config = Criterion::default().with_profiler(PprofProfiler::new(997));
    targets = async_fn, boxed_future, block_on, mpsc, mutex_uncontended, mutex_contended, scheduler
}
criterion_main!(components);
