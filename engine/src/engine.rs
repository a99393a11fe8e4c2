//! The engine: one plan, its window state and its watermarks. Per-record work
//! is synchronous; the async wrapper exists only to measure what wrapping costs.

use serde::{Deserialize, Serialize};

use crate::record::{Record, Schema, Value};
use crate::sql::eval::{eval, is_true};
use crate::sql::{parse_query, AggregatePlan, Expr, Plan, PlanKind, SqlError, WindowSpec};
use crate::window::{Accumulator, AlignedWindows, SessionWindows, Watermarks};

/// How the engine treats event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Source partitions the watermark waits for (0: whichever have been seen).
    pub partitions: u32,
    /// How far behind the newest record of its partition a record may be.
    pub max_out_of_order_ms: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            partitions: 1,
            max_out_of_order_ms: 0,
        }
    }
}

/// What the engine did with the records it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EngineCounters {
    pub processed: u64,
    /// Removed by WHERE.
    pub filtered: u64,
    pub emitted: u64,
    /// Arrived after every window they belong to had fired.
    pub late: u64,
    /// Had no usable event time (NULL).
    pub rejected: u64,
}

enum State {
    Project(Vec<Expr>),
    Windowed(Box<WindowedState>),
}

struct WindowedState {
    plan: AggregatePlan,
    windows: Windows,
    template: Box<[Accumulator]>,
    watermarks: Watermarks,
    /// The watermark up to which windows have fired.
    fired_up_to: Option<i64>,
    key_buf: Vec<Value>,
    arg_buf: Vec<Option<Value>>,
}

enum Windows {
    Aligned(AlignedWindows),
    Session(SessionWindows),
}

pub struct Engine {
    plan_filter: Option<Expr>,
    output_schema: Schema,
    input_schema: Schema,
    state: State,
    counters: EngineCounters,
}

impl Engine {
    pub fn new(plan: Plan, config: EngineConfig) -> Self {
        let Plan {
            filter,
            kind,
            output_schema,
            input_schema,
            ..
        } = plan;
        let state = match kind {
            PlanKind::Project { exprs } => State::Project(exprs),
            PlanKind::Aggregate(agg) => {
                let windows = match agg.window {
                    WindowSpec::Tumble { size_ms } => {
                        Windows::Aligned(AlignedWindows::tumble(size_ms))
                    }
                    WindowSpec::Hop { slide_ms, size_ms } => {
                        Windows::Aligned(AlignedWindows::hop(slide_ms, size_ms))
                    }
                    WindowSpec::Session { gap_ms } => Windows::Session(SessionWindows::new(gap_ms)),
                };
                State::Windowed(Box::new(WindowedState {
                    template: agg.aggregates.iter().map(Accumulator::new).collect(),
                    key_buf: Vec::with_capacity(agg.keys.len()),
                    arg_buf: Vec::with_capacity(agg.aggregates.len()),
                    plan: agg,
                    windows,
                    watermarks: Watermarks::new(
                        config.partitions as usize,
                        config.max_out_of_order_ms,
                    ),
                    fired_up_to: None,
                }))
            }
        };
        Engine {
            plan_filter: filter,
            output_schema,
            input_schema,
            state,
            counters: EngineCounters::default(),
        }
    }

    /// Parses `sql` over `schema` and builds an engine for it.
    pub fn from_sql(sql: &str, schema: &Schema, config: EngineConfig) -> Result<Self, SqlError> {
        Ok(Engine::new(parse_query(sql, schema)?, config))
    }

    pub fn input_schema(&self) -> &Schema {
        &self.input_schema
    }

    pub fn output_schema(&self) -> &Schema {
        &self.output_schema
    }

    pub fn counters(&self) -> EngineCounters {
        self.counters
    }

    /// Open (group, window) pairs; flat once windows close.
    pub fn open_groups(&self) -> usize {
        match &self.state {
            State::Project(_) => 0,
            State::Windowed(state) => match &state.windows {
                Windows::Aligned(w) => w.open_groups(),
                Windows::Session(w) => w.open_groups(),
            },
        }
    }

