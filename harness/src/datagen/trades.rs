//! Equity trades for the FR-081 window benchmarks.
//!
//! Trades give window queries a second, differently shaped workload from
//! Nexmark: a small, fixed set of symbols (few groups, heavy per-group
//! traffic) next to a large trader key space (many groups, light traffic),
//! with a float column whose values drift the way prices do, so that
//! `AVG`/`MIN`/`MAX` over a window produce plausible, checkable results.
//!
//! Each symbol's price is a random walk in whole cents: it starts between
//! $10 and $500 and every trade of that symbol moves it by at most 0.2 %
//! (at least one cent), never below $0.01. Integer cents keep the walk exact
//! and the stream identical on every platform. Symbols, traders and
//! quantities are uniform.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tokio_tax_engine::record::{DataType, Schema};

use super::JsonObject;

/// The payload column holding the event time.
pub const EVENT_TIME_COLUMN: &str = "trade_time";

/// The fixed ticker universe: 64 real-looking symbols, none needing JSON
/// escapes.
pub const SYMBOLS: [&str; 64] = [
    "AAPL", "MSFT", "AMZN", "GOOG", "META", "NVDA", "TSLA", "JPM", "V", "JNJ", "WMT", "PG", "MA",
    "UNH", "HD", "DIS", "BAC", "XOM", "CVX", "KO", "PEP", "CSCO", "ORCL", "INTC", "AMD", "IBM",
    "CRM", "ADBE", "NFLX", "PYPL", "QCOM", "TXN", "AVGO", "COST", "MCD", "NKE", "SBUX", "MRK",
    "PFE", "ABBV", "LLY", "TMO", "ABT", "DHR", "BMY", "AMGN", "GILD", "CAT", "DE", "BA", "GE",
    "HON", "MMM", "UPS", "FDX", "LMT", "RTX", "GS", "MS", "C", "WFC", "T", "VZ", "SPY",
];

/// Trader ids are `"T"` plus the index zero-padded to at least this many
/// digits, so ids sort in index order and keep one width for any key space
/// up to a million.
pub const TRADER_ID_MIN_DIGITS: usize = 6;

/// Lowest and highest starting price of a symbol, in cents.
pub const START_PRICE_CENTS: (u64, u64) = (1_000, 50_000);

/// Largest price move per trade, as a divisor of the price (1/500 = 0.2 %).
const STEP_DIVISOR: u64 = 500;

/// Largest trade size; sizes are uniform in `1..=MAX_QUANTITY`.
pub const MAX_QUANTITY: i64 = 1000;

/// Typical payload size, so the buffer is allocated once per record.
const PAYLOAD_CAPACITY: usize = 112;

/// The trade columns, in JSON field order.
pub fn schema() -> Schema {
    Schema::new([
        ("symbol", DataType::Str),
        ("trader_id", DataType::Str),
        ("price", DataType::Float),
        ("quantity", DataType::Int),
        (EVENT_TIME_COLUMN, DataType::Timestamp),
    ])
}

/// Per-stream state: each symbol's current price.
#[derive(Debug, Clone)]
pub(super) struct TradeGenerator {
    keys: u64,
    trader_digits: usize,
    /// Current price per symbol, in cents, indexed like [`SYMBOLS`]. On the
    /// heap so the generator enum stays small.
    prices: Vec<u64>,
}

impl TradeGenerator {
    /// Draws the starting prices from the payload stream, so they too follow
    /// the seed.
    pub(super) fn new(keys: u64, rng: &mut ChaCha8Rng) -> Self {
        let keys = keys.max(1);
        let prices = SYMBOLS
            .iter()
            .map(|_| rng.gen_range(START_PRICE_CENTS.0..=START_PRICE_CENTS.1))
            .collect();
        TradeGenerator {
            keys,
            trader_digits: super::decimal_digits(keys - 1).max(TRADER_ID_MIN_DIGITS),
            prices,
        }
    }

