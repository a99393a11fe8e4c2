use std::fmt;

use thiserror::Error;

/// Where in the query text something is, 1-based. Line 0 means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str("unknown position")
        } else {
            write!(f, "line {}, column {}", self.line, self.column)
        }
    }
}

impl From<sqlparser::tokenizer::Location> for Location {
    fn from(l: sqlparser::tokenizer::Location) -> Self {
        Location {
            line: l.line,
            column: l.column,
        }
    }
}

/// Why a query was rejected. Every variant says what and where.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SqlError {
    #[error("SQL syntax error: {0}")]
    Syntax(String),
    #[error("unsupported SQL at {at}: {what}")]
    Unsupported { what: String, at: Location },
    #[error("unknown column '{name}' at {at} (columns: {available})")]
    UnknownColumn {
        name: String,
        at: Location,
        available: String,
    },
    #[error("invalid query at {at}: {why}")]
    Invalid { why: String, at: Location },
}

impl SqlError {
    pub(crate) fn unsupported(what: impl Into<String>, at: impl Into<Location>) -> Self {
        SqlError::Unsupported {
            what: what.into(),
            at: at.into(),
        }
    }

    pub(crate) fn invalid(why: impl Into<String>, at: impl Into<Location>) -> Self {
        SqlError::Invalid {
            why: why.into(),
            at: at.into(),
        }
    }
}
