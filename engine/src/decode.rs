//! JSON object payloads -> records, against a schema. A bad payload is an
//! error that names the field and what is wrong; callers count and skip it.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;
use thiserror::Error;

use crate::record::{DataType, Record, Schema, Value};

#[derive(Debug, Clone, PartialEq, Error)]
pub enum DecodeError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("payload is a JSON {found}, expected an object")]
    NotAnObject { found: &'static str },
    #[error("missing field '{0}'")]
    MissingField(String),
    #[error("field '{field}' should be {expected}, found {found}")]
    WrongType {
        field: String,
        expected: DataType,
        found: String,
    },
}

/// Decodes one JSON object. Extra fields are ignored; JSON null is SQL NULL.
pub fn decode_json(
    payload: &[u8],
    schema: &Schema,
    partition: i32,
    offset: i64,
) -> Result<Record, DecodeError> {
    let json: Json =
        serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    let Json::Object(mut map) = json else {
        return Err(DecodeError::NotAnObject {
            found: json_kind(&json),
        });
    };
    let values = schema
        .columns
        .iter()
        .map(|c| {
            let v = map
                .remove(&c.name)
                .ok_or_else(|| DecodeError::MissingField(c.name.clone()))?;
            to_value(v, c.data_type).map_err(|found| DecodeError::WrongType {
                field: c.name.clone(),
                expected: c.data_type,
                found,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Record::at(values, partition, offset))
}

fn to_value(v: Json, ty: DataType) -> Result<Value, String> {
    match (ty, v) {
        (_, Json::Null) => Ok(Value::Null),
        (DataType::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (DataType::Int, Json::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| format!("number {n}")),
        (DataType::Timestamp, Json::Number(n)) => n
            .as_i64()
            .map(Value::Timestamp)
            .ok_or_else(|| format!("number {n} (timestamps are integer milliseconds)")),
        (DataType::Float, Json::Number(n)) => n
            .as_f64()
            .map(Value::Float)
            .ok_or_else(|| format!("number {n}")),
        (DataType::Str, Json::String(s)) => Ok(Value::Str(s.into())),
        (_, other) => Err(format!("a JSON {}", json_kind(&other))),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A record as one JSON object under `schema` (the inverse of decoding).
/// Serialized in place: no intermediate `serde_json::Value`, so writing a row
/// copies neither column names nor strings.
pub struct JsonRow<'a> {
    pub record: &'a Record,
    pub schema: &'a Schema,
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.schema.len()))?;
        for (column, value) in self.schema.columns.iter().zip(&self.record.values) {
            match value {
                Value::Null => map.serialize_entry(&column.name, &())?,
                Value::Bool(b) => map.serialize_entry(&column.name, b)?,
                Value::Int(i) | Value::Timestamp(i) => map.serialize_entry(&column.name, i)?,
                // JSON has no NaN or infinity; serde_json writes them as null.
                Value::Float(f) => map.serialize_entry(&column.name, f)?,
                Value::Str(s) => map.serialize_entry(&column.name, &**s)?,
            }
        }
        map.end()
    }
}

/// Appends `record` to `out` as one JSON object.
pub fn write_json(
    out: &mut Vec<u8>,
    record: &Record,
    schema: &Schema,
) -> Result<(), serde_json::Error> {
    serde_json::to_writer(out, &JsonRow { record, schema })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new([
            ("id", DataType::Int),
            ("price", DataType::Float),
            ("ts", DataType::Timestamp),
        ])
    }

    #[test]
    fn decodes_and_round_trips() {
        let r = decode_json(
            br#"{"id": 3, "price": 2, "ts": 1000, "extra": "x"}"#,
            &schema(),
            1,
            9,
        )
        .unwrap();
        assert_eq!(
            r.values,
            vec![Value::Int(3), Value::Float(2.0), Value::Timestamp(1000)]
        );
        assert_eq!((r.partition, r.offset), (1, 9));
        let mut json = Vec::new();
        write_json(&mut json, &r, &schema()).unwrap();
        assert_eq!(decode_json(&json, &schema(), 1, 9).unwrap(), r);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = |p: &[u8]| decode_json(p, &schema(), 0, 0).unwrap_err().to_string();
        assert!(e(b"{not json").starts_with("malformed JSON"));
        assert_eq!(e(b"[1]"), "payload is a JSON array, expected an object");
        assert_eq!(e(br#"{"id": 1, "price": 2.0}"#), "missing field 'ts'");
        assert_eq!(
            e(br#"{"id": "one", "price": 2.0, "ts": 0}"#),
            "field 'id' should be BIGINT, found a JSON string"
        );
        assert!(e(br#"{"id": 1.5, "price": 2.0, "ts": 0}"#).contains("field 'id' should be BIGINT"));
    }
}
