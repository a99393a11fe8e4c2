//! O(1) aggregate state. Float sums are kept in fixed point (1e-9 units) so that
//! a sum does not depend on the order records arrive in: modes that interleave
//! partitions differently still produce bit-identical results.

use std::cmp::Ordering;

use crate::record::{DataType, Value};
use crate::sql::eval::compare;
use crate::sql::{AggFunc, Aggregate};

const FIXED_SCALE: f64 = 1e9;
/// Beyond this magnitude a float cannot be held in fixed point without overflow risk.
const FIXED_LIMIT: f64 = 1e18;

/// An exact, order-independent sum of floats (to 1e-9), with a plain float
/// fallback for values too large or not finite.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FixedSum {
    fixed: i128,
    overflow: f64,
}

impl FixedSum {
    fn add(&mut self, x: f64) {
        if x.is_finite() && x.abs() < FIXED_LIMIT {
            self.fixed += (x * FIXED_SCALE).round() as i128;
        } else {
            self.overflow += x;
        }
    }

    fn merge(&mut self, other: &FixedSum) {
        self.fixed += other.fixed;
        self.overflow += other.overflow;
    }

    fn value(&self) -> f64 {
        self.fixed as f64 / FIXED_SCALE + self.overflow
    }
}

/// The running state of one aggregate for one group and window.
#[derive(Debug, Clone, PartialEq)]
pub enum Accumulator {
    Count(i64),
    SumInt { sum: i64, seen: bool },
    SumFloat { sum: FixedSum, seen: bool },
    AvgInt { sum: i128, count: i64 },
    AvgFloat { sum: FixedSum, count: i64 },
    Min(Value),
    Max(Value),
}

impl Accumulator {
    pub fn new(agg: &Aggregate) -> Self {
        let float_arg = agg.arg_type == Some(DataType::Float);
        match agg.func {
            AggFunc::CountStar | AggFunc::Count => Accumulator::Count(0),
            AggFunc::Sum if float_arg => Accumulator::SumFloat {
                sum: FixedSum::default(),
                seen: false,
            },
            AggFunc::Sum => Accumulator::SumInt {
                sum: 0,
                seen: false,
            },
            AggFunc::Avg if float_arg => Accumulator::AvgFloat {
                sum: FixedSum::default(),
                count: 0,
            },
            AggFunc::Avg => Accumulator::AvgInt { sum: 0, count: 0 },
            AggFunc::Min => Accumulator::Min(Value::Null),
            AggFunc::Max => Accumulator::Max(Value::Null),
        }
    }

    /// Adds one input value; `None` is COUNT(*)'s missing argument. NULLs are ignored.
    #[inline]
    pub fn update(&mut self, v: Option<&Value>) {
        let Some(v) = v else {
            if let Accumulator::Count(n) = self {
                *n += 1;
            }
            return;
        };
        if v.is_null() {
            return;
        }
        match self {
            Accumulator::Count(n) => *n += 1,
            Accumulator::SumInt { sum, seen } => {
                if let Value::Int(i) | Value::Timestamp(i) = v {
                    *sum = sum.wrapping_add(*i);
                    *seen = true;
                }
            }
            Accumulator::SumFloat { sum, seen } => {
                if let Some(x) = v.as_f64() {
                    sum.add(x);
                    *seen = true;
                }
            }
            Accumulator::AvgInt { sum, count } => {
                if let Value::Int(i) | Value::Timestamp(i) = v {
                    *sum += i128::from(*i);
                    *count += 1;
                }
            }
            Accumulator::AvgFloat { sum, count } => {
                if let Some(x) = v.as_f64() {
                    sum.add(x);
                    *count += 1;
                }
            }
            Accumulator::Min(cur) => replace_if(cur, v, Ordering::Less),
            Accumulator::Max(cur) => replace_if(cur, v, Ordering::Greater),
        }
    }

