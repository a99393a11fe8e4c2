//! Deterministic, seeded record generators for benchmark sources.
//!
//! Every runtime variant in a comparison must consume byte-identical input,
//! otherwise a throughput or latency difference could come from the data
//! rather than from the runtime. So a generated stream is a pure function of
//! its [`SourceSpec`]: the same spec (seed included) always yields the same
//! records in the same order, on every run and every machine.
//!
//! Streams are lazy ([`Records`] is an iterator) because scenarios ask for tens
//! of millions of records and materializing them would dominate the memory
//! profile being measured. Payloads are hand-written JSON so that producing the
//! input stays far cheaper than the pipeline consuming it.
//!
//! Event time is synthetic: record `i` of the global sequence gets the base
//! time `start_time_ms + i * 1000 / events_per_second`, lands in partition
//! `i % partitions`, and is then pulled back by a uniform jitter in
//! `0..=max_out_of_order_ms`. Because the base time never decreases, each
//! partition is ordered up to that bounded out-of-orderness, which is exactly
//! the contract a bounded-out-of-orderness watermark relies on.

pub mod nexmark;
pub mod trades;

use std::iter::FusedIterator;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio_tax_engine::record::Schema;

/// Which generator a source uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratorKind {
    /// Nexmark `Bid` events (see [`nexmark`]).
    Nexmark,
    /// Equity trades with a per-symbol random-walk price (see [`trades`]).
    Trades,
}

/// Default for [`SourceSpec::partitions`].
pub const DEFAULT_PARTITIONS: u32 = 4;
/// Default for [`SourceSpec::seed`].
pub const DEFAULT_SEED: u64 = 42;
/// Default for [`SourceSpec::events_per_second`].
pub const DEFAULT_EVENTS_PER_SECOND: u64 = 10_000;
/// Default for [`SourceSpec::max_out_of_order_ms`]: perfectly ordered partitions.
pub const DEFAULT_MAX_OUT_OF_ORDER_MS: u64 = 0;
/// Default for [`SourceSpec::start_time_ms`]: 2023-11-14T22:13:20Z, a fixed
/// instant so that window boundaries are the same on every run.
pub const DEFAULT_START_TIME_MS: i64 = 1_700_000_000_000;

fn default_partitions() -> u32 {
    DEFAULT_PARTITIONS
}

fn default_seed() -> u64 {
    DEFAULT_SEED
}

fn default_events_per_second() -> u64 {
    DEFAULT_EVENTS_PER_SECOND
}

fn default_max_out_of_order_ms() -> u64 {
    DEFAULT_MAX_OUT_OF_ORDER_MS
}

fn default_start_time_ms() -> i64 {
    DEFAULT_START_TIME_MS
}

/// What a scenario's `[source]` table says.
///
/// Unknown fields are rejected so that a typo in a scenario file fails loudly
/// instead of silently running with a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Which generator produces the records.
    pub generator: GeneratorKind,
    /// Total number of records across all partitions.
    pub records: u64,
    /// Size of the key space: auctions and bidders for Nexmark, traders for
    /// trades. It bounds the number of distinct groups a query keeps state for.
    pub keys: u64,
    /// Number of source partitions; record `i` goes to `i % partitions`.
    /// Default [`DEFAULT_PARTITIONS`].
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    /// Seed for every random choice. Default [`DEFAULT_SEED`].
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Event-time rate: how densely event times are spaced, not how fast
    /// records are produced in wall-clock time. Default
    /// [`DEFAULT_EVENTS_PER_SECOND`].
    #[serde(default = "default_events_per_second")]
    pub events_per_second: u64,
    /// Bounded out-of-orderness within a partition, in milliseconds. Default
    /// [`DEFAULT_MAX_OUT_OF_ORDER_MS`].
    #[serde(default = "default_max_out_of_order_ms")]
    pub max_out_of_order_ms: u64,
    /// Base event time of the first record, in milliseconds since the Unix
    /// epoch; jitter can put the first few records up to
    /// `max_out_of_order_ms` before it. Default [`DEFAULT_START_TIME_MS`].
    #[serde(default = "default_start_time_ms")]
    pub start_time_ms: i64,
}

