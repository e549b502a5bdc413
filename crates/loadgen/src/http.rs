//! A minimal HTTP/1.1 client for the soak's REST reads (catch-up after
//! `resync_required`, the reconciliation): one request per connection with
//! `Connection: close`, sized or chunked bodies. The load generator has no HTTP client
//! otherwise, and these reads are few.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// `GET path` on `addr` with a bearer token, within `timeout`.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    token: &str,
    timeout: Duration,
) -> io::Result<Response> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Accept: application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::with_capacity(16 * 1024);
        stream.read_to_end(&mut raw).await?;
        parse(&raw)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("GET {path}: timed out")))?
}

/// `GET path` answered `200` with a JSON body; retries a few times on connection
/// errors, `429` and `503` (a restarting or busy instance), then gives up.
pub async fn get_json(addr: SocketAddr, path: &str, token: &str) -> Result<Value, String> {
    let mut last = String::new();
    for attempt in 0..5u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        match get(addr, path, token, Duration::from_secs(10)).await {
            Ok(res) if res.status == 200 => {
                return serde_json::from_slice(&res.body).map_err(|e| format!("GET {path}: {e}"));
            }
            Ok(res) if res.status == 429 || res.status >= 500 => {
                last = format!("GET {path}: status {}", res.status);
            }
            Ok(res) => {
                return Err(format!(
                    "GET {path}: status {}: {}",
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            }
            Err(e) => last = format!("GET {path}: {e}"),
        }
    }
    Err(last)
}

fn parse(raw: &[u8]) -> io::Result<Response> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let head_end = memchr::memmem::find(raw, b"\r\n\r\n").ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| bad("header not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let rest = &raw[head_end + 4..];
    let body = if chunked {
        dechunk(rest).ok_or_else(|| bad("bad chunked body"))?
    } else {
        match length {
            Some(n) if n <= rest.len() => rest[..n].to_vec(),
            Some(_) => return Err(bad("body shorter than Content-Length")),
            None => rest.to_vec(),
        }
    };
    Ok(Response { status, body })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = memchr::memmem::find(rest, b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_and_chunked_bodies() {
        let sized = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((sized.status, sized.body.as_slice()), (200, &b"{}"[..]));
        let chunked = parse(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (chunked.status, chunked.body.as_slice()),
            (404, &b"abcde"[..])
        );
    }
}
