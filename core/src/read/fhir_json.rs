//! FHIR JSON input: a Bundle, a single resource, or NDJSON (streamed line by line).

use std::collections::VecDeque;
use std::io::BufRead;

use super::lines::{read_line_capped, Line};
use super::{Buffered, Format, ReadOptions, RecordReader};
use crate::error::{Error, Limit, Location, Result};
use crate::fhir::{model, Decoded, FhirDecoder, ResourcePlace};
use crate::record::Record;
use crate::report::Report;

const FORMAT: &str = "FHIR JSON";

fn handle(
    decoder: &mut FhirDecoder,
    result: Result<Decoded>,
    strict: bool,
    out: &mut VecDeque<Record>,
) -> Result<()> {
    match result {
        Ok(Decoded::Record(r)) => out.push_back(*r),
        Ok(Decoded::Absorbed | Decoded::Skipped) => {}
        Err(e) if strict || e.is_io() => return Err(e),
        Err(e) => {
            let reason = match e.kind() {
                crate::ErrorKind::LimitExceeded { .. } => "limit-exceeded",
                crate::ErrorKind::InvalidRecord { .. } => "invalid-record",
                _ => "invalid-resource",
            };
            let loc = e.location().cloned().unwrap_or(Location::None);
            decoder.report.skip(reason, loc, e.to_string());
        }
    }
    Ok(())
}

/// Reads one JSON document (a Bundle or a single resource) completely.
pub(crate) fn read_document(bytes: &[u8], opts: &ReadOptions) -> Result<Buffered> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut decoder = FhirDecoder::new(opts.limits.json);
    let top = ResourcePlace::default();
    let resource_type = decoder.scan(bytes, &top)?;
    let mut records = VecDeque::new();
    if resource_type == Some("Bundle") {
        let bundle: model::Bundle<'_> = decoder.parse(bytes, "Bundle", &top)?;
        for (i, entry) in bundle.entry.iter().enumerate() {
            decoder.report.items_read += 1;
            let place = ResourcePlace {
                line: None,
                prefix: format!("/entry/{i}/resource"),
                full_url: entry.full_url.as_deref().map(str::to_owned),
            };
            let Some(raw) = entry.resource else {
                let e = Error::format(
                    FORMAT,
                    Location::JsonPointer {
                        line: None,
                        pointer: format!("/entry/{i}"),
                    },
                    "entry without resource",
                );
                handle(&mut decoder, Err(e), opts.strict, &mut records)?;
                continue;
            };
            let result = decoder.decode(raw.get().as_bytes(), &place);
            handle(&mut decoder, result, opts.strict, &mut records)?;
        }
    } else {
        decoder.report.items_read += 1;
        let result = decoder.decode(bytes, &top);
        // A single resource that is invalid is the whole input: always an error.
        handle(&mut decoder, result, true, &mut records)?;
    }
    if let Some(r) = decoder.finish() {
        records.push_back(r);
    }
    Ok(Buffered {
        records,
        report: decoder.report,
        format: Format::FhirJson,
    })
}

/// Streams NDJSON: one resource per line, blank lines ignored, each line bounded by
/// [`super::Limits::max_line_bytes`].
pub struct NdjsonReader<R: BufRead> {
    input: R,
    opts: ReadOptions,
    decoder: FhirDecoder,
    line: Vec<u8>,
    line_no: u64,
    pending: VecDeque<Record>,
    finished: bool,
    /// Whether a non-blank line was seen: the first one decides whether the input is NDJSON at all.
    seen_item: bool,
}

impl<R: BufRead> NdjsonReader<R> {
    /// A reader over buffered input.
    pub fn new(input: R, opts: ReadOptions) -> NdjsonReader<R> {
        let decoder = FhirDecoder::new(opts.limits.json);
        NdjsonReader {
            input,
            opts,
            decoder,
            line: Vec::with_capacity(4096),
            line_no: 0,
            pending: VecDeque::new(),
            finished: false,
            seen_item: false,
        }
    }
}

/// The first item of an NDJSON stream must start a JSON object: otherwise the whole input is of another
/// format (an XML file, a zip, a CSV), and reading on would only skip every line of it.
fn check_first_item(bytes: &[u8], line: u64) -> Result<()> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(Error::format(
            "FHIR NDJSON",
            Location::LineColumn { line, column: 1 },
            "not NDJSON: the first line does not start a JSON object",
        )),
    }
}

impl<R: BufRead> RecordReader for NdjsonReader<R> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(r));
            }
            let status = read_line_capped(
                &mut self.input,
                &mut self.line,
                self.opts.limits.max_line_bytes,
            )?;
            self.line_no += 1;
            let place = ResourcePlace {
                line: Some(self.line_no),
                prefix: String::new(),
                full_url: None,
            };
            match status {
                Line::Eof if self.finished => return Ok(None),
                Line::Eof => {
                    // A 特定健診 report still being collected ends with the input.
                    self.finished = true;
                    if let Some(r) = self.decoder.finish() {
                        return Ok(Some(r));
                    }
                    return Ok(None);
                }
                Line::TooLong(_) => {
                    self.decoder.report.items_read += 1;
                    let e = Error::limit(
                        Limit::DocumentBytes,
                        self.opts.limits.max_line_bytes as u64,
                        Location::JsonPointer {
                            line: Some(self.line_no),
                            pointer: String::new(),
                        },
                    );
                    handle(
                        &mut self.decoder,
                        Err(e),
                        self.opts.strict,
                        &mut self.pending,
                    )?;
                }
                Line::Ok => {
                    let mut bytes: &[u8] = &self.line;
                    if self.line_no == 1 {
                        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                    }
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if !self.seen_item {
                        check_first_item(bytes, self.line_no)?;
                        self.seen_item = true;
                    }
                    self.decoder.report.items_read += 1;
                    let result = self.decoder.decode(bytes, &place);
                    handle(
                        &mut self.decoder,
                        result,
                        self.opts.strict,
                        &mut self.pending,
                    )?;
                }
            }
        }
    }

    fn report(&self) -> &Report {
        &self.decoder.report
    }

    fn format(&self) -> Format {
        Format::FhirNdjson
    }
}
