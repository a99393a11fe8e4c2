//! SQL: parse a query with sqlparser into a [`Plan`], and evaluate its expressions.
//! Nothing here knows about I/O, jobs or tokio.

mod error;
pub mod eval;
mod parse;
pub mod plan;

pub use error::{Location, SqlError};
pub use parse::parse_query;
pub use plan::{AggFunc, Aggregate, AggregatePlan, BinOp, Expr, Plan, PlanKind, WindowSpec};
