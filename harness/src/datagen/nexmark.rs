//! Nexmark `Bid` events.
//!
//! Nexmark is the standard streaming-query benchmark; its bid stream is what
//! most published window and join results are measured on, so generating the
//! same shape keeps our numbers comparable. Only bids are generated (no
//! persons or auctions) because the window queries we run only read bids.
//!
//! Key skew follows Nexmark's generator: with `hotAuctionRatio = 2` half of
//! all bids go to a hot auction, and with `hotBiddersRatio = 4` three quarters
//! come from a hot bidder. Nexmark's hot auctions are multiples of its
//! `HOT_AUCTION_RATIO` (100); here, with a fixed key space instead of an
//! ever-growing one, the hot set is every multiple of [`HOT_KEY_STRIDE`] below
//! `keys` (about 1 % of the keys; just key 0 when `keys <= 100`). The other
//! bids pick uniformly from the whole key space. The skew matters because real
//! keyed state is unevenly loaded, and a runtime that hides that behind uniform
//! keys would look better than it is.

use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use tokio_tax_engine::record::{DataType, Schema};

use super::JsonObject;

/// The payload column holding the event time.
pub const EVENT_TIME_COLUMN: &str = "date_time";

/// Hot keys are the multiples of this, as Nexmark's `HOT_AUCTION_RATIO`.
pub const HOT_KEY_STRIDE: u64 = 100;

/// One in this many bids goes to a uniformly chosen auction; the rest go to a
/// hot one (Nexmark's default `hotAuctionRatio`).
pub const HOT_AUCTION_RATIO: u32 = 2;

/// One in this many bids comes from a uniformly chosen bidder; the rest come
/// from a hot one (Nexmark's default `hotBiddersRatio`).
pub const HOT_BIDDERS_RATIO: u32 = 4;

/// The named channels of Nexmark's bid generator.
pub const CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];

/// Lowest bid, in cents ($1).
pub const MIN_PRICE_CENTS: i64 = 100;
/// Highest bid, in cents ($10,000).
pub const MAX_PRICE_CENTS: i64 = 1_000_000;

/// Path words for bid URLs. Nexmark uses random strings; a fixed vocabulary
/// keeps URLs realistic-looking, ASCII, and free of anything needing escapes.
const URL_WORDS: [&str; 16] = [
    "auction", "bargain", "classic", "deal", "estate", "fashion", "gadget", "home", "item",
    "jewel", "kitchen", "lot", "market", "novelty", "outlet", "prize",
];

/// Typical payload size, so the buffer is allocated once per record.
const PAYLOAD_CAPACITY: usize = 192;

/// The bid columns, in JSON field order (Nexmark's `Bid` minus nothing).
pub fn schema() -> Schema {
    Schema::new([
        ("auction", DataType::Int),
        ("bidder", DataType::Int),
        ("price", DataType::Int),
        ("channel", DataType::Str),
        ("url", DataType::Str),
        (EVENT_TIME_COLUMN, DataType::Timestamp),
        ("extra", DataType::Str),
    ])
}

/// Per-stream state for bids.
#[derive(Debug, Clone)]
pub(super) struct BidGenerator {
    keys: u64,
    hot_keys: u64,
}

impl BidGenerator {
    pub(super) fn new(keys: u64) -> Self {
        let keys = keys.max(1);
        BidGenerator {
            keys,
            hot_keys: (keys - 1) / HOT_KEY_STRIDE + 1,
        }
    }

