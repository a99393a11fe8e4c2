//! tokio-tax: runs identical streaming SQL scenarios in a sync mode and in tokio
//! modes over a Kafka-protocol broker, and reports what the runtime costs.

pub mod compare;
pub mod components;
pub mod datagen;
pub mod gate;
pub mod history;
pub mod kafka;
pub mod machine;
pub mod measure;
pub mod mode;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod stats;
