//! Brokers and topics: provisioning (embedded, tansu, external, testcontainers),
//! unique topics per run, and loading generated records with a bounded lead.

pub mod broker;
pub mod forward;
pub mod load;
pub mod topic_service;
pub mod topics;

pub use broker::{Broker, BrokerKind};
