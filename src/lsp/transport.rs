//! The protocol's framing on standard input and output, hardened: a
//! message's size is capped before anything is allocated for it, headers
//! are read as clients write them (any case, `\n` or `\r\n`), and a message
//! that is not JSON, not JSON-RPC or not UTF-8 is answered with the
//! protocol's error (-32700, -32600) instead of ending the server.

use lsp_server::{Connection, Message};
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};

/// The largest message read: a definition AWS takes is at most 1 MiB, and
/// the server reads files up to 16 MiB (escaped in JSON, some more).
pub const MAX_MESSAGE: usize = 64 << 20;
const MAX_HEADER_LINE: usize = 8 << 10;

/// A frame read, or why none could be.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Body(Vec<u8>),
    /// A problem to answer (-32700) before reading on.
    Bad(String),
    /// A body too large to keep: answered (-32700), then read past.
    TooLarge(usize),
    End,
}

impl Frame {
    /// What to tell the client about a frame that is no message.
    pub fn problem(&self) -> Option<String> {
        match self {
            Frame::Bad(m) => Some(m.clone()),
            Frame::TooLarge(n) => Some(format!(
                "a message of {n} bytes: asldbg lsp reads messages up to {} MiB",
                MAX_MESSAGE >> 20
            )),
            _ => None,
        }
    }
}

/// Read past `n` bytes of a body too large to keep.
pub fn skip(r: &mut impl BufRead, n: usize) {
    let _ = std::io::copy(&mut r.by_ref().take(n as u64), &mut std::io::sink());
}

/// Read one frame from `r`.
pub fn read_frame(r: &mut impl BufRead) -> Frame {
    let mut length: Option<usize> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = match r
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(n) => n,
            Err(_) => return Frame::End,
        };
        if n == 0 {
            return Frame::End;
        }
        if !line.ends_with(b"\n") && n == MAX_HEADER_LINE {
            // A header line past the cap: skipped to its end.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match r
                    .by_ref()
                    .take(MAX_HEADER_LINE as u64)
                    .read_until(b'\n', &mut rest)
                {
                    Ok(0) | Err(_) => return Frame::End,
                    Ok(_) if rest.ends_with(b"\n") => break,
                    Ok(_) => {}
                }
            }
            return Frame::Bad(format!("a header line longer than {MAX_HEADER_LINE} bytes"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            match length {
                Some(n) => break read_body(r, n),
                // A blank line with no header before it: read on.
                None => continue,
            }
        }
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => {
                        return Frame::Bad(format!("Content-Length '{}' is no size", value.trim()))
                    }
                }
            }
        }
    }
}

fn read_body(r: &mut impl BufRead, n: usize) -> Frame {
    if n > MAX_MESSAGE {
        return Frame::TooLarge(n);
    }
    let mut body = Vec::new();
    match r.by_ref().take(n as u64).read_to_end(&mut body) {
        Ok(k) if k == n => Frame::Body(body),
        _ => Frame::End,
    }
}

/// The message in `body`, or the error response to send back.
pub fn parse(body: &[u8]) -> Result<Message, Value> {
    let text = String::from_utf8_lossy(body);
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        // A lone surrogate escape (`"\ud800"`, sent for a broken buffer)
        // stands for U+FFFD, as invalid bytes do.
        Err(_) => match serde_json::from_str(&mend_surrogates(&text)) {
            Ok(v) => v,
            Err(e) => return Err(error(Value::Null, -32700, &format!("not JSON: {e}"))),
        },
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let valid = id.is_string() || id.is_i64() || id.is_u64();
    if value.get("id").is_some() && !valid && value.get("method").is_some() {
        // A request whose id is no id: answered, not taken for a notification.
        return Err(error(
            Value::Null,
            -32600,
            "a request's id is a string or an integer",
        ));
    }
    let id = if valid { id } else { Value::Null };
    serde_json::from_value::<Message>(value).map_err(|e| {
        error(
            id,
            -32600,
            &format!("not a JSON-RPC request or notification: {e}"),
        )
    })
}

