//! An order-independent digest of an output multiset: the row count plus a sum
//! of 128-bit row hashes. Two runs emitted the same rows, in any order, exactly
//! when their digests match (up to hash collisions). The hash is our own and
//! stable, so digests can be compared across builds and machines.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutputDigest {
    pub count: u64,
    /// Wrapping sum of row hashes, as 32 hex digits in results files.
    #[serde(with = "hex128")]
    pub hash: u128,
}

impl OutputDigest {
    pub fn add_row(&mut self, row: &[Value]) {
        self.count += 1;
        self.hash = self.hash.wrapping_add(row_hash(row));
    }

    /// Folds another digest in, as if its rows had been added here.
    pub fn combine(&mut self, other: &OutputDigest) {
        self.count += other.count;
        self.hash = self.hash.wrapping_add(other.hash);
    }
}

impl fmt::Display for OutputDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:032x}", self.count, self.hash)
    }
}

/// Two independent FNV-1a streams over a canonical encoding, each finalised
/// with splitmix64 so that nearby rows spread over the whole range.
fn row_hash(row: &[Value]) -> u128 {
    let mut h = RowHasher::new();
    for v in row {
        match v {
            Value::Null => h.write(&[0]),
            Value::Bool(b) => h.write(&[1, u8::from(*b)]),
            Value::Int(i) => {
                h.write(&[2]);
                h.write(&i.to_le_bytes());
            }
            Value::Float(x) => {
                h.write(&[3]);
                let bits = if x.is_nan() {
                    f64::NAN.to_bits()
                } else if *x == 0.0 {
                    0
                } else {
                    x.to_bits()
                };
                h.write(&bits.to_le_bytes());
            }
            Value::Str(s) => {
                h.write(&[4]);
                h.write(&(s.len() as u64).to_le_bytes());
                h.write(s.as_bytes());
            }
            Value::Timestamp(t) => {
                h.write(&[5]);
                h.write(&t.to_le_bytes());
            }
        }
    }
    h.finish()
}

struct RowHasher(u64, u64);

impl RowHasher {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        RowHasher(0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME);
            self.1 = (self.1 ^ u64::from(b.rotate_left(3))).wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u128 {
        (u128::from(splitmix64(self.0)) << 64)
            | u128::from(splitmix64(self.1 ^ 0x9e37_79b9_7f4a_7c15))
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

mod hex128 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        u128::from_str_radix(&s, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_content_does() {
        let rows = [
            vec![Value::Int(1), Value::Str("a".into())],
            vec![Value::Int(2), Value::Float(0.5)],
            vec![Value::Null, Value::Timestamp(7)],
        ];
        let mut a = OutputDigest::default();
        let mut b = OutputDigest::default();
        for r in &rows {
            a.add_row(r);
        }
        for r in rows.iter().rev() {
            b.add_row(r);
        }
        assert_eq!(a, b);
        let mut c = OutputDigest::default();
        c.add_row(&rows[0]);
        c.add_row(&rows[1]);
        c.add_row(&[Value::Null, Value::Int(7)]);
        assert_ne!(a, c, "Int and Timestamp of the same number differ");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<OutputDigest>(&json).unwrap(), a);
    }
}
