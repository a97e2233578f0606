//! The Debug Adapter Protocol's base protocol: messages framed by a
//! `Content-Length` header, bodies of JSON.

use serde_json::Value;
use std::io::{self, BufRead, Read, Write};

/// The largest message body read (a definition or a 5 MB input in a
/// `setVariable` stays well below it).
pub const MAX_BODY: usize = 64 << 20;
/// The longest header line.
const MAX_HEADER_LINE: usize = 1024;

/// What reading one message gave.
#[derive(Debug)]
pub enum Incoming {
    Message(Value),
    /// A message that could not be read; the stream goes on after it.
    Malformed(String),
    /// The client closed the stream.
    End,
}

/// Read one message: headers up to an empty line, then `Content-Length`
/// bytes of JSON. A header block with no (or a bad) length is skipped whole
/// and reported; a body longer than [`MAX_BODY`] ends the stream, since
/// what follows it cannot be found without reading it.
pub fn read_message(r: &mut impl BufRead) -> io::Result<Incoming> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take(MAX_HEADER_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(if saw_header {
                Incoming::Malformed("the stream ended inside a message's headers".into())
            } else {
                Incoming::End
            });
        }
        if line.len() > MAX_HEADER_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a header line is longer than {MAX_HEADER_LINE} bytes"),
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("Content-Length '{}' is not a number", value.trim())),
                );
            }
        }
    }
    let n = match length {
        None => {
            return Ok(Incoming::Malformed(
                "a message had no Content-Length header".into(),
            ))
        }
        Some(Err(e)) => return Ok(Incoming::Malformed(e)),
        Some(Ok(n)) if n > MAX_BODY => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a message of {n} bytes is over the {MAX_BODY}-byte limit"),
            ))
        }
        Some(Ok(n)) => n,
    };
    let mut body = vec![0; n];
    r.read_exact(&mut body)?;
    Ok(match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => Incoming::Message(v),
        Ok(_) => Incoming::Malformed("a message body is not a JSON object".into()),
        Err(e) => Incoming::Malformed(format!("a message body is not JSON: {e}")),
    })
}

/// Write one message.
pub fn write_message(w: &mut impl Write, v: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(v)?;
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Vec<String> {
        let mut r = io::BufReader::new(text.as_bytes());
        let mut out = Vec::new();
        loop {
            match read_message(&mut r) {
                Ok(Incoming::Message(v)) => out.push(v["seq"].to_string()),
                Ok(Incoming::Malformed(m)) => out.push(format!("bad: {m}")),
                Ok(Incoming::End) => return out,
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }

    #[test]
    fn messages_are_framed_by_their_length_and_bad_ones_are_skipped() {
        let good = |seq: u32| {
            let b = format!("{{\"seq\":{seq},\"type\":\"request\"}}");
            format!("Content-Length: {}\r\n\r\n{b}", b.len())
        };
        let text = format!(
            "{}Content-Length: x\r\n\r\n{}Content-Type: a\r\n\r\n{}Content-Length: 3\r\n\r\n[1]{}",
            good(1),
            good(2),
            good(3),
            good(4)
        );
        assert_eq!(
            read_all(&text),
            [
                "1",
                "bad: Content-Length 'x' is not a number",
                "2",
                "bad: a message had no Content-Length header",
                "3",
                "bad: a message body is not a JSON object",
                "4"
            ]
        );
        let huge = format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1);
        assert!(read_all(&huge)[0].starts_with("error: a message of"));
        assert_eq!(
            read_all("Content-Length: 10\r\n"),
            ["bad: the stream ended inside a message's headers"]
        );
    }
}