impl SourceSpec {
    /// A spec with every optional field at its documented default.
    pub fn new(generator: GeneratorKind, records: u64, keys: u64) -> Self {
        SourceSpec {
            generator,
            records,
            keys,
            partitions: DEFAULT_PARTITIONS,
            seed: DEFAULT_SEED,
            events_per_second: DEFAULT_EVENTS_PER_SECOND,
            max_out_of_order_ms: DEFAULT_MAX_OUT_OF_ORDER_MS,
            start_time_ms: DEFAULT_START_TIME_MS,
        }
    }

    /// Checks the values a generator cannot work with, naming the offending
    /// field so a scenario author knows what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.records == 0 {
            return Err(
                "source.records must be greater than 0: an empty source measures nothing".into(),
            );
        }
        if self.keys == 0 {
            return Err(
                "source.keys must be greater than 0: every record needs a key from the key space"
                    .into(),
            );
        }
        if self.partitions == 0 {
            return Err(
                "source.partitions must be greater than 0: records need a partition to land in"
                    .into(),
            );
        }
        if i32::try_from(self.partitions).is_err() {
            return Err(format!(
                "source.partitions must be at most {}: partition numbers are 32-bit signed (got {})",
                i32::MAX,
                self.partitions
            ));
        }
        if self.events_per_second == 0 {
            return Err(
                "source.events_per_second must be greater than 0: it is the divisor that spaces event times"
                    .into(),
            );
        }
        Ok(())
    }
}

/// One generated record, ready to be produced to a topic or fed to a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRecord {
    /// Source partition, `i % partitions`.
    pub partition: i32,
    /// Event time in milliseconds since the Unix epoch; equal to the payload's
    /// event-time column (see [`event_time_column`]).
    pub event_time_ms: i64,
    /// Grouping key: the auction for Nexmark, the trader index for trades.
    /// Exposed separately so a producer can use it as the message key
    /// without parsing the payload.
    pub key: u64,
    /// One JSON object, no trailing newline, fields in [`schema`] order.
    pub payload: Vec<u8>,
}

/// The columns a generator's payloads carry, in JSON field order.
pub fn schema(kind: GeneratorKind) -> Schema {
    match kind {
        GeneratorKind::Nexmark => nexmark::schema(),
        GeneratorKind::Trades => trades::schema(),
    }
}

/// The payload column that holds the event time.
pub fn event_time_column(kind: GeneratorKind) -> &'static str {
    match kind {
        GeneratorKind::Nexmark => nexmark::EVENT_TIME_COLUMN,
        GeneratorKind::Trades => trades::EVENT_TIME_COLUMN,
    }
}

/// ChaCha stream for payload contents. Payload choices and jitter come from
/// separate streams of the same seed so that changing `max_out_of_order_ms`
/// only moves event times and leaves every other field byte-identical.
const PAYLOAD_STREAM: u64 = 0;
/// ChaCha stream for event-time jitter; see [`PAYLOAD_STREAM`].
const JITTER_STREAM: u64 = 1;

/// Starts the lazy, deterministic stream a spec describes.
///
/// Call [`SourceSpec::validate`] first. `generate` never panics: so that a
/// spec which skipped validation still yields a well-defined stream, it reads
/// zero `keys`, `partitions` and `events_per_second` as 1 and caps
/// `partitions` at `i32::MAX` (zero `records` is simply an empty stream).
pub fn generate(spec: &SourceSpec) -> Records {
    let keys = spec.keys.max(1);
    let events_per_second = spec.events_per_second.max(1);
    let partitions = spec.partitions.clamp(1, i32::MAX.unsigned_abs());

    let mut payload_rng = ChaCha8Rng::seed_from_u64(spec.seed);
    payload_rng.set_stream(PAYLOAD_STREAM);
    let mut jitter_rng = ChaCha8Rng::seed_from_u64(spec.seed);
    jitter_rng.set_stream(JITTER_STREAM);

    let body = match spec.generator {
        GeneratorKind::Nexmark => Body::Nexmark(nexmark::BidGenerator::new(keys)),
        GeneratorKind::Trades => Body::Trades(trades::TradeGenerator::new(keys, &mut payload_rng)),
    };

    Records {
        next: 0,
        records: spec.records,
        partitions: u64::from(partitions),
        start_time_ms: spec.start_time_ms,
        max_out_of_order_ms: spec.max_out_of_order_ms,
        clock: EventClock::new(events_per_second),
        payload_rng,
        jitter_rng,
        body,
    }
}

