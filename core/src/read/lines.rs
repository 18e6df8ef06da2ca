//! A line reader with a hard cap: a 2 GB "line" is skipped through, never held in memory.

use std::io::BufRead;

/// The outcome of reading one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line is in the buffer (without its `\n`).
    Ok,
    /// The line was longer than the cap; it was consumed and discarded. Carries its length.
    TooLong(u64),
    /// End of input.
    Eof,
}

/// Reads one line into `buf` (cleared first), holding at most `max` bytes.
pub fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        total += take as u64;
        if !too_long {
            if buf.len() + take > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(Line::Eof);
    }
    if too_long {
        return Ok(Line::TooLong(total));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Line::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_skips_overlong_ones_in_bounded_memory() {
        let data = b"a\r\nbbbbbbbbbb\nc";
        let mut r = std::io::BufReader::with_capacity(3, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), Line::Ok);
        assert_eq!(buf, b"a");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            Line::TooLong(10)
        );
        assert!(buf.capacity() < 16);
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), Line::Ok);
        assert_eq!(buf, b"c");
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), Line::Eof);
    }
}
