//! JSON-lines files: one JSON object per line. Blocking std::fs I/O in both the
//! sync and the async implementations, as FR-081-07 describes its file sources.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{IoError, SyncReader, SyncWriter};
use crate::decode::{decode_json, JsonRow};
use crate::record::{Record, Schema};

pub struct JsonlReader {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    schema: Schema,
    batch_size: usize,
    line_number: i64,
    exhausted: bool,
    rejected: u64,
}

impl JsonlReader {
    pub fn open(
        path: impl AsRef<Path>,
        schema: Schema,
        batch_size: usize,
    ) -> Result<Self, IoError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| IoError::File {
            what: format!("opening {}", path.display()),
            source,
        })?;
        Ok(JsonlReader {
            path,
            lines: BufReader::new(file).lines(),
            schema,
            batch_size: batch_size.max(1),
            line_number: 0,
            exhausted: false,
            rejected: 0,
        })
    }

    fn next_batch(&mut self) -> Result<Vec<Record>, IoError> {
        let mut batch = Vec::with_capacity(self.batch_size);
        while batch.len() < self.batch_size {
            let Some(line) = self.lines.next() else {
                self.exhausted = true;
                break;
            };
            self.line_number += 1;
            let line = line.map_err(|source| IoError::File {
                what: format!("reading {} line {}", self.path.display(), self.line_number),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            // The line number doubles as the offset, so a rejected line can be found.
            match decode_json(line.as_bytes(), &self.schema, 0, self.line_number) {
                Ok(r) => batch.push(r),
                Err(e) => {
                    if self.rejected % 1000 == 0 {
                        tracing::warn!(path = %self.path.display(), line = self.line_number, error = %e, "skipping undecodable line");
                    }
                    self.rejected += 1;
                }
            }
        }
        Ok(batch)
    }
}

impl SyncReader for JsonlReader {
    fn read(&mut self) -> Result<Vec<Record>, IoError> {
        self.next_batch()
    }

    fn commit(&mut self) -> Result<(), IoError> {
        Ok(())
    }

    fn has_more(&self) -> Result<bool, IoError> {
        Ok(!self.exhausted)
    }

    fn rejected(&self) -> u64 {
        self.rejected
    }
}

pub struct JsonlWriter {
    path: PathBuf,
    out: BufWriter<File>,
    schema: Schema,
}

impl JsonlWriter {
    pub fn create(path: impl AsRef<Path>, schema: Schema) -> Result<Self, IoError> {
        let path = path.as_ref().to_path_buf();
        let file = File::create(&path).map_err(|source| IoError::File {
            what: format!("creating {}", path.display()),
            source,
        })?;
        Ok(JsonlWriter {
            path,
            out: BufWriter::new(file),
            schema,
        })
    }

    fn write_all(&mut self, records: &[Record]) -> Result<(), IoError> {
        for r in records {
            let row = JsonRow {
                record: r,
                schema: &self.schema,
            };
            serde_json::to_writer(&mut self.out, &row)
                .map_err(std::io::Error::from)
                .and_then(|_| self.out.write_all(b"\n"))
                .map_err(|source| IoError::File {
                    what: format!("writing {}", self.path.display()),
                    source,
                })?;
        }
        Ok(())
    }

    fn flush_file(&mut self) -> Result<(), IoError> {
        self.out.flush().map_err(|source| IoError::File {
            what: format!("flushing {}", self.path.display()),
            source,
        })
    }
}

impl SyncWriter for JsonlWriter {
    fn write_batch(&mut self, records: &[Record]) -> Result<(), IoError> {
        self.write_all(records)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.flush_file()
    }
}

#[cfg(feature = "tokio")]
mod async_impls {
    use super::*;
    use crate::io::{AsyncReader, AsyncWriter};

    #[async_trait::async_trait]
    impl AsyncReader for JsonlReader {
        async fn read(&mut self) -> Result<Vec<Record>, IoError> {
            self.next_batch()
        }

        async fn commit(&mut self) -> Result<(), IoError> {
            Ok(())
        }

        async fn has_more(&self) -> Result<bool, IoError> {
            Ok(!self.exhausted)
        }

        fn rejected(&self) -> u64 {
            self.rejected
        }
    }

    #[async_trait::async_trait]
    impl AsyncWriter for JsonlWriter {
        async fn write_batch(&mut self, records: Vec<Record>) -> Result<(), IoError> {
            self.write_all(&records)
        }

        async fn flush(&mut self) -> Result<(), IoError> {
            self.flush_file()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{DataType, Value};

    #[test]
    fn bad_lines_are_counted_and_skipped() {
        let dir = std::env::temp_dir().join(format!("tokio-tax-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("in.jsonl");
        std::fs::write(&path, "{\"a\": 1}\n{bad\n\n{\"a\": \"x\"}\n{\"a\": 3}\n").unwrap();
        let schema = Schema::new([("a", DataType::Int)]);
        let mut reader = JsonlReader::open(&path, schema.clone(), 10).unwrap();
        let batch = SyncReader::read(&mut reader).unwrap();
        assert_eq!(
            batch
                .iter()
                .map(|r| r.values[0].clone())
                .collect::<Vec<_>>(),
            [Value::Int(1), Value::Int(3)]
        );
        assert_eq!(SyncReader::rejected(&reader), 2);
        assert!(!SyncReader::has_more(&reader).unwrap());

        let out = dir.join("out.jsonl");
        let mut writer = JsonlWriter::create(&out, schema).unwrap();
        SyncWriter::write_batch(&mut writer, &batch).unwrap();
        SyncWriter::flush(&mut writer).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "{\"a\":1}\n{\"a\":3}\n"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