    /// Folds another accumulator of the same aggregate into this one (session merges).
    pub fn merge(&mut self, other: &Accumulator) {
        match (self, other) {
            (Accumulator::Count(a), Accumulator::Count(b)) => *a += b,
            (Accumulator::SumInt { sum, seen }, Accumulator::SumInt { sum: s, seen: k }) => {
                *sum = sum.wrapping_add(*s);
                *seen |= k;
            }
            (Accumulator::SumFloat { sum, seen }, Accumulator::SumFloat { sum: s, seen: k }) => {
                sum.merge(s);
                *seen |= k;
            }
            (Accumulator::AvgInt { sum, count }, Accumulator::AvgInt { sum: s, count: c }) => {
                *sum += s;
                *count += c;
            }
            (Accumulator::AvgFloat { sum, count }, Accumulator::AvgFloat { sum: s, count: c }) => {
                sum.merge(s);
                *count += c;
            }
            (Accumulator::Min(cur), Accumulator::Min(v)) => {
                if !v.is_null() {
                    replace_if(cur, v, Ordering::Less)
                }
            }
            (Accumulator::Max(cur), Accumulator::Max(v)) => {
                if !v.is_null() {
                    replace_if(cur, v, Ordering::Greater)
                }
            }
            (a, b) => debug_assert!(false, "merging different aggregates {a:?} and {b:?}"),
        }
    }

    pub fn result(&self) -> Value {
        match self {
            Accumulator::Count(n) => Value::Int(*n),
            Accumulator::SumInt { sum, seen: true } => Value::Int(*sum),
            Accumulator::SumFloat { sum, seen: true } => Value::Float(sum.value()),
            Accumulator::AvgInt { sum, count } if *count > 0 => {
                Value::Float(*sum as f64 / *count as f64)
            }
            Accumulator::AvgFloat { sum, count } if *count > 0 => {
                Value::Float(sum.value() / *count as f64)
            }
            Accumulator::Min(v) | Accumulator::Max(v) => v.clone(),
            _ => Value::Null,
        }
    }
}

fn replace_if(cur: &mut Value, v: &Value, want: Ordering) {
    if cur.is_null() || compare(v, cur) == Some(want) {
        *cur = v.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(func: AggFunc, t: DataType) -> Aggregate {
        Aggregate {
            func,
            arg: None,
            arg_type: Some(t),
        }
    }

    #[test]
    fn float_sum_is_order_independent() {
        let xs = [0.1, 1e6 + 0.3, -7.25, 3.3333333, 1e-3, 99.99];
        let mut a = Accumulator::new(&agg(AggFunc::Sum, DataType::Float));
        let mut b = a.clone();
        for x in xs {
            a.update(Some(&Value::Float(x)));
        }
        for x in xs.iter().rev() {
            b.update(Some(&Value::Float(*x)));
        }
        assert_eq!(a.result(), b.result());
        let Value::Float(s) = a.result() else {
            panic!()
        };
        assert!((s - xs.iter().sum::<f64>()).abs() < 1e-6);
    }

    #[test]
    fn nulls_are_ignored_and_empty_sums_are_null() {
        let mut sum = Accumulator::new(&agg(AggFunc::Sum, DataType::Int));
        sum.update(Some(&Value::Null));
        assert_eq!(sum.result(), Value::Null);
        let mut count = Accumulator::new(&agg(AggFunc::Count, DataType::Int));
        count.update(Some(&Value::Null));
        count.update(Some(&Value::Int(1)));
        assert_eq!(count.result(), Value::Int(1));
        let mut min = Accumulator::new(&agg(AggFunc::Min, DataType::Int));
        for v in [5, 2, 9] {
            min.update(Some(&Value::Int(v)));
        }
        assert_eq!(min.result(), Value::Int(2));
        let mut avg = Accumulator::new(&agg(AggFunc::Avg, DataType::Int));
        avg.update(Some(&Value::Int(1)));
        let mut other = avg.clone();
        other.update(Some(&Value::Int(4)));
        avg.merge(&other);
        assert_eq!(avg.result(), Value::Float(2.0));
    }
}
