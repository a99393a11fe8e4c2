//! A loopback TCP forwarder, so `tokio-tax broker --port N` can offer a fixed
//! bootstrap address although librdkafka's mock picks its own port. Clients
//! bootstrap through it, then follow the metadata to the mock itself.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use anyhow::Context;

/// Listens on 127.0.0.1:`port` and forwards every connection to `target`.
pub fn forward(port: u16, target: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name("tokio-tax-forward".into())
        .spawn(move || {
            for client in listener.incoming().flatten() {
                if let Err(e) = pipe(client, target) {
                    tracing::warn!(%target, error = %e, "could not forward a connection");
                }
            }
        })?;
    Ok(local)
}

fn pipe(client: TcpStream, target: SocketAddr) -> io::Result<()> {
    let upstream = TcpStream::connect(target)?;
    let (mut client_read, mut upstream_write) = (client.try_clone()?, upstream.try_clone()?);
    let (mut upstream_read, mut client_write) = (upstream, client);
    std::thread::spawn(move || {
        let _ = io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(Shutdown::Write);
    });
    std::thread::spawn(move || {
        let _ = io::copy(&mut upstream_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Write);
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    #[test]
    fn bytes_flow_both_ways() {
        let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let local = super::forward(0, target).unwrap();
        let mut c = std::net::TcpStream::connect(local).unwrap();
        c.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
    }
}