    /// One bid with the given event time; returns the key (the auction) and
    /// the JSON payload.
    pub(super) fn next_payload(
        &mut self,
        rng: &mut ChaCha8Rng,
        event_time_ms: i64,
    ) -> (u64, Vec<u8>) {
        let auction = self.pick_key(rng, HOT_AUCTION_RATIO);
        let bidder = self.pick_key(rng, HOT_BIDDERS_RATIO);
        let price = price_cents(rng);
        let channel_id = super::pick_index(rng, CHANNELS.len());
        let word = URL_WORDS[super::pick_index(rng, URL_WORDS.len())];
        let extra = rng.next_u64();

        let mut out = Vec::with_capacity(PAYLOAD_CAPACITY);
        let mut obj = JsonObject::begin(&mut out);
        obj.uint("auction", auction);
        obj.uint("bidder", bidder);
        obj.int("price", price);
        obj.str("channel", CHANNELS[channel_id]);
        let url = obj.begin_str("url");
        url.extend_from_slice(b"https://www.nexmark.com/");
        url.extend_from_slice(word.as_bytes());
        url.extend_from_slice(b"/item.htm?query=1&channel_id=");
        super::push_u64(url, channel_id as u64);
        obj.end_str();
        obj.int(EVENT_TIME_COLUMN, event_time_ms);
        push_extra(obj.begin_str("extra"), extra);
        obj.end_str();
        obj.end();
        (auction, out)
    }

    /// A key that is hot with probability `1 - 1/ratio`, as Nexmark does it.
    fn pick_key(&self, rng: &mut ChaCha8Rng, ratio: u32) -> u64 {
        if rng.gen_range(0..ratio) > 0 {
            rng.gen_range(0..self.hot_keys) * HOT_KEY_STRIDE
        } else {
            rng.gen_range(0..self.keys)
        }
    }
}

/// A bid price skewed toward small amounts, like Nexmark's log-uniform
/// `10^(6u)`: a decade (`$1–10`, `$10–100`, `$100–1,000`, `$1,000–10,000`)
/// is chosen uniformly, then a price uniformly within it. Integer-only, so the
/// stream is identical on every platform (no libm `powf`).
fn price_cents(rng: &mut ChaCha8Rng) -> i64 {
    let low = match rng.gen_range(0..4u32) {
        0 => MIN_PRICE_CENTS,
        1 => MIN_PRICE_CENTS * 10,
        2 => MIN_PRICE_CENTS * 100,
        _ => MIN_PRICE_CENTS * 1000,
    };
    let high = (low * 10).min(MAX_PRICE_CENTS);
    rng.gen_range(low..=high)
}

