//! Expression evaluation over a row of values. NULL propagates as in SQL; a
//! failed CAST or a division by zero gives NULL instead of stopping the stream.

use std::cmp::Ordering;

use super::plan::{BinOp, Expr};
use crate::record::{DataType, Value};

pub fn eval(expr: &Expr, row: &[Value]) -> Value {
    match expr {
        Expr::Column(i) => row[*i].clone(),
        Expr::Literal(v) => v.clone(),
        Expr::Binary { op, left, right } => binary(*op, eval(left, row), || eval(right, row)),
        Expr::Not(e) => match eval(e, row) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        Expr::Neg(e) => match eval(e, row) {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Float(f) => Value::Float(-f),
            Value::Timestamp(t) => Value::Timestamp(t.wrapping_neg()),
            _ => Value::Null,
        },
        Expr::IsNull { expr, negated } => Value::Bool(eval(expr, row).is_null() != *negated),
        Expr::Cast { expr, to } => cast(eval(expr, row), *to),
    }
}

/// True only for a boolean TRUE: NULL and FALSE both filter a row out.
pub fn is_true(expr: &Expr, row: &[Value]) -> bool {
    matches!(eval(expr, row), Value::Bool(true))
}

fn binary(op: BinOp, l: Value, r: impl FnOnce() -> Value) -> Value {
    // AND/OR short-circuit with SQL's three-valued logic.
    match (op, &l) {
        (BinOp::And, Value::Bool(false)) => return Value::Bool(false),
        (BinOp::Or, Value::Bool(true)) => return Value::Bool(true),
        _ => {}
    }
    let r = r();
    match op {
        BinOp::And => match (l, r) {
            (_, Value::Bool(false)) => Value::Bool(false),
            (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
            _ => Value::Null,
        },
        BinOp::Or => match (l, r) {
            (_, Value::Bool(true)) => Value::Bool(true),
            (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
            _ => Value::Null,
        },
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            match compare(&l, &r) {
                None => Value::Null,
                Some(ord) => Value::Bool(match op {
                    BinOp::Eq => ord == Ordering::Equal,
                    BinOp::NotEq => ord != Ordering::Equal,
                    BinOp::Lt => ord == Ordering::Less,
                    BinOp::LtEq => ord != Ordering::Greater,
                    BinOp::Gt => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                }),
            }
        }
        _ => arithmetic(op, l, r),
    }
}

fn arithmetic(op: BinOp, l: Value, r: Value) -> Value {
    let ints = |a: i64, b: i64| match op {
        BinOp::Add => Some(a.wrapping_add(b)),
        BinOp::Sub => Some(a.wrapping_sub(b)),
        BinOp::Mul => Some(a.wrapping_mul(b)),
        BinOp::Div => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    match (&l, &r) {
        (Value::Int(a), Value::Int(b)) => ints(*a, *b).map_or(Value::Null, Value::Int),
        (Value::Timestamp(a), Value::Int(b)) | (Value::Int(a), Value::Timestamp(b))
            if matches!(op, BinOp::Add | BinOp::Sub) =>
        {
            ints(*a, *b).map_or(Value::Null, Value::Timestamp)
        }
        (Value::Timestamp(a) | Value::Int(a), Value::Timestamp(b) | Value::Int(b)) => {
            ints(*a, *b).map_or(Value::Null, Value::Int)
        }
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => Value::Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div if b == 0.0 => return Value::Null,
                BinOp::Div => a / b,
                _ if b == 0.0 => return Value::Null,
                _ => a % b,
            }),
            _ => Value::Null,
        },
    }
}

/// SQL comparison; None when either side is NULL or the types don't compare.
pub fn compare(l: &Value, r: &Value) -> Option<Ordering> {
    match (l, r) {
        (Value::Int(a) | Value::Timestamp(a), Value::Int(b) | Value::Timestamp(b)) => {
            Some(a.cmp(b))
        }
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => l.as_f64()?.partial_cmp(&r.as_f64()?),
    }
}