/// The lazy stream returned by [`generate`].
#[derive(Debug, Clone)]
pub struct Records {
    next: u64,
    records: u64,
    partitions: u64,
    start_time_ms: i64,
    max_out_of_order_ms: u64,
    clock: EventClock,
    payload_rng: ChaCha8Rng,
    jitter_rng: ChaCha8Rng,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    Nexmark(nexmark::BidGenerator),
    Trades(trades::TradeGenerator),
}

impl Records {
    /// Records still to come, as a `u64` so it is exact even where `usize`
    /// is narrower than the spec's record count.
    pub fn remaining(&self) -> u64 {
        self.records - self.next
    }
}

impl Iterator for Records {
    type Item = GeneratedRecord;

    fn next(&mut self) -> Option<GeneratedRecord> {
        if self.next >= self.records {
            return None;
        }
        let i = self.next;
        self.next += 1;

        // partitions <= i32::MAX, so the remainder always fits.
        let partition = i32::try_from(i % self.partitions).unwrap_or(i32::MAX);
        let base = self
            .start_time_ms
            .saturating_add_unsigned(self.clock.offset_ms());
        self.clock.advance();
        let jitter = if self.max_out_of_order_ms == 0 {
            0
        } else {
            self.jitter_rng.gen_range(0..=self.max_out_of_order_ms)
        };
        let event_time_ms = base.saturating_sub_unsigned(jitter);

        let (key, payload) = match &mut self.body {
            Body::Nexmark(g) => g.next_payload(&mut self.payload_rng, event_time_ms),
            Body::Trades(g) => g.next_payload(&mut self.payload_rng, event_time_ms),
        };
        Some(GeneratedRecord {
            partition,
            event_time_ms,
            key,
            payload,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Exact on 64-bit targets; a 32-bit target can only saturate.
        let n = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Records {}

impl FusedIterator for Records {}

/// `i * 1000 / events_per_second` for consecutive `i`, kept as a quotient
/// and remainder so that neither a 128-bit division per record nor an
/// overflowing `i * 1000` is needed.
#[derive(Debug, Clone)]
struct EventClock {
    divisor: u64,
    step_quotient: u64,
    step_remainder: u64,
    quotient: u64,
    remainder: u64,
}

impl EventClock {
    fn new(events_per_second: u64) -> Self {
        let divisor = events_per_second.max(1);
        EventClock {
            divisor,
            step_quotient: 1000 / divisor,
            step_remainder: 1000 % divisor,
            quotient: 0,
            remainder: 0,
        }
    }

    /// Milliseconds from the start time for the current record.
    fn offset_ms(&self) -> u64 {
        self.quotient
    }

    fn advance(&mut self) {
        self.quotient = self.quotient.saturating_add(self.step_quotient);
        // remainder < divisor and step_remainder < divisor, so the sum cannot
        // overflow unless divisor > u64::MAX / 2; subtracting first avoids that.
        if self.remainder >= self.divisor - self.step_remainder {
            self.remainder -= self.divisor - self.step_remainder;
            self.quotient = self.quotient.saturating_add(1);
        } else {
            self.remainder += self.step_remainder;
        }
    }
}

/// A uniform index into a table of `len` entries.
///
/// Drawn as a `u64` because `rand` samples `usize` ranges with a different
/// word size on 32-bit targets, which would make streams platform-dependent.
fn pick_index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    let len = u64::try_from(len).unwrap_or(u64::MAX).max(1);
    usize::try_from(rng.gen_range(0..len)).unwrap_or(0)
}

/// Appends JSON to a payload buffer without going through `serde_json`.
///
/// Generation must stay far cheaper than the pipeline it feeds, so values are
/// formatted straight into the buffer. Strings are written verbatim: every
/// string the generators emit comes from fixed ASCII tables or lowercase
/// letters, so nothing ever needs escaping.
struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn int(&mut self, name: &str, value: i64) {
        self.key(name);
        push_i64(self.out, value);
    }

    fn uint(&mut self, name: &str, value: u64) {
        self.key(name);
        push_u64(self.out, value);
    }

    /// A non-negative amount in hundredths, written as a JSON number with
    /// exactly two decimals (`12.30`). The decimal point keeps it a float for
    /// JSON readers that distinguish integers, as the schema says `Float`.
    fn cents(&mut self, name: &str, cents: u64) {
        self.key(name);
        push_u64(self.out, cents / 100);
        let frac = cents % 100;
        self.out.push(b'.');
        self.out.push(b'0' + (frac / 10) as u8);
        self.out.push(b'0' + (frac % 10) as u8);
    }

    fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    /// Starts a string value whose contents the caller appends in pieces;
    /// close it with [`JsonObject::end_str`].
    fn begin_str(&mut self, name: &str) -> &mut Vec<u8> {
        self.key(name);
        self.out.push(b'"');
        self.out
    }

    fn end_str(&mut self) {
        self.out.push(b'"');
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

/// Decimal digits of `value`, appended without allocating.
fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[pos..]);
}

fn push_i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    push_u64(out, value.unsigned_abs());
}

/// `value` zero-padded to at least `width` digits.
fn push_u64_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let digits = decimal_digits(value);
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(digits)));
    push_u64(out, value);
}

