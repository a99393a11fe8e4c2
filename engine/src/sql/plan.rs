//! The plan a query compiles to: expressions over column indexes, never names.

use crate::record::{DataType, Schema, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
}

/// A scalar expression. `Column` indexes the row it is evaluated on.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column(usize),
    Literal(Value),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Cast {
        expr: Box<Expr>,
        to: DataType,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One aggregate call; `arg` is evaluated on the input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFunc,
    pub arg: Option<Expr>,
    /// The type of the argument, which decides the type of SUM/MIN/MAX.
    pub arg_type: Option<DataType>,
}

/// A group window, in milliseconds. Windows are [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    Tumble { size_ms: i64 },
    Hop { slide_ms: i64, size_ms: i64 },
    Session { gap_ms: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePlan {
    /// Group key expressions, evaluated on the input row.
    pub keys: Vec<Expr>,
    pub window: WindowSpec,
    /// Index of the event-time column in the input schema.
    pub time_column: usize,
    pub aggregates: Vec<Aggregate>,
    /// Output expressions over the aggregate row:
    /// `[keys..., window_start, window_end, aggregates...]`.
    pub output: Vec<Expr>,
}

impl AggregatePlan {
    pub fn window_start_index(&self) -> usize {
        self.keys.len()
    }

    pub fn window_end_index(&self) -> usize {
        self.keys.len() + 1
    }

    pub fn aggregate_index(&self, i: usize) -> usize {
        self.keys.len() + 2 + i
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanKind {
    /// Stateless per-record projection.
    Project { exprs: Vec<Expr> },
    /// Windowed aggregation.
    Aggregate(AggregatePlan),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: String,
    pub input_schema: Schema,
    pub filter: Option<Expr>,
    pub kind: PlanKind,
    /// For windowed plans the last two columns are `window_start` and `window_end`,
    /// so every output row says which window it belongs to.
    pub output_schema: Schema,
}

impl Plan {
    pub fn is_windowed(&self) -> bool {
        matches!(self.kind, PlanKind::Aggregate(_))
    }
}
