//! A strict streaming check of HTTP/1.1 chunked framing (RFC 9112 §7.1), over the raw bytes of a
//! request body.
//!
//! pingora 0.9.1 decodes chunked bodies with httparse 1.10.1's `parse_chunk_size`, which accepts
//! a chunk-size line with no digits (`\r\n`, or `;ext\r\n`) as size 0: in one framing that ends
//! the body early (the rest is dropped and the request forwarded), in another the connection
//! waits for bytes that never come. The gateway therefore checks framing itself, on the same
//! bytes pingora decodes, before pingora sees them ([`crate::server::tap`]), and refuses the
//! request (400) at the first byte that breaks the grammar:
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*HEXDIG                      (at most 16 digits)
//! chunk-ext    = *( BWS ";" … )                (no CR, LF or other controls; bounded)
//! ```
//!
//! Line ends must be CRLF. Bytes after the final CRLF (a pipelined request) are not looked at.

/// Longest chunk extension accepted (pingora refuses past 4 KiB of chunk head too).
pub const MAX_CHUNK_EXT: usize = 4096;
/// Longest trailer section accepted.
pub const MAX_TRAILERS: usize = 16 * 1024;

/// Where the framing broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("chunk-size line without a hex size")]
    EmptySize,
    #[error("chunk size over 16 hex digits")]
    SizeTooLong,
    #[error("unexpected byte {0:#04x} in a chunk-size line")]
    BadSizeLine(u8),
    #[error("chunk extension over the limit or with a control byte")]
    BadExtension,
    #[error("chunk data not followed by CRLF")]
    MissingDataCrlf,
    #[error("malformed or oversized trailer section")]
    BadTrailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In `chunk-size`: `digits` read so far.
    Size {
        digits: u8,
    },
    /// After the size: whitespace (BWS) or an extension until CR.
    AfterSize {
        in_ext: bool,
        ext_len: usize,
    },
    /// CR of the chunk-size line seen; LF next.
    SizeLf,
    /// `n` data bytes left.
    Data(u64),
    DataCr,
    DataLf,
    /// At the start of a trailer line (or of the final CRLF).
    TrailerStart,
    Trailer,
    TrailerLf,
    FinalLf,
    Done,
}

/// The streaming checker: feed it the raw body bytes in any pieces.
#[derive(Debug, Clone)]
pub struct ChunkedFraming {
    state: State,
    size: u64,
    trailer_bytes: usize,
}

impl Default for ChunkedFraming {
    fn default() -> Self {
        ChunkedFraming {
            state: State::Size { digits: 0 },
            size: 0,
            trailer_bytes: 0,
        }
    }
}

impl ChunkedFraming {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the final CRLF has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Checks `input`, the next raw bytes; `data` receives the chunk payload (for tests and the
    /// reference decoder; the tap passes a no-op). Once an error is returned the body is invalid.
    pub fn feed(&mut self, input: &[u8], mut data: impl FnMut(&[u8])) -> Result<(), FramingError> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            self.state = match self.state {
                State::Done => return Ok(()),
                State::Data(n) => {
                    let rest = input.get(i..).unwrap_or_default();
                    let take = rest.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                    data(rest.get(..take).unwrap_or_default());
                    i += take;
                    let left = n - take as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data(left)
                    };
                    continue;
                }
                State::Size { digits } => self.size_byte(digits, b)?,
                State::AfterSize { in_ext, ext_len } => after_size_byte(in_ext, ext_len, b)?,
                State::SizeLf => match b {
                    b'\n' if self.size == 0 => State::TrailerStart,
                    b'\n' => State::Data(std::mem::take(&mut self.size)),
                    _ => return Err(FramingError::BadSizeLine(b)),
                },
                State::DataCr => match b {
                    b'\r' => State::DataLf,
                    _ => return Err(FramingError::MissingDataCrlf),
                },
                State::DataLf => match b {
                    b'\n' => State::Size { digits: 0 },
                    _ => return Err(FramingError::MissingDataCrlf),
                },
                State::TrailerStart => match b {
                    b'\r' => State::FinalLf,
                    _ => self.trailer_byte(b)?,
                },
                State::Trailer => match b {
                    b'\r' => State::TrailerLf,
                    _ => self.trailer_byte(b)?,
                },
                State::TrailerLf | State::FinalLf if b != b'\n' => {
                    return Err(FramingError::BadTrailer)
                }
                State::TrailerLf => State::TrailerStart,
                State::FinalLf => State::Done,
            };
            i += 1;
        }
        Ok(())
    }

    /// The next state after byte `b` of the chunk-size line, `digits` hex digits read so far.
    fn size_byte(&mut self, digits: u8, b: u8) -> Result<State, FramingError> {
        Ok(match hex(b) {
            Some(h) => {
                if digits == 16 {
                    return Err(FramingError::SizeTooLong);
                }
                self.size = self.size * 16 + u64::from(h);
                State::Size { digits: digits + 1 }
            }
            None if digits == 0 => {
                return Err(if b == b'\r' || b == b'\n' || b == b';' {
                    FramingError::EmptySize
                } else {
                    FramingError::BadSizeLine(b)
                })
            }
            None => match b {
                b' ' | b'\t' => State::AfterSize {
                    in_ext: false,
                    ext_len: 0,
                },
                b';' => State::AfterSize {
                    in_ext: true,
                    ext_len: 0,
                },
                b'\r' => State::SizeLf,
                _ => return Err(FramingError::BadSizeLine(b)),
            },
        })
    }

    fn trailer_byte(&mut self, b: u8) -> Result<State, FramingError> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > MAX_TRAILERS || (b < 0x20 && b != b'\t') || b == 0x7f {
            return Err(FramingError::BadTrailer);
        }
        Ok(State::Trailer)
    }
}