/// A JSON-RPC error response.
pub fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// `\uD800`–`\uDFFF` escapes that are not a high surrogate followed by a
/// low one, replaced by `\uFFFD`.
fn mend_surrogates(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut last = 0;
    let hex = |at: usize| -> Option<u32> {
        let h = s.get(at..at + 4)?;
        u32::from_str_radix(h, 16).ok()
    };
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'u' {
                if let Some(u) = hex(i + 2) {
                    let paired = (0xD800..0xDC00).contains(&u)
                        && b.get(i + 6) == Some(&b'\\')
                        && b.get(i + 7) == Some(&b'u')
                        && hex(i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
                    if paired {
                        i += 12;
                        continue;
                    }
                    if (0xD800..0xE000).contains(&u) {
                        out.push_str(&s[last..i]);
                        out.push_str("\\uFFFD");
                        i += 6;
                        last = i;
                        continue;
                    }
                }
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    out
}

fn write_frame(out: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(body)?;
    out.flush()
}

/// A connection over standard input and output: a thread reads frames
/// (answering the bad ones itself), another writes what the server sends.
pub fn stdio() -> (Connection, std::thread::JoinHandle<()>) {
    let (to_server, from_client) = crossbeam_channel::bounded::<Message>(0);
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        for m in from_server {
            let body = serde_json::to_vec(&m).unwrap_or_default();
            if write_frame(&mut std::io::stdout().lock(), &body).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::new(std::io::stdin());
        loop {
            let frame = read_frame(&mut input);
            let answer = match &frame {
                Frame::End => break,
                Frame::Bad(_) | Frame::TooLarge(_) => {
                    error(Value::Null, -32700, &frame.problem().unwrap_or_default())
                }
                Frame::Body(b) => match parse(b) {
                    Ok(m) => {
                        if to_server.send(m).is_err() {
                            break;
                        }
                        continue;
                    }
                    Err(answer) => answer,
                },
            };
            let body = serde_json::to_vec(&answer).unwrap_or_default();
            if write_frame(&mut std::io::stdout().lock(), &body).is_err() {
                break;
            }
            // Answered first, then read past (the client may wait for the
            // answer before sending the rest).
            if let Frame::TooLarge(n) = frame {
                skip(&mut input, n);
            }
        }
        // Standard input closed: the server's loop ends.
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        writer,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut r = std::io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut r) {
                Frame::End => return out,
                Frame::TooLarge(n) => {
                    out.push(Frame::TooLarge(n));
                    skip(&mut r, n);
                }
                f => out.push(f),
            }
        }
    }

    #[test]
    fn headers_as_clients_write_them() {
        let got =
            frames(b"content-length: 2\n\n{}Content-Length: 4\r\nContent-Type: x\r\n\r\nnull");
        assert_eq!(
            got,
            [Frame::Body(b"{}".to_vec()), Frame::Body(b"null".to_vec())]
        );
    }

    #[test]
    fn a_huge_length_is_refused_without_reading_it_into_memory() {
        let got = frames(b"Content-Length: 999999999999\r\n\r\n{}");
        assert_eq!(got[0], Frame::TooLarge(999999999999));
        assert!(got[0].problem().unwrap().contains("999999999999 bytes"));
        assert_eq!(got.len(), 1);
        let got = frames(b"Content-Length: nope\r\n\r\n");
        assert!(matches!(&got[0], Frame::Bad(_)));
    }

    #[test]
    fn bad_bodies_get_the_protocols_errors() {
        assert_eq!(parse(b"{not json}").unwrap_err()["error"]["code"], -32700);
        assert_eq!(parse(b"[]").unwrap_err()["error"]["code"], -32600);
        assert_eq!(parse(b"null").unwrap_err()["error"]["code"], -32600);
        let e = parse(br#"{"jsonrpc":"2.0","id":{},"x":1}"#).unwrap_err();
        assert_eq!(e["id"], Value::Null);
        let e = parse(br#"{"jsonrpc":"2.0","id":1.5,"method":"textDocument/hover"}"#).unwrap_err();
        assert_eq!(e["error"]["code"], -32600);
        // Invalid UTF-8 and a lone surrogate: read, with U+FFFD for them.
        let m = parse(b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"t\":\"a\xff\xfeb \\ud800 \\ud83d\\ude00\"}}").unwrap();
        let Message::Notification(n) = m else {
            panic!()
        };
        assert_eq!(n.params["t"], "a\u{fffd}\u{fffd}b \u{fffd} 😀");
    }
}