    /// One trade with the given event time; returns the key (the trader
    /// index) and the JSON payload.
    pub(super) fn next_payload(
        &mut self,
        rng: &mut ChaCha8Rng,
        event_time_ms: i64,
    ) -> (u64, Vec<u8>) {
        let symbol = super::pick_index(rng, SYMBOLS.len());
        let trader = rng.gen_range(0..self.keys);
        let price = &mut self.prices[symbol];
        let max_step = (*price / STEP_DIVISOR).max(1);
        *price = (*price + rng.gen_range(0..=2 * max_step))
            .saturating_sub(max_step)
            .max(1);
        let price = *price;
        let quantity = rng.gen_range(1..=MAX_QUANTITY);

        let mut out = Vec::with_capacity(PAYLOAD_CAPACITY);
        let mut obj = JsonObject::begin(&mut out);
        obj.str("symbol", SYMBOLS[symbol]);
        let id = obj.begin_str("trader_id");
        id.push(b'T');
        super::push_u64_padded(id, trader, self.trader_digits);
        obj.end_str();
        obj.cents("price", price);
        obj.int("quantity", quantity);
        obj.int(EVENT_TIME_COLUMN, event_time_ms);
        obj.end();
        (trader, out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::test_support::{check_ordering, check_payload};
    use super::super::{event_time_column, generate, GeneratorKind, SourceSpec};
    use super::*;

    fn spec(records: u64, keys: u64) -> SourceSpec {
        SourceSpec::new(GeneratorKind::Trades, records, keys)
    }

    #[test]
    fn same_seed_same_payloads_different_seed_differs() {
        let a: Vec<_> = generate(&spec(500, 100)).map(|r| r.payload).collect();
        let b: Vec<_> = generate(&spec(500, 100)).map(|r| r.payload).collect();
        assert_eq!(a, b);
        let mut other = spec(500, 100);
        other.seed = 43;
        let c: Vec<_> = generate(&other).map(|r| r.payload).collect();
        assert_ne!(a, c);
        assert_ne!(a[0], c[0]);
    }

    #[test]
    fn symbols_are_64_distinct_plain_tickers() {
        let unique: HashSet<_> = SYMBOLS.iter().collect();
        assert_eq!(unique.len(), 64);
        assert!(SYMBOLS
            .iter()
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn schema_order_and_event_time_column() {
        let names: Vec<_> = schema().names().map(str::to_owned).collect();
        assert_eq!(
            names,
            ["symbol", "trader_id", "price", "quantity", "trade_time"]
        );
        assert_eq!(event_time_column(GeneratorKind::Trades), "trade_time");
        assert_eq!(schema().columns[2].data_type, DataType::Float);
    }

    #[test]
    fn payloads_match_schema_and_trade_shape() {
        let mut s = spec(3000, 250);
        s.max_out_of_order_ms = 20;
        let mut symbols = HashSet::new();
        for r in generate(&s) {
            let fields = check_payload(GeneratorKind::Trades, &r);
            let get = |name: &str| &fields.iter().find(|(n, _)| n == name).expect(name).1;
            let symbol = get("symbol").as_str().expect("symbol");
            assert!(SYMBOLS.contains(&symbol), "{symbol}");
            symbols.insert(symbol.to_owned());
            let trader = get("trader_id").as_str().expect("trader_id");
            assert_eq!(trader, format!("T{:06}", r.key), "key is the trader index");
            assert!(r.key < 250);
            let price = get("price").as_f64().expect("price");
            assert!(price >= 0.01, "{price}");
            assert!(
                ((price * 100.0).round() - price * 100.0).abs() < 1e-6,
                "{price}"
            );
            let quantity = get("quantity").as_i64().expect("quantity");
            assert!((1..=MAX_QUANTITY).contains(&quantity), "{quantity}");
        }
        assert_eq!(symbols.len(), 64, "every symbol trades");
    }

    #[test]
    fn price_text_has_two_decimals() {
        for r in generate(&spec(500, 10)) {
            let text = std::str::from_utf8(&r.payload).expect("UTF-8");
            let start = text.find("\"price\":").expect("price") + "\"price\":".len();
            let value = &text[start..start + text[start..].find(',').expect("comma")];
            let (_, decimals) = value.split_once('.').expect("decimal point");
            assert_eq!(decimals.len(), 2, "{value}");
        }
    }

    #[test]
    fn trader_ids_widen_for_large_key_spaces() {
        let r = generate(&spec(1, 1)).next().expect("one record");
        assert!(std::str::from_utf8(&r.payload)
            .expect("UTF-8")
            .contains(r#""trader_id":"T000000""#));
        let keys = 50_000_000;
        for r in generate(&spec(200, keys)) {
            let v: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON");
            let id = v["trader_id"].as_str().expect("trader_id");
            assert_eq!(id.len(), 1 + 8, "{id}");
            assert_eq!(id[1..].parse::<u64>().ok(), Some(r.key));
        }
    }

    #[test]
    fn prices_walk_in_small_steps() {
        let mut last: HashMap<String, f64> = HashMap::new();
        for r in generate(&spec(20_000, 10)) {
            let v: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON");
            let symbol = v["symbol"].as_str().expect("symbol").to_owned();
            let price = v["price"].as_f64().expect("price");
            if let Some(prev) = last.insert(symbol, price) {
                let step = (price - prev).abs();
                assert!(
                    step <= (prev / 500.0).max(0.01) + 0.005,
                    "{prev} -> {price}"
                );
            } else {
                assert!((9.0..=501.0).contains(&price), "start {price}");
            }
        }
    }

    #[test]
    fn ordering_contract_holds() {
        for ooo in [0, 1, 100, 3000] {
            let mut s = spec(4000, 100);
            s.partitions = 2;
            s.events_per_second = 500;
            s.max_out_of_order_ms = ooo;
            check_ordering(&s);
        }
    }
}