/// The next state after byte `b` following the chunk size: whitespace, then an optional
/// extension (`in_ext`, `ext_len` bytes of it so far), up to the CR.
fn after_size_byte(in_ext: bool, ext_len: usize, b: u8) -> Result<State, FramingError> {
    Ok(match b {
        b'\r' => State::SizeLf,
        b';' if !in_ext => State::AfterSize {
            in_ext: true,
            ext_len: 0,
        },
        b' ' | b'\t' if !in_ext => State::AfterSize { in_ext, ext_len },
        _ if !in_ext => return Err(FramingError::BadSizeLine(b)),
        _ if (b < 0x20 && b != b'\t') || b == 0x7f || ext_len >= MAX_CHUNK_EXT => {
            return Err(FramingError::BadExtension)
        }
        _ => State::AfterSize {
            in_ext,
            ext_len: ext_len + 1,
        },
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The `Transfer-Encoding` rule (PRODUCT.md protocol table): a request is framed by exactly one
/// `Transfer-Encoding` field whose value is `chunked` (any case, optional whitespace around it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// No `Transfer-Encoding`: framed by `Content-Length` (or empty).
    Absent,
    /// Exactly one `chunked`.
    Chunked,
    /// The field sent twice, a coding list (`chunked` twice included), or a value that is not a
    /// coding: 400.
    Invalid,
    /// One coding the gateway does not implement (`gzip`, `identity`…): 501.
    Unsupported,
}

/// Applies the rule to every `Transfer-Encoding` field value of a request, in order.
pub fn transfer_encoding<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> TransferEncoding {
    let mut values = values.into_iter();
    let Some(value) = values.next() else {
        return TransferEncoding::Absent;
    };
    if values.next().is_some() {
        return TransferEncoding::Invalid;
    }
    let coding = value.trim_ascii();
    if coding.eq_ignore_ascii_case(b"chunked") {
        TransferEncoding::Chunked
    } else if !coding.is_empty() && coding.iter().all(|b| is_tchar(*b)) {
        TransferEncoding::Unsupported
    } else {
        // Empty, a list (",") or parameters (";", "=", spaces): not one coding.
        TransferEncoding::Invalid
    }
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &[u8]) -> Result<Vec<u8>, FramingError> {
        let mut f = ChunkedFraming::new();
        let mut out = Vec::new();
        f.feed(raw, |d| out.extend_from_slice(d))?;
        assert!(
            f.is_done(),
            "incomplete: {:?}",
            String::from_utf8_lossy(raw)
        );
        Ok(out)
    }

    #[test]
    fn accepts_the_grammar() {
        assert_eq!(check(b"5\r\nhello\r\n0\r\n\r\n").unwrap(), b"hello");
        assert_eq!(
            check(b"5;a=b\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-T: 1\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert_eq!(check(b"000\r\n\r\n").unwrap(), b"");
    }

    #[test]
    fn refuses_empty_and_malformed_size_lines() {
        let mut f = ChunkedFraming::new();
        assert_eq!(
            f.feed(b"5\r\nhello\r\n\r\n", |_| {}),
            Err(FramingError::EmptySize)
        );
        for bad in [
            &b"\r\n"[..],
            b";ext\r\n",
            b" 5\r\nhello\r\n0\r\n\r\n",
            b"5x\r\n",
            b"0x5\r\n",
            b"5\nhello\r\n",
            b"5\r\nhelloX\r\n",
            b"11111111111111111\r\n",
            b"-1\r\n",
            b"5;\x00\r\n",
            b"0\r\nbad\n\r\n",
        ] {
            let mut f = ChunkedFraming::new();
            assert!(
                f.feed(bad, |_| {}).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn transfer_encoding_rule() {
        use TransferEncoding::*;
        let one = |v: &'static [u8]| transfer_encoding([v]);
        assert_eq!(transfer_encoding(Vec::<&[u8]>::new()), Absent);
        assert_eq!(one(b"chunked"), Chunked);
        assert_eq!(one(b" ChUnKeD\t"), Chunked);
        assert_eq!(one(b"chunked, chunked"), Invalid);
        assert_eq!(one(b"gzip, chunked"), Invalid);
        assert_eq!(one(b"chunked;q=1"), Invalid);
        assert_eq!(one(b""), Invalid);
        assert_eq!(one(b"gzip"), Unsupported);
        assert_eq!(one(b"identity"), Unsupported);
        assert_eq!(transfer_encoding([&b"chunked"[..], b"chunked"]), Invalid);
    }
}
