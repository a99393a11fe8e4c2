//! Shared by the integration tests that run the `tokio-tax` binary.

use std::process::Command;

/// The binary, run from the workspace root so `scenarios/` is found.
pub fn tokio_tax() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tokio-tax"));
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    command
}