/// A short lowercase word of 4–8 letters drawn from one random `u64`, standing
/// in for Nexmark's padding field without a draw per letter.
fn push_extra(out: &mut Vec<u8>, mut bits: u64) {
    let len = 4 + bits % 5;
    bits /= 5;
    for _ in 0..len {
        out.push(b'a' + (bits % 26) as u8);
        bits /= 26;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::test_support::check_payload;
    use super::super::{generate, GeneratorKind, SourceSpec};
    use super::*;

    fn spec(records: u64, keys: u64) -> SourceSpec {
        SourceSpec::new(GeneratorKind::Nexmark, records, keys)
    }

    #[test]
    fn same_seed_same_payloads_different_seed_differs() {
        let a: Vec<_> = generate(&spec(500, 1000)).map(|r| r.payload).collect();
        let b: Vec<_> = generate(&spec(500, 1000)).map(|r| r.payload).collect();
        assert_eq!(a, b);
        let mut other = spec(500, 1000);
        other.seed = 7;
        let c: Vec<_> = generate(&other).map(|r| r.payload).collect();
        assert_ne!(a, c);
        assert_ne!(a[0], c[0]);
    }

    #[test]
    fn payloads_match_schema_and_nexmark_shape() {
        let mut s = spec(3000, 1000);
        s.max_out_of_order_ms = 50;
        for r in generate(&s) {
            let fields = check_payload(GeneratorKind::Nexmark, &r);
            let get = |name: &str| &fields.iter().find(|(n, _)| n == name).expect(name).1;
            let auction = get("auction").as_u64().expect("auction");
            assert_eq!(auction, r.key, "key is the auction");
            assert!(auction < 1000);
            assert!(get("bidder").as_u64().expect("bidder") < 1000);
            let price = get("price").as_i64().expect("price");
            assert!(
                (MIN_PRICE_CENTS..=MAX_PRICE_CENTS).contains(&price),
                "{price}"
            );
            let channel = get("channel").as_str().expect("channel");
            let channel_id = CHANNELS
                .iter()
                .position(|c| *c == channel)
                .expect("known channel");
            let url = get("url").as_str().expect("url");
            assert!(url.starts_with("https://www.nexmark.com/"), "{url}");
            assert!(
                url.ends_with(&format!("/item.htm?query=1&channel_id={channel_id}")),
                "{url}"
            );
            let extra = get("extra").as_str().expect("extra");
            assert!((4..=8).contains(&extra.len()), "{extra}");
            assert!(extra.bytes().all(|b| b.is_ascii_lowercase()), "{extra}");
        }
    }

    #[test]
    fn schema_order_and_event_time_column() {
        let names: Vec<_> = schema().names().map(str::to_owned).collect();
        assert_eq!(
            names,
            [
                "auction",
                "bidder",
                "price",
                "channel",
                "url",
                "date_time",
                "extra"
            ]
        );
        assert_eq!(
            super::super::event_time_column(GeneratorKind::Nexmark),
            "date_time"
        );
        assert_eq!(schema().columns[5].data_type, DataType::Timestamp);
    }

    #[test]
    fn ordering_contract_holds() {
        for ooo in [0, 1, 100, 3000] {
            let mut s = spec(4000, 100);
            s.partitions = 5;
            s.events_per_second = 2000;
            s.max_out_of_order_ms = ooo;
            super::super::test_support::check_ordering(&s);
        }
    }

    #[test]
    fn hot_keys_take_the_documented_share() {
        let n = 40_000u64;
        let keys = 10_000u64;
        let mut auctions: HashMap<u64, u64> = HashMap::new();
        let mut hot_auction = 0u64;
        let mut hot_bidder = 0u64;
        for r in generate(&spec(n, keys)) {
            let text = String::from_utf8(r.payload).expect("UTF-8");
            let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let bidder = v["bidder"].as_u64().expect("bidder");
            *auctions.entry(r.key).or_default() += 1;
            hot_auction += u64::from(r.key % HOT_KEY_STRIDE == 0);
            hot_bidder += u64::from(bidder % HOT_KEY_STRIDE == 0);
        }
        // Hot share = (1 - 1/ratio) plus the 1 % of uniform picks that land on a hot key.
        let share = |count: u64| count as f64 / n as f64;
        assert!(
            (share(hot_auction) - 0.505).abs() < 0.02,
            "{}",
            share(hot_auction)
        );
        assert!(
            (share(hot_bidder) - 0.7525).abs() < 0.02,
            "{}",
            share(hot_bidder)
        );
        // The cold keys are still spread over the whole space.
        assert!(auctions.len() > 5000, "{}", auctions.len());
        assert!(auctions.keys().all(|&k| k < keys));
    }

    #[test]
    fn small_key_spaces_stay_in_range() {
        for keys in [1, 2, 99, 100, 101] {
            for r in generate(&spec(500, keys)) {
                assert!(r.key < keys, "key {} with keys={keys}", r.key);
            }
        }
    }

    #[test]
    fn prices_skew_small() {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let prices: Vec<i64> = (0..10_000).map(|_| price_cents(&mut rng)).collect();
        let below_100_dollars = prices.iter().filter(|&&p| p <= 10_000).count();
        // Two of four decades lie below $100, so about half, where a uniform
        // price over $1–$10,000 would put about 1 % there.
        assert!(
            (4000..6000).contains(&below_100_dollars),
            "{below_100_dollars}"
        );
        assert!(prices.iter().min() < Some(&200));
        assert!(prices.iter().max() > Some(&900_000));
    }
}
