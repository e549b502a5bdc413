//! A minimal WebSocket client over a plain TCP stream: the upgrade handshake, masked
//! text frames out, unmasked frames in. Small on purpose: one load generator process
//! holds up to ~19,900 of these, each with a buffer that starts at 2 KiB.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// A parsed `ws://host:port/path`.
#[derive(Debug, Clone)]
pub struct WsUrl {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
}

impl WsUrl {
    pub fn parse(url: &str) -> Result<WsUrl, String> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| format!("{url}: only ws:// URLs are supported"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr: SocketAddr = host
            .parse()
            .map_err(|e| format!("{url}: the host must be IP:PORT ({e})"))?;
        Ok(WsUrl {
            addr,
            host: host.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// The reading half: a growable buffer and the last frame's payload.
pub struct WsReader {
    rd: OwnedReadHalf,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The payload of the last frame returned by [`WsReader::next`].
    pub payload: Vec<u8>,
    fragment: Option<u8>,
}

pub struct WsWriter {
    wr: OwnedWriteHalf,
    out: Vec<u8>,
}

/// Connects from `source` (any port), performs the upgrade with `headers` added.
pub async fn connect(
    url: &WsUrl,
    source: Option<IpAddr>,
    headers: &[(&str, &str)],
) -> io::Result<(WsReader, WsWriter)> {
    let socket = if url.addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(url.addr).await?;
    stream.set_nodelay(true)?;
    let (rd, wr) = stream.into_split();
    let mut request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
        url.path, url.host
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut writer = WsWriter {
        wr,
        out: Vec::with_capacity(256),
    };
    writer.wr.write_all(request.as_bytes()).await?;
    let mut reader = WsReader {
        rd,
        buf: vec![0; 2048],
        pos: 0,
        end: 0,
        payload: Vec::new(),
        fragment: None,
    };
    // Read the response head; whatever follows it is the first frames.
    loop {
        if let Some(i) = memchr::memmem::find(&reader.buf[..reader.end], b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&reader.buf[..i]).into_owned();
            if !head.starts_with("HTTP/1.1 101") {
                let status = head.lines().next().unwrap_or("").to_owned();
                return Err(io::Error::other(format!("upgrade refused: {status}")));
            }
            reader.pos = i + 4;
            break;
        }
        if reader.end == reader.buf.len() {
            return Err(io::Error::other("upgrade response too long"));
        }
        let n = reader.rd.read(&mut reader.buf[reader.end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        reader.end += n;
    }
    Ok((reader, writer))
}

impl WsReader {
    /// The next complete message's opcode (text, binary, close, ping, pong); its bytes
    /// are in `self.payload`. Fragments are joined.
    pub async fn next(&mut self) -> io::Result<u8> {
        loop {
            let avail = &self.buf[self.pos..self.end];
            let mut need = 2;
            if avail.len() >= 2 {
                let fin = avail[0] & 0x80 != 0;
                let op = avail[0] & 0x0F;
                let masked = avail[1] & 0x80 != 0;
                let (len, mut hdr) = match avail[1] & 0x7F {
                    126 if avail.len() >= 4 => {
                        (u16::from_be_bytes([avail[2], avail[3]]) as usize, 4)
                    }
                    127 if avail.len() >= 10 => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&avail[2..10]);
                        (u64::from_be_bytes(b) as usize, 10)
                    }
                    126 => (usize::MAX, 4),
                    127 => (usize::MAX, 10),
                    n => (n as usize, 2),
                };
                if masked {
                    hdr += 4;
                }
                need = if len == usize::MAX { hdr } else { hdr + len };
                if len != usize::MAX && avail.len() >= need {
                    // Into the payload buffer kept across frames (a new Vec per frame
                    // was a malloc and a free per delivery).
                    if op != OP_CONT {
                        self.payload.clear();
                    }
                    let from = self.payload.len();
                    self.payload.extend_from_slice(&avail[hdr..need]);
                    if masked {
                        let key = [
                            avail[hdr - 4],
                            avail[hdr - 3],
                            avail[hdr - 2],
                            avail[hdr - 1],
                        ];
                        for (i, b) in self.payload[from..].iter_mut().enumerate() {
                            *b ^= key[i % 4];
                        }
                    }
                    self.pos += need;
                    if op >= 0x8 {
                        return Ok(op);
                    }
                    if op != OP_CONT {
                        self.fragment = Some(op);
                    }
                    if fin {
                        return Ok(self.fragment.take().unwrap_or(OP_TEXT));
                    }
                    continue;
                }
            }
            // Need more bytes.
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if need > self.buf.len() {
                self.buf.resize(need.next_power_of_two(), 0);
            } else if self.end == self.buf.len() {
                let len = self.buf.len() * 2;
                self.buf.resize(len, 0);
            }
            let n = self.rd.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.end += n;
        }
    }
}

impl WsWriter {
    /// Sends one frame, masked (with a zero key: legal, and free to apply).
    pub async fn send(&mut self, op: u8, payload: &[u8]) -> io::Result<()> {
        self.out.clear();
        self.out.push(0x80 | op);
        let len = payload.len();
        if len < 126 {
            self.out.push(0x80 | len as u8);
        } else if len <= u16::MAX as usize {
            self.out.push(0x80 | 126);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0x80 | 127);
            self.out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        self.out.extend_from_slice(&[0, 0, 0, 0]);
        self.out.extend_from_slice(payload);
        self.wr.write_all(&self.out).await
    }

    pub async fn text(&mut self, text: &str) -> io::Result<()> {
        self.send(OP_TEXT, text.as_bytes()).await
    }

    pub async fn close(&mut self) -> io::Result<()> {
        self.send(OP_CLOSE, &1000u16.to_be_bytes()).await
    }
}

/// Ends a connection with a TCP reset: no close frame and no FIN handshake, as when a
/// client process crashes or its network drops.
pub fn abort(reader: WsReader, writer: WsWriter) {
    if let Ok(stream) = reader.rd.reunite(writer.wr) {
        let _ = stream.set_zero_linger();
    }
}