pub fn cast(v: Value, to: DataType) -> Value {
    match (v, to) {
        (Value::Null, _) => Value::Null,
        (Value::Int(i) | Value::Timestamp(i), DataType::Int) => Value::Int(i),
        (Value::Int(i) | Value::Timestamp(i), DataType::Timestamp) => Value::Timestamp(i),
        (Value::Int(i) | Value::Timestamp(i), DataType::Float) => Value::Float(i as f64),
        (Value::Float(f), DataType::Float) => Value::Float(f),
        (Value::Float(f), DataType::Int) if f.is_finite() => Value::Int(f.trunc() as i64),
        (Value::Float(f), DataType::Timestamp) if f.is_finite() => {
            Value::Timestamp(f.trunc() as i64)
        }
        (Value::Bool(b), DataType::Bool) => Value::Bool(b),
        (Value::Bool(b), DataType::Int) => Value::Int(i64::from(b)),
        (Value::Str(s), DataType::Str) => Value::Str(s),
        (Value::Str(s), DataType::Int | DataType::Timestamp) => match s.trim().parse::<i64>() {
            Ok(i) if to == DataType::Int => Value::Int(i),
            Ok(i) => Value::Timestamp(i),
            Err(_) => Value::Null,
        },
        (Value::Str(s), DataType::Float) => s.trim().parse().map_or(Value::Null, Value::Float),
        (Value::Str(s), DataType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        (v, DataType::Str) => Value::Str(v.to_string().into()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: Value) -> Box<Expr> {
        Box::new(Expr::Literal(v))
    }

    #[test]
    fn arithmetic_and_nulls() {
        let e = Expr::Binary {
            op: BinOp::Mod,
            left: lit(Value::Int(246)),
            right: lit(Value::Int(123)),
        };
        assert_eq!(eval(&e, &[]), Value::Int(0));
        let e = Expr::Binary {
            op: BinOp::Div,
            left: lit(Value::Int(1)),
            right: lit(Value::Int(0)),
        };
        assert_eq!(eval(&e, &[]), Value::Null);
        let e = Expr::Binary {
            op: BinOp::Mul,
            left: lit(Value::Int(100)),
            right: lit(Value::Float(0.5)),
        };
        assert_eq!(eval(&e, &[]), Value::Float(50.0));
        let e = Expr::Binary {
            op: BinOp::Gt,
            left: Box::new(Expr::Column(0)),
            right: lit(Value::Int(3)),
        };
        assert_eq!(eval(&e, &[Value::Null]), Value::Null);
        assert!(!is_true(&e, &[Value::Null]));
        assert!(is_true(&e, &[Value::Float(3.5)]));
    }

    #[test]
    fn three_valued_logic() {
        let and = |a, b| {
            eval(
                &Expr::Binary {
                    op: BinOp::And,
                    left: lit(a),
                    right: lit(b),
                },
                &[],
            )
        };
        assert_eq!(and(Value::Null, Value::Bool(false)), Value::Bool(false));
        assert_eq!(and(Value::Null, Value::Bool(true)), Value::Null);
        let or = |a, b| {
            eval(
                &Expr::Binary {
                    op: BinOp::Or,
                    left: lit(a),
                    right: lit(b),
                },
                &[],
            )
        };
        assert_eq!(or(Value::Null, Value::Bool(true)), Value::Bool(true));
    }

    #[test]
    fn casts() {
        assert_eq!(cast(Value::Float(2.9), DataType::Int), Value::Int(2));
        assert_eq!(cast(Value::Str("12".into()), DataType::Int), Value::Int(12));
        assert_eq!(cast(Value::Str("x".into()), DataType::Float), Value::Null);
        assert_eq!(cast(Value::Int(7), DataType::Str), Value::Str("7".into()));
    }
}