    /// Processes one record; rows it completes are appended to `out`.
    #[inline]
    pub fn process_sync(&mut self, record: &Record, out: &mut Vec<Record>) {
        self.counters.processed += 1;
        let row = &record.values;
        if let Some(f) = &self.plan_filter {
            if !is_true(f, row) {
                self.counters.filtered += 1;
                return;
            }
        }
        let before = out.len();
        match &mut self.state {
            State::Project(exprs) => {
                let values = exprs.iter().map(|e| eval(e, row)).collect();
                out.push(Record::at(values, record.partition, record.offset));
            }
            State::Windowed(state) => {
                let WindowedState {
                    plan,
                    windows,
                    template,
                    watermarks,
                    fired_up_to,
                    key_buf,
                    arg_buf,
                } = state.as_mut();
                let t = match &row[plan.time_column] {
                    Value::Timestamp(t) | Value::Int(t) => *t,
                    _ => {
                        self.counters.rejected += 1;
                        return;
                    }
                };
                key_buf.clear();
                key_buf.extend(plan.keys.iter().map(|k| match k {
                    Expr::Column(i) => row[*i].clone(),
                    k => eval(k, row),
                }));
                arg_buf.clear();
                arg_buf.extend(plan.aggregates.iter().map(|a| match &a.arg {
                    None => None,
                    Some(Expr::Column(i)) => Some(row[*i].clone()),
                    Some(e) => Some(eval(e, row)),
                }));
                let accepted = match windows {
                    Windows::Aligned(w) => w.add(t, key_buf, arg_buf, *fired_up_to, template),
                    Windows::Session(w) => w.add(t, key_buf, arg_buf, *fired_up_to, template),
                };
                if !accepted {
                    self.counters.late += 1;
                }
                if let Some(wm) = watermarks.observe(record.partition, t) {
                    if fired_up_to.is_none_or(|f| wm > f) {
                        *fired_up_to = Some(wm);
                        fire(plan, windows, wm, out);
                    }
                }
            }
        }
        self.counters.emitted += (out.len() - before) as u64;
    }

    /// Processes records in order; the batch form of [`Engine::process_sync`].
    pub fn process_batch(&mut self, records: &[Record], out: &mut Vec<Record>) {
        for r in records {
            self.process_sync(r, out);
        }
    }

    /// End of a bounded input: every open window fires.
    pub fn flush(&mut self, out: &mut Vec<Record>) {
        let before = out.len();
        if let State::Windowed(state) = &mut self.state {
            let WindowedState {
                plan,
                windows,
                fired_up_to,
                ..
            } = state.as_mut();
            *fired_up_to = Some(i64::MAX);
            fire(plan, windows, i64::MAX, out);
        }
        self.counters.emitted += (out.len() - before) as u64;
    }

    /// The async API FR-081-07 keeps for compatibility: a thin wrapper over the
    /// sync call, so measuring it measures exactly the wrapping.
    #[cfg(feature = "tokio")]
    pub async fn execute_with_record(&mut self, record: &Record, out: &mut Vec<Record>) {
        self.process_sync(record, out)
    }
}

fn fire(plan: &AggregatePlan, windows: &mut Windows, watermark: i64, out: &mut Vec<Record>) {
    let mut emit = |key: &[Value], start: i64, end: i64, accs: &[Accumulator]| {
        let mut row = Vec::with_capacity(key.len() + 2 + accs.len());
        row.extend_from_slice(key);
        row.push(Value::Timestamp(start));
        row.push(Value::Timestamp(end));
        row.extend(accs.iter().map(Accumulator::result));
        let values = plan.output.iter().map(|e| eval(e, &row)).collect();
        out.push(Record::new(values));
    };
    match windows {
        Windows::Aligned(w) => w.fire(watermark, &mut emit),
        Windows::Session(w) => w.fire(watermark, &mut emit),
    }
}
