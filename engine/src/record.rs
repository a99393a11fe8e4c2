//! Values, schemas and records. A record is a vector of values indexed by the
//! schema's column order, so the hot path never hashes a column name.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Bool,
    Int,
    Float,
    Str,
    /// Milliseconds since the Unix epoch.
    Timestamp,
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DataType::Bool => "BOOLEAN",
            DataType::Int => "BIGINT",
            DataType::Float => "DOUBLE",
            DataType::Str => "VARCHAR",
            DataType::Timestamp => "TIMESTAMP",
        };
        f.write_str(name)
    }
}

/// One value. `Str` is shared so that copying a group key never allocates.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a float, for arithmetic and aggregates over numbers.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) | Value::Timestamp(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) => "BIGINT",
            Value::Float(_) => "DOUBLE",
            Value::Str(_) => "VARCHAR",
            Value::Timestamp(_) => "TIMESTAMP",
        }
    }

    /// Float bits with -0.0 and every NaN folded, so equal floats hash equal.
    fn canonical_float_bits(f: f64) -> u64 {
        if f.is_nan() {
            f64::NAN.to_bits()
        } else if f == 0.0 {
            0
        } else {
            f.to_bits()
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => {
                Value::canonical_float_bits(*a) == Value::canonical_float_bits(*b)
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(i) | Value::Timestamp(i) => i.hash(state),
            Value::Float(f) => Value::canonical_float_bits(*f).hash(state),
            Value::Str(s) => s.hash(state),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::Timestamp(t) => write!(f, "{t}"),
        }
    }
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
}

/// The ordered columns of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<Column>,
}

impl Schema {
    pub fn new(columns: impl IntoIterator<Item = (impl Into<String>, DataType)>) -> Self {
        Schema {
            columns: columns
                .into_iter()
                .map(|(name, data_type)| Column {
                    name: name.into(),
                    data_type,
                })
                .collect(),
        }
    }

    /// Column index by name, case-insensitively as SQL identifiers are.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

/// One record: values in schema order, plus where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub values: Vec<Value>,
    /// Source partition, or 0 for unpartitioned sources.
    pub partition: i32,
    /// Offset within the partition, or -1 when unknown.
    pub offset: i64,
}

impl Record {
    pub fn new(values: Vec<Value>) -> Self {
        Record {
            values,
            partition: 0,
            offset: -1,
        }
    }

    pub fn at(values: Vec<Value>, partition: i32, offset: i64) -> Self {
        Record {
            values,
            partition,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_floats_hash_equal() {
        use std::collections::hash_map::DefaultHasher;
        let h = |v: &Value| {
            let mut s = DefaultHasher::new();
            v.hash(&mut s);
            s.finish()
        };
        assert_eq!(Value::Float(0.0), Value::Float(-0.0));
        assert_eq!(h(&Value::Float(0.0)), h(&Value::Float(-0.0)));
        assert_ne!(Value::Int(1), Value::Timestamp(1));
    }

    #[test]
    fn schema_lookup_ignores_case() {
        let s = Schema::new([("Price", DataType::Float), ("ts", DataType::Timestamp)]);
        assert_eq!(s.index_of("price"), Some(0));
        assert_eq!(s.index_of("TS"), Some(1));
        assert_eq!(s.index_of("nope"), None);
    }
}
