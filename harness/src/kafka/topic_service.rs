//! librdkafka's mock broker has no CreateTopics, so `tokio-tax broker` also
//! answers a one-line protocol on loopback ("create NAME PARTITIONS" ->
//! "ok" or "error ..."), which a second harness uses through
//! `--kafka external --topic-service ADDR`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context};

/// Serves topic creation on `listener` until the process ends; `create` makes a topic.
pub fn serve(listener: TcpListener, mut create: impl FnMut(&str, i32) -> anyhow::Result<()>) {
    for stream in listener.incoming().flatten() {
        let reply = answer(&stream, &mut create).unwrap_or_else(|e| format!("error {e:#}"));
        let _ = (&stream).write_all(format!("{reply}\n").as_bytes());
    }
}

fn answer(
    stream: &TcpStream,
    create: &mut impl FnMut(&str, i32) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["create", name, partitions] => {
            let partitions: i32 = partitions
                .parse()
                .context("partitions must be a whole number")?;
            create(name, partitions)?;
            Ok("ok".to_string())
        }
        _ => bail!("expected 'create NAME PARTITIONS', got '{}'", line.trim()),
    }
}

/// Asks a `tokio-tax broker` topic service at `addr` to create a topic.
pub fn create(addr: &str, name: &str, partitions: i32, timeout: Duration) -> anyhow::Result<()> {
    let target: SocketAddr = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .with_context(|| format!("bad topic service address {addr}"))?;
    let stream = TcpStream::connect_timeout(&target, timeout).with_context(|| {
        format!("connecting to the topic service at {addr} (is `tokio-tax broker` running?)")
    })?;
    stream.set_read_timeout(Some(timeout))?;
    (&stream).write_all(format!("create {name} {partitions}\n").as_bytes())?;
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .with_context(|| format!("waiting for the topic service at {addr}"))?;
    match reply.trim() {
        "ok" => Ok(()),
        other => bail!("the topic service at {addr} could not create {name}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reports_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            serve(listener, |name, partitions| {
                if name == "bad" {
                    bail!("refused")
                } else {
                    assert_eq!(partitions, 3);
                    Ok(())
                }
            })
        });
        create(&addr, "good", 3, Duration::from_secs(5)).unwrap();
        let e = create(&addr, "bad", 3, Duration::from_secs(5))
            .unwrap_err()
            .to_string();
        assert!(e.contains("refused"), "{e}");
    }
}
