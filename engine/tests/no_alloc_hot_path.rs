//! Once a window and its groups exist, processing a record allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_tax_engine::{DataType, Engine, EngineConfig, Record, Schema, Value};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn tumble_with_five_aggregates_allocates_nothing_per_record() {
    let schema = Schema::new([
        ("k", DataType::Int),
        ("s", DataType::Str),
        ("price", DataType::Float),
        ("ts", DataType::Timestamp),
    ]);
    let sql = "SELECT k, s, COUNT(*) AS n, SUM(price) AS t, AVG(price) AS a, MIN(price) AS lo, MAX(price) AS hi \
               FROM bid GROUP BY k, s, TUMBLE(ts, INTERVAL '10' SECOND)";
    let mut engine = Engine::from_sql(sql, &schema, EngineConfig::default()).unwrap();
    let sym: Value = Value::Str("AAPL".into());
    let records: Vec<Record> = (0..20_000i64)
        .map(|i| {
            Record::at(
                vec![
                    Value::Int(i % 1_000),
                    sym.clone(),
                    Value::Float(i as f64 * 0.5),
                    Value::Timestamp(i / 10),
                ],
                0,
                i,
            )
        })
        .collect();
    let mut out = Vec::with_capacity(16);
    // Warm-up creates the window and its 1,000 groups.
    engine.process_batch(&records[..1_000], &mut out);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    engine.process_batch(&records[1_000..], &mut out);
    let per_record = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / 19_000.0;
    assert_eq!(per_record, 0.0, "allocations per record on the hot path");
    assert!(
        out.is_empty(),
        "all records fall in the first 10 s window, which is still open"
    );
}