fn decimal_digits(mut value: u64) -> usize {
    let mut digits = 1;
    while value >= 10 {
        value /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Checks shared by the generator tests.

    use std::fmt;

    use serde::de::{Deserializer, MapAccess, Visitor};
    use tokio_tax_engine::record::DataType;

    use super::*;

    /// A JSON object's fields in document order; `serde_json::Map` would sort
    /// them and hide a column-order bug.
    pub struct OrderedObject(pub Vec<(String, serde_json::Value)>);

    impl<'de> Deserialize<'de> for OrderedObject {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = OrderedObject;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<OrderedObject, A::Error> {
                    let mut fields = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        fields.push(entry);
                    }
                    Ok(OrderedObject(fields))
                }
            }
            d.deserialize_map(V)
        }
    }

    /// Parses a payload and checks it against the generator's schema: same
    /// field names in the same order, JSON types matching each `DataType`, and
    /// the event-time column equal to the record's event time. Returns the
    /// fields for generator-specific checks.
    pub fn check_payload(
        kind: GeneratorKind,
        record: &GeneratedRecord,
    ) -> Vec<(String, serde_json::Value)> {
        let text = std::str::from_utf8(&record.payload).expect("payload is UTF-8");
        assert!(!text.contains('\n'), "payload has a newline: {text}");
        let OrderedObject(fields) = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("not a JSON object ({e}): {text}"));
        let schema = schema(kind);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        let expected: Vec<&str> = schema.names().collect();
        assert_eq!(names, expected, "field names/order in {text}");
        for (column, (_, value)) in schema.columns.iter().zip(&fields) {
            let ok = match column.data_type {
                DataType::Int | DataType::Timestamp => value.is_i64() || value.is_u64(),
                DataType::Float => value.is_f64(),
                DataType::Str => value.is_string(),
                DataType::Bool => value.is_boolean(),
            };
            assert!(
                ok,
                "column {} should be {} in {text}",
                column.name, column.data_type
            );
        }
        let time_index = schema
            .index_of(event_time_column(kind))
            .expect("event-time column is in the schema");
        assert_eq!(
            fields[time_index].1.as_i64(),
            Some(record.event_time_ms),
            "{text}"
        );
        fields
    }

    /// Asserts the ordering contract: within each partition no event time is
    /// more than `max_out_of_order_ms` behind the largest one seen before it
    /// (so with 0 the partition is non-decreasing).
    pub fn check_ordering(spec: &SourceSpec) {
        let mut max_seen: Vec<Option<i64>> = vec![None; spec.partitions as usize];
        let mut late = 0u64;
        for r in generate(spec) {
            let slot = &mut max_seen[r.partition as usize];
            if let Some(max) = *slot {
                let lag = max - r.event_time_ms;
                assert!(
                    lag <= spec.max_out_of_order_ms as i64,
                    "partition {} went back {lag} ms (bound {})",
                    r.partition,
                    spec.max_out_of_order_ms
                );
                if lag > 0 {
                    late += 1;
                }
            }
            *slot = Some(slot.map_or(r.event_time_ms, |m| m.max(r.event_time_ms)));
        }
        if spec.max_out_of_order_ms == 0 {
            assert_eq!(late, 0);
        } else if spec.records > 1000
            && u128::from(spec.max_out_of_order_ms) * u128::from(spec.events_per_second)
                > 2000 * u128::from(spec.partitions)
        {
            // When the bound is over twice a partition's record spacing the
            // jitter must actually produce disorder, or the test proves nothing.
            assert!(late > 0, "no out-of-order records at all");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: GeneratorKind) -> SourceSpec {
        SourceSpec::new(kind, 1000, 50)
    }

    const KINDS: [GeneratorKind; 2] = [GeneratorKind::Nexmark, GeneratorKind::Trades];

    #[test]
    fn validate_names_each_zero_field() {
        for kind in KINDS {
            assert_eq!(spec(kind).validate(), Ok(()));
            type Breaker = fn(&mut SourceSpec);
            let cases: [(&str, Breaker); 4] = [
                ("records", |s| s.records = 0),
                ("keys", |s| s.keys = 0),
                ("partitions", |s| s.partitions = 0),
                ("events_per_second", |s| s.events_per_second = 0),
            ];
            for (field, break_it) in cases {
                let mut s = spec(kind);
                break_it(&mut s);
                let err = s.validate().expect_err(field);
                assert!(err.contains(field), "{err:?} should name {field}");
                assert!(err.contains("greater than 0"), "{err:?} should say why");
            }
        }
    }

    #[test]
    fn validate_rejects_partitions_beyond_i32() {
        let mut s = spec(GeneratorKind::Trades);
        s.partitions = i32::MAX as u32;
        assert_eq!(s.validate(), Ok(()));
        s.partitions += 1;
        let err = s.validate().expect_err("too many partitions");
        assert!(err.contains("partitions"), "{err}");
    }

    #[test]
    fn deserializes_with_defaults() {
        let s: SourceSpec =
            serde_json::from_str(r#"{"generator":"nexmark","records":10,"keys":3}"#)
                .expect("parses");
        assert_eq!(s, SourceSpec::new(GeneratorKind::Nexmark, 10, 3));
        assert_eq!(s.partitions, 4);
        assert_eq!(s.seed, 42);
        assert_eq!(s.events_per_second, 10_000);
        assert_eq!(s.max_out_of_order_ms, 0);
        assert_eq!(s.start_time_ms, 1_700_000_000_000);

        let full = r#"{"generator":"trades","records":1,"keys":2,"partitions":3,"seed":4,
                       "events_per_second":5,"max_out_of_order_ms":6,"start_time_ms":-7}"#;
        let s: SourceSpec = serde_json::from_str(full).expect("parses");
        assert_eq!(
            s,
            SourceSpec {
                generator: GeneratorKind::Trades,
                records: 1,
                keys: 2,
                partitions: 3,
                seed: 4,
                events_per_second: 5,
                max_out_of_order_ms: 6,
                start_time_ms: -7,
            }
        );
        let round_trip: SourceSpec =
            serde_json::from_str(&serde_json::to_string(&s).expect("serializes")).expect("parses");
        assert_eq!(round_trip, s);
    }

    #[test]
    fn rejects_unknown_fields_and_generators() {
        let typo = r#"{"generator":"nexmark","records":10,"keys":3,"partiton":2}"#;
        let err = serde_json::from_str::<SourceSpec>(typo).expect_err("unknown field");
        assert!(err.to_string().contains("partiton"), "{err}");
        let bad = r#"{"generator":"Nexmark","records":10,"keys":3}"#;
        assert!(serde_json::from_str::<SourceSpec>(bad).is_err());
        let missing = r#"{"generator":"nexmark","records":10}"#;
        let err = serde_json::from_str::<SourceSpec>(missing).expect_err("missing keys");
        assert!(err.to_string().contains("keys"), "{err}");
    }

    #[test]
    fn len_is_exact_and_counts_down() {
        for kind in KINDS {
            let mut s = spec(kind);
            s.records = 37;
            let mut it = generate(&s);
            assert_eq!(it.len(), 37);
            assert_eq!(it.remaining(), 37);
            it.next();
            assert_eq!(it.len(), 36);
            assert_eq!(it.by_ref().count(), 36);
            assert_eq!(it.len(), 0);
            assert!(it.next().is_none());
            assert!(it.next().is_none());
            assert_eq!(generate(&s).count(), 37);
        }
    }

    #[test]
    fn huge_record_counts_are_lazy() {
        // Would need terabytes if anything were materialized up front.
        let mut s = spec(GeneratorKind::Nexmark);
        s.records = u64::MAX;
        let it = generate(&s);
        assert_eq!(it.remaining(), u64::MAX);
        assert_eq!(it.take(3).count(), 3);
    }

    #[test]
    fn partitions_round_robin_and_all_used() {
        for kind in KINDS {
            let mut s = spec(kind);
            s.partitions = 7;
            let mut counts = [0u64; 7];
            for (i, r) in generate(&s).enumerate() {
                assert_eq!(r.partition as usize, i % 7);
                counts[r.partition as usize] += 1;
            }
            assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
            assert_eq!(counts.iter().sum::<u64>(), s.records);
        }
    }

    #[test]
    fn base_times_follow_the_rate() {
        for eps in [1, 3, 7, 999, 1000, 1001, 10_000, 1_000_000] {
            let mut s = spec(GeneratorKind::Trades);
            s.events_per_second = eps;
            s.start_time_ms = -5;
            for (i, r) in generate(&s).enumerate() {
                let expected = -5 + (i as u128 * 1000 / eps as u128) as i64;
                assert_eq!(r.event_time_ms, expected, "i={i} eps={eps}");
            }
        }
    }

    #[test]
    fn event_clock_matches_closed_form_and_never_overflows() {
        for eps in [1, 2, 3, 7, 999, 1000, 1001, u64::MAX / 2 + 3, u64::MAX] {
            let mut clock = EventClock::new(eps);
            for i in 0..5000u128 {
                let expected = (i * 1000 / u128::from(eps)) as u64;
                assert_eq!(clock.offset_ms(), expected, "i={i} eps={eps}");
                clock.advance();
            }
        }
        // Near the end of time everything saturates instead of wrapping.
        let mut s = spec(GeneratorKind::Nexmark);
        s.start_time_ms = i64::MAX - 1;
        s.events_per_second = 1;
        let times: Vec<i64> = generate(&s).take(4).map(|r| r.event_time_ms).collect();
        assert_eq!(times, [i64::MAX - 1, i64::MAX, i64::MAX, i64::MAX]);
        s.start_time_ms = i64::MIN;
        s.max_out_of_order_ms = u64::MAX;
        let times: Vec<i64> = generate(&s).take(100).map(|r| r.event_time_ms).collect();
        assert_eq!(times.len(), 100);
        assert_eq!(times[0], i64::MIN, "jitter saturates at the start of time");
    }

    #[test]
    fn ordering_within_partitions() {
        for kind in KINDS {
            for ooo in [0, 1, 250, 5000] {
                for eps in [1, 1000, 10_000, 1_000_000] {
                    let mut s = spec(kind);
                    s.records = 5000;
                    s.partitions = 3;
                    s.events_per_second = eps;
                    s.max_out_of_order_ms = ooo;
                    check_ordering_and_jitter(&s);
                }
            }
        }
    }

    fn check_ordering_and_jitter(s: &SourceSpec) {
        test_support::check_ordering(s);
        // Jitter only ever pulls a record back from its base time, by at most the bound.
        let mut base = s.clone();
        base.max_out_of_order_ms = 0;
        for (j, b) in generate(s).zip(generate(&base)) {
            let pulled = b.event_time_ms - j.event_time_ms;
            assert!((0..=s.max_out_of_order_ms as i64).contains(&pulled));
        }
    }

    #[test]
    fn jitter_leaves_other_fields_alone() {
        for kind in KINDS {
            let mut ordered = spec(kind);
            ordered.max_out_of_order_ms = 0;
            let mut jittered = ordered.clone();
            jittered.max_out_of_order_ms = 2000;
            let column = event_time_column(kind);
            let strip = |r: GeneratedRecord| {
                let text = String::from_utf8(r.payload).expect("UTF-8");
                let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                v.as_object_mut().expect("object").remove(column);
                (r.partition, r.key, v)
            };
            let a: Vec<_> = generate(&ordered).map(strip).collect();
            let b: Vec<_> = generate(&jittered).map(strip).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        for kind in KINDS {
            let mut s = spec(kind);
            s.max_out_of_order_ms = 100;
            let a: Vec<_> = generate(&s).collect();
            let b: Vec<_> = generate(&s).collect();
            assert_eq!(a, b);
            s.seed += 1;
            let c: Vec<_> = generate(&s).collect();
            assert_ne!(
                a.iter().map(|r| &r.payload).collect::<Vec<_>>(),
                c.iter().map(|r| &r.payload).collect::<Vec<_>>()
            );
            assert_ne!(
                a.iter().map(|r| r.event_time_ms).collect::<Vec<_>>(),
                c.iter().map(|r| r.event_time_ms).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn unvalidated_specs_do_not_panic() {
        for kind in KINDS {
            let s = SourceSpec {
                generator: kind,
                records: 20,
                keys: 0,
                partitions: 0,
                seed: 0,
                events_per_second: 0,
                max_out_of_order_ms: 0,
                start_time_ms: 0,
            };
            assert!(s.validate().is_err());
            let records: Vec<_> = generate(&s).collect();
            assert_eq!(records.len(), 20);
            assert!(records.iter().all(|r| r.partition == 0 && r.key == 0));
            let mut empty = s.clone();
            empty.records = 0;
            assert_eq!(generate(&empty).count(), 0);
            let mut wide = s;
            wide.partitions = u32::MAX;
            assert!(generate(&wide).all(|r| r.partition >= 0));
        }
    }

    #[test]
    fn schemas_match_payloads() {
        for kind in KINDS {
            let mut s = spec(kind);
            s.max_out_of_order_ms = 30;
            for r in generate(&s) {
                test_support::check_payload(kind, &r);
            }
        }
    }

    #[test]
    fn json_number_formatting() {
        let mut out = Vec::new();
        for v in [0, 9, 10, 1_700_000_000_000, u64::MAX] {
            out.clear();
            push_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
        for v in [i64::MIN, -1, 0, 1, i64::MAX] {
            out.clear();
            push_i64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
        out.clear();
        push_u64_padded(&mut out, 42, 6);
        push_u64_padded(&mut out, 1_234_567, 6);
        assert_eq!(out, b"0000421234567");
        out.clear();
        let mut obj = JsonObject::begin(&mut out);
        obj.cents("a", 5);
        obj.cents("b", 1234);
        obj.int("c", -3);
        obj.uint("d", 3);
        obj.str("e", "x");
        obj.end();
        assert_eq!(out, br#"{"a":0.05,"b":12.34,"c":-3,"d":3,"e":"x"}"#);
    }

    /// Generation speed, to be run by hand:
    /// `cargo test --release -- --ignored --nocapture generation_speed`.
    #[test]
    #[ignore = "timing measurement; run in release by hand"]
    fn generation_speed() {
        for kind in KINDS {
            let mut s = SourceSpec::new(kind, 1_000_000, 10_000);
            s.max_out_of_order_ms = 100;
            let start = std::time::Instant::now();
            let bytes: usize = generate(&s).map(|r| r.payload.len()).sum();
            let elapsed = start.elapsed();
            println!(
                "{kind:?}: 1e6 records, {bytes} payload bytes in {elapsed:?} ({:.1} M records/s)",
                1.0 / elapsed.as_secs_f64()
            );
        }
    }
}
