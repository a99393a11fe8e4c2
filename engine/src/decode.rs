//! JSON object payloads -> records, against a schema. A bad payload is an
//! error that names the field and what is wrong; callers count and skip it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Deserialize;
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
/// The object is read straight into the schema's slots: no intermediate map,
/// and field names are borrowed from the payload.
pub fn decode_json(
    payload: &[u8],
    schema: &Schema,
    partition: i32,
    offset: i64,
) -> Result<Record, DecodeError> {
    let mut json = serde_json::Deserializer::from_slice(payload);
    let values = RowSeed { schema }
        .deserialize(&mut json)
        .and_then(|row| json.end().map(|()| row))
        .map_err(|e| DecodeError::Malformed(e.to_string()))??;
    Ok(Record::at(values, partition, offset))
}

/// Reads one payload into values in schema order; the outer error is JSON
/// syntax, the inner one what is wrong with a well-formed payload.
struct RowSeed<'a> {
    schema: &'a Schema,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Result<Vec<Value>, DecodeError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Result<Vec<Value>, DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Per column: its value, or what was found instead of its type.
        let mut slots: Vec<Option<Result<Value, String>>> = vec![None; self.schema.len()];
        while let Some(FieldName(name)) = map.next_key()? {
            match self.schema.columns.iter().position(|c| c.name == name) {
                Some(i) => {
                    let json: Json = map.next_value()?;
                    slots[i] = Some(to_value(json, self.schema.columns[i].data_type));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Problems are reported in schema order, the first one only.
        let values = self
            .schema
            .columns
            .iter()
            .zip(slots)
            .map(|(c, slot)| match slot {
                None => Err(DecodeError::MissingField(c.name.clone())),
                Some(Err(found)) => Err(DecodeError::WrongType {
                    field: c.name.clone(),
                    expected: c.data_type,
                    found,
                }),
                Some(Ok(v)) => Ok(v),
            })
            .collect();
        Ok(values)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_an_object("array"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(not_an_object("boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(not_an_object("number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(not_an_object("number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(not_an_object("number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(not_an_object("string"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(not_an_object("null"))
    }
}

fn not_an_object(found: &'static str) -> Result<Vec<Value>, DecodeError> {
    Err(DecodeError::NotAnObject { found })
}

/// A field name, borrowed from the payload unless it has escapes.
struct FieldName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for FieldName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = FieldName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Owned(v.to_string())))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
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
    fn escaped_names_duplicates_and_trailing_bytes() {
        let r = decode_json(
            br#"{"i\u0064": 1, "price": 1.5, "ts": 2, "id": 4}"#,
            &schema(),
            0,
            0,
        )
        .unwrap();
        assert_eq!(
            r.values[0],
            Value::Int(4),
            "a repeated field keeps its last value"
        );
        let e = decode_json(br#"{"id": 1, "price": 2.0, "ts": 0} x"#, &schema(), 0, 0).unwrap_err();
        assert!(e.to_string().starts_with("malformed JSON"), "{e}");
        let e = decode_json(b"\"text\"", &schema(), 0, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "payload is a JSON string, expected an object"
        );
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
