//! The three ways a job can run, as ARCHITECTURE.md's table describes them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mode {
    /// `BaseConsumer::poll` loop, `&mut Engine`, direct writes, one OS thread.
    #[serde(rename = "sync")]
    Sync,
    /// FR-081-07's current design: polling Stream shim, `Arc<Mutex<Engine>>`, mpsc to a writer task.
    #[serde(rename = "tokio")]
    Tokio,
    /// `StreamConsumer` + `FutureProducer`, engine owned by one task.
    #[serde(rename = "tokio-native")]
    TokioNative,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Sync, Mode::Tokio, Mode::TokioNative];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Tokio => "tokio",
            Mode::TokioNative => "tokio-native",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mode '{s}'; use sync, tokio or tokio-native"))
    }
}
